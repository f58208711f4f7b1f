"""Typed domain errors raised by every app's services.

They live in ``accounts`` because it is the lowest app: every other app may import it. The API
and the UI each map these to responses in exactly one place (HTTP status in ``http_status``).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.core.exceptions import ValidationError


class DomainError(Exception):
    """A refusal by the domain. ``field`` names the input it concerns, when there is one."""

    http_status = 422
    code = "rule_violation"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class RuleViolation(DomainError):
    """The request is well formed but a business rule forbids it (HTTP 422)."""


class InvalidTransition(DomainError):
    """The object is not in a state that allows this transition (HTTP 409)."""

    http_status = 409
    code = "invalid_transition"


class Conflict(DomainError):
    """Someone else changed the object first; reload and try again (HTTP 409)."""

    http_status = 409
    code = "conflict"


class NotPermitted(DomainError):
    """The actor may see the object but lacks the role for this action (HTTP 403)."""

    http_status = 403
    code = "not_permitted"


class InvalidInput(DomainError):
    """Field-level problems with the input (HTTP 400). ``errors`` maps field → messages."""

    http_status = 400
    code = "invalid"

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        first_field, messages = next(iter(errors.items()))
        super().__init__(messages[0], field=first_field)


def full_clean(instance: Any, *, exclude: Collection[str] | None = None) -> None:
    """Run the model's field validation and raise ``InvalidInput`` with every message."""
    try:
        instance.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as error:
        raise InvalidInput(
            {field: [str(m) for m in messages] for field, messages in error.message_dict.items()}
        ) from error
