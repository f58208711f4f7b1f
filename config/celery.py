"""The Celery application; tasks live in each app's ``tasks.py`` and are found automatically."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("candor", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


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
