"""Database helpers the ORM has no word for."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


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


@contextmanager
def joins_as_written_in_transaction() -> Iterator[None]:
    """The same inside a transaction the caller already holds: a transition's, whose lock
    query joins six references (planned freely it cost more than it ran, benchmark P7). The
    setting is left for the rest of a transaction that is the caller's alone, whose other
    statements are simple reads and single-table writes, so it costs no statement to undo;
    inside someone else's transaction (a savepoint), it is set back on the way out."""
    if connection.vendor != "postgresql":
        yield
        return
    assert connection.in_atomic_block, "joins_as_written_in_transaction needs a transaction"
    _set_join_collapse_limit("1")
    yield
    if connection.savepoint_ids:
        _set_join_collapse_limit("DEFAULT")


def _set_join_collapse_limit(value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL join_collapse_limit TO {value}")
