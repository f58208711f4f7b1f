"""Before a send: claim, lock and re-check each activity of a batch, and open its attempt."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, TypedDict

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Subquery
from django.utils import timezone

from accounts.audit import audit_context
from audiences.models import BlackoutWindow
from campaigns.models import (
    ActivityEvent,
    Dispatch,
    OutreachActivity,
)
from campaigns.services import _transitions as t
from campaigns.services.dispatch_send.common import (
    Attempt,
    Kind,
    Result,
    S,
    bulk_events,
    in_blackout,
    lease,
    mark_claimed,
    notify_events,
)
from messaging.models import Citation, EvidenceItem

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class _DispatchChecks(TypedDict):
    """What ``_lock_for_dispatch`` annotates on each activity it locks."""

    last_retried_at: datetime | None
    cites_unverified: bool
    in_blackout: bool


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


def _cited(locked: list[OutreachActivity]) -> dict[int, list[tuple[str, str]]]:
    """Message → its (sentence, evidence uuid) citations, sorted as ``content_hash`` takes
    them; one query for the whole batch."""
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    rows = Citation.objects.filter(message_id__in={a.message_id for a in locked}).values_list(
        "message_id", "sentence", "evidence__uuid"
    )
    for message_id, sentence, evidence in rows:
        found[message_id].append((sentence, str(evidence)))
    return {message_id: sorted(cited) for message_id, cited in found.items()}


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
        cited = _cited([rows[pk] for pk in dispatching]) if dispatching else {}
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
            elif (
                locked.content_hash(cited=cited.get(locked.message_id, []))
                != locked.approved_content_hash
            ):
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
