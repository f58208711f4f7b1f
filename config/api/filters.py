"""Filtering list pages: the backend named in ``DEFAULT_FILTER_BACKENDS``, and the filters the
apps' ``FilterSet`` classes share.

Named in DRF's ``DEFAULT_*`` settings, so this module must not import DRF's views (DRF imports
it while it defines ``APIView``).
"""

from __future__ import annotations

import json
from typing import Any

import django_filters
from django import forms
from django.db import connection
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.request import Request


class FilterBackend(DjangoFilterBackend):
    """django-filter, not consulted when the request names none of the view's filters.

    Building and validating the filter form costs something on every list call and buys nothing
    when no filter is asked for. A parameter counts when it starts with a filter's name, so the
    range filters' ``_after`` / ``_before`` parameters do; none of our filters has a default
    that applies when absent.
    """

    def filter_queryset(self, request: Request, queryset: QuerySet, view: Any) -> QuerySet:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        names = tuple(filterset_class.base_filters)
        if not any(param.startswith(names) for param in request.query_params):
            return queryset
        return super().filter_queryset(request, queryset, view)


class _StrictBooleanFormField(forms.NullBooleanField):
    widget = forms.TextInput

    # A NullBooleanField's value may be None; django-stubs' own NullBooleanField ignores the
    # same override error against BooleanField.
    def to_python(self, value: Any) -> bool | None:  # type: ignore[override]
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
