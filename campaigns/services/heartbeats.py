"""The heartbeats of the running parts, written by the processes themselves (config/celery.py)."""

from __future__ import annotations

from datetime import datetime

from campaigns.models import Heartbeat


def heartbeat_record(*, name: str, at: datetime) -> None:
    """Record that part ``name`` was alive at ``at``; never moves a heartbeat back in time.

    One UPDATE when the row exists (always, after the first beat); the first beats of two
    processes at once end with one row (the name is unique; the loser finds the winner's)."""
    if Heartbeat.objects.filter(name=name, at__lt=at).update(at=at):
        return
    Heartbeat.objects.get_or_create(name=name, defaults={"at": at})
