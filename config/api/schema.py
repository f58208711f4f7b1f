"""What the OpenAPI schema says beyond what drf-spectacular sees: the problem responses an
operation can give (with examples), their media type, and the query parameters' bounds."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample
from drf_standardized_errors.openapi import AutoSchema

from config.api.pagination import MAX_PAGE_SIZE
from config.api.problems import PROBLEM_MEDIA_TYPE, problem

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

_PROBLEM_EXAMPLES = [
    OpenApiExample(
        "Invalid input",
        status_codes=["400"],
        response_only=True,
        value=problem(
            status=400,
            code="invalid",
            detail="2 problems with the input; see errors.",
            errors=[
                {
                    "code": "does_not_exist",
                    "detail": "No such audience.",
                    "attr": "audience",
                    "pointer": "/audience",
                },
                {
                    "code": "unknown_field",
                    "detail": "Unknown field.",
                    "attr": "colour",
                    "pointer": "/colour",
                },
            ],
        ),
    ),
    OpenApiExample(
        "Not authenticated",
        status_codes=["401"],
        response_only=True,
        value=problem(
            status=401,
            code="not_authenticated",
            detail="Authentication credentials were not provided.",
        ),
    ),
    OpenApiExample(
        "Not permitted",
        status_codes=["403"],
        response_only=True,
        value=problem(
            status=403,
            code="not_permitted",
            detail="You may not sign off here (approver or lead).",
        ),
    ),
    OpenApiExample(
        "Not found",
        description="Also the answer for another team's object: the two look the same.",
        status_codes=["404"],
        response_only=True,
        value=problem(status=404, code="not_found", detail="Not found."),
    ),
    OpenApiExample(
        "Someone else acted first",
        status_codes=["409"],
        response_only=True,
        value=problem(
            status=409,
            code="conflict",
            detail="Someone else changed this activity first (it is now Approved, version 4); "
            "reload it and try again.",
        ),
    ),
    OpenApiExample(
        "Four eyes",
        status_codes=["422"],
        response_only=True,
        value=problem(
            status=422,
            code="four_eyes",
            detail="Four eyes: you drafted or submitted this activity, so someone else must "
            "review it.",
        ),
    ),
    OpenApiExample(
        "Throttled",
        status_codes=["429"],
        response_only=True,
        value=problem(
            status=429,
            code="throttled",
            detail="Request was throttled. Expected available in 12 seconds.",
        ),
    ),
]


class ProblemAutoSchema(AutoSchema):
    """drf-standardized-errors' schema, with the domain's 403/409/422 on writes and a 400 for a
    bad page size on every paginated list."""

    def _should_add_error_response(self, responses: dict, status_code: str) -> bool:
        if status_code in ("409", "422"):
            return self.method in UNSAFE_METHODS and status_code not in responses
        if status_code == "400" and self._get_paginator() is not None:
            return status_code not in responses
        return super()._should_add_error_response(responses, status_code)

    def _should_add_http403_error_response(self) -> bool:
        # Services refuse a write the caller's role does not allow (``NotPermitted``).
        return self.method in UNSAFE_METHODS or super()._should_add_http403_error_response()

    def _get_error_response_examples(self) -> list[OpenApiExample]:
        return _PROBLEM_EXAMPLES


def problem_media_type_hook(result: dict, **kwargs: Any) -> dict:
    """Say in the schema what the API does beyond what the generator sees:

    - every error response is ``application/problem+json``, whatever the endpoint renders;
    - an empty query parameter (``?status=``) is accepted and means "no filter";
    - a page holds 1 to ``MAX_PAGE_SIZE`` rows.
    """
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                if status.isdigit() and int(status) >= 400 and "content" in response:
                    first = next(iter(response["content"].values()))
                    response["content"] = {PROBLEM_MEDIA_TYPE: first}
            for parameter in operation.get("parameters", []):
                if parameter.get("in") != "query":
                    continue
                parameter["allowEmptyValue"] = True
                if parameter["name"] == "page_size":
                    parameter["schema"].update({"minimum": 1, "maximum": MAX_PAGE_SIZE})
    return result
