"""The API's plumbing, in one place: every app's ``api/`` package builds on it.

- **Errors.** Every refusal leaves the API as an RFC 9457 problem (``application/problem+json``)
  with field-level ``errors``: DRF's own exceptions and the domain's typed errors
  (``accounts.errors``) are mapped here and nowhere else. drf-standardized-errors runs the
  handler (it also sends ``got_request_exception`` for a 500, so nothing is swallowed silently).
- **Input.** ``InputSerializer`` rejects unknown fields instead of ignoring them;
  ``ScopedRelatedField`` takes a related object by its uuid, looked up only among the objects the
  caller may see, so a foreign uuid gets the same answer as a missing one.
- **Limits** (page sizes, request rates) live in ``accounts.api.limits``: DRF imports the
  classes named in its ``DEFAULT_*`` settings while building ``APIView``, so they cannot sit in
  a module that imports DRF's views (as this one must, through drf-standardized-errors).
- **Schema.** ``ProblemAutoSchema`` documents the problem responses an operation can give.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any

import django_filters
from axes import helpers as axes_helpers
from django import forms
from django.db import connection
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.views import defaults
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema_field
from drf_standardized_errors.formatter import ExceptionFormatter
from drf_standardized_errors.handler import ExceptionHandler
from drf_standardized_errors.openapi import AutoSchema
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings

from accounts.api.projection import Projection
from accounts.db import joins_as_written
from accounts.errors import DomainError, InvalidInput

PROBLEM_MEDIA_TYPE = "application/problem+json"
MAX_PAGE_SIZE = 200  # accounts.api.limits.StableCursorPagination.max_page_size
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# --- Errors as problem details (RFC 9457) ------------------------------------------------------

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


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' answer to a locked-out login (``AXES_LOCKOUT_CALLABLE``): the API's login
    view has already answered with a problem (429); elsewhere, axes' own message."""
    if request.path.startswith("/api/"):
        if original_response is not None and original_response.status_code == 429:
            return original_response
        return problem_response(
            request, status=429, code="locked_out", detail=str(axes_helpers.get_lockout_message())
        )
    return HttpResponse(axes_helpers.get_lockout_message(), status=429)


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
    """RFC 9457 problem details, with the field-level ``errors`` extension."""

    type = serializers.CharField(help_text="A URN naming the kind of problem.")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField()
    errors = ProblemFieldErrorSerializer(many=True)


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
    - a page holds 1 to ``max_page_size`` rows.
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


# --- Input -----------------------------------------------------------------------------------


def _json_type_problem(field: serializers.Field, value: Any) -> Any:
    """DRF coerces ``3`` into ``"3"`` and ``"1"`` into ``True``; a JSON client that sends the
    wrong type has a bug we should tell it about, so JSON input must have the declared type,
    list items included (``{index: [error]}`` for those, as DRF reports list errors)."""
    if value is None:
        return None  # ``allow_null`` decides
    if isinstance(field, serializers.ListField) and isinstance(value, list):
        items = {i: _json_type_problem(field.child, item) for i, item in enumerate(value)}
        return {i: problem for i, problem in items.items() if problem is not None} or None
    textual = (serializers.CharField, serializers.ChoiceField, ScopedRelatedField)
    if isinstance(field, textual) and not isinstance(value, str):
        return [ErrorDetail("Not a string.", code="invalid_type")]
    if isinstance(field, serializers.BooleanField) and not isinstance(value, bool):
        return [ErrorDetail("Not a boolean.", code="invalid_type")]
    if isinstance(field, serializers.IntegerField) and (
        isinstance(value, bool) or not isinstance(value, int)
    ):
        return [ErrorDetail("Not an integer.", code="invalid_type")]
    return None


class InputSerializer(serializers.Serializer):
    """Base of every input serializer.

    - A field the endpoint does not know is an error (400), not silently dropped: a typo in
      ``scheduled_locl`` must not look like success.
    - JSON values must have the declared type (form fields, which are all text, are parsed).
    """

    def to_internal_value(self, data: Any) -> Any:
        problems: dict[str, Any] = {}
        if isinstance(data, Mapping):
            writable = {name: field for name, field in self.fields.items() if not field.read_only}
            for name, value in data.items():
                if name not in writable:
                    problems[str(name)] = [ErrorDetail("Unknown field.", code="unknown_field")]
                elif not isinstance(data, QueryDict):
                    wrong = _json_type_problem(writable[name], value)
                    if wrong is not None:
                        problems[str(name)] = wrong
        try:
            value = super().to_internal_value(data)
        except exceptions.ValidationError as error:
            if problems and isinstance(error.detail, dict):
                raise exceptions.ValidationError(error.detail | problems) from error
            raise
        if problems:
            raise exceptions.ValidationError(problems)
        return value


@extend_schema_field(OpenApiTypes.UUID)
class ScopedRelatedField(serializers.RelatedField):
    """A related object given by its uuid and looked up only among ``scope(user)``: what the
    caller may see. A uuid of anything else gets the answer a nonexistent one gets."""

    default_error_messages = {
        "does_not_exist": "No such {noun}.",
        "invalid": "Not a valid id (a UUID).",
    }

    def __init__(self, *, scope: Callable[[Any], QuerySet[Any]], noun: str, **kwargs: Any) -> None:
        self.scope = scope
        self.noun = noun
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        return self.scope(self.context["request"].user)

    def to_internal_value(self, data: Any) -> Model:
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            key = uuid.UUID(data)
        except ValueError:
            self.fail("invalid")
        found = self.get_queryset().filter(uuid=key).first()
        if found is None:
            self.fail("does_not_exist", noun=self.noun)
        return found

    def to_representation(self, value: Model) -> str:
        return str(value.uuid)  # type: ignore[attr-defined]


class NaiveDateTimeField(serializers.DateTimeField):
    """A wall-clock time without an offset (``2026-06-01T09:00``), e.g. in an audience's zone."""

    default_error_messages = {
        "offset": "Give the local time without an offset or Z; the audience's zone applies.",
    }

    def enforce_timezone(self, value: Any) -> Any:
        if value.tzinfo is not None:
            self.fail("offset")
        return value

    def to_representation(self, value: Any) -> Any:
        return value.replace(tzinfo=None).isoformat() if value else None


class AwareDateTimeField(serializers.DateTimeField):
    """An instant with an explicit offset (``2026-06-01T06:00:00Z``); naive input is refused
    rather than guessed."""

    default_error_messages = {
        "naive": "Give the offset (for example Z for UTC), or use the local-time field.",
    }

    def enforce_timezone(self, value: Any) -> Any:
        if value.tzinfo is None:
            self.fail("naive")
        return super().enforce_timezone(value)


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
        "example": "08:00",
    }
)
class LocalTimeField(serializers.TimeField):
    """A wall-clock time of day in a zone given elsewhere (``08:00``): no offset, so not
    JSON Schema's ``time`` format, which requires one."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("format", "%H:%M")
        kwargs.setdefault("input_formats", ["%H:%M", "%H:%M:%S"])
        super().__init__(**kwargs)


class _StrictBooleanFormField(forms.NullBooleanField):
    widget = forms.TextInput

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        if value in ("true", "false"):
            return value == "true"
        raise forms.ValidationError("Give true or false.", code="invalid")

    def validate(self, value: Any) -> None:
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    """``true`` or ``false``; anything else is a 400, where django-filter's own boolean filter
    would quietly ignore it and return everything."""

    field_class = _StrictBooleanFormField


def boolean_filter(**kwargs: Any) -> StrictBooleanFilter:
    return StrictBooleanFilter(**kwargs)


def json_list_contains(queryset: QuerySet, field: str, value: str) -> QuerySet:
    """Rows whose JSON list ``field`` holds ``value`` (a language, a tag).

    PostgreSQL answers ``@>`` on jsonb; SQLite (the embedded default) has no JSON containment,
    so there the stored text is searched for the value as JSON encodes it, quotes included, so
    ``"ru"`` cannot match inside ``"ru-RU"``."""
    if connection.vendor == "postgresql":
        return queryset.filter(**{f"{field}__contains": [value]})
    return queryset.filter(**{f"{field}__icontains": json.dumps(value)})


# --- Views ---------------------------------------------------------------------------------


class ReadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A resource looked up by its public ``uuid`` as ``{id}``. Any path segment reaches the
    view, so a malformed id is the view's 404 problem, never the URL resolver's HTML page.

    A view with a ``projection`` (``accounts.api.projection``) serves its list pages from
    ``values()`` rows in the serializer's shape, with the joins planned as written."""

    lookup_field = "uuid"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[^/]+"
    projection: Projection | None = None

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        if self.projection is None:
            return super().list(request, *args, **kwargs)
        queryset = self.projection.values(self.filter_queryset(self.get_queryset()))
        with joins_as_written():
            page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.projection.render(page))


# --- Output ----------------------------------------------------------------------------------


class TextRenderer(BaseRenderer):
    """Passes a ready text body through (CSV, iCalendar); errors still render as problems."""

    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None):
        if isinstance(data, bytes):
            return data
        if isinstance(data, str):
            return data.encode(self.charset)
        return JSONRenderer().render(data, accepted_media_type, renderer_context)


class CSVRenderer(TextRenderer):
    media_type = "text/csv"
    format = "csv"


class CalendarRenderer(TextRenderer):
    media_type = "text/calendar"
    format = "ics"


class HTMLDocumentRenderer(TextRenderer):
    """A whole HTML document made elsewhere (a report), passed through."""

    media_type = "text/html"
    format = "html"


class PDFRenderer(TextRenderer):
    """PDF bytes passed through; errors still render as problems."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"


def validated(
    serializer_class: type[serializers.Serializer], request: Any, *, partial: bool = False
) -> dict[str, Any]:
    """The request body checked by an input serializer (400 with every problem otherwise)."""
    serializer = serializer_class(data=request.data, partial=partial, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def render(serializer_class: type[serializers.Serializer], instance: Any, request: Any, **context):
    """One object in an output serializer's shape."""
    return serializer_class(instance, context={"request": request, **context}).data
