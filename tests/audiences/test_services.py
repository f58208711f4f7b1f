"""Channels: a lead manages their team's channels; every kind has the fields it needs; a
changed destination sends activities approved for the old one back for review."""

from __future__ import annotations

import pytest

from accounts.errors import Conflict, InvalidInput, NotPermitted
from accounts.models import Role
from audiences import services
from audiences.models import Channel
from campaigns.models import ActivityEvent, ActivityStatus
from tests.accounts.factories import member

pytestmark = pytest.mark.django_db


def test_a_lead_adds_an_email_channel_to_their_team(team, lead) -> None:
    channel = services.channel_create(
        actor=lead,
        owner_team=team,
        kind=Channel.Kind.EMAIL,
        name="  Diaspora newsletter ",
        email_recipients=["diaspora@candor.test"],
    )
    assert (channel.name, channel.owner_team, channel.is_active) == (
        "Diaspora newsletter",
        team,
        True,
    )


def test_only_a_lead_of_the_team_manages_its_channels(team, planner, outsider) -> None:
    for actor in (planner, outsider):
        with pytest.raises(NotPermitted):
            services.channel_create(
                actor=actor,
                owner_team=team,
                kind=Channel.Kind.EMAIL,
                name="Press",
                email_recipients=["press@candor.test"],
            )


def test_each_kind_needs_its_own_fields_and_only_those(team, lead, outsider) -> None:
    with pytest.raises(InvalidInput) as error:
        services.channel_create(
            actor=lead,
            owner_team=team,
            kind=Channel.Kind.WEBHOOK,
            name="Feed",
            webhook_secret="short",
            email_recipients=["not-an-address"],
            officer=lead,
        )
    assert set(error.value.errors) == {
        "webhook_url",
        "webhook_secret",
        "email_recipients",
        "officer",
    }
    with pytest.raises(InvalidInput) as error:
        services.channel_create(
            actor=lead, owner_team=team, kind=Channel.Kind.MANUAL, name="Briefings"
        )
    assert error.value.errors == {"officer": ["A manual channel needs a responsible officer."]}
    with pytest.raises(InvalidInput) as error:
        services.channel_create(
            actor=lead,
            owner_team=team,
            kind=Channel.Kind.MANUAL,
            name="Briefings",
            officer=outsider,
        )
    assert "active member of the channel's team" in error.value.errors["officer"][0]
    with pytest.raises(InvalidInput) as error:
        services.channel_create(
            actor=lead,
            owner_team=team,
            kind=Channel.Kind.WEBHOOK,
            name="Feed",
            webhook_url="ftp://example.org/hook",
            webhook_secret="x" * 32,
        )
    assert set(error.value.errors) == {"webhook_url"}


def test_a_channel_name_is_unique_within_a_team(team, lead, world) -> None:
    with pytest.raises(InvalidInput) as error:
        services.channel_create(
            actor=lead,
            owner_team=team,
            kind=Channel.Kind.EMAIL,
            name=world.channel.name,
            email_recipients=["a@candor.test"],
        )
    assert error.value.errors == {"name": ["Your team already has a channel with this name."]}


def test_changing_where_a_channel_delivers_recalls_approved_activities(
    approved, lead, world
) -> None:
    services.channel_update(
        channel=world.channel, actor=lead, email_recipients=["new-list@candor.test"]
    )
    approved.refresh_from_db()
    assert approved.status == ActivityStatus.CHANGES_REQUESTED
    event = approved.events.order_by("-at", "-pk").first()
    assert event.kind == ActivityEvent.Kind.EDITED
    assert "now delivers elsewhere" in event.comment
    assert event.changes["channel"]["email_recipients"][1] == ["new-list@candor.test"]


def test_renaming_a_channel_or_rotating_its_secret_leaves_approvals_alone(
    approved, lead, world
) -> None:
    services.channel_update(channel=world.channel, actor=lead, name="Press list (Moldova)")
    approved.refresh_from_db()
    assert approved.status == ActivityStatus.APPROVED


def test_a_channel_update_refuses_what_it_does_not_know(lead, world) -> None:
    with pytest.raises(InvalidInput) as error:
        services.channel_update(channel=world.channel, actor=lead, owner_team=None)
    assert error.value.errors == {"owner_team": ["This field cannot be changed."]}


def test_a_viewer_cannot_change_a_channel(team, world) -> None:
    viewer = member(team, Role.VIEWER)
    with pytest.raises(NotPermitted):
        services.channel_update(channel=world.channel, actor=viewer, name="Mine now")


def test_a_name_taken_in_a_race_is_a_conflict_not_a_crash(team, lead, world, monkeypatch):
    # The loser of the race passed the name check before the winner committed: skip the check
    # to put it there, and the unique index must still answer with a clear 409.
    monkeypatch.setattr(services, "_check", lambda channel: None)
    with pytest.raises(Conflict):
        services.channel_create(
            actor=lead,
            owner_team=team,
            kind=Channel.Kind.EMAIL,
            name=world.channel.name,
            email_recipients=["a@candor.test"],
        )
    assert Channel.objects.filter(name=world.channel.name).count() == 1
