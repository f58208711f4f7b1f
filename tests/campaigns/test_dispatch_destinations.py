"""At send time the outbound policy holds again, and what a planner learns of a failed send is
its class only: a destination that now points somewhere refused fails the attempt at once,
without retries, as "destination refused by policy"; socket errors, addresses and the
receiver's answer go to the server log, not onto the activity."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from audiences import services as audiences
from audiences.models import Channel
from campaigns.channels import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from campaigns.models import ActivityEvent, ActivityStatus, Dispatch, OutreachActivity
from campaigns.tasks import dispatch_batch
from tests.audiences.factories import ChannelFactory
from tests.campaigns.real_parts import HttpReceiver, free_port
from tests.campaigns.test_dispatch import approved_many, claim, due_now, rehashed
from tests.outbound_parts import Answering, Tripwire

pytestmark = pytest.mark.django_db
S = ActivityStatus
SECRET = "partner-shared-secret"
REFUSED = "destination refused by policy"


def hook(world: Any, url: str) -> Channel:
    """A webhook channel saved as it is (as if it was allowed when it was saved)."""
    return ChannelFactory(
        owner_team=world.team,
        kind=Channel.Kind.WEBHOOK,
        email_recipients=[],
        webhook_url=url,
        webhook_secret=SECRET,
    )


def send(activity: OutreachActivity) -> str:
    claim(due_now(activity))
    return dispatch_batch.apply(args=[[activity.pk]]).get()[str(activity.pk)]


def seen_by_the_planner(activity: OutreachActivity) -> list[str]:
    """Every failure text kept on the activity: its attempts and its events."""
    return [
        *activity.dispatches.values_list("error", flat=True),
        *ActivityEvent.objects.filter(activity=activity)
        .exclude(comment="")
        .values_list("comment", flat=True),
    ]


@pytest.fixture
def receiver() -> Any:
    receiving = HttpReceiver()
    yield receiving
    receiving.stop()


@pytest.fixture
def tripwire() -> Any:
    wire = Tripwire()
    yield wire
    wire.stop()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/hooks/candor",
        "http://10.0.0.1/hooks/candor",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/hooks/candor",
        "http://[::ffff:127.0.0.1]:{port}/hooks/candor",
        "http://localhost:{port}/hooks/candor",
        "http://127.0.0.2:{wire}/hooks/candor",
    ],
)
def test_a_destination_refused_at_send_fails_at_once_and_says_only_that(
    approved, world, settings, receiver, tripwire, url
) -> None:
    settings.CANDOR_OUTBOUND_ALLOWED_NETWORKS = []  # tightened since the channel was saved
    url = url.format(port=receiver.server.server_port, wire=tripwire.port)
    activity = rehashed(approved, channel=hook(world, url))
    assert send(activity) == "failed"  # not "retry in …": no retry helps
    [attempt] = activity.dispatches.all()
    assert (attempt.result, attempt.error) == (Dispatch.Result.FAILED, REFUSED)
    assert OutreachActivity.objects.get(pk=activity.pk).status == S.FAILED
    assert activity.events.get(kind=ActivityEvent.Kind.FAILED).comment == REFUSED
    assert receiver.receipts == []
    assert tripwire.connections == 0


def test_a_channel_saved_while_allowed_stops_at_the_first_send_after_the_policy_tightens(
    world, planner, reviewer, approver, lead, settings, receiver
) -> None:
    channel = audiences.channel_create(
        actor=lead,
        owner_team=world.team,
        kind=Channel.Kind.WEBHOOK,
        name="Partner on this machine",
        webhook_url=receiver.url,
        webhook_secret=SECRET,
    )
    made = approved_many(world, planner, reviewer, approver, count=2)
    first, second = (rehashed(a, channel=channel) for a in made)
    assert send(first) == "sent"
    [receipt] = receiver.receipts  # signed exactly as before the policy
    assert receipt.key == first.idempotency_key
    assert receipt.headers[SIGNATURE_HEADER] == sign(
        SECRET, receipt.headers[TIMESTAMP_HEADER], receipt.body
    )
    settings.CANDOR_OUTBOUND_ALLOWED_NETWORKS = []
    assert send(second) == "failed"
    assert second.dispatches.get().error == REFUSED
    assert len(receiver.receipts) == 1


def test_a_redirect_to_a_refused_address_fails_at_once_and_is_not_followed(
    approved, world, tripwire
) -> None:
    redirecting = Answering(status=302, headers={"Location": tripwire.url()})
    try:
        activity = rehashed(approved, channel=hook(world, redirecting.url()))
        assert send(activity) == "failed"
    finally:
        redirecting.stop()
    assert activity.dispatches.get().error == "HTTP 302 from the receiver"
    assert len(redirecting.hosts) == 1
    assert tripwire.connections == 0


def test_a_connection_failure_shows_its_class_and_logs_its_detail(
    approved, world, settings, caplog
) -> None:
    port = free_port()  # nobody listens there
    activity = rehashed(approved, channel=hook(world, f"http://127.0.0.1:{port}/hooks"))
    with caplog.at_level(logging.WARNING, logger="campaigns.channels"):
        assert send(activity).startswith("retry in")
    assert seen_by_the_planner(activity) == ["connection failed"]
    assert "ConnectionRefusedError" in caplog.text
    assert str(port) in caplog.text


def test_a_timeout_shows_only_that(approved, world, settings) -> None:
    settings.CANDOR_WEBHOOK_TIMEOUT = 0.3
    slow = HttpReceiver(delay=1.5)
    try:
        activity = rehashed(approved, channel=hook(world, slow.url))
        assert send(activity).startswith("retry in")
    finally:
        slow.stop()
    assert seen_by_the_planner(activity) == ["timeout"]


def test_a_receivers_error_page_stays_in_the_log(approved, world, caplog) -> None:
    leaky = Answering(status=503, body=b"upstream 10.1.2.3:5432 refused: password for 'candor'")
    try:
        activity = rehashed(approved, channel=hook(world, leaky.url()))
        with caplog.at_level(logging.WARNING, logger="campaigns.channels"):
            assert send(activity).startswith("retry in")
    finally:
        leaky.stop()
    assert seen_by_the_planner(activity) == ["HTTP 503 from the receiver"]
    assert "10.1.2.3:5432" in caplog.text


def test_an_smtp_failure_shows_its_class_only(approved, world, settings) -> None:
    port = free_port()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 2},
        }
    }
    activity = rehashed(approved, channel=ChannelFactory(owner_team=world.team))
    assert send(activity).startswith("retry in")
    assert seen_by_the_planner(activity) == ["connection failed"]
