"""The baseline of P4/P4b: a Celery task that does nothing but note when a worker ran it.

Loaded only by the benchmark's own worker (``celery worker -I bench.tasks``), never by the
product's. It goes through the same broker, worker, prefetch and acknowledgement settings as
``dispatch_activity``, so what it measures is the floor any dispatch could reach."""

from __future__ import annotations

import time
from functools import cache

import redis
from celery import shared_task
from django.conf import settings

NOOP_KEY = "bench:noop"


@cache
def client() -> redis.Redis:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


@shared_task(name="bench.noop")
def noop(sent: float) -> None:
    """Record ``"<sent> <ran>"`` (epoch seconds) and nothing else."""
    ran = time.time()
    client().rpush(NOOP_KEY, f"{sent} {ran}")
