"""Changing a campaign: its owner team's planners and leads may; nothing its activities rely on
is pulled from under them; a new speaker sends reviewed activities back for review."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.errors import InvalidInput, InvalidTransition, NotPermitted
from accounts.models import Role
from campaigns import services
from campaigns.models import ActivityEvent, ActivityStatus, Campaign
from tests.accounts.factories import member
from tests.audiences.factories import seeded
from tests.messaging.factories import ThemeFactory

pytestmark = pytest.mark.django_db


def test_a_planner_of_the_owner_team_changes_the_framing(world, planner) -> None:
    campaign = services.campaign_update(
        campaign=world.campaign,
        actor=planner,
        name="Promises kept?",
        objective="Sharper.",
        audiences=[world.audience, seeded("belarus")],
    )
    assert (campaign.name, campaign.objective) == ("Promises kept?", "Sharper.")
    assert set(campaign.audiences.values_list("slug", flat=True)) == {"moldova", "belarus"}


def test_collaborators_and_viewers_cannot_change_the_campaign(world, outsider, team) -> None:
    world.campaign.collaborating_teams.add(outsider.teams.get())
    for actor in (outsider, member(team, Role.VIEWER)):
        with pytest.raises(NotPermitted):
            services.campaign_update(campaign=world.campaign, actor=actor, objective="Ours.")


def test_a_new_speaker_sends_reviewed_activities_back(approved, planner, world) -> None:
    services.campaign_update(
        campaign=world.campaign, actor=planner, attributed_to="  Ambassador, in person "
    )
    approved.refresh_from_db()
    assert approved.status == ActivityStatus.CHANGES_REQUESTED
    event = approved.events.order_by("-at", "-pk").first()
    assert (event.kind, event.comment) == (
        ActivityEvent.Kind.EDITED,
        "The campaign's speaker (attributed to) changed.",
    )
    world.campaign.refresh_from_db()
    assert world.campaign.attributed_to == "Ambassador, in person"


def test_the_speaker_cannot_be_removed(world, planner) -> None:
    with pytest.raises(InvalidInput) as error:
        services.campaign_update(campaign=world.campaign, actor=planner, attributed_to="  ")
    assert set(error.value.errors) == {"attributed_to"}


def test_an_audience_with_planned_activities_stays(draft, planner, world) -> None:
    with pytest.raises(InvalidInput) as error:
        services.campaign_update(
            campaign=world.campaign, actor=planner, audiences=[seeded("belarus")]
        )
    assert error.value.errors == {"audiences": ["Activities are planned for Moldova."]}
    with pytest.raises(InvalidInput) as error:
        services.campaign_update(campaign=world.campaign, actor=planner, audiences=[])
    assert error.value.errors == {"audiences": ["Choose at least one audience."]}


def test_a_theme_whose_messages_are_planned_stays(draft, planner, world, team) -> None:
    other = ThemeFactory(owner_team=team)
    with pytest.raises(InvalidInput) as error:
        services.campaign_update(campaign=world.campaign, actor=planner, themes=[other])
    assert "Activities send messages of" in error.value.errors["themes"][0]
    services.campaign_update(campaign=world.campaign, actor=planner, themes=[world.theme, other])
    assert world.campaign.themes.count() == 2


def test_a_theme_the_planner_cannot_see_is_refused(world, planner, other_team) -> None:
    hidden = ThemeFactory(owner_team=other_team)
    with pytest.raises(InvalidInput) as error:
        services.campaign_update(
            campaign=world.campaign, actor=planner, themes=[world.theme, hidden]
        )
    assert error.value.errors == {"themes": ["No such theme."]}


def test_the_dates_must_keep_every_activity_inside(draft, planner, world) -> None:
    local_day = draft.scheduled_local.date()
    with pytest.raises(InvalidInput) as error:
        services.campaign_update(
            campaign=world.campaign, actor=planner, ends_on=local_day - dt.timedelta(days=1)
        )
    assert "1 activities would fall outside the campaign" in error.value.errors["ends_on"][0]
    with pytest.raises(InvalidInput) as error:
        services.campaign_update(
            campaign=world.campaign,
            actor=planner,
            starts_on=world.campaign.ends_on,
            ends_on=world.campaign.starts_on,
        )
    assert error.value.errors == {"ends_on": ["The campaign cannot end before it starts."]}


def test_a_closed_campaign_cannot_be_changed(world, planner, lead) -> None:
    services.campaign_set_status(campaign=world.campaign, actor=lead, status=Campaign.Status.CLOSED)
    with pytest.raises(InvalidTransition):
        services.campaign_update(campaign=world.campaign, actor=planner, objective="Late.")


def test_a_name_stays_unique_within_the_team(world, planner, team) -> None:
    from tests.campaigns.factories import CampaignFactory

    CampaignFactory(owner_team=team, name="Taken")
    with pytest.raises(InvalidInput) as error:
        services.campaign_update(campaign=world.campaign, actor=planner, name="Taken")
    assert error.value.errors == {"name": ["Your team already has a campaign with this name."]}
