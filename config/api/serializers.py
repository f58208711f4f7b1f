"""Input checked strictly, and the two steps every view takes around its service call:
``validated`` (the request body through an input serializer) and ``render`` (the result through
an output serializer)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import QueryDict
from rest_framework import exceptions, serializers
from rest_framework.exceptions import ErrorDetail

from config.api.fields import ScopedRelatedField


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
