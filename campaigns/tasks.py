"""Celery tasks of the campaigns app: thin, take ids, call services or selectors."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from celery import Task, shared_task
from django.conf import settings

from campaigns import channels, emails, services
from campaigns.models import ActivityEvent
from campaigns.selectors import notification_recipients


@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    time_limit=60,
    soft_time_limit=50,
)
def notify_activity_event(event_id: int) -> int:
    """E-mail the people an activity event concerns. Returns how many were told."""
    event = (
        ActivityEvent.objects.select_related(
            "activity__campaign", "activity__audience", "activity__owner", "actor"
        )
        .filter(pk=event_id)
        .first()
    )
    if event is None:  # rolled back after all, or never existed
        return 0
    recipients = notification_recipients(event=event)
    emails.send(
        "activity_event",
        recipients,
        {"event": event, "activity": event.activity},
        headers={"X-Candor-Event": str(event.pk)},
    )
    return len(recipients)


def _events_message(recipients: list[str], events: list[ActivityEvent]) -> Any:
    """One event: the usual e-mail. Several for the same people: one e-mail listing them."""
    if len(events) == 1:
        [event] = events
        return emails.build(
            "activity_event",
            recipients,
            {"event": event, "activity": event.activity},
            headers={"X-Candor-Event": str(event.pk)},
        )
    kinds = Counter(event.get_kind_display().lower() for event in events)
    return emails.build(
        "activity_events",
        recipients,
        {"events": events, "summary": ", ".join(f"{n} {kind}" for kind, n in kinds.items())},
        headers={"X-Candor-Event": " ".join(str(event.pk) for event in events)},
    )


@shared_task(bind=True, max_retries=5, time_limit=180, soft_time_limit=160)
def notify_activity_events(self: Task, event_ids: list[int]) -> int:
    """E-mail the people the events of a batch concern: one e-mail per set of recipients,
    listing their events (a batch of 50 sends tells its owner once, not 50 times), over one
    SMTP connection. After an error only the e-mails not yet sent are retried, with backoff.
    Returns how many recipients were told."""
    events = ActivityEvent.objects.select_related(
        "activity__campaign", "activity__audience", "activity__owner", "actor"
    ).in_bulk(event_ids)
    grouped: dict[tuple[str, ...], list[ActivityEvent]] = defaultdict(list)
    for event_id in event_ids:
        event = events.get(event_id)
        if event is not None:  # else rolled back after all, or never existed
            recipients = tuple(notification_recipients(event=event))
            if recipients:
                grouped[recipients].append(event)
    told = 0
    groups = list(grouped.items())
    with channels.Session() as session:
        for n, (recipients, group) in enumerate(groups):
            try:
                session.mail(_events_message(list(recipients), group))
            except OSError as error:  # smtplib's errors are OSErrors
                rest = [event.pk for _, later in groups[n:] for event in later]
                countdown = 2 ** (self.request.retries + 1)
                raise self.retry(args=[rest], countdown=countdown, exc=error) from error
            told += len(recipients)
    return told


@shared_task(time_limit=60, soft_time_limit=50)
def dispatch_tick() -> dict[str, int]:
    """The periodic tick: claim due activities (and stuck ones) and enqueue their sends; enqueue
    those falling due before the next tick to be claimed and sent at their time."""
    claimed = services.dispatch_claim_all_due()
    return {
        "due": len(claimed.due),
        "stuck": len(claimed.stuck),
        "deferred": len(claimed.deferred),
        "ahead": len(claimed.ahead),
    }


# A batch stops starting sends after half the lease (``dispatch_send.send_budget``); the last
# one started may take the webhook timeout, and recording the batch a few seconds.
_BATCH_SECONDS = settings.CANDOR_DISPATCH_LEASE_SECONDS / 2 + settings.CANDOR_WEBHOOK_TIMEOUT


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=_BATCH_SECONDS + 60,
    soft_time_limit=_BATCH_SECONDS + 45,
)
def dispatch_batch(activity_ids: list[int], claim: bool = False) -> dict[str, str]:
    """One attempt at each activity of a batch; each is retried (a task of its own, after its
    backoff) or failed on its own. ``claim``: the lookahead enqueued them before they were due,
    so they are claimed first (those still approved and due). Returns activity → outcome."""
    done = services.dispatch_send_batch(activity_ids=activity_ids, claim=claim)
    return {str(pk): outcome for pk, outcome in done.items()}


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=settings.CANDOR_WEBHOOK_TIMEOUT + 60,
    soft_time_limit=settings.CANDOR_WEBHOOK_TIMEOUT + 45,
)
def dispatch_activity(activity_id: int) -> str:
    """One attempt to send one activity (a batch of one; messages from before batches)."""
    return services.dispatch_send_batch(activity_ids=[activity_id])[activity_id]


@shared_task(time_limit=120)
def approval_reminders() -> int:
    """Remind reviewers of approvals waiting too long."""
    return len(services.approval_remind_overdue())


@shared_task(time_limit=300, soft_time_limit=240)
def report_tick() -> dict[str, int]:
    """The periodic report tick: send every due report period exactly once (a ``ReportRun``
    row per period is the claim; see ``campaigns/services/reporting.py``). The hard time limit
    stays below ``CANDOR_REPORT_LEASE_SECONDS``, so a run is never re-claimed while its sender
    lives."""
    return {"sent": len(services.report_send_due())}
