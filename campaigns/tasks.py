"""Celery tasks of the campaigns app: thin, take ids, call services or selectors."""

from __future__ import annotations

from celery import shared_task

from campaigns import emails
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
