"""The notification outbox: written with the transition, e-mailed by the notify tick through a
real SMTP server (aiosmtpd), kept when the mail server is down."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from campaigns import services
from campaigns.models import ActivityEvent, PendingNotification
from tests.campaigns.real_parts import SmtpSink, free_port
from tests.conftest import in_days

Kind = ActivityEvent.Kind


def pending() -> list[int]:
    return sorted(PendingNotification.objects.values_list("event_id", flat=True))


def test_a_transition_queues_its_notification_in_its_own_transaction(in_review, reviewer):
    submitted = in_review.events.get(kind=Kind.SUBMITTED)
    assert pending() == [submitted.pk]

    def approve_then_fail() -> None:
        with transaction.atomic():
            services.activity_approve(activity=in_review, actor=reviewer)
            assert len(pending()) == 2
            raise RuntimeError("the caller's transaction rolls back")

    with pytest.raises(RuntimeError):
        approve_then_fail()
    assert pending() == [submitted.pk]  # nothing is told of a transition that never happened


def test_an_edit_that_keeps_the_status_tells_nobody(draft, planner) -> None:
    services.activity_update(activity=draft, actor=planner, title="A clearer title")
    assert pending() == []


def test_the_tick_sends_each_pending_notification_once_and_empties_the_outbox(
    in_review, reviewer, approver, settings
) -> None:
    step_two = services.activity_approve(activity=in_review, actor=reviewer)
    services.activity_approve(activity=step_two, actor=approver)
    assert len(pending()) == 3  # submitted → reviewers, step approved → approvers, approved → owner
    settings.CANDOR_NOTIFY_BATCH = 2  # so the tick takes two batches
    assert services.notifications_send_pending() == 3
    assert pending() == []
    subjects = [m.subject.lower() for m in mail.outbox]
    assert len(subjects) == 3
    assert "approved" in subjects[-1]
    assert mail.outbox[-1].to == [in_review.owner.email]
    assert services.notifications_send_pending() == 0  # sent once
    assert len(mail.outbox) == 3


def test_a_mail_server_that_is_down_loses_nothing(in_review, reviewer, approver, settings):
    services.activity_approve(activity=in_review, actor=reviewer)
    queued = pending()

    def smtp(port: int) -> dict[str, object]:
        backend = "django.core.mail.backends.smtp.EmailBackend"
        options = {"host": "127.0.0.1", "port": port, "timeout": 5}
        return {"default": {"BACKEND": backend, "OPTIONS": options}}

    settings.MAILERS = smtp(free_port())  # nobody listens there
    assert services.notifications_send_pending() == 0
    assert pending() == queued  # kept for the next tick

    sink = SmtpSink()
    try:
        settings.MAILERS = smtp(sink.port)
        assert services.notifications_send_pending() == 2
    finally:
        sink.stop()
    assert pending() == []
    told = sorted(int(message["X-Candor-Event"]) for _, message in sink.messages)
    assert told == queued


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_ticks_at_once_never_send_the_same_notification(in_review, reviewer, approver):
    services.activity_approve(activity=in_review, actor=reviewer)
    first, second = pending()
    held, release = threading.Event(), threading.Event()

    def other_tick_holds_the_first() -> None:
        try:
            with transaction.atomic():
                list(
                    PendingNotification.objects.select_for_update()
                    .filter(event_id=first)
                    .values_list("event_id", flat=True)
                )
                held.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_tick_holds_the_first)
    thread.start()
    try:
        assert held.wait(10)
        assert services.notifications_send_pending() == 1  # skips the row the other holds
        assert pending() == [first]
        assert [m.extra_headers["X-Candor-Event"] for m in mail.outbox] == [str(second)]
    finally:
        release.set()
        thread.join()


def test_the_tick_reads_each_teams_reviewers_once_however_many_are_told(
    world, planner, reviewer, lead
) -> None:
    """Submissions waiting for the same reviewers: one e-mail listing them, and the reviewers
    read once a batch (it was a query per notification)."""

    def submit(count: int) -> None:
        for n in range(count):
            draft = services.activity_create(
                actor=planner,
                campaign=world.campaign,
                title=f"Briefing {n}",
                audience=world.audience,
                message=world.message,
                channel=world.channel,
                scheduled_local=in_days(5),
            )
            services.activity_submit(activity=draft, actor=planner)

    def drained() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert services.notifications_send_pending() > 0
        return len(queries.captured_queries)

    submit(1)
    one = drained()
    submit(4)
    assert drained() == one
    assert pending() == []
    [listing] = [m for m in mail.outbox if m.subject.startswith("[Candor] 4 activities")]
    assert sorted(listing.to) == sorted([reviewer.email, lead.email])
    assert len(listing.extra_headers["X-Candor-Event"].split()) == 4
