"""Assertions about the API's answers: every refusal is an RFC 9457 problem."""

from __future__ import annotations

from typing import Any


def problem(response: Any, status: int) -> dict[str, Any]:
    """Assert ``response`` is a problem with ``status``; return its body."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"] == "application/problem+json", response["Content-Type"]
    body = response.json()
    assert set(body) == {"type", "title", "status", "detail", "code", "errors"}, body
    assert body["status"] == status
    assert body["type"] == f"urn:candor:problem:{body['code']}"
    return body


def field_errors(response: Any, status: int = 400) -> dict[str, list[str]]:
    """Assert a problem with field-level entries; return ``{attr: [code, …]}``."""
    body = problem(response, status)
    assert body["errors"], body
    errors: dict[str, list[str]] = {}
    for entry in body["errors"]:
        errors.setdefault(entry["attr"], []).append(entry["code"])
    return errors
