"""Every refusal leaves the API as an RFC 9457 problem (``application/problem+json``) with
field-level ``errors``.

DRF's own exceptions and the domain's typed errors (``accounts.errors``) are mapped to HTTP here
and nowhere else. drf-standardized-errors runs the handler (it also sends
``got_request_exception`` for a 500, so nothing is swallowed silently); Django's 404 and 500
handlers answer with the same shape under ``/api/``.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from drf_standardized_errors.formatter import ExceptionFormatter
from drf_standardized_errors.handler import ExceptionHandler
from rest_framework import exceptions, serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings

from accounts.errors import DomainError, InvalidInput

PROBLEM_MEDIA_TYPE = "application/problem+json"

_TITLES = {
    400: "Invalid input",
    401: "Not authenticated",
    403: "Not permitted",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    415: "Unsupported media type",
    422: "Refused by a rule",
    429: "Too many requests",
    500: "Server error",
}


class DomainProblem(exceptions.APIException):
    """A domain refusal (``accounts.errors.DomainError``) on its way to the client."""

    def __init__(self, error: DomainError) -> None:
        self.status_code = error.http_status
        self.domain_error = error
        super().__init__(detail=error.message, code=error.code)


def _as_validation_error(error: InvalidInput) -> exceptions.ValidationError:
    return exceptions.ValidationError(
        {
            field: [ErrorDetail(message, code=error.code) for message in messages]
            for field, messages in error.errors.items()
        }
    )


class ProblemExceptionHandler(ExceptionHandler):
    """Maps the domain's typed errors to HTTP, and renders every error as a problem."""

    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, InvalidInput):
            return _as_validation_error(exc)
        if isinstance(exc, DomainError):
            return DomainProblem(exc)
        return super().convert_known_exceptions(exc)

    def get_response(self, exc: exceptions.APIException, data: dict) -> Response:
        request = self.context.get("request")
        if request is not None:
            # A problem is JSON even where the endpoint renders CSV or a calendar.
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = PROBLEM_MEDIA_TYPE
        return Response(
            data,
            status=exc.status_code,
            headers=self.get_headers(exc),
            content_type=PROBLEM_MEDIA_TYPE,
        )


def _pointer(attr: str | None) -> str | None:
    """JSON Pointer (RFC 6901) to the offending member: ``rows.2.url`` → ``/rows/2/url``."""
    if attr is None or attr == api_settings.NON_FIELD_ERRORS_KEY:
        return None
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in attr.split("."))


def problem(
    *, status: int, code: str, detail: str, errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The body of one problem. ``type`` is a stable URN per ``code``; there is no
    ``instance``: a foreign object's 404 must be byte for byte a missing object's 404."""
    return {
        "type": f"urn:candor:problem:{code}",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        "errors": errors or [],
    }


class ProblemFormatter(ExceptionFormatter):
    """``{type, title, status, detail, code, errors: [{code, detail, attr, pointer}]}``."""

    def run(self) -> dict[str, Any]:
        status = self.exc.status_code
        if isinstance(self.exc, exceptions.ValidationError):
            errors = [asdict(e) | {"pointer": _pointer(e.attr)} for e in self.get_errors()]
            if len(errors) == 1:
                detail = errors[0]["detail"]
            else:
                detail = f"{len(errors)} problems with the input; see errors."
            return problem(status=status, code="invalid", detail=detail, errors=errors)
        if isinstance(self.exc, DomainProblem):
            error = self.exc.domain_error
            fields = []
            if error.field:
                fields = [
                    {
                        "code": error.code,
                        "detail": error.message,
                        "attr": error.field,
                        "pointer": _pointer(error.field),
                    }
                ]
            return problem(status=status, code=error.code, detail=error.message, errors=fields)
        first = self.get_errors()[0] if self.exc.detail else None
        code = first.code if first else self.exc.default_code
        detail = first.detail if first else str(self.exc.default_detail)
        return problem(status=status, code=str(code), detail=detail)


def problem_response(request: HttpRequest, *, status: int, code: str, detail: str) -> HttpResponse:
    """A problem answered outside DRF (Django's handlers, django-axes)."""
    return JsonResponse(
        problem(status=status, code=code, detail=detail),
        status=status,
        content_type=PROBLEM_MEDIA_TYPE,
    )


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 handler: a problem under ``/api/``, the usual page elsewhere."""
    if request.path.startswith("/api/"):
        return problem_response(request, status=404, code="not_found", detail="Not found.")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 handler: a problem under ``/api/``, the usual page elsewhere."""
    if request.path.startswith("/api/"):
        return problem_response(request, status=500, code="error", detail="Server error.")
    return defaults.server_error(request)


class ProblemFieldErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable, e.g. `required`, `four_eyes`.")
    detail = serializers.CharField()
    attr = serializers.CharField(
        allow_null=True, help_text="The input field, dotted for nested ones: `rows.3.claim`."
    )
    pointer = serializers.CharField(
        allow_null=True, help_text="The same as a JSON Pointer: `/rows/3/claim`."
    )


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, with the field-level ``errors`` extension (the schema of every
    error response, ``DRF_STANDARDIZED_ERRORS["ERROR_SCHEMAS"]``)."""

    type = serializers.CharField(help_text="A URN naming the kind of problem.")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField()
    # A declared field, taken off the class by DRF's metaclass: it does not replace the
    # serializer's own ``errors`` property, as the stubs (seeing a class attribute) suppose.
    errors = ProblemFieldErrorSerializer(many=True)  # type: ignore[assignment]
