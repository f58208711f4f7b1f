"""Sending claimed activities: a batch at a time, every rule per activity.

A batch (``dispatch_batch.dispatch_send_batch``) is one attempt at each of its activities, in
three steps:

1. ``dispatch_prepare_batch`` locks the batch's rows (``FOR UPDATE OF`` the activities only, in
   key order) and re-checks each activity under its lock, as ``dispatch_prepare`` always did:
   cancelled or already sent → skipped; another live pending attempt → skipped; waiting for its
   officer → skipped; content differs from the approved hash → back to review; cited evidence
   no longer verified → recalled; inside a blackout window → back to ``approved`` (deferred).
   What may go out gets a ``pending`` Dispatch row (its worker's lease) with the next attempt
   number and the activity's idempotency key. All of it is set-based: one lock query, one read
   of the earlier attempts, one INSERT of the new attempts, one UPDATE per kind of outcome.
2. Each activity is sent on its own (``channels.Session`` reuses one SMTP connection for the
   batch and the process's keep-alive HTTP connections); one send's error is that activity's
   alone.
3. ``dispatch_record_batch`` writes the outcomes of the answers received so far in one
   transaction (the batch calls it every ``CANDOR_DISPATCH_RECORD_EVERY_MS``): a bulk UPDATE
   of the attempts, one UPDATE per new status, one INSERT of the events, one INSERT of their
   notifications into the outbox, and the retries (transient errors, bounded, with backoff per
   activity) enqueued on commit. Recording them again is harmless: only an activity still
   ``dispatching`` changes state.

A batch costs the same dozen statements whatever its size (it was 12 per activity), plus one
record for each interval its sends take.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, TypedDict

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Subquery
from django.utils import timezone

from accounts.audit import audit_context
from audiences.models import BlackoutWindow
from campaigns.models import (
    ActivityEvent,
    ActivityStatus,
    Dispatch,
    OutreachActivity,
    PendingNotification,
)
from campaigns.services import _transitions as t
from messaging.models import EvidenceItem

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

S = ActivityStatus
Kind = ActivityEvent.Kind
Result = Dispatch.Result


class _DispatchChecks(TypedDict):
    """What ``_lock_for_dispatch`` annotates on each activity it locks."""

    last_retried_at: datetime | None
    cites_unverified: bool
    in_blackout: bool


def lease() -> timedelta:
    return timedelta(seconds=settings.CANDOR_DISPATCH_LEASE_SECONDS)


def in_blackout(now: datetime) -> Exists:
    """True where a blackout window of the activity's audience covers ``now``."""
    return Exists(
        BlackoutWindow.objects.filter(
            audience=OuterRef("audience"), starts_at__lte=now, ends_at__gt=now
        )
    )


def longest_send() -> float:
    """Seconds one send may take at most: the webhook's or the SMTP server's timeout."""
    return max(settings.CANDOR_WEBHOOK_TIMEOUT, settings.CANDOR_SMTP_TIMEOUT)


def send_budget() -> float:
    """Seconds a batch may spend starting sends: half the lease, so the pending attempts of its
    last activities are still live (not taken as lost) while it sends them."""
    return settings.CANDOR_DISPATCH_LEASE_SECONDS / 2


def enqueue_batches(activity_ids: Sequence[int], *, countdown: float | None = None) -> None:
    """One send task per ``CANDOR_DISPATCH_SEND_BATCH`` claimed activities."""
    from campaigns.tasks import dispatch_batch

    size = settings.CANDOR_DISPATCH_SEND_BATCH
    ids = list(activity_ids)
    for start in range(0, len(ids), size):
        dispatch_batch.apply_async(args=[ids[start : start + size]], countdown=countdown)


def notify_events(event_ids: Sequence[int]) -> None:
    """Put the events of a batch in the notification outbox, in one INSERT (the notify tick
    e-mails them; see services/notifications)."""
    if event_ids:
        PendingNotification.objects.bulk_create(
            PendingNotification(event_id=pk, step=None) for pk in event_ids
        )


def bulk_events(events: list[ActivityEvent]) -> list[int]:
    """Append the events in one INSERT; their keys."""
    return [e.pk for e in ActivityEvent.objects.bulk_create(events)] if events else []


@dataclass(frozen=True)
class Attempt:
    """What ``dispatch_prepare`` decided: send (with the dispatch row), or why not."""

    activity: OutreachActivity | None
    dispatch: Dispatch | None
    reason: str
    number: int = 0  # attempts since approval or the last manual retry, this one included


@dataclass(frozen=True)
class Outcome:
    """How one send of a batch ended: ``response`` when the receiver took it, else ``error``
    (``final``: the activity fails; else ``retry_in`` seconds it is sent again)."""

    dispatch: Dispatch
    response: str = ""
    error: str = ""
    final: bool = False
    retry_in: float | None = None


def mark_claimed(activity_ids: Sequence[int], now: datetime) -> None:
    """Claimed rows (the caller holds their locks) become ``dispatching``, with their events."""
    if not activity_ids:
        return
    OutreachActivity.objects.filter(pk__in=activity_ids).update(
        status=S.DISPATCHING, claimed_at=now, version=F("version") + 1, updated_at=now
    )
    bulk_events(
        [
            ActivityEvent(
                activity_id=pk,
                kind=Kind.DISPATCH_STARTED,
                from_status=S.APPROVED,
                to_status=S.DISPATCHING,
            )
            for pk in activity_ids
        ]
    )


def _claim_due(activity_ids: Sequence[int], now: datetime) -> list[int]:
    """The lookahead's claim, when its task runs: of ``activity_ids``, those still approved,
    due and outside a blackout become ``dispatching``; returns them. The task sends only
    those: a row the tick claimed (SKIP LOCKED hands it to one of them), or one already
    dispatching and waiting for its retry, is another task's to send."""
    due = list(
        OutreachActivity.objects.due(now)
        .filter(pk__in=activity_ids)
        .filter(~in_blackout(now))
        .order_by("pk")
        .select_for_update(skip_locked=True, of=("self",))
        .values_list("pk", flat=True)
    )
    mark_claimed(due, now)
    return due


def _lock_for_dispatch(
    activity_ids: Sequence[int], now: datetime
) -> dict[int, WithAnnotations[OutreachActivity, _DispatchChecks]]:
    """Lock the activities' rows (only theirs: OF self; in key order, so two batches never wait
    on each other in a cycle) and read, in the same query, everything an attempt checks and
    sends: campaign, message, audience, segment, channel; whether a cited item is no longer
    verified and whether a blackout window covers ``now`` (the details are read only when one
    does); and when each was last retried by hand (where its count of attempts restarts)."""
    last_retried = (
        ActivityEvent.objects.filter(activity=OuterRef("pk"), kind=Kind.RETRIED)
        .order_by("-at")
        .values("at")[:1]
    )
    unverified = EvidenceItem.objects.filter(citations__message_id=OuterRef("message_id")).exclude(
        status=EvidenceItem.Status.VERIFIED
    )
    rows = (
        OutreachActivity.objects.select_for_update(of=("self",))
        .select_related("campaign", "message", "audience", "segment", "channel__officer")
        .annotate(
            last_retried_at=Subquery(last_retried),
            cites_unverified=Exists(unverified),
            in_blackout=in_blackout(now),
        )
        .filter(pk__in=activity_ids)
        .order_by("pk")
    )
    return {a.pk: a for a in rows}


def _unverified_claims(locked: list[OutreachActivity]) -> dict[int, list[str]]:
    """Message → "claim (status)" of each cited item no longer verified; one query."""
    found: dict[int, list[str]] = defaultdict(list)
    rows = (
        EvidenceItem.objects.filter(citations__message_id__in={a.message_id for a in locked})
        .exclude(status=EvidenceItem.Status.VERIFIED)
        .order_by("pk")
        .values_list("citations__message_id", "claim", "status")
    )
    for message_id, claim, status in rows:
        found[message_id].append(f"{claim[:60]} ({status})")
    return found


def _back_to_review(rows: list[tuple[OutreachActivity, str, str]], now: datetime) -> list[int]:
    """(activity, kind, comment) → ``changes_requested``, approval cleared; their events."""
    if not rows:
        return []
    OutreachActivity.objects.filter(pk__in=[a.pk for a, _, _ in rows]).update(
        **t.SENT_BACK, version=F("version") + 1, updated_at=now
    )
    return bulk_events(
        [
            ActivityEvent(
                activity_id=a.pk,
                kind=kind,
                from_status=S.DISPATCHING,
                to_status=S.CHANGES_REQUESTED,
                comment=comment,
            )
            for a, kind, comment in rows
        ]
    )


def _defer(locked: list[OutreachActivity], now: datetime) -> None:
    """Activities a blackout covers go back to ``approved``; the tick claims them when their
    window ends."""
    if not locked:
        return
    windows: dict[int, BlackoutWindow] = {}
    for window in BlackoutWindow.objects.covering(now).filter(
        audience_id__in={a.audience_id for a in locked}
    ):
        windows.setdefault(window.audience_id, window)
    OutreachActivity.objects.filter(pk__in=[a.pk for a in locked]).update(
        status=S.APPROVED, claimed_at=None, version=F("version") + 1, updated_at=now
    )
    bulk_events(
        [
            ActivityEvent(
                activity_id=a.pk,
                kind=Kind.DEFERRED,
                from_status=S.DISPATCHING,
                to_status=S.APPROVED,
                comment=f"Blackout ({windows[a.audience_id].reason}) until "
                f"{windows[a.audience_id].ends_at.isoformat()}.",
            )
            for a in locked
            if a.audience_id in windows
        ]
    )


@transaction.atomic
def dispatch_prepare_batch(
    *, activity_ids: Sequence[int], now: datetime | None = None, claim: bool = False
) -> list[Attempt]:
    """Re-check each activity under its row lock and open an attempt at each that may go out;
    one ``Attempt`` per id, in order. ``claim``: first claim those of ``activity_ids`` that are
    approved and due (the lookahead enqueued them before they were).

    Refuses (without sending) what was cancelled or already sent, content that differs from
    what was approved, evidence no longer verified; defers what falls in a blackout window."""
    now = now or timezone.now()
    decided: dict[int, Attempt] = {}
    with audit_context(actor=None, transition="activity_dispatch"):
        mine = list(activity_ids)
        if claim:
            claimed = set(_claim_due(activity_ids, now))
            mine = [pk for pk in activity_ids if pk in claimed]
            for pk in activity_ids:
                if pk not in claimed:
                    decided[pk] = Attempt(None, None, "not claimed by this task")
        rows = _lock_for_dispatch(mine, now) if mine else {}
        earlier: dict[int, list[Dispatch]] = defaultdict(list)
        dispatching = [pk for pk, a in rows.items() if a.status == S.DISPATCHING]
        if dispatching:
            # Every earlier attempt at these activities, read once (retries are bounded).
            for d in Dispatch.objects.filter(activity_id__in=dispatching).order_by(
                "activity_id", "attempt"
            ):
                earlier[d.activity_id].append(d)
        abandoned: list[int] = []
        review: list[tuple[OutreachActivity, str, str]] = []
        unverified: list[OutreachActivity] = []
        deferred: list[OutreachActivity] = []
        sending: list[WithAnnotations[OutreachActivity, _DispatchChecks]] = []
        for pk in dict.fromkeys(mine):
            locked = rows.get(pk)
            if locked is None or locked.status != S.DISPATCHING:
                state = locked.status if locked else "gone"
                decided[pk] = Attempt(None, None, f"not dispatching ({state})")
                continue
            attempts = earlier[pk]
            open_attempt = next((d for d in attempts if d.result == Result.PENDING), None)
            if open_attempt is not None:
                if open_attempt.started_at > now - lease():
                    decided[pk] = Attempt(None, None, "another worker is sending it")
                    continue
                abandoned.append(open_attempt.pk)
            if any(d.result == Result.AWAITING_OFFICER for d in attempts):
                decided[pk] = Attempt(None, None, "waiting for the officer")
            elif locked.content_hash() != locked.approved_content_hash:
                review.append(
                    (
                        locked,
                        Kind.CHANGES_REQUESTED,
                        "Not sent: what would go out differs from what was approved "
                        "(the channel or message changed outside the workflow). "
                        "Review it again.",
                    )
                )
                decided[pk] = Attempt(None, None, "content differs from the approved content")
            elif locked.cites_unverified:
                unverified.append(locked)
                decided[pk] = Attempt(None, None, "evidence no longer verified")
            elif locked.in_blackout:
                deferred.append(locked)
                decided[pk] = Attempt(None, None, "deferred by a blackout window")
            else:
                sending.append(locked)
        if abandoned:
            Dispatch.objects.filter(pk__in=abandoned).update(
                result=Result.FAILED,
                error="Abandoned: the worker sending it was lost.",
                finished_at=now,
            )
        if unverified:
            claims = _unverified_claims(unverified)
            review += [
                (
                    a,
                    Kind.RECALLED,
                    "Not sent: cited evidence is no longer verified: "
                    + "; ".join(claims[a.message_id]),
                )
                for a in unverified
            ]
        notify_events(_back_to_review(review, now))
        _defer(deferred, now)
        opened = Dispatch.objects.bulk_create(
            Dispatch(
                activity=a,
                attempt=max((d.attempt for d in earlier[a.pk]), default=0) + 1,
                idempotency_key=a.idempotency_key,
                channel=a.channel,
                started_at=now,
            )
            for a in sending
        )
        if sending:
            OutreachActivity.objects.filter(pk__in=[a.pk for a in sending]).update(claimed_at=now)
    for locked, dispatch in zip(sending, opened, strict=True):
        locked.claimed_at = now
        since = locked.last_retried_at or locked.approved_at
        number = (
            sum(1 for d in [*earlier[locked.pk], dispatch] if d.started_at >= since)
            if since
            else dispatch.attempt
        )
        decided[locked.pk] = Attempt(locked, dispatch, "send", number)
    return [decided[pk] for pk in activity_ids]


def dispatch_prepare(*, activity_id: int, now: datetime | None = None) -> Attempt:
    """``dispatch_prepare_batch`` of one activity."""
    [attempt] = dispatch_prepare_batch(activity_ids=[activity_id], now=now)
    return attempt


def _write_attempts(dispatches: list[Dispatch]) -> None:
    """Save how each attempt ended, in one UPDATE whatever their number. On PostgreSQL from
    arrays: Django's ``bulk_update`` builds a CASE per row and field, which took a third of a
    batch's worker time (py-spy, P4b); elsewhere ``bulk_update``."""
    fields = ["result", "response", "error", "finished_at"]
    if not dispatches:
        return
    if connection.vendor != "postgresql":
        Dispatch.objects.bulk_update(dispatches, fields)
        return
    table = connection.ops.quote_name(Dispatch._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS d SET result = u.result, response = u.response, "  # noqa: S608 - our table's name
            "error = u.error, finished_at = u.finished_at "
            "FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[], %s::text[], "
            "%s::timestamptz[]) AS u(id, result, response, error, finished_at) "
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
