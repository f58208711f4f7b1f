"""Audit plumbing shared by every app's services.

On PostgreSQL, django-pghistory's triggers record every insert and update of the tracked models
(including ``QuerySet.update`` and bulk writes, which signals miss) in append-only event tables,
and ``audit_context`` attaches who did it. SQLite has no triggers; there the domain's own logs
(``ActivityEvent``, ``MessageRevision``) are the history, and the context is a no-op.
"""

from __future__ import annotations

import contextlib
import functools
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pghistory
import pghistory.middleware
from django.db import connection
from django.http import HttpRequest, HttpResponse
from pghistory import config as pghistory_config
from pghistory import runtime as pghistory_runtime


def audit_enabled() -> bool:
    return connection.vendor == "postgresql"


def audit_context(**metadata: Any) -> contextlib.AbstractContextManager[Any]:
    """Attach ``metadata`` (actor, action…) to every trigger-written audit row in the block."""
    if audit_enabled():
        return pghistory.context(**metadata)
    return contextlib.nullcontext()


@contextlib.contextmanager
def context_for_statement(**metadata: Any) -> Iterator[tuple[str, str] | None]:
    """``audit_context(**metadata)`` for one hot write that sets the context itself.

    pghistory attaches its context by sending ``SELECT set_config(…); `` in front of every
    write: two statements in one string, which cannot be prepared (benchmark P7). This yields
    the context as (id, metadata JSON) instead, as pghistory would send them (None where there
    are no audit triggers), and the statement calls ``set_config('pghistory.context_id', id,
    true)`` and ``set_config('pghistory.context_metadata', metadata, true)`` itself: the audit
    triggers are AFTER triggers, which run once the statement's rows are written. Inside an
    enclosing context (a request's) it is that context, with ``metadata`` added for the rest
    of it, as a nested ``audit_context`` would; pghistory then prepends nothing in the block."""
    if not audit_enabled():
        yield None
        return
    tracker = getattr(pghistory_runtime._tracker, "value", None)
    if tracker is None:  # no context yet: a new one, for this statement alone
        yield str(uuid.uuid4()), json.dumps(metadata, cls=_json_encoder())
        return
    tracker.metadata.update(metadata)
    wrappers = connection.execute_wrappers
    inject = pghistory_runtime._inject_history_context
    connection.execute_wrappers = [w for w in wrappers if w is not inject]
    try:
        yield str(tracker.id), json.dumps(tracker.metadata, cls=_json_encoder())
    finally:
        connection.execute_wrappers = wrappers


@functools.cache
def _json_encoder() -> type[json.JSONEncoder]:
    return pghistory_config.json_encoder()


class HistoryMiddleware(pghistory.middleware.HistoryMiddleware):
    """pghistory's middleware (user and URL on every audit row), skipped where there are no
    triggers to read it: its SQL variable injection is PostgreSQL-only."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        super().__init__(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not audit_enabled():
            return self.get_response(request)
        return super().__call__(request)
