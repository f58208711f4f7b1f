"""The five steps every activity transition takes (STYLE.md §4), written once.

1. lock the row (``SELECT … FOR UPDATE``) and compare its version with the caller's copy;
2. check the transition table (here) and the rules (in the calling service);
3. write the fields, bumping ``version``;
4. record an ``ActivityEvent`` (who, when, from, to, comment, changed fields);
5. queue the notification in the outbox, in the same transaction.

Two racing approvals of the same step both reach step 1; the database lets one through first.
It bumps the version and commits; the second then finds a version it did not load and gets
``Conflict`` (HTTP 409) instead of approving a state it never saw.

The reviewers' transitions (submit, approve, request changes: the busiest, benchmark P7) take
the same steps in two statements: ``read`` the row, its references and the facts the rules
need (one prepared statement), check, then ``commit`` steps 3–5 as one conditional write
(``UPDATE … WHERE version = <the version read>``, and the inserts made from its row). The
UPDATE takes the row lock; a racing transition that committed first has moved the version on,
so the write matches no row, writes nothing, and the caller gets the same ``Conflict``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from accounts.audit import audit_context, context_for_statement
from accounts.db import (
    RowWithReferences,
    column_and_cast,
    joins_as_written_in_transaction,
    prepared_cursor,
    save_values,
)
from accounts.errors import Conflict, InvalidTransition
from campaigns.models import (
    DECISION_UNIQUE,
    ActivityEvent,
    ActivityStatus,
    ApprovalDecision,
    OutreachActivity,
    PendingNotification,
)

S = ActivityStatus

# action → the states it may start from. The target is decided by the service.
ALLOWED_FROM: dict[str, frozenset[str]] = {
    "edit": frozenset({S.DRAFT, S.CHANGES_REQUESTED, S.IN_REVIEW, S.APPROVED, S.FAILED}),
    "submit": frozenset({S.DRAFT, S.CHANGES_REQUESTED}),
    "approve": frozenset({S.IN_REVIEW}),
    "request_changes": frozenset({S.IN_REVIEW}),
    # Failed is included: a retry would otherwise send content whose evidence was withdrawn.
    "recall": frozenset({S.IN_REVIEW, S.APPROVED, S.FAILED}),
    "cancel": frozenset(
        {S.DRAFT, S.IN_REVIEW, S.CHANGES_REQUESTED, S.APPROVED, S.DISPATCHING, S.FAILED}
    ),
    "record_outcome": frozenset({S.DISPATCHED, S.COMPLETED}),
    "retry": frozenset({S.FAILED}),
    "mark_done": frozenset({S.DISPATCHING}),
}
TERMINAL = frozenset({S.DISPATCHED, S.COMPLETED, S.CANCELLED})
# Content in these states has been reviewed; changing it invalidates that review.
REVIEWED = frozenset({S.IN_REVIEW, S.APPROVED, S.FAILED})
# What sending an activity back for review sets: the step it was at and its approval are gone
# (approved means frozen: what changed after review is reviewed again). Written once, for the
# edit, the recalls and the dispatch batch alike.
SENT_BACK: dict[str, Any] = {
    "status": S.CHANGES_REQUESTED,
    "current_step": None,
    "approved_content_hash": "",
    "approved_at": None,
}

_VERBS = {
    "edit": "edited",
    "submit": "submitted",
    "approve": "approved",
    "request_changes": "sent back for changes",
    "recall": "recalled",
    "cancel": "cancelled",
    "record_outcome": "given an outcome",
    "retry": "retried",
    "mark_done": "marked done",
}


# What every rule of a transition may read besides the activity's row.
REFERENCES = ("campaign", "current_step", "message", "audience", "segment", "channel")


def lock(activity: OutreachActivity) -> OutreachActivity:
    """Lock the activity's row and make sure nobody changed it since ``activity`` was read."""
    # Lock only the activity's row (OF self) but read what every rule needs in the same query.
    with joins_as_written_in_transaction():
        locked = (
            OutreachActivity.objects.select_for_update(of=("self",))
            .select_related(*REFERENCES)
            .get(pk=activity.pk)
        )
    if locked.version != activity.version:
        raise _conflict(locked)
    return locked


def check(locked: OutreachActivity, action: str) -> None:
    """Refuse an action the activity's current state does not allow."""
    if locked.status not in ALLOWED_FROM[action]:
        raise InvalidTransition(
            f"A {locked.get_status_display().lower()} activity cannot be {_VERBS[action]}.",
            field="status",
        )


def send_back(locked: OutreachActivity) -> list[str]:
    """Set ``SENT_BACK`` on the activity; the fields to write."""
    for name, value in SENT_BACK.items():
        setattr(locked, name, value)
    return list(SENT_BACK)


def write(locked: OutreachActivity, *fields: str) -> None:
    """Save the given fields with a new version."""
    locked.version += 1
    locked.save(update_fields=[*fields, "version", "updated_at"])


_WITH_REFERENCES = RowWithReferences(OutreachActivity, REFERENCES)


def read(
    activity: OutreachActivity, statement: RowWithReferences = _WITH_REFERENCES, *params: Any
) -> tuple[OutreachActivity, tuple[Any, ...]]:
    """The activity as it is now, with its references (and the ``extra`` columns of
    ``statement``), unlocked: for a transition that ``commit``s, whose conditional UPDATE
    takes the lock and compares the version itself. ``Conflict`` if it changed since
    ``activity`` was read."""
    current, extra = statement.get(activity.pk, *params)
    if current is None or current.version != activity.version:
        raise _changed(activity)
    return current, extra  # type: ignore[return-value]


def _changed(activity: OutreachActivity) -> Conflict:
    """The Conflict of a write that found the activity moved on: as it is now, read again."""
    return _conflict(OutreachActivity.objects.filter(pk=activity.pk).first())


def _conflict(now: OutreachActivity | None) -> Conflict:
    state = f"it is now {now.get_status_display()}, version {now.version}" if now else "deleted"
    return Conflict(f"Someone else changed this activity first ({state}); reload it and try again.")


def commit(
    locked: OutreachActivity,
    fields: Sequence[str],
    event: ActivityEvent,
    *,
    action: str,
    notify: bool = True,
    decision: ApprovalDecision | None = None,
) -> None:
    """Steps 3–5 of a transition that ``read`` the activity: write ``fields`` with a new
    version if, and only if, the version is still the one read; then ``decision`` (if any),
    the event and its outbox row, all under the audit context of ``action`` by the event's
    actor (as ``audited``). On PostgreSQL this is one prepared statement (data-modifying
    CTEs, each insert made from the UPDATE's row, so nothing is written when the version moved
    on): one round trip and no transaction to open or commit (benchmark P7). Elsewhere
    (SQLite) the same writes one after another in a transaction. ``Conflict`` when someone
    changed the activity since it was read, or decided this step first."""
    expected, locked.version = locked.version, locked.version + 1
    event.to_status = locked.status
    if connection.vendor == "postgresql":
        audit = _audit(event.actor_id, action)
        _commit_in_one_statement(locked, expected, fields, event, notify, decision, audit)
        return
    with transaction.atomic():
        changed = OutreachActivity.objects.filter(pk=locked.pk, version=expected).update(
            **{name: getattr(locked, name) for name in fields},
            version=locked.version,
            updated_at=timezone.now(),
        )
        if not changed:
            raise _changed(locked)
        if decision is not None:
            try:
                with transaction.atomic():
                    decision.save(force_insert=True)
            except IntegrityError as error:
                raise _decided() from error
        event.save(force_insert=True)
        if notify:
            PendingNotification.objects.create(event=event, step_id=locked.current_step_id)


def _decided() -> Conflict:
    # A new exception each time: a shared instance would carry one request's traceback and
    # cause into the next.
    return Conflict("This step was approved by someone else a moment ago.")


@cache
def _inserted(model: type[models.Model]) -> tuple[models.Field[Any, Any], ...]:
    """The columns a CTE of the write inserts for ``model``: all but the primary key and the
    activity, which is the UPDATE's own row (``moved.id``)."""
    return tuple(
        f for f in model._meta.concrete_fields if not f.primary_key and f.name != "activity"
    )


def _insert(name: str, model: type[models.Model]) -> str:
    """A CTE inserting one row of ``model`` for each row the UPDATE wrote (none: nothing)."""
    columns_and_casts = [column_and_cast(field) for field in _inserted(model)]
    activity = column_and_cast(model._meta.get_field("activity"))[0]
    columns = ", ".join([activity, *(column for column, _ in columns_and_casts)])
    casts = ", ".join(["moved.id", *(f"%s::{cast}" for _, cast in columns_and_casts)])
    table = connection.ops.quote_name(model._meta.db_table)
    # Names come from the models' _meta and the caller's constants; every value is a parameter.
    return f"{name} AS (INSERT INTO {table} ({columns}) SELECT {casts} FROM moved RETURNING id)"  # noqa: S608


@cache
def _updated(fields: tuple[str, ...]) -> tuple[models.Field[Any, Any], ...]:
    meta = OutreachActivity._meta
    return tuple(meta.get_field(name) for name in (*fields, "version", "updated_at"))


@cache
def _one_statement(fields: tuple[str, ...], decision: bool, notify: bool, context: bool) -> str:
    """The write of ``_commit_in_one_statement``, written once for each shape: the same text
    each time, so the connection prepares it once (psycopg keys prepared statements by text)."""
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{column_and_cast(f)[0]} = %s" for f in _updated(fields))
    table = quote(OutreachActivity._meta.db_table)
    ctes = [
        f"moved AS (UPDATE {table} SET {assignments} "  # noqa: S608 (as _insert)
        "WHERE id = %s AND version = %s RETURNING id)"
    ]
    if decision:
        ctes.append(_insert("decision", ApprovalDecision))
    ctes.append(_insert("event", ActivityEvent))
    if notify:
        outbox = quote(PendingNotification._meta.db_table)
        ctes.append(
            f"outbox AS (INSERT INTO {outbox} (event_id, step_id, created_at) "  # noqa: S608
            "SELECT id, %s::bigint, %s::timestamptz FROM event)"
        )
    picked = "(SELECT id FROM decision)" if decision else "NULL"
    sql = f"WITH {', '.join(ctes)} SELECT (SELECT id FROM moved), {picked}, (SELECT id FROM event)"  # noqa: S608
    if context:  # evaluated before the audit triggers run: they are AFTER triggers
        sql += (
            ", set_config('pghistory.context_id', %s, true)"
            ", set_config('pghistory.context_metadata', %s, true)"
        )
    return sql


def _commit_in_one_statement(
    locked: OutreachActivity,
    expected: int,
    fields: Sequence[str],
    event: ActivityEvent,
    notify: bool,
    decision: ApprovalDecision | None,
    audit: dict[str, Any],
) -> None:
    fields = tuple(fields)
    params = [*save_values(locked, _updated(fields), add=False), locked.pk, expected]
    if decision is not None:
        params += save_values(decision, _inserted(ApprovalDecision), add=True)
    params += save_values(event, _inserted(ActivityEvent), add=True)
    if notify:
        params += [locked.current_step_id, timezone.now()]
    try:
        with context_for_statement(**audit) as context, prepared_cursor() as cursor:
            sql = _one_statement(fields, decision is not None, notify, context is not None)
            cursor.execute(sql, [*params, *(context or ())])
            moved, decision_id, event_id = cursor.fetchone()[:3]
    except IntegrityError as error:
        constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
        if constraint == DECISION_UNIQUE:
            raise _decided() from error
        raise
    if moved is None:
        raise _changed(locked)
    event.pk = event_id
    if decision is not None:
        decision.pk = decision_id


def new_event(
    locked: OutreachActivity,
    *,
    kind: str,
    actor: Any,
    from_status: str,
    comment: str = "",
    changes: dict[str, Any] | None = None,
) -> ActivityEvent:
    """The event of a transition (unsaved): who, from which status to the activity's own."""
    return ActivityEvent(
        activity=locked,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        from_status=from_status,
        to_status=locked.status,
        comment=comment,
        changes=changes or {},
    )


def record(locked: OutreachActivity, *, notify: bool = True, **details: Any) -> ActivityEvent:
    """Append the event (``details``: as ``new_event`` takes them) to the activity's history
    and, in the outbox, tell whoever must know."""
    saved = new_event(locked, **details)  # kind, actor, from_status, comment, changes
    saved.save(force_insert=True)
    if notify:  # the outbox, in this transaction (see services/notifications)
        PendingNotification.objects.create(event=saved, step_id=locked.current_step_id)
    return saved


def audited(actor: Any, action: str) -> Any:
    """The audit context for trigger-written history (PostgreSQL) within one transition."""
    return audit_context(**_audit(getattr(actor, "pk", None), action))


def _audit(actor_id: int | None, action: str) -> dict[str, Any]:
    # ``transition``, not ``action``: pghistory merges nested contexts, and a recall runs inside
    # the evidence service's context, whose ``action`` must survive.
    return {"actor": actor_id, "transition": f"activity_{action}"}


atomic = transaction.atomic
