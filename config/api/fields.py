"""Serializer fields the apps' input and output shapes share: related objects by their public
uuid within the caller's scope, and times with or without an offset."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.db.models import Model, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


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

    def to_representation(self, value: Any) -> str:
        return str(value.uuid)


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
