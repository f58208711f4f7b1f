"""A webhook channel may only point where the outbound policy lets Candor connect: creating or
editing one that points inward is a 400 naming why, in the API and in the service."""

from __future__ import annotations

import pytest
from django.test import override_settings

from accounts.errors import InvalidInput
from audiences import services
from audiences.models import Channel
from tests.problems import problem

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def nothing_allowed(settings) -> None:
    """The test settings allow 127.0.0.1 and ::1 for the dispatch tests' receivers; not here."""
    settings.CANDOR_OUTBOUND_ALLOWED_NETWORKS = []


REFUSED = [
    ("http://127.0.0.1:8000/admin/", "The URL is a loopback address."),
    ("https://10.0.0.1/hook", "The URL is a private address."),
    ("http://169.254.169.254/latest/meta-data/", "The URL is a link-local address."),
    ("http://[::1]:6379/", "The URL is a loopback address."),
    ("http://[::ffff:127.0.0.1]/", "The URL is a loopback address."),
    ("https://localhost:5432/", "The URL resolves to a loopback address."),
]
SECRET = "s3cret-s3cret-s3cret"


def webhook_errors(response) -> list[str]:
    body = problem(response, 400)
    return [e["detail"] for e in body["errors"] if e["attr"] == "webhook_url"]


@pytest.mark.parametrize(("url", "why"), REFUSED)
def test_a_lead_cannot_add_a_webhook_that_points_inward(api, team, lead, url, why) -> None:
    response = api(lead).post(
        "/api/v1/channels/",
        {
            "owner_team": str(team.uuid),
            "kind": "webhook",
            "name": "Partner newsroom",
            "webhook_url": url,
            "webhook_secret": SECRET,
        },
    )
    assert webhook_errors(response) == [why]
    assert not Channel.objects.filter(name="Partner newsroom").exists()


@pytest.mark.parametrize(("url", "why"), REFUSED)
def test_a_lead_cannot_move_a_webhook_inward(api, team, lead, url, why) -> None:
    channel = services.channel_create(
        actor=lead,
        owner_team=team,
        kind="webhook",
        name="Partner newsroom",
        webhook_url="https://93.184.215.14/hooks/candor",
        webhook_secret=SECRET,
    )
    response = api(lead).patch(f"/api/v1/channels/{channel.uuid}/", {"webhook_url": url})
    assert webhook_errors(response) == [why]
    channel.refresh_from_db()
    assert channel.webhook_url == "https://93.184.215.14/hooks/candor"


def test_plain_http_is_refused_unless_the_deployment_allows_it(api, team, lead) -> None:
    payload = {
        "owner_team": str(team.uuid),
        "kind": "webhook",
        "name": "Partner newsroom",
        "webhook_url": "http://93.184.215.14/hooks/candor",
        "webhook_secret": SECRET,
    }
    with override_settings(CANDOR_OUTBOUND_ALLOW_HTTP=False):
        response = api(lead).post("/api/v1/channels/", payload)
    assert webhook_errors(response) == ["The URL uses http, which is not allowed (use https)."]
    with override_settings(CANDOR_OUTBOUND_ALLOW_HTTP=True):
        assert api(lead).post("/api/v1/channels/", payload).status_code == 201


def test_an_allowed_network_admits_a_partners_internal_system(team, lead) -> None:
    with override_settings(CANDOR_OUTBOUND_ALLOWED_NETWORKS=["10.20.0.0/16"]):
        channel = services.channel_create(
            actor=lead,
            owner_team=team,
            kind="webhook",
            name="Partner on our network",
            webhook_url="https://10.20.0.7/hooks",
            webhook_secret=SECRET,
        )
    assert channel.webhook_url == "https://10.20.0.7/hooks"


def test_a_channel_whose_url_is_now_refused_can_still_be_renamed_or_switched_off(
    team, lead
) -> None:
    """The URL is checked when it is given; one kept as it was is checked at every send."""
    with override_settings(CANDOR_OUTBOUND_ALLOWED_NETWORKS=["10.20.0.0/16"]):
        channel = services.channel_create(
            actor=lead,
            owner_team=team,
            kind="webhook",
            name="Partner on our network",
            webhook_url="https://10.20.0.7/hooks",
            webhook_secret=SECRET,
        )
    channel = services.channel_update(channel=channel, actor=lead, name="Old partner")
    channel = services.channel_update(channel=channel, actor=lead, is_active=False)
    assert (channel.name, channel.is_active) == ("Old partner", False)
    with pytest.raises(InvalidInput) as refused:
        services.channel_update(channel=channel, actor=lead, webhook_url="https://10.20.0.8/")
    assert refused.value.errors == {"webhook_url": ["The URL is a private address."]}
