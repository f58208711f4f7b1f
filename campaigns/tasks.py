"""Celery tasks of the campaigns app: thin, take ids, call services or selectors."""

from __future__ import annotations

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


@shared_task(bind=True, max_retries=5, time_limit=180, soft_time_limit=160)
def notify_activity_events(self: Task, event_ids: list[int]) -> int:
    """E-mail the people each event of a batch concerns, over one SMTP connection. After an
    error only the events not yet e-mailed are retried, with backoff. Returns how many were
    told."""
    events = ActivityEvent.objects.select_related(
        "activity__campaign", "activity__audience", "activity__owner", "actor"
    ).in_bulk(event_ids)
    told = 0
    with channels.Session() as session:
        for n, event_id in enumerate(event_ids):
            event = events.get(event_id)
            if event is None:  # rolled back after all, or never existed
                continue
            recipients = notification_recipients(event=event)
            if not recipients:
                continue
            message = emails.build(
                "activity_event",
                recipients,
                {"event": event, "activity": event.activity},
                headers={"X-Candor-Event": str(event.pk)},
            )
            try:
                session.mail(message)
            except OSError as error:  # smtplib's errors are OSErrors
                countdown = 2 ** (self.request.retries + 1)
                raise self.retry(args=[event_ids[n:]], countdown=countdown, exc=error) from error
            told += len(recipients)
    return told


@shared_task(time_limit=60, soft_time_limit=50)
def dispatch_tick() -> dict[str, int]:
    """The periodic tick: claim due activities (and stuck ones) and enqueue their sends."""
    claimed = services.dispatch_claim_all_due()
    return {"due": len(claimed.due), "stuck": len(claimed.stuck), "deferred": len(claimed.deferred)}


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
