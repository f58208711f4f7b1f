"""Database helpers the ORM has no word for."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache, cached_property
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.models import signals
from django.db.models.base import ModelState


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


def save_values(
    obj: models.Model, fields: Iterable[models.Field[Any, Any]], *, add: bool
) -> list[Any]:
    """The values of ``fields`` of ``obj`` as Django's own INSERT (``add``) or UPDATE would
    send them: ``auto_now`` and ``auto_now_add`` filled in, prepared for the database. For a
    hand-written statement (``COPY``, ``INSERT … SELECT``; see ``column_and_cast`` for the
    casts its parameters need)."""
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy: one lookup, not one a field
    return [field.get_db_prep_save(field.pre_save(obj, add), db) for field in fields]


@cache
def column_and_cast(field: models.Field[Any, Any]) -> tuple[str, str]:
    """The quoted column of ``field`` and the SQL type to cast its parameter to, for a
    statement whose parameters have no column to take their type from (``INSERT … SELECT
    %s FROM …``). Text is cast to ``text``, never to ``varchar(n)``, whose cast would cut a
    long value short instead of refusing it."""
    text = isinstance(field, (models.CharField, models.TextField))
    return connection.ops.quote_name(field.column), "text" if text else field.db_type(connection)


@contextmanager
def prepared_cursor() -> Iterator[Any]:
    """A cursor whose statements PostgreSQL prepares once per connection and then plans no
    more: for a hot statement whose planning costs more than its run (a row read with its six
    references: ~1 ms to plan, 0.2 ms to run; benchmark P7). Django's own cursors bind on the
    client, which pghistory's context needs (it sends two statements in one), so this one is
    asked for where it pays. It goes through Django's wrapper: counted and logged like any.
    Elsewhere than PostgreSQL, Django's usual cursor."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        with db.cursor() as cursor:
            yield cursor
        return
    from django.db.backends.postgresql.base import Database

    db.ensure_connection()
    conn = db.connection
    assert isinstance(conn, Database.Connection)
    if conn.prepare_threshold is None:
        # Django turns psycopg's preparing off (None), which refuses even an explicit
        # ``prepare=True``. A threshold no statement reaches lets only those through.
        conn.prepare_threshold = 2**31 - 1
    # One cursor a connection, kept on Django's connection object (one a thread) for as long as
    # it holds the same database connection: a new cursor would look up its result's loaders
    # again (about 10% of the read's time, benchmark P7).
    raw = getattr(db, "_candor_prepared_cursor", None)
    if raw is None or raw.closed or raw.connection is not conn:
        raw = db._candor_prepared_cursor = _prepared_cursor_class()(conn)
    yield (db.make_debug_cursor if db.queries_logged else db.make_cursor)(raw)


@cache
def _prepared_cursor_class() -> type:
    from django.db.backends.postgresql.base import ServerBindingCursor

    class Prepared(ServerBindingCursor):  # type: ignore[misc,valid-type]
        """Server-side binding, every statement prepared (Django's wrapper passes no flag)."""

        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            return super().execute(query, params, prepare=True)

    return Prepared


class RowWithReferences:
    """Read one row by primary key together with the rows it refers to (``select_related``
    of those foreign keys), as one statement written once from the models' ``_meta`` and run
    prepared (``prepared_cursor``): no ORM compilation per call, no planning after the first
    few. ``extra`` adds columns computed from the row (SQL over the aliases ``t0`` for the
    row and ``t1``… for the references, in order), returned beside the object. Values are
    converted as the ORM converts them, so it reads SQLite as well."""

    def __init__(self, model: type[models.Model], references: tuple[str, ...], extra: str = ""):
        self.model, self.references, self.extra = model, references, extra

    @cached_property
    def _plan(self) -> tuple[str, list[tuple[type[models.Model], int, list[Any], str | None]]]:
        quote = connection.ops.quote_name
        parts = [(self.model, None, "t0", None)]
        joins = []
        for n, name in enumerate(self.references, 1):
            field = self.model._meta.get_field(name)
            related = field.related_model
            kind = "LEFT JOIN" if field.null else "JOIN"
            joins.append(
                f"{kind} {quote(related._meta.db_table)} t{n} "
                f"ON t{n}.{quote(related._meta.pk.column)} = t0.{quote(field.column)}"
            )
            parts.append((related, field, f"t{n}", name))
        columns, layout = [], []
        for model, _, alias, name in parts:
            fields = list(model._meta.concrete_fields)
            columns += [f"{alias}.{quote(f.column)}" for f in fields]
            # Only the columns the ORM converts (JSON arrives as text…): two of about eighty.
            converted = [(n, *_converters(f)) for n, f in enumerate(fields)]
            layout.append((model, len(fields), [c for c in converted if c[2]], name))
        select = ", ".join(columns + ([self.extra] if self.extra else []))
        table = quote(self.model._meta.db_table)
        pk = quote(self.model._meta.pk.column)
        sql = f"SELECT {select} FROM {table} t0 {' '.join(joins)} WHERE t0.{pk} = %s"  # noqa: S608
        return sql, layout

    def get(self, pk: Any, *params: Any) -> tuple[models.Model | None, tuple[Any, ...]]:
        """The object (None if there is no such row) and the ``extra`` values; ``params`` are
        the extra SQL's parameters, ``pk`` comes last."""
        sql, layout = self._plan
        with prepared_cursor() as cursor:
            cursor.execute(sql, [*params, pk])
            row = cursor.fetchone()
        if row is None:
            return None, ()
        db = connections[DEFAULT_DB_ALIAS]
        objects, at = [], 0
        for model, width, converted, _ in layout:
            values = list(row[at : at + width])
            for n, expression, functions in converted:
                if values[n] is not None:
                    for convert in functions:  # as the ORM converts it
                        values[n] = convert(values[n], expression, db)
            at += width
            objects.append(None if values[0] is None else _instance(model, values, db.alias))
        main = objects[0]
        for (*_, name), obj in zip(layout[1:], objects[1:], strict=True):
            setattr(main, name, obj)  # sets the relation's cache, as select_related does
        return main, tuple(row[at:])


def _instance(model: type[models.Model], values: list[Any], alias: str) -> models.Model:
    """``model.from_db`` of a row read with every concrete field, in their order.

    Django builds it through ``Model.__init__``, which for each field checks for a deferred
    value and goes through the field's descriptor: 13 µs an object, seven objects a read
    (benchmark P7). For a full row of a fresh instance that comes to setting each attribute
    and the state of an instance loaded from the database, as done here. Django's own path is
    kept for a model whose ``pre_init`` or ``post_init`` has receivers, which it would skip.
    (``tests/campaigns/test_transitions.py`` holds the two to the same result.)"""
    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        return model.from_db(alias, None, values)
    obj = model.__new__(model)
    obj.__dict__.update(zip(_attnames(model), values, strict=True))
    state = obj._state = ModelState()
    state.adding, state.db = False, alias
    return obj


@cache
def _attnames(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(field.attname for field in model._meta.concrete_fields)


def _converters(field: models.Field[Any, Any]) -> tuple[Any, list[Any]]:
    """The column expression of ``field`` and the functions the ORM converts its values with."""
    expression = field.get_col(field.model._meta.db_table)
    backend = connection.ops.get_db_converters(expression)
    return expression, [*backend, *field.get_db_converters(connection)]
