"""Celery tasks of the campaigns app: thin, take ids, call services or selectors."""

from __future__ import annotations

from celery import Task, shared_task
from django.conf import settings

from campaigns import channels, services


@shared_task(time_limit=120, soft_time_limit=100)
def notify_tick() -> int:
    """The periodic notify tick: e-mail what the outbox holds (see services/notifications)."""
    return services.notifications_send_pending()


@shared_task(time_limit=60, soft_time_limit=50)
def dispatch_tick() -> dict[str, int]:
    """The periodic tick: claim due activities (and stuck ones) and enqueue their sends."""
    claimed = services.dispatch_claim_all_due()
    return {"due": len(claimed.due), "stuck": len(claimed.stuck), "deferred": len(claimed.deferred)}


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,  # the number of attempts is counted in the database, not here
    time_limit=settings.CANDOR_WEBHOOK_TIMEOUT + 60,
    soft_time_limit=settings.CANDOR_WEBHOOK_TIMEOUT + 45,
)
def dispatch_activity(self: Task, activity_id: int) -> str:
    """One attempt to send one activity; retried with exponential backoff, then ``failed``."""
    attempt = services.dispatch_prepare(activity_id=activity_id)
    if attempt.dispatch is None or attempt.activity is None:
        return attempt.reason
    try:
        response = channels.send(attempt.activity, attempt.dispatch.idempotency_key)
    except channels.PermanentError as error:
        services.dispatch_record_failure(dispatch=attempt.dispatch, error=str(error), final=True)
        return "failed"
    except Exception as error:  # transient, or a bug: both get the bounded retries
        final = attempt.number > settings.CANDOR_DISPATCH_MAX_RETRIES
        message = str(error) if isinstance(error, channels.TransientError) else repr(error)
        services.dispatch_record_failure(dispatch=attempt.dispatch, error=message, final=final)
        if final:
            return "failed"
        backoff = settings.CANDOR_DISPATCH_RETRY_BACKOFF * 2 ** (attempt.number - 1)
        raise self.retry(countdown=backoff, exc=error) from error
    services.dispatch_record_success(dispatch=attempt.dispatch, response=response)
    return "sent"


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
