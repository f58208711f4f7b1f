"""The schema is valid OpenAPI 3 and its docs work offline under the site's strict CSP; every
error under /api/ is a problem, even where Django answers before DRF does."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.problems import problem

pytestmark = pytest.mark.django_db


def test_the_schema_validates_against_the_openapi_specification(tmp_path) -> None:
    out = tmp_path / "schema.json"
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--format",
        "openapi-json",
        "--file",
        str(out),
    )
    schema = json.loads(out.read_text())
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["knoxApiToken"]["in"] == "header"


def test_every_error_response_is_documented_as_a_problem_with_examples() -> None:
    schema = json.loads(APIClient().get("/api/schema/", {"format": "json"}).content)
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], (
                        path,
                        method,
                        status,
                    )
    activity_approve = schema["paths"]["/api/v1/activities/{id}/approve/"]["post"]
    assert {"401", "403", "404", "409", "422"} <= set(activity_approve["responses"])
    examples = activity_approve["responses"]["422"]["content"]["application/problem+json"]
    assert examples["examples"]


def test_swagger_ui_has_no_inline_script_or_style_and_loads_only_local_assets(client) -> None:
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    html = response.content.decode()
    assert not re.search(r"<script>|<style|\son\w+=", html)
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    assert all(s.startswith("/") for s in sources), sources
    for asset in (s for s in sources if s.startswith("/static/")):
        assert finders.find(asset.removeprefix("/static/")), asset
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


def test_redoc_loads_only_local_assets(client) -> None:
    response = client.get("/api/redoc/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "googleapis" not in html
    assert not re.search(r"<script>|<style", html)
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    assert all(s.startswith("/") for s in sources), sources
    assert "worker-src 'self' blob:" in response["Content-Security-Policy"]


def test_unknown_api_urls_and_versions_are_problems_too(client) -> None:
    problem(client.get("/api/v1/nothing-here/"), 404)
    problem(client.get("/api/v2/activities/"), 404)
    assert client.get("/not-the-api/")["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("vendor", ["postgresql", "sqlite"])
def test_list_filters_on_json_lists_work_on_both_databases(api, outsider, vendor, monkeypatch):
    """SQLite (the embedded default) has no JSON containment: the fallback must agree."""
    from django.db import connection

    from tests.messaging.factories import ThemeFactory

    ThemeFactory(owner_team=outsider.teams.get(), tags=["C00030", "C00156"], title="Tagged")
    ThemeFactory(owner_team=outsider.teams.get(), tags=["C000301"], title="Almost")
    monkeypatch.setattr(connection, "vendor", vendor)
    client = api(outsider)
    themes = client.get("/api/v1/themes/", {"tag": "C00030"}).json()["results"]
    assert [t["title"] for t in themes] == ["Tagged"]
    audiences = client.get("/api/v1/audiences/", {"language": "ro"}).json()["results"]
    assert [a["name"] for a in audiences] == ["Moldova"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/auth/tokens/0.5/",
        "/api/v1/activities/0.5/",
        "/api/v1/messages/x.y/citations/e3e70682-c209-1cac-a29f-6fbed82c07cd/",
        "/api/v1/messages/x.y/evidence-packet/",
    ],
)
def test_a_malformed_id_is_a_problem_even_on_the_debug_server(api, planner, settings, path):
    settings.DEBUG = True  # Django's own 404 page would be HTML there
    client = api(planner)
    method = "delete" if "citations" in path or "tokens" in path else "get"
    problem(getattr(client, method)(path), 404)
