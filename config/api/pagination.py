"""How many rows a list page holds, and a cursor that never skips or repeats one.

Named in ``DEFAULT_PAGINATION_CLASS``, so this module must not import DRF's views (DRF imports it
while it defines ``APIView``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

MAX_PAGE_SIZE = 200


class StableCursorPagination(CursorPagination):
    """Cursor pagination whose order is total: the chosen field, then the primary key, so rows
    with equal values never swap places between pages. A forged cursor is a 404, never a 500."""

    ordering = "-pk"
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request: Request) -> int | None:
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

    def paginate_queryset(
        self, queryset: QuerySet | Sequence[Any], request: Request, view: Any = None
    ):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (DjangoValidationError, ValueError, TypeError, OverflowError) as error:
            # A cursor whose position does not fit the ordering field (decoded, then refused by
            # the field): the same answer as an undecodable cursor.
            raise exceptions.NotFound(self.invalid_cursor_message) from error
