"""Audiences (shared, read-only) and channels (a team's own) through the API."""

from __future__ import annotations

import pytest

from audiences.models import Channel
from tests.problems import field_errors, problem

pytestmark = pytest.mark.django_db


def test_every_partner_reads_the_audiences_with_their_countries_and_zones(api, outsider):
    client = api(outsider)
    response = client.get("/api/v1/audiences/", {"country": "MD"})
    [moldova] = response.json()["results"]
    assert (moldova["name"], moldova["timezone"]) == ("Moldova", "Europe/Chisinau")
    assert "ro" in moldova["languages"]
    balkans = client.get("/api/v1/audiences/", {"country": "XK"}).json()["results"][0]
    assert {c["code"] for c in balkans["countries"]} >= {"RS", "BA", "ME", "MK", "AL", "XK"}
    assert len(client.get("/api/v1/audiences/", {"language": "ru"}).json()["results"]) >= 2
    assert problem(client.post("/api/v1/audiences/", {}), 405)["code"] == "method_not_allowed"


def test_a_lead_adds_a_webhook_channel_whose_secret_is_never_shown(api, team, lead) -> None:
    response = api(lead).post(
        "/api/v1/channels/",
        {
            "owner_team": str(team.uuid),
            "kind": "webhook",
            "name": "Partner newsroom",
            "webhook_url": "https://newsroom.example.org/hooks/candor",
            "webhook_secret": "s3cret-s3cret-s3cret",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["has_webhook_secret"] is True
    assert "s3cret" not in response.content.decode()
    listed = api(lead).get("/api/v1/channels/", {"kind": "webhook"}).content.decode()
    assert "s3cret" not in listed
    assert Channel.objects.get(uuid=body["id"]).webhook_secret == "s3cret-s3cret-s3cret"


def test_planners_use_channels_but_do_not_manage_them(api, team, planner, world) -> None:
    listed = api(planner).get("/api/v1/channels/").json()["results"]
    assert [c["id"] for c in listed] == [str(world.channel.uuid)]
    refused = api(planner).patch(f"/api/v1/channels/{world.channel.uuid}/", {"name": "Mine"})
    assert problem(refused, 403)["code"] == "not_permitted"


def test_an_officer_must_be_a_colleague(api, team, lead, outsider) -> None:
    response = api(lead).post(
        "/api/v1/channels/",
        {
            "owner_team": str(team.uuid),
            "kind": "manual",
            "name": "Briefings",
            "officer": str(outsider.uuid),
        },
    )
    assert field_errors(response) == {"officer": ["does_not_exist"]}
    assert response.json()["errors"][0]["detail"] == "No such colleague."
    created = api(lead).post(
        "/api/v1/channels/",
        {
            "owner_team": str(team.uuid),
            "kind": "manual",
            "name": "Briefings",
            "officer": str(lead.uuid),
        },
    )
    assert created.json()["officer"]["username"] == "lead"
    bad_filter = api(lead).get("/api/v1/channels/", {"is_active": "maybe"})
    assert field_errors(bad_filter) == {"is_active": ["invalid"]}
