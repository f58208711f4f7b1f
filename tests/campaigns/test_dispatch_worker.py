"""Dispatch with the real stack: a Celery worker and beat as separate processes, a Redis of the
test's own, a local HTTP receiver and a real SMTP sink. Nothing is mocked."""

from __future__ import annotations

import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from accounts.models import Role
from audiences.models import Channel
from campaigns import services
from campaigns.channels import sign
from campaigns.models import ActivityEvent, ActivityStatus, Dispatch, OutreachActivity
from tests.accounts.factories import member
from tests.audiences.factories import ChannelFactory
from tests.campaigns.real_parts import (
    ROOT,
    Celery,
    HttpReceiver,
    PrivateRedis,
    SmtpSink,
    running,
    wait_until,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
S = ActivityStatus
SECRET = "partner-shared-secret"


def approved_activities(
    world: Any, channel: Channel, *, count: int, at: datetime
) -> list[OutreachActivity]:
    """``count`` activities approved through the real workflow, due at ``at`` (UTC)."""
    planner = member(world.team, Role.PLANNER)
    reviewer = member(world.team, Role.REVIEWER)
    approver = member(world.team, Role.APPROVER)
    result = []
    with time_machine.travel(at - timedelta(hours=1), tick=False):
        for n in range(count):
            activity = services.activity_create(
                actor=planner,
                campaign=world.campaign,
                title=f"Outreach {n}",
                audience=world.audience,
                message=world.message,
                channel=channel,
                scheduled_at=at,
            )
            activity = services.activity_submit(activity=activity, actor=planner)
            activity = services.activity_approve(activity=activity, actor=reviewer)
            result.append(services.activity_approve(activity=activity, actor=approver))
    return result


def webhook(world: Any, url: str) -> Channel:
    return ChannelFactory(
        owner_team=world.team,
        kind=Channel.Kind.WEBHOOK,
        email_recipients=[],
        webhook_url=url,
        webhook_secret=SECRET,
    )


def statuses(activities: list[OutreachActivity]) -> set[str]:
    return set(
        OutreachActivity.objects.filter(pk__in=[a.pk for a in activities]).values_list(
            "status", flat=True
        )
    )


def record_lag(name: str, activities: list[OutreachActivity], receipts: list[Any]) -> None:
    """Keep the scheduled → received delay for the benchmarks (never asserted here)."""
    first: dict[str, datetime] = {}
    for receipt in receipts:
        first.setdefault(receipt.key, receipt.at)
    lags = sorted(
        (first[a.idempotency_key] - a.scheduled_at).total_seconds()
        for a in activities
        if a.idempotency_key in first
    )
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"dispatch-lag-{name}.json").write_text(
        json.dumps(
            {
                "count": len(lags),
                "p50": statistics.median(lags),
                "p99": lags[min(len(lags) - 1, int(len(lags) * 0.99))],
                "max": lags[-1],
            }
        )
    )


def test_an_approved_webhook_activity_goes_out_signed_and_on_time(world) -> None:
    redis, receiver = PrivateRedis(), HttpReceiver()
    celery = Celery(broker=redis.url)
    with running(receiver, redis, celery):
        redis.start()
        due = datetime.now(UTC) + timedelta(seconds=2)
        [activity] = approved_activities(world, webhook(world, receiver.url), count=1, at=due)
        celery.start()
        wait_until(lambda: statuses([activity]) == {S.DISPATCHED}, 60, celery.log)
    [receipt] = receiver.receipts
    activity.refresh_from_db()
    assert receipt.key == activity.idempotency_key
    assert receipt.headers["Candor-Signature"] == sign(
        SECRET, receipt.headers["Candor-Timestamp"], receipt.body
    )
    assert abs(int(receipt.headers["Candor-Timestamp"]) - receipt.at.timestamp()) < 60
    body = receipt.json
    assert body["idempotency_key"] == activity.idempotency_key
    assert body["attributed_to"] == world.campaign.attributed_to
    assert body["headline"] == world.message.headline
    assert body["timezone"] == "Europe/Chisinau"
    assert receipt.at >= activity.scheduled_at  # never early
    dispatch = activity.dispatches.get()
    assert (dispatch.result, dispatch.response) == (Dispatch.Result.SENT, "HTTP 200")
    record_lag("single", [activity], receiver.receipts)


def test_an_email_activity_reaches_smtp_in_the_speakers_name(world) -> None:
    redis, sink = PrivateRedis(), SmtpSink()
    celery = Celery(broker=redis.url, env={"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(sink.port)})
    channel = ChannelFactory(
        owner_team=world.team, email_recipients=["editors@news.example.md", "desk@tv.example.md"]
    )

    def owner_notices(ending: str) -> list[Any]:
        return [
            m
            for rcpt, m in sink.messages
            if activity.owner.email in rcpt and m["Subject"].endswith(ending)
        ]

    with running(sink, redis, celery):
        redis.start()
        due = datetime.now(UTC) + timedelta(seconds=1)
        [activity] = approved_activities(world, channel, count=1, at=due)
        celery.start()
        wait_until(lambda: statuses([activity]) == {S.DISPATCHED}, 60, celery.log)
        # The owner's "dispatched" notification goes through the same SMTP server.
        wait_until(lambda: owner_notices(": dispatched"), 30, celery.log)
    outreach = [m for rcpt, m in sink.messages if "editors@news.example.md" in rcpt]
    assert len(outreach) == 1
    message = outreach[0]
    activity.refresh_from_db()
    assert message["Subject"] == world.message.headline
    assert world.campaign.attributed_to in message["From"]
    assert message["X-Candor-Idempotency-Key"] == activity.idempotency_key
    assert message["Message-ID"] == f"<{activity.idempotency_key}@candor>"
    assert message["Content-Language"] == "ro"
    text = message.get_content()
    assert world.message.body in text
    assert text.rstrip().endswith(f"— {world.campaign.attributed_to}")
    [notice] = owner_notices(": dispatched")  # (the outbox also held the approval's notice)
    assert notice["Subject"] == f"[Candor] {activity.title}: dispatched"


def test_failures_are_retried_with_backoff_then_failed_and_a_person_can_retry(world) -> None:
    redis = PrivateRedis()
    receiver = HttpReceiver(statuses=[503, 503, 503, 200])
    celery = Celery(broker=redis.url, env={"CANDOR_DISPATCH_MAX_RETRIES": "2"})
    with running(receiver, redis, celery):
        redis.start()
        due = datetime.now(UTC) + timedelta(seconds=1)
        [activity] = approved_activities(world, webhook(world, receiver.url), count=1, at=due)
        celery.start()
        wait_until(lambda: statuses([activity]) == {S.FAILED}, 60, celery.log)
        assert len(receiver.receipts) == 3  # the first try and two retries
        failed = OutreachActivity.objects.get(pk=activity.pk)
        assert "HTTP 503" in failed.events.get(kind=ActivityEvent.Kind.FAILED).comment
        services.activity_retry(activity=failed, actor=failed.owner)
        wait_until(lambda: statuses([activity]) == {S.DISPATCHED}, 60, celery.log)
    assert len(receiver.receipts) == 4
    assert {r.key for r in receiver.receipts} == {activity.idempotency_key}
    results = list(activity.dispatches.order_by("attempt").values_list("result", flat=True))
    assert results == ["failed", "failed", "failed", "sent"]
    kinds = list(activity.events.values_list("kind", flat=True))
    assert kinds[-6:] == [
        "approved",
        "dispatch_started",
        "failed",
        "retried",
        "dispatch_started",
        "dispatched",
    ]


def test_a_4xx_answer_fails_at_once_without_retries(world) -> None:
    redis, receiver = PrivateRedis(), HttpReceiver(statuses=[410])
    celery = Celery(broker=redis.url)
    with running(receiver, redis, celery):
        redis.start()
        due = datetime.now(UTC) + timedelta(seconds=1)
        [activity] = approved_activities(world, webhook(world, receiver.url), count=1, at=due)
        celery.start()
        wait_until(lambda: statuses([activity]) == {S.FAILED}, 60, celery.log)
    assert len(receiver.receipts) == 1
    assert "HTTP 410" in activity.dispatches.get().error


def test_an_activity_approved_while_redis_was_down_still_goes_out(world) -> None:
    redis, receiver = PrivateRedis(), HttpReceiver()
    celery = Celery(broker=redis.url)
    with running(receiver, redis, celery):
        due = datetime.now(UTC) + timedelta(seconds=1)
        [activity] = approved_activities(world, webhook(world, receiver.url), count=1, at=due)
        celery.start()  # worker and beat start with no broker to talk to
        time.sleep(3)
        assert statuses([activity]) == {S.APPROVED}
        redis.start()
        wait_until(lambda: statuses([activity]) == {S.DISPATCHED}, 90, celery.log)
    assert [r.key for r in receiver.receipts] == [activity.idempotency_key]


def test_exactly_once_while_workers_are_killed_and_redis_restarts(world) -> None:
    """Many due activities; the worker SIGKILLed at random moments over many rounds and Redis
    restarted once. Afterwards every activity reached the receiver (none lost) and, counting by
    idempotency key, exactly once; duplicates at the wire are re-sends the key lets it drop."""
    rng = random.Random(20261127)
    redis, receiver = PrivateRedis(), HttpReceiver(delay=0.05)
    celery = Celery(broker=redis.url)
    count, rounds = 60, 8
    with running(receiver, redis, celery):
        redis.start()
        due = datetime.now(UTC) + timedelta(seconds=3)
        activities = approved_activities(world, webhook(world, receiver.url), count=count, at=due)
        celery.start()
        for n in range(rounds):
            time.sleep(rng.uniform(0.3, 1.5))
            celery.kill_worker()
            if n == rounds // 2:
                redis.restart()  # queued messages are gone: the database still knows
            celery.start_worker()
        assert celery.restarts == rounds
        wait_until(lambda: statuses(activities) == {S.DISPATCHED}, 180, celery.log)
    keys = [r.key for r in receiver.receipts]
    assert set(keys) == {a.idempotency_key for a in activities}  # none lost, none foreign
    assert len(set(keys)) == count
    sent = Dispatch.objects.filter(activity__in=activities, result=Dispatch.Result.SENT)
    assert sent.count() == count  # one successful attempt per activity in the database
    record_lag("under-faults", activities, receiver.receipts)


def test_a_batch_sends_each_activity_once_and_fails_or_retries_each_on_its_own(world) -> None:
    """Activities due together go out as one batch (one prepare: their first attempts share a
    start time); a refused one fails, a 503 is retried by itself, changed content goes back to
    review, and the rest reach the receiver exactly once."""
    redis, ok = PrivateRedis(), HttpReceiver()
    gone, busy = HttpReceiver(statuses=[410]), HttpReceiver(statuses=[503, 200])
    celery = Celery(broker=redis.url)
    with running(ok, gone, busy, redis, celery):
        redis.start()
        due = datetime.now(UTC) + timedelta(seconds=2)
        rest = approved_activities(world, webhook(world, ok.url), count=6, at=due)
        [permanent] = approved_activities(world, webhook(world, gone.url), count=1, at=due)
        [transient] = approved_activities(world, webhook(world, busy.url), count=1, at=due)
        [changed] = approved_activities(world, webhook(world, ok.url), count=1, at=due)
        Channel.objects.filter(pk=changed.channel_id).update(webhook_url=ok.url + "?elsewhere")
        [cancelled] = approved_activities(world, webhook(world, ok.url), count=1, at=due)
        services.activity_cancel(activity=cancelled, actor=cancelled.owner, reason="Pulled")
        celery.start()

        def settled() -> bool:
            return (
                statuses([*rest, transient]) == {S.DISPATCHED}
                and statuses([permanent]) == {S.FAILED}
                and statuses([changed]) == {S.CHANGES_REQUESTED}
            )

        wait_until(settled, 60, celery.log)
    assert sorted(r.key for r in ok.receipts) == sorted(a.idempotency_key for a in rest)
    assert [r.key for r in gone.receipts] == [permanent.idempotency_key]
    assert [r.key for r in busy.receipts] == [transient.idempotency_key] * 2
    assert statuses([cancelled]) == {S.CANCELLED}
    first = Dispatch.objects.filter(activity__in=[*rest, permanent, transient], attempt=1)
    assert len({d.started_at for d in first}) == 1  # prepared together: one batch
    assert list(transient.dispatches.values_list("result", flat=True)) == ["failed", "sent"]
