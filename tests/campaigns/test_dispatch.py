"""The dispatch rules, in-process against PostgreSQL: what the tick claims, what an attempt
re-checks before sending, and what people may do meanwhile. (The real worker, broker, SMTP
and HTTP parts are exercised in test_dispatch_worker.py.)"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
from typing import Any

import pytest
import redis
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.errors import Conflict, InvalidTransition, RuleViolation
from audiences.models import Audience, BlackoutWindow, Channel
from campaigns import channels, services
from campaigns.models import (
    ActivityEvent,
    ActivityStatus,
    Dispatch,
    OutreachActivity,
    PendingNotification,
)
from campaigns.services.dispatch import _send_at
from campaigns.services.dispatch_send import Outcome, enqueue_batches
from campaigns.tasks import dispatch_activity, dispatch_batch
from messaging import services as messaging
from tests.audiences.factories import ChannelFactory
from tests.campaigns.real_parts import HttpReceiver
from tests.conftest import SENT_BACK_STATE, email_of, in_days, sent_back

S = ActivityStatus
Kind = ActivityEvent.Kind
UTC = dt.UTC


def due_now(activity: OutreachActivity) -> dt.datetime:
    return activity.scheduled_at + dt.timedelta(seconds=1)


def queued_activity_ids(broker: redis.Redis) -> list[int]:
    """The activities the send tasks waiting in the broker's default queue carry."""
    ids = []
    for raw in broker.lrange("celery", 0, -1):
        message = json.loads(raw)
        assert message["headers"]["task"] == "campaigns.tasks.dispatch_batch"
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        ids += args[0]
    return ids


def statuses(activities: list[OutreachActivity]) -> set[str]:
    return set(
        OutreachActivity.objects.filter(pk__in=[a.pk for a in activities]).values_list(
            "status", flat=True
        )
    )


def claim(at: dt.datetime) -> Any:
    with time_machine.travel(at, tick=False):
        return services.dispatch_claim_due(now=at)


@pytest.mark.django_db
def test_the_tick_claims_only_what_is_approved_and_due(approved, draft, world, planner) -> None:
    later = services.activity_create(
        actor=planner,
        campaign=world.campaign,
        title="Next week",
        audience=world.audience,
        message=world.message,
        channel=world.channel,
        scheduled_local=in_days(12),
    )
    assert claim(approved.scheduled_at - dt.timedelta(seconds=1)).due == []
    claimed = claim(due_now(approved))
    assert claimed.due == [approved.pk]
    approved.refresh_from_db()
    later.refresh_from_db()
    assert approved.status == S.DISPATCHING
    assert approved.events.last().kind == Kind.DISPATCH_STARTED
    assert later.status == S.DRAFT
    assert claim(due_now(approved)).due == []  # claimed once


@pytest.mark.django_db
def test_nine_in_chisinau_on_the_day_clocks_change_goes_out_at_nine_local(
    world, planner, reviewer, approver
) -> None:
    world.campaign.ends_on = dt.date(2027, 12, 31)
    world.campaign.save()
    with time_machine.travel(dt.datetime(2027, 3, 20, tzinfo=UTC), tick=False):
        activity = services.activity_create(
            actor=planner,
            campaign=world.campaign,
            title="Spring-forward briefing",
            audience=world.audience,
            message=world.message,
            channel=world.channel,
            scheduled_local=dt.datetime(2027, 3, 28, 9, 0),
        )
        activity = services.activity_submit(activity=activity, actor=planner)
        activity = services.activity_approve(activity=activity, actor=reviewer)
        activity = services.activity_approve(activity=activity, actor=approver)
    nine_local = dt.datetime(2027, 3, 28, 6, 0, tzinfo=UTC)  # UTC+3 since 03:00 that morning
    assert claim(nine_local - dt.timedelta(seconds=1)).due == []
    assert claim(nine_local).due == [activity.pk]


@pytest.mark.django_db
def test_a_blackout_defers_until_the_window_ends_and_never_drops(approved, world) -> None:
    start = approved.scheduled_at - dt.timedelta(hours=1)
    window = BlackoutWindow.objects.create(
        audience=world.audience,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=6),
        reason="Election silence",
    )
    during = claim(due_now(approved))
    assert during.due == []
    assert during.deferred == [approved.pk]
    assert claim(due_now(approved) + dt.timedelta(minutes=5)).deferred == []  # noted once
    deferred = approved.events.get(kind=Kind.DEFERRED)
    assert "Election silence" in deferred.comment
    assert claim(window.ends_at).due == [approved.pk]


@pytest.mark.django_db
def test_an_attempt_refuses_evidence_withdrawn_after_the_claim(approved, reviewer, world) -> None:
    at = due_now(approved)
    claim(at)
    with time_machine.travel(at + dt.timedelta(seconds=1), tick=False):
        messaging.evidence_dispute(evidence=world.evidence, actor=reviewer, reason="Contested")
        attempt = services.dispatch_prepare(activity_id=approved.pk)
    assert attempt.dispatch is None
    assert attempt.reason == "evidence no longer verified"
    approved.refresh_from_db()
    assert approved.status == S.CHANGES_REQUESTED
    assert approved.events.last().kind == Kind.RECALLED
    assert "no longer verified" in approved.events.last().comment
    assert not Dispatch.objects.exists()


@pytest.mark.django_db
def test_an_attempt_refuses_content_changed_outside_the_workflow(approved) -> None:
    claim(due_now(approved))
    Channel.objects.filter(pk=approved.channel_id).update(email_recipients=["leak@evil.example"])
    attempt = services.dispatch_prepare(activity_id=approved.pk, now=due_now(approved))
    assert attempt.reason == "content differs from the approved content"
    assert sent_back(approved) == SENT_BACK_STATE


@pytest.mark.django_db
def test_an_attempt_inside_a_blackout_puts_it_back_to_wait(approved, world) -> None:
    claim(due_now(approved))
    BlackoutWindow.objects.create(
        audience=world.audience,
        starts_at=approved.scheduled_at,
        ends_at=approved.scheduled_at + dt.timedelta(hours=2),
        reason="National mourning",
    )
    attempt = services.dispatch_prepare(activity_id=approved.pk, now=due_now(approved))
    assert attempt.reason == "deferred by a blackout window"
    approved.refresh_from_db()
    assert approved.status == S.APPROVED


@pytest.mark.django_db
def test_cancelled_while_queued_never_goes_out(approved, planner) -> None:
    receiver = HttpReceiver()
    try:
        Channel.objects.filter(pk=approved.channel_id).update(
            kind="webhook", email_recipients=[], webhook_url=receiver.url, webhook_secret="s"
        )
        OutreachActivity.objects.filter(pk=approved.pk).update(
            approved_content_hash=OutreachActivity.objects.get(pk=approved.pk).content_hash()
        )
        claim(due_now(approved))
        queued = OutreachActivity.objects.get(pk=approved.pk)
        services.activity_cancel(activity=queued, actor=planner, reason="Pulled")
        assert dispatch_activity.apply(args=[approved.pk]).get() == "not dispatching (cancelled)"
    finally:
        receiver.stop()
    assert receiver.receipts == []


@pytest.mark.django_db
def test_an_activity_being_sent_cannot_be_cancelled(approved, planner) -> None:
    claim(due_now(approved))
    services.dispatch_prepare(activity_id=approved.pk)  # a worker holds the lease now
    sending = OutreachActivity.objects.get(pk=approved.pk)
    with pytest.raises(Conflict, match="being sent right now"):
        services.activity_cancel(activity=sending, actor=planner)


@pytest.mark.django_db
def test_a_lost_send_is_reclaimed_after_its_lease_and_keeps_its_key(approved) -> None:
    claim(due_now(approved))
    first = services.dispatch_prepare(activity_id=approved.pk, now=due_now(approved))
    assert first.dispatch is not None
    # The worker died: nothing is recorded. Within the lease nobody touches it.
    lease = dt.timedelta(seconds=settings.CANDOR_DISPATCH_LEASE_SECONDS)
    assert claim(due_now(approved) + lease / 2).stuck == []
    duplicate = services.dispatch_prepare(activity_id=approved.pk, now=due_now(approved))
    assert duplicate.reason == "another worker is sending it"
    later = due_now(approved) + lease + dt.timedelta(seconds=1)
    assert claim(later).stuck == [approved.pk]
    second = services.dispatch_prepare(activity_id=approved.pk, now=later)
    assert (second.dispatch.attempt, second.number) == (2, 2)
    assert second.dispatch.idempotency_key == first.dispatch.idempotency_key
    first.dispatch.refresh_from_db()
    assert first.dispatch.result == Dispatch.Result.FAILED
    assert "worker sending it was lost" in first.dispatch.error


@pytest.mark.django_db
def test_an_attempt_costs_a_fixed_handful_of_queries(
    approved, planner, django_assert_max_num_queries
) -> None:
    """The row lock reads what the checks and the send need and the earlier attempts are read
    once: a query per rule and per related row made each send cost 23 statements (P4b), now 12."""
    claim(due_now(approved))
    with django_assert_max_num_queries(7):  # 6, and the citations the approved hash covers
        attempt = services.dispatch_prepare(activity_id=approved.pk)
    with django_assert_max_num_queries(0):  # everything that goes out was read under the lock
        channels.webhook_payload(attempt.activity, attempt.dispatch.idempotency_key)
    # 6, the owner's notice in the outbox, and the head of the activity's hash-chained history
    with django_assert_max_num_queries(8):
        services.dispatch_record_failure(dispatch=attempt.dispatch, error="HTTP 503", final=True)
    # A retry by hand restarts the count of attempts, not their numbering.
    services.activity_retry(activity=OutreachActivity.objects.get(pk=approved.pk), actor=planner)
    later = due_now(approved) + dt.timedelta(minutes=1)
    claim(later)
    with django_assert_max_num_queries(7):
        again = services.dispatch_prepare(activity_id=approved.pk, now=later)
    assert (again.dispatch.attempt, again.number) == (2, 1)
    # 6, the owner's notice in the outbox, and the head of the activity's hash-chained history
    with django_assert_max_num_queries(8):
        services.dispatch_record_success(dispatch=again.dispatch, response="HTTP 200")
    assert OutreachActivity.objects.get(pk=approved.pk).status == S.DISPATCHED


@pytest.mark.django_db
def test_a_failed_activity_is_retried_only_with_its_approved_content(approved, planner) -> None:
    claim(due_now(approved))
    attempt = services.dispatch_prepare(activity_id=approved.pk)
    services.dispatch_record_failure(dispatch=attempt.dispatch, error="HTTP 503", final=True)
    failed = OutreachActivity.objects.get(pk=approved.pk)
    assert failed.status == S.FAILED
    Channel.objects.filter(pk=failed.channel_id).update(email_recipients=["other@x.example"])
    with pytest.raises(RuleViolation, match="differs from what was approved"):
        services.activity_retry(activity=failed, actor=planner)
    Channel.objects.filter(pk=failed.channel_id).update(
        email_recipients=approved.channel.email_recipients
    )
    retried = services.activity_retry(activity=failed, actor=planner)
    assert retried.status == S.APPROVED
    assert claim(due_now(approved)).due == [approved.pk]


@pytest.mark.django_db
def test_a_manual_activity_waits_for_its_officer(approved, lead, viewer, world) -> None:
    manual = ChannelFactory(
        owner_team=world.team, kind=Channel.Kind.MANUAL, email_recipients=[], officer=lead
    )
    OutreachActivity.objects.filter(pk=approved.pk).update(channel=manual)
    fresh = OutreachActivity.objects.get(pk=approved.pk)
    OutreachActivity.objects.filter(pk=approved.pk).update(
        approved_content_hash=fresh.content_hash()
    )
    claim(due_now(approved))
    assert dispatch_activity.apply(args=[approved.pk]).get() == "sent"
    [notice] = [m for m in mail.outbox if m.to == [lead.email]]
    assert notice.subject == f"[Candor] Please carry out: {approved.title}"
    assert world.message.body in notice.body
    waiting = OutreachActivity.objects.get(pk=approved.pk)
    assert waiting.status == S.DISPATCHING
    assert claim(due_now(approved) + dt.timedelta(hours=1)).stuck == []  # not stuck: waiting
    with pytest.raises(Exception, match="may not"):
        services.activity_mark_done(activity=waiting, actor=viewer)
    done = services.activity_mark_done(activity=waiting, actor=lead, note="Briefing held")
    assert done.status == S.DISPATCHED
    assert done.dispatches.get().result == Dispatch.Result.SENT
    with pytest.raises(InvalidTransition):
        services.activity_mark_done(activity=done, actor=lead)


@pytest.mark.django_db
def test_reviewers_are_reminded_of_a_long_wait_once(in_review, reviewer, lead) -> None:
    submitted_at = in_review.events.get(kind=Kind.SUBMITTED).at

    def remind(after_hours: float) -> list[int]:
        at = submitted_at + dt.timedelta(hours=after_hours)
        with time_machine.travel(at, tick=False):
            return services.approval_remind_overdue(now=at)

    assert remind(23) == []
    assert remind(25) == [in_review.pk]
    assert remind(26) == []  # the reminder restarted the clock
    assert remind(50) == [in_review.pk]
    first = in_review.events.filter(kind=Kind.REMINDED).first()
    assert "Waiting at Evidence review for 25 hours" in first.comment
    services.notifications_send_pending()  # the notify tick's work
    assert sorted(email_of(first).to) == sorted([reviewer.email, lead.email])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_rolled_back_claim_enqueues_nothing(approved) -> None:
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("celery")

    class Abort(Exception):
        pass

    def claim_then_roll_back() -> None:
        with transaction.atomic():
            assert claim(due_now(approved)).due == [approved.pk]
            raise Abort

    with pytest.raises(Abort):
        claim_then_roll_back()
    assert broker.llen("celery") == 0
    assert OutreachActivity.objects.get(pk=approved.pk).status == S.APPROVED
    claim(due_now(approved))
    assert queued_activity_ids(broker) == [approved.pk]  # committed: one signal for the worker
    broker.delete("celery")


def approved_many(world: Any, *people: Any, count: int) -> list[OutreachActivity]:
    """``count`` activities through the workflow, all due at the same time in five days."""
    planner, reviewer, approver = people
    activities = []
    for n in range(count):
        a = services.activity_create(
            actor=planner,
            campaign=world.campaign,
            title=f"Tick {n}",
            audience=world.audience,
            message=world.message,
            channel=world.channel,
            scheduled_local=in_days(5),
        )
        a = services.activity_submit(activity=a, actor=planner)
        a = services.activity_approve(activity=a, actor=reviewer)
        activities.append(services.activity_approve(activity=a, actor=approver))
    return activities


@pytest.mark.django_db
def test_the_tick_claims_batch_after_batch_while_the_queue_has_room(
    world, planner, reviewer, approver, settings
) -> None:
    settings.CANDOR_DISPATCH_BATCH = 2
    settings.CANDOR_DISPATCH_MAX_QUEUED = 5
    activities = approved_many(world, planner, reviewer, approver, count=7)
    at = due_now(activities[0])

    def tick(now: dt.datetime) -> Any:
        with time_machine.travel(now, tick=False):
            return services.dispatch_claim_all_due(now=now)

    with CaptureQueriesContext(connection) as queries:
        first = tick(at).due
    assert first == [a.pk for a in activities[:5]]  # batches of 2, 2 and 1: the queue is full
    # Stuck and blackout-deferred activities are looked for once a tick, not once a batch.
    sql = [q["sql"] for q in queries.captured_queries]
    assert sum("'deferred'" in q for q in sql) == 1
    assert sum("dispatching" in q and "SKIP LOCKED" in q for q in sql) == 1
    assert services.dispatch_queued() == 5
    assert tick(at).due == []  # nothing more until a worker starts on one
    for pk in first[:2]:
        services.dispatch_prepare(activity_id=pk, now=at)
    assert services.dispatch_queued() == 3
    assert tick(at).due == [a.pk for a in activities[5:]]
    # Tasks lost with a full queue are still re-claimed (a batch a tick) after their lease.
    later = at + dt.timedelta(seconds=settings.CANDOR_DISPATCH_LEASE_SECONDS + 1)
    stuck = [pk for _ in range(4) for pk in tick(later).stuck]
    assert sorted(stuck) == [a.pk for a in activities]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_ticks_claim_each_activity_exactly_once(world, planner, reviewer, approver):
    activities = approved_many(world, planner, reviewer, approver, count=30)
    at = due_now(activities[0])
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("celery")  # the workflow's notifications, committed above
    barrier = threading.Barrier(4)
    claimed: list[list[int]] = []

    def tick() -> None:
        try:
            barrier.wait(timeout=10)
            claimed.append(services.dispatch_claim_due(now=at, batch=10).due)
        finally:
            connection.close()

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [pk for batch in claimed for pk in batch]
    assert sorted(every) == sorted(a.pk for a in activities)  # 30 claimed, none twice
    assert len(set(every)) == 30
    assert sorted(queued_activity_ids(broker)) == sorted(every)  # one signal for each
    broker.delete("celery")


# --- Batches: one send task for many activities, every rule still per activity ----------------


def rehashed(activity: OutreachActivity, **fields: Any) -> OutreachActivity:
    """Change dispatchable fields as an approval would have left them (the hash follows)."""
    OutreachActivity.objects.filter(pk=activity.pk).update(**fields)
    fresh = OutreachActivity.objects.get(pk=activity.pk)
    OutreachActivity.objects.filter(pk=activity.pk).update(
        approved_content_hash=fresh.content_hash()
    )
    return OutreachActivity.objects.get(pk=activity.pk)


def hook(world: Any, receiver: HttpReceiver, path: str = "") -> Channel:
    return ChannelFactory(
        owner_team=world.team,
        kind=Channel.Kind.WEBHOOK,
        email_recipients=[],
        webhook_url=receiver.url + path,
        webhook_secret="s",
    )


@pytest.mark.django_db
def test_a_batch_holds_every_rule_per_activity_and_sends_the_rest_once(
    world, planner, reviewer, approver, django_capture_on_commit_callbacks
) -> None:
    ok, gone, busy = HttpReceiver(), HttpReceiver(statuses=[410]), HttpReceiver(statuses=[503, 200])
    try:
        made = approved_many(world, planner, reviewer, approver, count=9)
        cancelled, changed, blacked, permanent, transient, *rest = (
            rehashed(a, channel=hook(world, ok)) for a in made
        )
        permanent = rehashed(permanent, channel=hook(world, gone))
        transient = rehashed(transient, channel=hook(world, busy))
        elsewhere = Audience.objects.exclude(pk=world.audience.pk).first()
        blacked = rehashed(blacked, audience=elsewhere)
        batch = [cancelled, changed, blacked, permanent, transient, *rest]
        assert sorted(claim(due_now(made[0])).due) == sorted(a.pk for a in batch)
        # Between the claim and the batch's turn on a worker:
        queued = OutreachActivity.objects.get(pk=cancelled.pk)
        services.activity_cancel(activity=queued, actor=planner, reason="Pulled")
        Channel.objects.filter(pk=changed.channel_id).update(webhook_url=ok.url + "?leak")
        now = timezone.now()
        BlackoutWindow.objects.create(
            audience=elsewhere,
            starts_at=now - dt.timedelta(hours=1),
            ends_at=due_now(made[0]) + dt.timedelta(hours=1),
            reason="Election silence",
        )
        with django_capture_on_commit_callbacks() as callbacks:
            done = dispatch_batch.apply(args=[[a.pk for a in batch]]).get()
        assert done == {
            str(cancelled.pk): "not dispatching (cancelled)",
            str(changed.pk): "content differs from the approved content",
            str(blacked.pk): "deferred by a blackout window",
            str(permanent.pk): "failed",
            str(transient.pk): f"retry in {settings.CANDOR_DISPATCH_RETRY_BACKOFF:g} s",
            **{str(a.pk): "sent" for a in rest},
        }
        # The owner hears of what happened in the outbox, written with the batch.
        told = ActivityEvent.objects.filter(
            pk__in=PendingNotification.objects.values("event_id"),
            activity__in=batch,
            kind__in=[Kind.CHANGES_REQUESTED, Kind.FAILED, Kind.DISPATCHED],
        )
        assert sorted(told.values_list("activity_id", "kind")) == sorted(
            [(changed.pk, Kind.CHANGES_REQUESTED), (permanent.pk, Kind.FAILED)]
            + [(a.pk, Kind.DISPATCHED) for a in rest]
        )
        [retry] = [c for c in callbacks if getattr(c, "func", None) == enqueue_batches]
        assert retry.args == ([transient.pk],)
        assert retry.keywords == {"countdown": settings.CANDOR_DISPATCH_RETRY_BACKOFF}
        assert dispatch_batch.apply(args=[[transient.pk]]).get() == {str(transient.pk): "sent"}
    finally:
        for receiver in (ok, gone, busy):
            receiver.stop()
    # Every activity that might go out went out once; nothing else reached a receiver.
    assert sorted(r.key for r in ok.receipts) == sorted(a.idempotency_key for a in rest)
    assert [r.key for r in gone.receipts] == [permanent.idempotency_key]
    assert [r.key for r in busy.receipts] == [transient.idempotency_key] * 2
    status = dict(OutreachActivity.objects.values_list("pk", "status"))
    assert {pk: status[pk] for pk in (cancelled.pk, changed.pk, blacked.pk, permanent.pk)} == {
        cancelled.pk: S.CANCELLED,
        changed.pk: S.CHANGES_REQUESTED,
        blacked.pk: S.APPROVED,
        permanent.pk: S.FAILED,
    }
    assert {status[a.pk] for a in [transient, *rest]} == {S.DISPATCHED}
    assert list(transient.dispatches.values_list("attempt", "result")) == [
        (1, "failed"),
        (2, "sent"),
    ]
    assert not Dispatch.objects.filter(activity__in=[cancelled, changed, blacked]).exists()
    assert "Election silence" in blacked.events.get(kind=Kind.DEFERRED).comment


@pytest.mark.django_db
def test_a_batch_costs_the_same_statements_whatever_its_size(
    world, planner, reviewer, approver, django_assert_max_num_queries
) -> None:
    """Prepared with one lock query, one read of earlier attempts, one of the citations the
    approved hash covers, one INSERT and one UPDATE; recorded with one UPDATE per kind of row
    and one INSERT each of events and of their notifications: 7 + 8 statements for a batch of
    1 or of 11 (it was 13 for every activity)."""
    activities = approved_many(world, planner, reviewer, approver, count=12)
    claim(due_now(activities[0]))
    for batch in (activities[:1], activities[1:]):
        with django_assert_max_num_queries(7):
            attempts = services.dispatch_prepare_batch(activity_ids=[a.pk for a in batch])
        assert [a.reason for a in attempts] == ["send"] * len(batch)
        with django_assert_max_num_queries(0):  # everything that goes out was read under lock
            for attempt in attempts:
                channels.webhook_payload(attempt.activity, attempt.dispatch.idempotency_key)
        *sent, last = attempts
        outcomes = [Outcome(a.dispatch, response="HTTP 200") for a in sent]
        with django_assert_max_num_queries(9):  # one of them: the histories' chain heads
            services.dispatch_record_batch(
                outcomes=[*outcomes, Outcome(last.dispatch, error="HTTP 410", final=True)]
            )
    status = dict(OutreachActivity.objects.values_list("pk", "status"))
    assert [status[a.pk] for a in activities] == [S.FAILED] + [S.DISPATCHED] * 10 + [S.FAILED]
    assert set(Dispatch.objects.values_list("result", flat=True)) == {"sent", "failed"}


@pytest.mark.django_db
def test_a_batch_tells_each_owner_once_listing_what_happened(
    world, planner, reviewer, approver
) -> None:
    activities = approved_many(world, planner, reviewer, approver, count=3)
    services.notifications_send_pending()  # what the workflow had to tell
    claim(due_now(activities[0]))
    first, second, third = services.dispatch_prepare_batch(activity_ids=[a.pk for a in activities])
    services.dispatch_record_batch(
        outcomes=[
            Outcome(first.dispatch, response="HTTP 200"),
            Outcome(second.dispatch, response="HTTP 200"),
            Outcome(third.dispatch, error="HTTP 410 from the partner", final=True),
        ]
    )
    mail.outbox = []
    assert services.notifications_send_pending() == 3
    sent, failed = mail.outbox  # one e-mail per kind of news
    assert sent.to == failed.to == [planner.email]
    assert sent.subject == "[Candor] 2 activities: 2 dispatched"
    for activity in activities[:2]:
        assert activity.title in sent.body
    assert failed.subject == f"[Candor] {activities[2].title}: failed"
    assert "HTTP 410 from the partner" in failed.body


# --- The lookahead: sends enqueued for their due time, nothing claimed early -----------------


def tick_at(now: dt.datetime) -> Any:
    with time_machine.travel(now, tick=False):
        return services.dispatch_claim_all_due(now=now)


@pytest.mark.django_db
def test_the_lookahead_sends_at_the_due_time_and_a_cancel_before_it_wins(
    world, planner, reviewer, approver, django_capture_on_commit_callbacks
) -> None:
    receiver = HttpReceiver()
    try:
        made = approved_many(world, planner, reviewer, approver, count=3)
        channel = hook(world, receiver)
        kept, cancelled, later = (rehashed(a, channel=channel) for a in made)
        due = kept.scheduled_at
        later = rehashed(later, scheduled_at=due + dt.timedelta(minutes=5))
        with django_capture_on_commit_callbacks() as callbacks:
            claimed = tick_at(due - dt.timedelta(seconds=2))
        assert (claimed.due, sorted(claimed.ahead)) == ([], sorted([kept.pk, cancelled.pk]))
        [send] = [c for c in callbacks if getattr(c, "func", None) == _send_at]
        ids, eta = send.args
        assert sorted(ids) == sorted([kept.pk, cancelled.pk])
        assert due <= eta < due + dt.timedelta(seconds=1)
        # Nothing changed in the database: a person may still cancel or edit.
        assert statuses(made) == {S.APPROVED}
        assert not ActivityEvent.objects.filter(kind=Kind.DISPATCH_STARTED).exists()
        services.activity_cancel(
            activity=OutreachActivity.objects.get(pk=cancelled.pk), actor=planner
        )
        # A worker whose clock runs early claims nothing that is not due yet.
        with time_machine.travel(due - dt.timedelta(seconds=1), tick=False):
            early = dispatch_batch.apply(args=[ids], kwargs={"claim": True}).get()
        assert set(early.values()) == {"not claimed by this task"}
        with time_machine.travel(eta, tick=False):
            done = dispatch_batch.apply(args=[ids], kwargs={"claim": True}).get()
            again = dispatch_batch.apply(args=[ids], kwargs={"claim": True}).get()  # duplicate
    finally:
        receiver.stop()
    assert done == {str(kept.pk): "sent", str(cancelled.pk): "not claimed by this task"}
    assert again[str(kept.pk)] == "not claimed by this task"
    assert [r.key for r in receiver.receipts] == [kept.idempotency_key]
    assert statuses([kept, cancelled, later]) == {S.DISPATCHED, S.CANCELLED, S.APPROVED}
    kinds = list(kept.events.values_list("kind", flat=True))
    assert kinds[-2:] == [Kind.DISPATCH_STARTED, Kind.DISPATCHED]


@pytest.mark.django_db
def test_an_activity_whose_lookahead_message_was_lost_is_claimed_when_due(
    world, planner, reviewer, approver, django_capture_on_commit_callbacks
) -> None:
    [activity] = approved_many(world, planner, reviewer, approver, count=1)
    due = activity.scheduled_at
    with django_capture_on_commit_callbacks():  # the ETA message is never sent: lost
        assert tick_at(due - dt.timedelta(seconds=3)).ahead == [activity.pk]
    assert tick_at(due - dt.timedelta(seconds=1)).due == []  # not due yet: not claimed early
    assert tick_at(due + dt.timedelta(seconds=2)).due == [activity.pk]
    assert dispatch_activity.apply(args=[activity.pk]).get() == "sent"
    assert statuses([activity]) == {S.DISPATCHED}


@pytest.mark.django_db
def test_the_lookahead_groups_close_due_times_and_respects_the_queue_cap(
    world, planner, reviewer, approver, settings, django_capture_on_commit_callbacks
) -> None:
    settings.CANDOR_DISPATCH_LOOKAHEAD_SLOT_MS = 200
    made = approved_many(world, planner, reviewer, approver, count=5)
    due = made[0].scheduled_at
    offsets = [0, 100, 150, 400, 450]  # ms: two slots
    for activity, ms in zip(made, offsets, strict=True):
        rehashed(activity, scheduled_at=due + dt.timedelta(milliseconds=ms))
    with django_capture_on_commit_callbacks() as callbacks:
        tick_at(due - dt.timedelta(seconds=1))
    sends = [c.args for c in callbacks if getattr(c, "func", None) == _send_at]
    assert [ids for ids, _ in sends] == [[a.pk for a in made[:3]], [a.pk for a in made[3:]]]
    # Each at its last due time (and 20 ms, lest a timer fire just before it).
    assert [eta for _, eta in sends] == [due + dt.timedelta(milliseconds=ms) for ms in (170, 470)]
    settings.CANDOR_DISPATCH_SEND_BATCH = 2  # a slot holds no more than a send batch
    with django_capture_on_commit_callbacks() as callbacks:
        tick_at(due - dt.timedelta(seconds=1))
    sends = [c.args[0] for c in callbacks if getattr(c, "func", None) == _send_at]
    pks = [a.pk for a in made]
    assert sends == [pks[:2], pks[2:3], pks[3:]]
    settings.CANDOR_DISPATCH_MAX_QUEUED = 2
    assert len(tick_at(due - dt.timedelta(seconds=1)).ahead) == 2
    settings.CANDOR_DISPATCH_LOOKAHEAD_SECONDS = 0
    assert tick_at(due - dt.timedelta(seconds=1)).ahead == []


@pytest.mark.django_db
def test_what_a_batch_had_no_time_to_start_is_put_back_not_failed(
    world, planner, reviewer, approver, settings, django_capture_on_commit_callbacks
) -> None:
    """A batch starts sends for half the lease only (its last pending attempts must not look
    lost while it still works): the rest are withdrawn, unsent, and enqueued again."""
    activities = approved_many(world, planner, reviewer, approver, count=2)
    claim(due_now(activities[0]))
    settings.CANDOR_DISPATCH_LEASE_SECONDS = 0  # no time at all to start a send
    ids = [a.pk for a in activities]
    with django_capture_on_commit_callbacks() as callbacks:
        done = dispatch_batch.apply(args=[ids]).get()
    assert set(done.values()) == {"put back: the batch ran out of time"}
    assert not Dispatch.objects.exists()  # no attempt was made, none is counted
    assert statuses(activities) == {S.DISPATCHING}
    [again] = [c for c in callbacks if getattr(c, "func", None) == enqueue_batches]
    assert again.args == (ids,)
    settings.CANDOR_DISPATCH_LEASE_SECONDS = 120
    assert set(dispatch_batch.apply(args=[ids]).get().values()) == {"sent"}
    assert list(Dispatch.objects.values_list("attempt", flat=True)) == [1, 1]


@pytest.mark.django_db
def test_a_late_lookahead_message_never_sends_what_another_task_claimed(
    world, planner, reviewer, approver
) -> None:
    """The tick claimed it and its first send got a 503: it waits for its retry. A lookahead
    message arriving late (or twice) must not send it before then, nor spend an attempt."""
    receiver = HttpReceiver(statuses=[503, 200])
    try:
        [activity] = approved_many(world, planner, reviewer, approver, count=1)
        activity = rehashed(activity, channel=hook(world, receiver))
        claim(due_now(activity))
        first = dispatch_batch.apply(args=[[activity.pk]]).get()
        assert first == {str(activity.pk): f"retry in {settings.CANDOR_DISPATCH_RETRY_BACKOFF:g} s"}
        late = dispatch_batch.apply(args=[[activity.pk]], kwargs={"claim": True}).get()
        assert late == {str(activity.pk): "not claimed by this task"}
        assert len(receiver.receipts) == 1
        assert activity.dispatches.count() == 1
        # The retry itself (no claim: the activity is its own) goes out, once.
        assert dispatch_batch.apply(args=[[activity.pk, activity.pk]]).get() == {
            str(activity.pk): "sent"
        }
    finally:
        receiver.stop()
    assert [r.key for r in receiver.receipts] == [activity.idempotency_key] * 2
    assert list(activity.dispatches.values_list("attempt", "result")) == [
        (1, "failed"),
        (2, "sent"),
    ]


@pytest.mark.django_db
def test_a_webhook_that_redirects_fails_at_once(approved, world) -> None:
    """A 3xx is not followed (a POST re-sent elsewhere, or turned into a GET, is not what the
    partner agreed to receive): the activity fails on its first attempt, with the answer."""
    receiver = HttpReceiver(statuses=[302])
    try:
        activity = rehashed(approved, channel=hook(world, receiver))
        claim(due_now(activity))
        assert dispatch_batch.apply(args=[[activity.pk]]).get() == {str(activity.pk): "failed"}
    finally:
        receiver.stop()
    assert len(receiver.receipts) == 1
    [attempt] = activity.dispatches.all()
    assert attempt.result == Dispatch.Result.FAILED
    assert "302" in attempt.error
    assert OutreachActivity.objects.get(pk=activity.pk).status == S.FAILED
