"""After a send: record each attempt's answer, set-based, and what follows from it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import partial

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.audit import audit_context
from campaigns.models import (
    ActivityEvent,
    Dispatch,
    OutreachActivity,
)
from campaigns.services.dispatch_send.common import (
    Kind,
    Outcome,
    Result,
    S,
    bulk_events,
    enqueue_batches,
    notify_events,
)


def _write_attempts(dispatches: list[Dispatch]) -> None:
    """Save how each attempt ended, in one UPDATE whatever their number. On PostgreSQL from
    arrays: Django's ``bulk_update`` builds a CASE per row and field, which took a third of a
    batch's worker time (py-spy, P4b); elsewhere ``bulk_update``."""
    fields = ["result", "response", "error", "finished_at", "payload", "payload_hash"]
    if not dispatches:
        return
    if connection.vendor != "postgresql":
        Dispatch.objects.bulk_update(dispatches, fields)
        return
    table = connection.ops.quote_name(Dispatch._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS d SET result = u.result, response = u.response, "  # noqa: S608 - our table's name
            "error = u.error, finished_at = u.finished_at, payload = u.payload, "
            "payload_hash = u.payload_hash "
            "FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[], %s::text[], "
            "%s::timestamptz[], %s::text[], %s::varchar[]) "
            "AS u(id, result, response, error, finished_at, payload, payload_hash) "
            "WHERE d.id = u.id",
            [[getattr(d, f) for d in dispatches] for f in ["pk", *fields]],
        )


@transaction.atomic
def dispatch_record_batch(
    *, outcomes: Sequence[Outcome], unsent: Sequence[Dispatch] = ()
) -> dict[int, str]:
    """Record how each send of a batch ended, in one transaction: a sent activity is
    ``dispatched`` (a manual one waits for its officer), a final error makes it ``failed``
    (its owner is told), a transient one is retried after its backoff. ``unsent``: attempts the
    batch had no time left to start; they are withdrawn and their activities enqueued again.
    Returns activity → what happened."""
    now = timezone.now()
    ids = sorted({o.dispatch.activity_id for o in outcomes} | {d.activity_id for d in unsent})
    current = {
        pk: (status, kind)
        for pk, status, kind in OutreachActivity.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", "status", "channel__kind")
    }
    done: dict[int, str] = {}
    dispatched: list[Dispatch] = []
    failed: list[Outcome] = []
    retries: dict[float, list[int]] = defaultdict(list)
    for outcome in outcomes:
        d = outcome.dispatch
        status, kind = current[d.activity_id]
        d.finished_at = now
        if outcome.error:
            d.result, d.error = Result.FAILED, outcome.error
            if outcome.final:
                if status == S.DISPATCHING:
                    failed.append(outcome)
                done[d.activity_id] = "failed"
            elif outcome.retry_in is not None:
                retries[outcome.retry_in].append(d.activity_id)
                done[d.activity_id] = f"retry in {outcome.retry_in:g} s"
            else:
                done[d.activity_id] = "attempt failed"
        elif kind == "manual" and status != S.DISPATCHING:
            # Recalled while its notice was on the way: the recall told the officer not to
            # carry it out, and no attempt may stay waiting for them (a later approval's
            # dispatch would take it as still open).
            d.result, d.response = Result.FAILED, outcome.response[:200]
            d.error = "Recalled while the officer was being notified: not to be carried out."
            done[d.activity_id] = "recalled"
        elif kind == "manual":
            d.result, d.response = Result.AWAITING_OFFICER, outcome.response[:200]
            done[d.activity_id] = "sent"
        else:
            d.result, d.response = Result.SENT, outcome.response[:200]
            if status == S.DISPATCHING:
                dispatched.append(d)
            done[d.activity_id] = "sent"
    with audit_context(actor=None, transition="activity_dispatch_recorded"):
        _write_attempts([o.dispatch for o in outcomes])
        if unsent:
            Dispatch.objects.filter(pk__in=[d.pk for d in unsent], result=Result.PENDING).delete()
            for d in unsent:
                done[d.activity_id] = "put back: the batch ran out of time"
            transaction.on_commit(
                partial(enqueue_batches, [d.activity_id for d in unsent]), robust=True
            )
        for status, rows in ((S.DISPATCHED, dispatched), (S.FAILED, [o.dispatch for o in failed])):
            if rows:
                OutreachActivity.objects.filter(pk__in=[d.activity_id for d in rows]).update(
                    status=status, version=F("version") + 1, updated_at=now
                )
        events = [
            ActivityEvent(
                activity_id=d.activity_id,
                kind=Kind.DISPATCHED,
                from_status=S.DISPATCHING,
                to_status=S.DISPATCHED,
                changes={
                    "attempt": d.attempt,
                    "idempotency_key": d.idempotency_key,
                    "response": d.response,
                },
            )
            for d in dispatched
        ] + [
            ActivityEvent(
                activity_id=o.dispatch.activity_id,
                kind=Kind.FAILED,
                from_status=S.DISPATCHING,
                to_status=S.FAILED,
                comment=o.error,
                changes={"attempts": o.dispatch.attempt},
            )
            for o in failed
        ]
        notify_events(bulk_events(events))
    for countdown, retry in retries.items():
        transaction.on_commit(partial(enqueue_batches, retry, countdown=countdown), robust=True)
    return done


def dispatch_record_success(*, dispatch: Dispatch, response: str) -> None:
    """The receiver took it: the activity is ``dispatched`` (or, for a manual channel, waits
    for its officer to mark it done)."""
    dispatch_record_batch(outcomes=[Outcome(dispatch, response=response)])


def dispatch_record_failure(*, dispatch: Dispatch, error: str, final: bool) -> None:
    """Keep the error of one attempt; on the ``final`` one the activity is ``failed`` and its
    owner is told. (A retry is the caller's: ``dispatch_send_batch`` enqueues its own.)"""
    dispatch_record_batch(outcomes=[Outcome(dispatch, error=error, final=final)])
