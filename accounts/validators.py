"""Validators for reference values every app stores (IANA timezones, BCP 47 language tags), and
the parse of an object id a request names."""

from __future__ import annotations

import re
import uuid
import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError

# RFC 5646 in its common form: language, optional script, optional region (e.g. sr-Latn, pt-BR).
_BCP47 = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$")


def uuid_or_none(value: object) -> uuid.UUID | None:
    """The UUID a request parameter names, or ``None`` when it is absent or no UUID at all (a
    hand-edited link is a "not found", never a server error)."""
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


@cache
def available_timezones() -> frozenset[str]:
    """Every IANA zone name this installation knows (tzdata is a dependency)."""
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value: str) -> None:
    """Refuse anything that is not an IANA zone name such as ``Europe/Chisinau``."""
    if value not in available_timezones():
        raise ValidationError(
            "%(value)s is not an IANA time zone (for example Europe/Minsk).",
            code="invalid_timezone",
            params={"value": value},
        )


def validate_language_tag(value: str) -> None:
    """Refuse anything that is not a BCP 47 tag of the form ``ll``, ``ll-Scrp`` or ``ll-RR``."""
    if not isinstance(value, str) or not _BCP47.match(value):
        raise ValidationError(
            "%(value)s is not a BCP 47 language tag (for example ru, sr-Latn, pt-BR).",
            code="invalid_language",
            params={"value": value},
        )


def validate_language_tags(value: object) -> None:
    """A non-empty list of distinct BCP 47 tags."""
    if not isinstance(value, list) or not value:
        raise ValidationError("Give at least one language tag.", code="invalid_languages")
    for tag in value:
        validate_language_tag(tag)
    if len(set(value)) != len(value):
        raise ValidationError("Each language may appear only once.", code="duplicate_language")
