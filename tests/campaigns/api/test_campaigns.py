"""Campaigns and report subscriptions through the API."""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.models import ApprovalStep, Campaign
from tests.audiences.factories import seeded
from tests.messaging.factories import ThemeFactory
from tests.problems import field_errors, problem

pytestmark = pytest.mark.django_db

URL = "/api/v1/campaigns/"


def new_campaign(team, **overrides):
    today = dt.date.today()
    return {
        "owner_team": str(team.uuid),
        "name": "Reliable allies",
        "objective": "Show what kept promises look like.",
        "starts_on": str(today),
        "ends_on": str(today + dt.timedelta(days=60)),
        "attributed_to": "Ministry of Foreign Affairs, spokesperson",
        "audiences": [str(seeded("moldova").uuid), str(seeded("balkans").uuid)],
    } | overrides


def test_a_campaign_starts_with_the_default_approval_policy(api, team, planner) -> None:
    response = api(planner).post(URL, new_campaign(team))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "planning"
    assert {a["id"] for a in body["audiences"]} == {
        str(seeded("moldova").uuid),
        str(seeded("balkans").uuid),
    }
    campaign = Campaign.objects.get(uuid=body["id"])
    assert list(
        ApprovalStep.objects.filter(policy__campaign=campaign).values_list("kind", flat=True)
    ) == ["evidence_review", "sign_off"]


def test_a_campaign_always_names_its_speaker(api, team, planner) -> None:
    response = api(planner).post(URL, new_campaign(team, attributed_to="   "))
    assert set(field_errors(response)) == {"attributed_to"}
    missing = new_campaign(team)
    del missing["attributed_to"]
    assert field_errors(api(planner).post(URL, missing)) == {"attributed_to": ["required"]}


def test_related_ids_are_scoped_to_the_callers_teams(api, team, other_team, planner) -> None:
    hidden = ThemeFactory(owner_team=other_team)
    response = api(planner).post(
        URL,
        new_campaign(
            team,
            themes=[str(hidden.uuid)],
            collaborating_teams=[str(other_team.uuid)],
            audiences=[],
        ),
    )
    assert field_errors(response) == {
        "themes.0": ["does_not_exist"],
        "collaborating_teams.0": ["does_not_exist"],
        "audiences": ["empty"],
    }


def test_status_moves_forward_by_a_lead_only(api, world, planner, lead) -> None:
    url = f"{URL}{world.campaign.uuid}/status/"
    assert problem(api(planner).post(url, {"status": "active"}), 403)
    assert api(lead).post(url, {"status": "active"}).json()["status"] == "active"
    assert api(lead).post(url, {"status": "closed"}).json()["status"] == "closed"
    refused = api(lead).post(url, {"status": "active"})
    assert problem(refused, 409)["detail"] == "A closed campaign cannot become active."
    assert field_errors(api(lead).post(url, {"status": "paused"})) == {"status": ["invalid_choice"]}


def test_a_patch_changes_the_framing_and_keeps_planned_audiences(api, world, planner, draft):
    url = f"{URL}{world.campaign.uuid}/"
    changed = api(planner).patch(url, {"objective": "Sharper."})
    assert changed.json()["objective"] == "Sharper."
    refused = api(planner).patch(url, {"audiences": [str(seeded("belarus").uuid)]})
    assert field_errors(refused) == {"audiences": ["invalid"]}
    assert refused.json()["errors"][0]["detail"] == "Activities are planned for Moldova."


def test_campaigns_filter_by_status_audience_and_dates(api, world, planner) -> None:
    client = api(planner)

    def names(**params):
        return [c["name"] for c in client.get(URL, params).json()["results"]]

    assert names(status="planning") == [world.campaign.name]
    assert names(status="closed") == []
    assert names(audience=str(seeded("belarus").uuid)) == []
    assert names(audience=str(world.audience.uuid)) == [world.campaign.name]
    assert names(starts_on_after=str(world.campaign.starts_on + dt.timedelta(days=1))) == []
    assert names(ends_on_before=str(world.campaign.ends_on)) == [world.campaign.name]
    assert field_errors(client.get(URL, {"starts_on_after": "soon"})) == {"starts_on": ["invalid"]}


# --- report subscriptions ------------------------------------------------------------------


def test_a_report_subscription_is_set_up_paused_and_listed(api, world, lead, reviewer) -> None:
    client = api(lead)
    created = client.post(
        "/api/v1/report-subscriptions/",
        {
            "campaign": str(world.campaign.uuid),
            "cadence": "weekly",
            "weekday": 0,
            "send_time": "08:00",
            "timezone": "Europe/Minsk",
            "recipients": [str(lead.uuid), str(reviewer.uuid)],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["send_time"], body["campaign"]["name"]) == ("08:00", world.campaign.name)
    url = f"/api/v1/report-subscriptions/{body['id']}/"
    paused = client.patch(url, {"is_active": False})
    assert paused.json()["is_active"] is False
    assert (
        client.get("/api/v1/report-subscriptions/", {"is_active": "false"}).json()["results"][0][
            "id"
        ]
        == body["id"]
    )
    # Somebody else's subscription is not theirs to see, even a teammate's.
    assert problem(api(reviewer).get(url), 404)


def test_a_report_subscription_is_checked(api, world, lead, outsider) -> None:
    client = api(lead)
    response = client.post(
        "/api/v1/report-subscriptions/",
        {
            "campaign": str(world.campaign.uuid),
            "cadence": "weekly",
            "send_time": "25:00",
            "timezone": "Europe/Minsk",
            "recipients": [str(outsider.uuid)],
        },
    )
    assert field_errors(response) == {
        "send_time": ["invalid"],
        "recipients.0": ["does_not_exist"],
    }
    response = client.post(
        "/api/v1/report-subscriptions/",
        {
            "campaign": str(world.campaign.uuid),
            "cadence": "weekly",
            "send_time": "08:00",
            "timezone": "Europe/Minsk",
        },
    )
    assert field_errors(response) == {"weekday": ["invalid"]}
