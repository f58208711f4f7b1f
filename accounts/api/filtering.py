"""The API's django-filter backend (named in ``DEFAULT_FILTER_BACKENDS``; like
``accounts.api.limits``, this module must not import DRF's views)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.request import Request


class FilterBackend(DjangoFilterBackend):
    """django-filter, not consulted when the request names none of the view's filters.

    Building and validating the filter form is a fixed cost on every list call (about a tenth
    of an activity page, benchmark P1) that buys nothing when no filter is asked for. A
    parameter counts when it starts with a filter's name, so the range filters' ``_after`` /
    ``_before`` parameters do; none of our filters has a default that applies when absent.
    """

    def filter_queryset(self, request: Request, queryset: QuerySet, view: Any) -> QuerySet:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        names = tuple(filterset_class.base_filters)
        if not any(param.startswith(names) for param in request.query_params):
            return queryset
        return super().filter_queryset(request, queryset, view)
