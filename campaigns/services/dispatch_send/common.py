"""What the dispatcher's steps share: leases, blackouts, the send budget, enqueueing batches,
events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, F, OuterRef

from audiences.models import BlackoutWindow
from campaigns.models import (
    ActivityEvent,
    ActivityStatus,
    Dispatch,
    OutreachActivity,
    PendingNotification,
)

S = ActivityStatus


Kind = ActivityEvent.Kind


Result = Dispatch.Result


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
