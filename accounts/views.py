"""Sign-in pages, and the one place the staff UI turns domain refusals into messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest

from accounts.errors import DomainError, InvalidInput


def perform[T](
    request: HttpRequest,
    call: Callable[[], T],
    *,
    form: forms.Form | None = None,
    fields: dict[str, str] | None = None,
) -> T | None:
    """Run a service call for a view. A refusal becomes field errors on ``form`` where it names
    a field the form has (``fields`` maps a service's field name to the form's), otherwise an
    error message at the top of the page; nothing is saved (the service is atomic). Returns the
    service's result, or None if it refused."""
    rename = fields or {}
    try:
        return call()
    except InvalidInput as error:
        for field, problems in error.errors.items():
            _report(request, form, rename.get(field, field), " ".join(problems))
    except DomainError as error:
        _report(request, form, rename.get(error.field or "", error.field), error.message)
    return None


def _report(request: HttpRequest, form: Any, field: str | None, text: str) -> None:
    if form is not None and field and field in form.fields:
        form.add_error(field, text)
    elif form is not None:
        form.add_error(None, text)
    else:
        messages.error(request, text)
