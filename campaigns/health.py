"""Which part of a running Candor is down: the reads behind ``GET /health/`` and the dashboard's
one-line warning (one function, so the two never disagree).

The parts and what makes each one ``down``:

- ``database``: the heartbeat read below fails.
- ``broker``: no answer within ``CANDOR_HEALTH_BROKER_TIMEOUT`` (``config.broker.broker_check``).
- ``scheduler``: Celery beat has not published a periodic tick for
  ``CANDOR_HEALTH_SCHEDULER_SECONDS``. Beat itself records it as it publishes
  (``config/celery.py``), so a scheduler whose ticks no worker runs still counts as alive.
- ``worker``: no worker has finished a task for ``CANDOR_HEALTH_WORKER_SECONDS``. The ticks give
  a live worker a task every few seconds, so a silent worker is a dead or stuck one (or one the
  scheduler gives nothing to: then the scheduler is down too, and said first).
- ``dispatch``: an approved activity has been due, unclaimed and outside any blackout, for longer
  than ``CANDOR_HEALTH_DISPATCH_LAG_SECONDS``.

Nothing here names a host, a user or a password: the answer is public."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError

from campaigns.models import Heartbeat, OutreachActivity
from campaigns.services.dispatch_send import in_blackout
from config.broker import broker_check

PARTS = ("database", "broker", "scheduler", "worker", "dispatch")


@dataclass(frozen=True)
class PartHealth:
    """One part: ``ok``, its figures, and when down the sentence a person reads."""

    ok: bool
    figures: dict[str, Any] = field(default_factory=dict)
    problem: str = ""

    def as_json(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"status": "ok" if self.ok else "down", **self.figures}
        if self.problem:
            answer["problem"] = self.problem
        return answer


@dataclass(frozen=True)
class Health:
    checked_at: datetime
    parts: dict[str, PartHealth]

    @property
    def ok(self) -> bool:
        return all(part.ok for part in self.parts.values())

    @property
    def problems(self) -> str:
        """Every down part's sentence, on one line; empty when all is well."""
        return " ".join(part.problem for part in self.parts.values() if not part.ok)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.ok else "down",
            "checked_at": self.checked_at.isoformat(),
            "parts": {name: part.as_json() for name, part in self.parts.items()},
        }


def duration(seconds: float) -> str:
    """``seconds`` as a person says it: "40 seconds", "3 minutes", "2 hours"."""
    if seconds < 90:
        n, unit = round(seconds), "second"
    elif seconds < 90 * 60:
        n, unit = round(seconds / 60), "minute"
    elif seconds < 36 * 3600:
        n, unit = round(seconds / 3600), "hour"
    else:
        n, unit = round(seconds / 86400), "day"
    return f"{n} {unit}{'' if n == 1 else 's'}"


def system_health(
    *, now: datetime, parts: Iterable[str] = PARTS, broker_timeout: float | None = None
) -> Health:
    """The health of the requested ``parts`` at ``now``: one query for the database, the
    scheduler and the worker together, one for dispatch, one broker round trip."""
    wanted = [name for name in PARTS if name in set(parts)]
    result: dict[str, PartHealth] = {}
    beats: dict[str, datetime] | None = None
    if {"database", "scheduler", "worker"} & set(wanted):
        started = time.perf_counter()
        try:
            beats = dict(Heartbeat.objects.values_list("name", "at"))
        except DatabaseError as exc:
            result["database"] = PartHealth(
                ok=False,
                figures={"error": type(exc).__name__},
                problem="The database does not answer: nothing can be read or saved.",
            )
        else:
            ms = round((time.perf_counter() - started) * 1000, 1)
            result["database"] = PartHealth(ok=True, figures={"ms": ms})
    unread = "database" in result and not result["database"].ok
    for name in wanted:
        if name in {"scheduler", "worker", "dispatch"} and unread:
            # The database sentence says it; these have no figure to give.
            result[name] = PartHealth(ok=False, figures={"error": "the database does not answer"})
        elif name == "broker":
            result[name] = _broker(broker_timeout)
        elif name == "scheduler":
            result[name] = _scheduler(beats or {}, now)
        elif name == "worker":
            result[name] = _worker(beats or {}, now)
        elif name == "dispatch":
            result[name] = _dispatch(now)
    return Health(checked_at=now, parts={name: result[name] for name in wanted})


def _broker(timeout: float | None) -> PartHealth:
    url: str = settings.CELERY_BROKER_URL
    started = time.perf_counter()
    reason = broker_check(
        url,
        transport_options=getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}),
        timeout=settings.CANDOR_HEALTH_BROKER_TIMEOUT if timeout is None else timeout,
    )
    figures: dict[str, Any] = {
        "transport": url.partition("://")[0],
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }
    if reason is None:
        return PartHealth(ok=True, figures=figures)
    return PartHealth(
        ok=False,
        figures={**figures, "error": reason},
        problem="The broker does not answer: no task reaches a worker.",
    )


def _beat(
    beats: dict[str, datetime], name: str, now: datetime, limit: float, key: str
) -> tuple[bool, dict[str, Any], float | None]:
    at = beats.get(name)
    age = None if at is None else max(0.0, (now - at).total_seconds())
    figures = {
        key: None if at is None else at.isoformat(),
        "seconds_ago": None if age is None else round(age, 1),
        "down_after_seconds": limit,
    }
    return age is not None and age <= limit, figures, age


def _scheduler(beats: dict[str, datetime], now: datetime) -> PartHealth:
    limit = settings.CANDOR_HEALTH_SCHEDULER_SECONDS
    ok, figures, age = _beat(beats, Heartbeat.Part.SCHEDULER, now, limit, "last_tick")
    if ok:
        return PartHealth(ok=True, figures=figures)
    since = "has never ticked" if age is None else f"has not ticked for {duration(age)}"
    return PartHealth(
        ok=False, figures=figures, problem=f"The scheduler {since}: nothing will be dispatched."
    )


def _worker(beats: dict[str, datetime], now: datetime) -> PartHealth:
    limit = settings.CANDOR_HEALTH_WORKER_SECONDS
    ok, figures, age = _beat(beats, Heartbeat.Part.WORKER, now, limit, "last_task_finished")
    if ok:
        return PartHealth(ok=True, figures=figures)
    since = "yet" if age is None else f"for {duration(age)}"
    return PartHealth(
        ok=False,
        figures=figures,
        problem=f"No worker has finished a task {since}: nothing will be sent.",
    )


def _dispatch(now: datetime) -> PartHealth:
    limit = settings.CANDOR_HEALTH_DISPATCH_LAG_SECONDS
    try:
        oldest = (
            OutreachActivity.objects.due(now)
            .filter(~in_blackout(now))
            .order_by("scheduled_at")
            .values_list("scheduled_at", flat=True)
            .first()
        )
    except DatabaseError as exc:
        return PartHealth(
            ok=False,
            figures={"error": type(exc).__name__, "down_after_seconds": limit},
            problem="What is due cannot be read: the database does not answer.",
        )
    lag = 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())
    figures = {
        "oldest_due": None if oldest is None else oldest.isoformat(),
        "lag_seconds": round(lag, 1),
        "down_after_seconds": limit,
    }
    if lag <= limit:
        return PartHealth(ok=True, figures=figures)
    return PartHealth(
        ok=False,
        figures=figures,
        problem=f"An approved activity has waited {duration(lag)} past its time to go out.",
    )
