"""A worker keeps its database connection between tasks as a web process keeps it between
requests (CONN_MAX_AGE, health check), instead of Celery's default: a new connection, and a
PostgreSQL server process forked, for every task."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from celery.signals import task_prerun
from django.db import connection

from campaigns.tasks import dispatch_tick
from config.celery import app


@pytest.fixture
def task() -> Iterator[object]:
    """A task as a worker runs it (not eagerly)."""
    # Imported above, not left to autodiscovery, which runs only once a worker starts.
    task = app.tasks[dispatch_tick.name]
    task.push_request(is_eager=False)
    yield task
    task.pop_request()


def run(task: object) -> None:
    task_prerun.send(sender=task, task_id="t", task=task, args=(), kwargs={})


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_task_reuses_a_healthy_connection_and_drops_an_old_one(task) -> None:
    assert app.conf.get("CELERY_DB_REUSE_MAX")  # the fixup's close around each task is off
    connection.ensure_connection()
    kept = connection.connection
    connection.close_at = time.monotonic() + 60  # as CONN_MAX_AGE = 60 leaves it
    run(task)
    assert connection.connection is kept
    connection.close_at = time.monotonic() - 1  # older than CONN_MAX_AGE
    run(task)
    assert connection.connection is None
