"""Database helpers the ORM has no word for."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction


@contextmanager
def joins_as_written() -> Iterator[None]:
    """Plan the joins of the queries inside in the order Django wrote them.

    A list page joins its table to a dozen referenced rows by primary key (campaign, audience,
    message, channel, people, step, outcome...). PostgreSQL searches the join orders of such a
    query exhaustively: 15–25 ms of planning for a query that then runs in a few ms
    (benchmark P1, ``EXPLAIN ANALYZE``). Django writes the main table first and every
    reference after it, which is the plan we want, so ``join_collapse_limit = 1`` (PostgreSQL
    manual, "Controlling the Planner with Explicit JOIN Clauses") keeps it. ``SET LOCAL`` ends
    with the transaction this opens; inside a caller's transaction it is set back on the way
    out, so no other query is affected.
    """
    if connection.vendor != "postgresql":
        yield
        return
    nested = connection.in_atomic_block
    with transaction.atomic():
        _set_join_collapse_limit("1")
        yield
        if nested:  # the enclosing transaction goes on: give it its setting back
            _set_join_collapse_limit("DEFAULT")


def _set_join_collapse_limit(value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL join_collapse_limit TO {value}")


def save_values(
    obj: models.Model, fields: Iterable[models.Field[Any, Any]], *, add: bool
) -> list[Any]:
    """The values of ``fields`` of ``obj`` as Django's own INSERT (``add``) or UPDATE would
    send them: ``auto_now`` and ``auto_now_add`` filled in, prepared for the database. For the
    rows of a ``COPY`` (the evidence import)."""
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy: one lookup, not one a field
    return [field.get_db_prep_save(field.pre_save(obj, add), db) for field in fields]
