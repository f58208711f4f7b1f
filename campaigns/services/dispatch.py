"""Turning approved activities into outreach: claim what is due, send it once, record it.

PostgreSQL is the source of truth; the broker only carries "look at activity N" signals.

- ``dispatch_claim_due`` (the periodic tick) claims due ``approved`` activities with
  ``SELECT … FOR UPDATE SKIP LOCKED``, moves them to ``dispatching`` and enqueues one send task
  per ``CANDOR_DISPATCH_SEND_BATCH`` of them after commit. It also re-enqueues activities stuck
  in ``dispatching`` (their worker died, or the enqueue was lost while the broker was down):
  nothing depends on a message surviving.
- ``dispatch_batch.dispatch_send_batch`` is one attempt at each activity of a batch. Preparing
  re-checks the rules under the row locks and writes a ``pending`` Dispatch row per activity:
  the lease of the worker that sends. Every attempt at the same approved content carries the
  same idempotency key, so a receiver drops the re-send that follows a crash between its
  receipt and our commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.audit import audit_context
from accounts.errors import Conflict, InvalidTransition, RuleViolation
from accounts.models import User
from accounts.permissions import may, require
from audiences.models import BlackoutWindow
from campaigns.models import ActivityEvent, ActivityStatus, Dispatch, OutreachActivity
from campaigns.services import _transitions as t
from campaigns.services.dispatch_send import enqueue_batches, in_blackout, lease, mark_claimed
from messaging.models import EvidenceItem

logger = logging.getLogger(__name__)
S = ActivityStatus
Kind = ActivityEvent.Kind


@dataclass(frozen=True)
class Claimed:
    due: list[int]
    stuck: list[int]
    deferred: list[int]
    ahead: list[int] = field(default_factory=list)  # falling due before the next tick


def _claim(now: datetime, take: int) -> list[int]:
    """Claim up to ``take`` due activities in the caller's transaction (SKIP LOCKED: each row
    goes to one scheduler) and enqueue them when it commits."""
    if take <= 0:
        return []
    due = list(
        OutreachActivity.objects.due(now)
        .filter(~in_blackout(now))
        .order_by("scheduled_at", "pk")
        .select_for_update(skip_locked=True, of=("self",))
        .values_list("pk", flat=True)[:take]
    )
    if due:
        mark_claimed(due, now)
        transaction.on_commit(partial(enqueue_batches, due), robust=True)
    return due


@transaction.atomic
def dispatch_claim_due(
    *, now: datetime | None = None, batch: int | None = None, room: int | None = None
) -> Claimed:
    """Claim up to ``batch`` due activities (no more than ``room``, when given), re-claim
    stuck ones and note those a blackout holds back; enqueue each on commit.

    Safe to run from several schedulers at once: SKIP LOCKED hands each row to one of them."""
    now = now or timezone.now()
    batch = batch or settings.CANDOR_DISPATCH_BATCH
    with audit_context(actor=None, transition="activity_claim"):
        due = _claim(now, batch if room is None else min(batch, room))
        stuck = _reclaim_stuck(now, batch)
        deferred = _note_deferred(now)
    if stuck:
        transaction.on_commit(partial(enqueue_batches, stuck), robust=True)
    return Claimed(due=due, stuck=stuck, deferred=deferred)


@transaction.atomic
def _claim_more(now: datetime, take: int) -> list[int]:
    """One more batch of the tick: only the claim (stuck and deferred are done once a tick)."""
    with audit_context(actor=None, transition="activity_claim"):
        return _claim(now, take)


def dispatch_queued() -> int:
    """Claimed activities that no worker has started on since their last claim: their task is
    in the queue (or was lost, and will be re-claimed once its lease has passed)."""
    started = Dispatch.objects.filter(
        activity=OuterRef("pk"), started_at__gte=OuterRef("claimed_at")
    )
    return OutreachActivity.objects.filter(status=S.DISPATCHING).filter(~Exists(started)).count()


def dispatch_claim_all_due(*, now: datetime | None = None) -> Claimed:
    """The tick: claim what is due in batches, each its own short transaction whose tasks are
    enqueued as it commits, until nothing due is left or ``CANDOR_DISPATCH_MAX_QUEUED`` claimed
    activities wait in the queue. A fixed batch per tick capped dispatch at batch ÷ tick
    (40 a second) however fast the workers were; the cap on the queue keeps what is claimed
    startable within its lease (past it, a queued activity would be taken as lost and
    enqueued twice). Stuck activities are re-claimed whatever the queue holds."""
    now = now or timezone.now()
    batch = settings.CANDOR_DISPATCH_BATCH
    room = settings.CANDOR_DISPATCH_MAX_QUEUED - dispatch_queued()
    claimed = dispatch_claim_due(now=now, batch=batch, room=room)
    due, last = [*claimed.due], claimed.due
    room -= len(last)
    while len(last) == batch and room > 0:
        last = _claim_more(now, min(batch, room))
        due += last
        room -= len(last)
    ahead = dispatch_look_ahead(now=now, room=room)
    return Claimed(due=due, stuck=claimed.stuck, deferred=claimed.deferred, ahead=ahead)


def _send_at(activity_ids: list[int], eta: datetime) -> None:
    from campaigns.tasks import dispatch_batch

    dispatch_batch.apply_async(args=[activity_ids], kwargs={"claim": True}, eta=eta)


def dispatch_look_ahead(*, now: datetime, room: int) -> list[int]:
    """Enqueue the sends of approved activities that fall due before the next tick, each batch
    with a Celery ETA at its due time, and change nothing in the database.

    A tick claims only what is due, so an activity due just after a tick waited a whole tick
    interval. With the lookahead it goes out at its time: its task claims it when it runs
    (still approved, due, no blackout; a cancel or an edit before then wins) and skips it
    otherwise. The ETAs are seconds long (the Redis visibility timeout is an hour), and
    nothing depends on them: a lost or late ETA message leaves the activity approved and due,
    and the next tick claims it as usual. A duplicate, or a message arriving after the tick
    claimed the activity, claims nothing and so sends nothing. Activities due within
    ``CANDOR_DISPATCH_LOOKAHEAD_SLOT_MS`` of each other share a task."""
    horizon = settings.CANDOR_DISPATCH_LOOKAHEAD_SECONDS
    if horizon <= 0 or room <= 0:
        return []
    upcoming = list(
        OutreachActivity.objects.filter(
            status=S.APPROVED,
            scheduled_at__gt=now,
            scheduled_at__lte=now + timedelta(seconds=horizon),
        )
        .order_by("scheduled_at", "pk")
        .values_list("pk", "scheduled_at")[:room]
    )
    slot = timedelta(milliseconds=settings.CANDOR_DISPATCH_LOOKAHEAD_SLOT_MS)
    size = settings.CANDOR_DISPATCH_SEND_BATCH
    # The task claims only what is due when it runs: its ETA is the last due time of its batch
    # (plus a little, lest a timer firing a millisecond early leave that one to the next tick).
    late = timedelta(milliseconds=20)
    batches: list[list[tuple[int, datetime]]] = []
    for pk, at in upcoming:
        batch = batches[-1] if batches else None
        if batch is None or len(batch) == size or at - batch[0][1] >= slot:
            batches.append([(pk, at)])
        else:
            batch.append((pk, at))
    for batch in batches:
        transaction.on_commit(
            partial(_send_at, [p for p, _ in batch], batch[-1][1] + late), robust=True
        )
    return [pk for pk, _ in upcoming]


def _reclaim_stuck(now: datetime, batch: int) -> list[int]:
    """Activities in ``dispatching`` that nobody has touched for a lease: their task was lost
    (worker killed, broker restarted, enqueue failed). A live pending send or a manual channel
    waiting for its officer is not stuck."""
    busy = Dispatch.objects.filter(activity=OuterRef("pk")).filter(
        Q(result=Dispatch.Result.PENDING, started_at__gt=now - lease())
        | Q(result=Dispatch.Result.AWAITING_OFFICER)
    )
    stuck = list(
        OutreachActivity.objects.filter(status=S.DISPATCHING, claimed_at__lt=now - lease())
        .filter(~Exists(busy))
        .order_by("claimed_at", "pk")
        .select_for_update(skip_locked=True, of=("self",))
        .values_list("pk", flat=True)[:batch]
    )
    if stuck:
        OutreachActivity.objects.filter(pk__in=stuck).update(claimed_at=now)
        logger.warning("Re-enqueueing %d activities stuck in dispatching: %s", len(stuck), stuck)
    return stuck


def _note_deferred(now: datetime) -> list[int]:
    """Record once per approval that a due activity waits for a blackout window to end."""
    already = ActivityEvent.objects.filter(
        activity=OuterRef("pk"), kind=Kind.DEFERRED, at__gte=OuterRef("approved_at")
    )
    waiting = list(
        OutreachActivity.objects.due(now)
        .filter(in_blackout(now))
        .filter(~Exists(already))
        .values_list("pk", "audience_id")
    )
    if waiting:
        windows = {
            w.audience_id: w
            for w in BlackoutWindow.objects.covering(now).filter(
                audience_id__in={a for _, a in waiting}
            )
        }
        ActivityEvent.objects.bulk_create(
            ActivityEvent(
                activity_id=pk,
                kind=Kind.DEFERRED,
                from_status=S.APPROVED,
                to_status=S.APPROVED,
                comment=f"Blackout ({windows[audience].reason}) until "
                f"{windows[audience].ends_at.isoformat()}; it goes out when the window ends.",
            )
            for pk, audience in waiting
        )
    return [pk for pk, _ in waiting]


def _unverified(activity: OutreachActivity) -> list[EvidenceItem]:
    cited = EvidenceItem.objects.filter(citations__message_id=activity.message_id)
    return [e for e in cited if e.status != EvidenceItem.Status.VERIFIED]


@t.atomic
def activity_retry(*, activity: OutreachActivity, actor: User) -> OutreachActivity:
    """A person sends a failed activity again: back to ``approved``, picked up by the next tick
    (at once if its time has passed). The approved content and evidence must still hold."""
    locked = t.lock(activity)
    require(actor, "campaigns.plan", locked)
    t.check(locked, "retry")
    if locked.content_hash() != locked.approved_content_hash:
        raise RuleViolation(
            "What would go out differs from what was approved; edit and submit it again.",
            code="content_changed",
        )
    unverified = _unverified(locked)
    if unverified:
        raise RuleViolation(
            "Cited evidence is no longer verified: " + "; ".join(e.claim[:60] for e in unverified),
            field="message",
            code="evidence_unverified",
        )
    locked.status = S.APPROVED
    locked.claimed_at = None
    with t.audited(actor, "retry"):
        t.write(locked, "status", "claimed_at")
        t.record(locked, kind=Kind.RETRIED, actor=actor, from_status=S.FAILED, notify=False)
    return locked


@t.atomic
def activity_mark_done(
    *, activity: OutreachActivity, actor: User, note: str = ""
) -> OutreachActivity:
    """The responsible officer (or a planner) reports a manual activity carried out."""
    locked = t.lock(activity)
    t.check(locked, "mark_done")
    waiting = locked.dispatches.filter(result=Dispatch.Result.AWAITING_OFFICER).first()
    if waiting is None:
        raise InvalidTransition(
            "Only a manual activity waiting for its officer can be marked done."
        )
    if actor.pk != locked.channel.officer_id and not may(actor, "campaigns.plan", locked):
        require(actor, "campaigns.plan", locked)
    waiting.result = Dispatch.Result.SENT
    waiting.response = (f"done: {note}" if note else "done")[:200]
    waiting.finished_at = timezone.now()
    locked.status = S.DISPATCHED
    with t.audited(actor, "mark_done"):
        waiting.save(update_fields=["result", "response", "finished_at"])
        t.write(locked, "status")
        t.record(locked, kind=Kind.DISPATCHED, actor=actor, from_status=S.DISPATCHING, comment=note)
    return locked


def cancel_guard(locked: OutreachActivity) -> None:
    """A dispatching activity may be cancelled while it waits in the queue, not while a worker
    is sending it (that send holds a live lease)."""
    if (
        locked.status == S.DISPATCHING
        and locked.dispatches.filter(
            result=Dispatch.Result.PENDING, started_at__gt=timezone.now() - lease()
        ).exists()
    ):
        raise Conflict("It is being sent right now; it can no longer be cancelled.")


@transaction.atomic
def approval_remind_overdue(*, now: datetime | None = None) -> list[int]:
    """Remind the reviewers of activities waiting at a step longer than the configured time,
    once per wait (a reminder restarts the clock)."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.CANDOR_APPROVAL_REMINDER_HOURS)
    last_nudge = (
        ActivityEvent.objects.filter(
            activity=OuterRef("pk"),
            kind__in=[Kind.SUBMITTED, Kind.STEP_APPROVED, Kind.REMINDED],
        )
        .order_by("-at")
        .values("at")[:1]
    )
    overdue = (
        OutreachActivity.objects.filter(status=S.IN_REVIEW)
        .annotate(waiting_since=last_nudge)
        .filter(waiting_since__lt=cutoff)
        .select_for_update(skip_locked=True, of=("self",))
    )
    reminded = []
    for activity in overdue:
        waited = now - activity.waiting_since
        assert activity.current_step is not None  # in review: activity_in_review_has_step
        t.record(
            activity,
            kind=Kind.REMINDED,
            actor=None,
            from_status=S.IN_REVIEW,
            comment=f"Waiting at {activity.current_step.name} for "
            f"{waited.days * 24 + waited.seconds // 3600} hours.",
        )
        reminded.append(activity.pk)
    return reminded
