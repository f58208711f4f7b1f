"""``GET /health/`` and the dashboard's warning line, against real parts: a Redis of the test's
own that is stopped and started, a real Celery worker and beat that are killed and restarted,
and heartbeats aged with time-machine."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone

from audiences.models import BlackoutWindow
from campaigns import services
from campaigns.health import duration, system_health
from campaigns.models import Heartbeat, OutreachActivity
from tests.campaigns.real_parts import Celery, PrivateRedis, free_port, running, wait_until

pytestmark = pytest.mark.django_db


def beat_now(*names: str) -> None:
    for name in names or ("scheduler", "worker"):
        services.heartbeat_record(name=name, at=timezone.now())


def health(client: Client, query: str = "") -> tuple[int, dict[str, Any]]:
    response = client.get(f"/health/{query}")
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


def statuses(body: dict[str, Any]) -> dict[str, str]:
    return {name: part["status"] for name, part in body["parts"].items()}


ALL_OK = dict.fromkeys(["database", "broker", "scheduler", "worker", "dispatch"], "ok")


def test_health_answers_200_without_sign_in_when_every_part_is_ok(client: Client) -> None:
    beat_now()
    status, body = health(client)
    assert status == 200
    assert body["status"] == "ok"
    assert statuses(body) == ALL_OK
    assert body["parts"]["broker"]["transport"] == "redis"
    assert body["parts"]["scheduler"]["seconds_ago"] < 5


def test_health_names_no_host_user_or_password(client: Client) -> None:
    beat_now()
    broker = f"redis://candor:s3cret-pw@127.0.0.1:{free_port()}/0"
    with override_settings(CELERY_BROKER_URL=broker):
        status, body = health(client)
    text = json.dumps(body)
    assert status == 503
    for secret in ("s3cret", "candor:", "127.0.0.1", settings.SECRET_KEY):
        assert secret not in text
    assert str(settings.DATABASES["default"]["NAME"]) not in text


def test_health_answers_503_for_a_stopped_redis_and_200_when_it_is_back(client: Client) -> None:
    beat_now()
    redis = PrivateRedis()
    redis.start()
    with running(redis), override_settings(CELERY_BROKER_URL=redis.url):
        assert health(client)[0] == 200
        redis.stop()
        status, body = health(client)
        assert status == 503
        assert statuses(body) == {**ALL_OK, "broker": "down"}
        assert body["parts"]["broker"]["problem"] == (
            "The broker does not answer: no task reaches a worker."
        )
        assert body["parts"]["broker"]["ms"] < 2000  # the timeout, not a hang
        redis.start()  # same port
        assert health(client)[0] == 200


def test_health_answers_503_when_the_scheduler_has_not_ticked_and_200_after_a_tick(
    client: Client,
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        beat_now()
    with time_machine.travel(start + timedelta(minutes=3), tick=False):
        beat_now("worker")
        status, body = health(client)
        assert status == 503
        assert statuses(body) == {**ALL_OK, "scheduler": "down"}
        assert body["parts"]["scheduler"]["seconds_ago"] == 180
        assert body["parts"]["scheduler"]["problem"] == (
            "The scheduler has not ticked for 3 minutes: nothing will be dispatched."
        )
        beat_now("scheduler")
        assert health(client)[0] == 200


def test_health_says_a_part_that_never_beat_is_down(client: Client) -> None:
    status, body = health(client)
    assert status == 503
    assert body["parts"]["scheduler"]["last_tick"] is None
    assert body["parts"]["worker"]["problem"] == (
        "No worker has finished a task yet: nothing will be sent."
    )


def test_health_answers_503_when_an_approved_activity_waits_past_its_time(
    client: Client, approved: OutreachActivity
) -> None:
    late = approved.scheduled_at + timedelta(minutes=4)
    with time_machine.travel(late, tick=False):
        beat_now()
        status, body = health(client)
        assert status == 503
        assert statuses(body) == {**ALL_OK, "dispatch": "down"}
        assert body["parts"]["dispatch"]["lag_seconds"] == 240
        assert "has waited 4 minutes past its time" in body["parts"]["dispatch"]["problem"]
        # A blackout holds it back on purpose: not a fault.
        BlackoutWindow.objects.create(
            audience=approved.audience,
            starts_at=late - timedelta(hours=1),
            ends_at=late + timedelta(hours=1),
            reason="Election silence",
        )
        assert health(client)[0] == 200


def test_health_can_be_asked_for_one_part_only(client: Client) -> None:
    # No heartbeat at all: the whole answer is 503, the database alone is fine.
    status, body = health(client, "?part=database")
    assert (status, list(body["parts"])) == (200, ["database"])
    assert health(client, "?part=database,scheduler")[0] == 503
    status, body = health(client, "?part=database,disk")
    assert status == 400
    assert body["error"] == "unknown part 'disk'"


def test_a_heartbeat_never_moves_back_in_time() -> None:
    later = timezone.now()
    services.heartbeat_record(name="worker", at=later)
    services.heartbeat_record(name="worker", at=later - timedelta(minutes=5))
    assert Heartbeat.objects.get(name="worker").at == later


def test_durations_read_as_a_person_says_them() -> None:
    assert [duration(s) for s in (1, 40, 180, 5400, 7200, 200000)] == [
        "1 second",
        "40 seconds",
        "3 minutes",
        "2 hours",
        "2 hours",
        "2 days",
    ]


def test_the_dashboard_says_in_one_line_what_is_down_and_nothing_when_all_is_ok(
    client: Client, planner: Any
) -> None:
    client.force_login(planner)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        beat_now()
    with time_machine.travel(start + timedelta(minutes=3), tick=False):
        beat_now("worker")
        page = client.get("/").content.decode()
        assert 'id="health-down"' in page
        assert "The scheduler has not ticked for 3 minutes: nothing will be dispatched." in page
        beat_now("scheduler")
        assert 'id="health-down"' not in client.get("/").content.decode()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_health_follows_a_real_worker_and_scheduler_that_die_and_come_back(
    client: Client,
) -> None:
    """Beat and a worker as processes: ok; the worker killed, the worker is down (beat still
    ticks); back, ok; beat killed, the scheduler is down."""
    redis = PrivateRedis()
    redis.start()
    celery = Celery(
        broker=redis.url,
        env={"CANDOR_HEALTH_HEARTBEAT_SECONDS": "0.5"},
        worker_args=("--concurrency=1",),
    )
    fast = {
        "CELERY_BROKER_URL": redis.url,
        "CANDOR_HEALTH_SCHEDULER_SECONDS": 4.0,
        "CANDOR_HEALTH_WORKER_SECONDS": 4.0,
    }

    def parts() -> dict[str, str]:
        return statuses(system_health(now=timezone.now()).as_json())

    with running(redis, celery), override_settings(**fast):
        celery.start()
        wait_until(lambda: parts() == ALL_OK, 60, celery.log)
        assert health(client)[0] == 200

        celery.kill_worker()
        wait_until(lambda: parts() == {**ALL_OK, "worker": "down"}, 30, celery.log)
        status, body = health(client)
        assert status == 503
        assert "No worker has finished a task for" in body["parts"]["worker"]["problem"]

        celery.start_worker()
        wait_until(lambda: parts() == ALL_OK, 60, celery.log)

        celery.beat.kill()  # type: ignore[union-attr]
        wait_until(lambda: parts()["scheduler"] == "down", 30, celery.log)
        assert health(client)[0] == 503
