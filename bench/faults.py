"""Faults at volume (issue #13), run by ``python -m bench --only F1,F2``; never by the tests.

- **F1**: activities go through the workflow (submit, the reviewer's and the approver's
  approval, each activity in a transaction of its own) while a real worker and beat dispatch
  them to a local webhook receiver; one approval transaction in ten is rolled back on purpose
  (an exception raised inside ``transaction.atomic`` after the service returned), and the
  worker's private Redis is stopped three times for ten seconds meanwhile. Then the checks,
  each a count that must be 0:

  - *sent for a rolled-back approval*: receipts whose activity's approval was rolled back;
  - *not sent exactly once*: committed approvals with no receipt, or not exactly one ``sent``
    Dispatch row (re-sends at the wire, the same idempotency key again, are reported apart:
    receipts ÷ activities);
  - *orphaned*: an outbox row (``PendingNotification``) still there a minute after the run, a
    ``pending`` Dispatch past its lease, an ``approved`` activity past due and never claimed,
    an activity ``dispatching`` with no attempt alive past its lease.

- **F2**: PostgreSQL (a private cluster, ``tests/campaigns/real_parts.PrivatePostgres``)
  restarted with a fast shutdown ten times while 200 webhook activities go out; receipts ÷
  activities (1.00: nothing re-sent), with every activity received and recorded once.

The worker's lease is 30 s here (the product's 120 s would make a run wait two minutes for
each send lost with the broker), and the queue cap 1000 accordingly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audiences.models import Channel
from bench import world as w
from bench.dispatch import await_count, log, smtp_sink, webhook
from bench.harness import Result
from campaigns import services
from campaigns.models import ActivityStatus, Dispatch, OutreachActivity, PendingNotification
from tests.campaigns.real_parts import (
    ROOT,
    Celery,
    HttpReceiver,
    PrivatePostgres,
    PrivateRedis,
    database_url,
    running,
)

S = ActivityStatus
LEASE = 30.0
OUTAGES, OUTAGE_SECONDS = 3, 10.0
CHUNK, DUE_IN = 250, timedelta(seconds=45)


class RolledBack(Exception):
    """Raised on purpose inside an approval's transaction."""


def dispatch_env(broker: str, database: str, smtp_port: int) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.bench",
        "CANDOR_BENCH_DATABASE_URL": database,
        "CANDOR_BENCH_REDIS_URL": broker,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "CANDOR_DISPATCH_TICK_SECONDS": str(settings.CANDOR_DISPATCH_TICK_SECONDS),
        "CANDOR_NOTIFY_TICK_SECONDS": "2",
        "CANDOR_DISPATCH_LEASE_SECONDS": str(LEASE),
        "CANDOR_DISPATCH_MAX_QUEUED": "1000",
    }


def outages(redis: PrivateRedis, start_in: float, every: float) -> threading.Thread:
    """Stop ``redis`` ``OUTAGES`` times for ``OUTAGE_SECONDS``, the first after ``start_in``."""

    def run() -> None:
        time.sleep(start_in)
        for n in range(OUTAGES):
            log(f"F1: Redis stopped ({n + 1}/{OUTAGES})")
            redis.stop()
            time.sleep(OUTAGE_SECONDS)
            redis.start()
            log("F1: Redis back")
            time.sleep(every)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


class Supervisor:
    """Restarts the worker when it exits, as the process manager would in production (a Redis
    outage can end it: see docs/benchmarks.md, F1); counts the restarts."""

    def __init__(self, celery: Celery) -> None:
        self.celery, self.restarts, self.running = celery, 0, True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        while self.running:
            worker = self.celery.worker
            if worker is not None and worker.poll() is not None:
                log(f"F1: the worker exited ({worker.returncode}); starting it again")
                self.restarts += 1
                self.celery.start_worker()
            time.sleep(0.5)

    def stop(self) -> None:
        if self.running:
            self.running = False
            self.thread.join()


def drafts(
    world: w.World, channel: Channel, count: int, due_in: timedelta
) -> list[OutreachActivity]:
    """``count`` drafts in one INSERT (a draft is what ``activity_create`` leaves)."""
    due = timezone.now() + due_in
    return OutreachActivity.objects.bulk_create(
        OutreachActivity(
            campaign=world.campaign,
            title=f"Fault bench {n}",
            audience=world.audience,
            message=world.message,
            channel=channel,
            owner=world.planner,
            status=S.DRAFT,
            scheduled_at=due,
        )
        for n in range(count)
    )


def approve(world: w.World, activity: OutreachActivity, roll_back: bool) -> None:
    """Submit and both approvals, in one transaction; ``roll_back``: then raise in it."""
    with transaction.atomic():
        activity = services.activity_submit(activity=activity, actor=world.planner)
        activity = services.activity_approve(activity=activity, actor=world.reviewer)
        services.activity_approve(activity=activity, actor=world.approver)
        if roll_back:
            raise RolledBack


def orphans(now: datetime) -> dict[str, int]:
    """The orphans F1 counts (see the module's docstring); each must be 0."""
    past_lease = now - timedelta(seconds=LEASE)
    live = Dispatch.objects.filter(result=Dispatch.Result.PENDING, started_at__gt=past_lease)
    tick = timedelta(seconds=settings.CANDOR_DISPATCH_TICK_SECONDS * 3)
    return {
        "outbox rows left after a minute": PendingNotification.objects.count(),
        "pending attempts past their lease": Dispatch.objects.filter(
            result=Dispatch.Result.PENDING, started_at__lte=past_lease
        ).count(),
        "approved, due, never claimed": OutreachActivity.objects.filter(
            status=S.APPROVED, scheduled_at__lt=now - tick
        ).count(),
        "dispatching, nothing alive": OutreachActivity.objects.filter(
            status=S.DISPATCHING, claimed_at__lt=past_lease
        )
        .exclude(dispatches__in=live)
        .count(),
    }


def f1_faults_at_volume(scale: float) -> Result:
    """Transitions and dispatch at volume, one approval in ten rolled back, Redis stopped 3×."""
    count = max(100, int(10_000 * scale))
    world = w.build("f1")
    redis = PrivateRedis()
    redis.start()
    receiver = HttpReceiver()
    with smtp_sink() as smtp_port:
        celery = Celery(broker=redis.url, env=dispatch_env(redis.url, database_url(), smtp_port))
        supervisor = Supervisor(celery)  # stopped before the worker is
        with running(receiver, celery, supervisor, redis):
            celery.start()
            channel = webhook(world, receiver.url)
            started = time.monotonic()
            faults = outages(redis, start_in=10, every=20)
            committed, rolled = [], []
            # Drafts made CHUNK at a time, due 45 s later (submit refuses a time passed), so
            # dispatch runs while later ones go through the workflow.
            for first in range(0, count, CHUNK):
                made = drafts(world, channel, min(CHUNK, count - first), DUE_IN)
                for n, activity in enumerate(made, start=first):
                    try:
                        approve(world, activity, roll_back=n % 10 == 9)
                        committed.append(activity.pk)
                    except RolledBack:
                        rolled.append(activity.pk)
                log(f"F1: {first + len(made)}/{count} through the workflow")
            transitions = time.monotonic() - started
            keys = dict(OutreachActivity.objects.filter(pk__in=committed).values_list("uuid", "pk"))
            keys = {str(k): v for k, v in keys.items()}
            await_count(
                lambda: len({r.json["id"] for r in list(receiver.receipts)} & set(keys)),
                len(keys),
                max(120.0, 600 - (time.monotonic() - started)),
                "F1 receipts",
                lambda: f"(logs in {celery.tmp})",
            )
            finished = time.monotonic() - started
            faults.join()
            time.sleep(settings.CANDOR_DISPATCH_TICK_SECONDS * 2)  # a late duplicate, if any
            await_count(
                lambda: -PendingNotification.objects.count(),
                0,
                60,
                "F1 outbox",
                lambda: f"(logs in {celery.tmp})",
            )
    received = Counter(r.json["id"] for r in receiver.receipts)
    rolled_uuids = {
        str(u)
        for u in OutreachActivity.objects.filter(pk__in=rolled).values_list("uuid", flat=True)
    }
    sent_rows = Counter(
        Dispatch.objects.filter(activity__in=committed, result=Dispatch.Result.SENT).values_list(
            "activity", flat=True
        )
    )
    not_once = sum(1 for uuid, pk in keys.items() if not received[uuid] or sent_rows[pk] != 1)
    found = {
        "sent for a rolled-back approval": sum(received[u] for u in rolled_uuids),
        "not sent exactly once": not_once,
        **orphans(timezone.now()),
    }
    log(f"F1: {json.dumps(found)}")
    receipts = sum(received.values())
    return Result(
        "F1 faults at volume: receipts ÷ committed approvals",
        receipts,
        len(keys),
        "receipts",
        "every check 0",
        f"{count} activities, {len(rolled)} approvals rolled back, Redis stopped {OUTAGES}× "
        f"{OUTAGE_SECONDS:g} s, the worker restarted {supervisor.restarts}× after exiting; "
        "checks: "
        + ", ".join(f"{k} {v}" for k, v in found.items())
        + f"; workflow {transitions:.0f} s, all received after {finished:.0f} s",
    )


def on_cluster(postgres: PrivatePostgres, *args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.campaigns.private_world", *args],
        cwd=ROOT,
        env={**os.environ, **postgres.env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.splitlines()[-1])


def f2_database_restarts(scale: float) -> Result:
    """Receipts ÷ activities while PostgreSQL restarts (fast shutdown) ten times."""
    count, restarts = max(50, int(200 * scale)), 10
    postgres, redis = PrivatePostgres(), PrivateRedis()
    receiver = HttpReceiver(delay=0.2)  # two processes send 10 a second: 20 s for 200
    with smtp_sink() as smtp_port, running(receiver, redis, postgres):
        redis.start()
        postgres.start()
        due = time.time() + 10 + count / 4  # seeding goes through the workflow
        log(f"F2: seeding {count} activities on a private cluster (port {postgres.port})")
        keys = on_cluster(postgres, "seed", str(count), str(due), "10", receiver.url)["keys"]
        env = dispatch_env(redis.url, postgres.url, smtp_port)
        celery = Celery(broker=redis.url, env={**postgres.env, **env})
        with running(celery):
            celery.start()
            while time.time() < due or not receiver.receipts:
                time.sleep(0.2)
            at = []
            for _ in range(restarts):
                at.append(len(receiver.receipts))
                postgres.restart()
                time.sleep(1.0)
            log(f"F2: restarted at {at} receipts")
            report = on_cluster(postgres, "wait", str(LEASE * 4))
    received = Counter(r.key for r in receiver.receipts)
    recorded = report["sent"]
    assert isinstance(recorded, dict)
    return Result(
        "F2 PostgreSQL restarted 10× (fast): receipts ÷ activities",
        sum(received.values()),
        count,
        "receipts",
        "≤ 1 + in flight",
        f"{count} webhook activities, restarts at {at[0]}–{at[-1]} receipts; received "
        f"{sum(1 for k in keys if received[k])}/{count}, recorded once "
        f"{sum(1 for k in keys if recorded.get(k) == 1)}/{count}, statuses "
        f"{report['statuses']}, pending {report['pending']}",
    )
