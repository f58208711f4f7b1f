"""The Celery application; tasks live in each app's ``tasks.py`` and are found automatically."""

from __future__ import annotations

import logging
import math
import os
import time
from typing import Any

from celery import Celery
from celery.signals import after_task_publish, beat_init, task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("candor", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
logger = logging.getLogger(__name__)


@task_prerun.connect
def _close_old_connections(task: Any = None, **kwargs: Any) -> None:
    """Treat every task as Django treats a request: keep the database connection for
    ``CONN_MAX_AGE`` and check it first (``CONN_HEALTH_CHECKS``), drop it if it broke.

    Celery's Django fixup would otherwise close it before and after every task (unless
    ``CELERY_DB_REUSE_MAX`` is set, which base.py does): a new PostgreSQL connection, a
    server process forked, for each dispatch and each notification."""
    from django.db import close_old_connections

    if not getattr(getattr(task, "request", None), "is_eager", False):  # eager: the caller's
        close_old_connections()


# --- Heartbeats for /health/ (campaigns/health.py) ---------------------------------------------
# Each process records at most once per CANDOR_HEALTH_HEARTBEAT_SECONDS: a write, not a tax on
# every task. The figures live in the database so every process (and SQLite) sees them.
_last_beat: dict[str, float] = {}
_in_beat = False


def _record_heartbeat(name: str, *, check_connection: bool = False) -> None:
    from django.conf import settings
    from django.db import DatabaseError, close_old_connections
    from django.utils import timezone

    from campaigns.services import heartbeat_record

    now = time.monotonic()
    if now - _last_beat.get(name, -math.inf) < settings.CANDOR_HEALTH_HEARTBEAT_SECONDS:
        return
    if check_connection:
        close_old_connections()  # no request cycle does it here: drop a connection that broke
    try:
        heartbeat_record(name=name, at=timezone.now())
    except DatabaseError:
        # The database is down: /health/ says so; the beat is tried again next time.
        logger.warning("could not record the %s heartbeat", name, exc_info=True)
    else:
        _last_beat[name] = now


@beat_init.connect
def _this_is_the_scheduler(**kwargs: Any) -> None:
    """Only the beat process's publishing of a tick says the scheduler lives."""
    global _in_beat
    import django

    django.setup()  # beat does not set Django up before it runs the schedule
    _in_beat = True


@after_task_publish.connect
def _scheduler_heartbeat(sender: str | None = None, **kwargs: Any) -> None:
    """Beat published a periodic tick: the scheduler is alive (whether or not a worker runs it;
    the worker has its own heartbeat)."""
    if not _in_beat or sender not in {e["task"] for e in app.conf.beat_schedule.values()}:
        return
    _record_heartbeat("scheduler", check_connection=True)


@task_postrun.connect
def _worker_heartbeat(task: Any = None, **kwargs: Any) -> None:
    """A worker finished a task (whatever its outcome): the worker is alive."""
    if not getattr(getattr(task, "request", None), "is_eager", False):
        _record_heartbeat("worker")
