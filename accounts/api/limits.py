"""How much a caller gets: page sizes and request rates.

Kept apart from ``accounts.api.base`` because DRF imports the classes named in its ``DEFAULT_*``
settings while it defines ``APIView``; this module must therefore not import DRF's views.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

# --- Lists -----------------------------------------------------------------------------------


class StableCursorPagination(CursorPagination):
    """Cursor pagination whose order is total: the chosen field, then the primary key, so rows
    with equal values never swap places between pages. A forged cursor is a 404, never a 500."""

    ordering = "-pk"
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int:
        """The requested page size; anything but a whole number from 1 to ``max_page_size`` is
        refused (400) rather than silently replaced by the default."""
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw == "":
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        f"Give a whole number from 1 to {self.max_page_size}."
                    ]
                }
            )
        return int(raw)

    def get_ordering(self, request: Request, queryset: QuerySet, view: Any) -> tuple[str, ...]:
        if any(hasattr(f, "get_ordering") for f in getattr(view, "filter_backends", [])):
            ordering = super().get_ordering(request, queryset, view)
        else:  # no ordering parameter: the view's own order
            chosen = getattr(view, "ordering", None) or self.ordering
            ordering = (chosen,) if isinstance(chosen, str) else tuple(chosen)
        if not any(field.lstrip("-") in ("pk", "id") for field in ordering):
            descending = ordering[0].startswith("-")
            ordering = (*ordering, "-pk" if descending else "pk")
        return ordering

    def paginate_queryset(self, queryset: QuerySet, request: Request, view: Any = None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (DjangoValidationError, ValueError, TypeError, OverflowError) as error:
            # A cursor whose position does not fit the ordering field (decoded, then refused by
            # the field): the same answer as an undecodable cursor.
            raise exceptions.NotFound(self.invalid_cursor_message) from error


# --- Throttling ------------------------------------------------------------------------------


class _DynamicRateThrottle(SimpleRateThrottle):
    """Reads its rate from the settings at request time (DRF binds them at import)."""

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class TokenRateThrottle(_DynamicRateThrottle):
    """Requests per API token; a caller without one is counted by address."""

    scope = "token"

    def get_cache_key(self, request: Request, view: Any) -> str:
        token = getattr(request.auth, "uuid", None)
        ident = f"token-{token}" if token else f"addr-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class LoginRateThrottle(_DynamicRateThrottle):
    """Login attempts per address (the lockout per username and address is django-axes')."""

    scope = "login"

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
