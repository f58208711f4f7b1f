"""Audit plumbing shared by every app's services.

On PostgreSQL, django-pghistory's triggers record every insert, update and delete of the models
decorated with ``@audited`` (including ``QuerySet.update``, bulk writes and cascades, which
signals miss) in append-only event tables, and ``audit_context`` attaches who did it. SQLite
has no triggers; there the domain's own logs (``ActivityEvent``, ``MessageRevision``) are the
history, and the context is a no-op.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pghistory
import pghistory.middleware
from django.db import connection
from django.db.models import Model
from django.http import HttpRequest, HttpResponse


def audited[M: type[Model]](model: M) -> M:
    """Record every insert, update and delete of ``model``, with the audit context, in its
    append-only event table (``model.audit_trail``), at the cost of a statement, not of a row.

    Statement-level triggers (issue #17): one trigger call and one audit context per
    ``INSERT``/``UPDATE``/``DELETE`` however many rows it writes; row triggers made a 100k-row
    import a hundred times slower than the same rows without them. The trackers are built
    afresh for each model: pghistory's ``PGHISTORY_DEFAULT_TRACKERS`` deep-copies them, and a
    copied operation no longer matches pgtrigger's, which loses the statement triggers'
    transition tables.
    """
    trackers = (pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
    return pghistory.track(*trackers, level=pghistory.Statement)(model)


def audit_enabled() -> bool:
    return connection.vendor == "postgresql"


def audit_context(**metadata: Any) -> contextlib.AbstractContextManager[Any]:
    """Attach ``metadata`` (actor, action…) to every trigger-written audit row in the block."""
    if audit_enabled():
        return pghistory.context(**metadata)
    return contextlib.nullcontext()


class HistoryMiddleware(pghistory.middleware.HistoryMiddleware):
    """pghistory's middleware (user and URL on every audit row), skipped where there are no
    triggers to read it: its SQL variable injection is PostgreSQL-only."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        super().__init__(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not audit_enabled():
            return self.get_response(request)
        return super().__call__(request)
