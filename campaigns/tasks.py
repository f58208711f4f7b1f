"""Celery tasks of the campaigns app: thin, take ids, call services or selectors."""

from __future__ import annotations

from celery import shared_task

from campaigns import services
from campaigns.services.dispatch_send import longest_send, send_budget


@shared_task(time_limit=120, soft_time_limit=100)
def notify_tick() -> int:
    """The periodic notify tick: e-mail what the outbox holds (see services/notifications)."""
    return services.notifications_send_pending()


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


# A batch stops starting sends after its budget (half the lease); the last one started may take
# the longest send, and recording the batch a few seconds.
_BATCH_SECONDS = send_budget() + longest_send()


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
    time_limit=longest_send() + 60,
    soft_time_limit=longest_send() + 45,
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
    row per period is the claim; see ``campaigns/reports/sending.py``). The hard time limit
    stays below ``CANDOR_REPORT_LEASE_SECONDS``, so a run is never re-claimed while its sender
    lives."""
    return {"sent": len(services.report_send_due())}
