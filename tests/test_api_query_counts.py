"""Every list endpoint costs a constant number of SQL queries, whatever the page size: one row
or fifty rows of the same kind take the same queries (select_related / prefetch_related)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import ApiToken, Marking, Role
from audiences.models import Channel
from campaigns.models import ActivityEvent, ActivityStatus, Outcome, ReportSubscription
from tests.accounts.factories import MembershipFactory, TeamFactory, member
from tests.audiences.factories import ChannelFactory, SegmentFactory, seeded
from tests.campaigns.factories import ActivityFactory, CampaignFactory
from tests.messaging.factories import (
    CitationFactory,
    EvidenceFactory,
    MessageFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db

ROWS = 50


@pytest.fixture
def lead(team):
    return member(team, Role.LEAD, username="lead")


def _activities(team, lead) -> None:
    campaign = CampaignFactory(owner_team=team)
    campaign.collaborating_teams.add(TeamFactory())
    for i in range(ROWS):
        message = MessageFactory(theme=ThemeFactory(owner_team=team), owner_team=team)
        CitationFactory(message=message, evidence__owner_team=team)
        activity = ActivityFactory(
            campaign=campaign,
            message=message,
            channel=ChannelFactory(owner_team=team),
            segment=SegmentFactory(),
            owner=member(team, Role.PLANNER),
            submitted_by=lead,
            submitted_at=timezone.now(),
            scheduled_at=timezone.now() + dt.timedelta(days=3, minutes=i),
        )
        if i % 2:
            activity.status = ActivityStatus.COMPLETED
            activity.approved_content_hash = "0" * 64
            activity.save()
            Outcome.objects.create(activity=activity, reach=10, engagement=1, recorded_by=lead)


def _campaigns(team, lead) -> None:
    for _ in range(ROWS):
        campaign = CampaignFactory(owner_team=team)
        campaign.audiences.add(seeded("moldova"), seeded("belarus"))
        campaign.themes.add(ThemeFactory(owner_team=team))
        campaign.collaborating_teams.add(TeamFactory())


def _messages(team, lead) -> None:
    for _ in range(ROWS):
        message = MessageFactory(
            theme=ThemeFactory(owner_team=team), owner_team=team, audience=seeded("moldova")
        )
        CitationFactory(message=message, evidence__owner_team=team)
        CitationFactory(
            message=message,
            evidence__owner_team=TeamFactory(),  # another team's red item: counted, not shown
            evidence__marking=Marking.RED,
            sentence="Rapoartele independente o confirmă.",
        )


def _evidence(team, lead) -> None:
    for _ in range(ROWS):
        EvidenceFactory(owner_team=team, verified=True)


def _themes(team, lead) -> None:
    for _ in range(ROWS):
        ThemeFactory(owner_team=team)


def _channels(team, lead) -> None:
    for i in range(ROWS):
        Channel.objects.create(
            owner_team=team, kind=Channel.Kind.MANUAL, name=f"Briefings {i}", officer=lead
        )


def _subscriptions(team, lead) -> None:
    for _ in range(ROWS):
        campaign = CampaignFactory(owner_team=team)
        subscription = ReportSubscription.objects.create(
            owner=lead,
            campaign=campaign,
            cadence="daily",
            send_time=dt.time(8),
            timezone="Europe/Minsk",
        )
        subscription.recipients.add(lead, member(team, Role.VIEWER))


def _tokens(team, lead) -> None:
    for _ in range(ROWS - 1):
        ApiToken.objects.create(user=lead, name="integration")


def _teams(team, lead) -> None:
    for _ in range(ROWS):
        other = TeamFactory()
        MembershipFactory(user=lead, team=other, role=Role.VIEWER)
        member(other, Role.PLANNER)


def _history(team, lead) -> str:
    activity = ActivityFactory(campaign=CampaignFactory(owner_team=team), owner=lead)
    for _ in range(ROWS):
        ActivityEvent.objects.create(
            activity=activity, kind="edited", actor=member(team, Role.PLANNER)
        )
    return f"/api/v1/activities/{activity.uuid}/history/"


LISTS: dict[str, Callable[[Any, Any], Any]] = {
    "/api/v1/activities/": _activities,
    "/api/v1/campaigns/": _campaigns,
    "/api/v1/messages/": _messages,
    "/api/v1/evidence/": _evidence,
    "/api/v1/themes/": _themes,
    "/api/v1/channels/": _channels,
    "/api/v1/report-subscriptions/": _subscriptions,
    "/api/v1/auth/tokens/": _tokens,
    "/api/v1/teams/": _teams,
    "/api/v1/audiences/": lambda team, lead: None,  # the six seeded ones
}


def queries(client, url: str, **params: Any) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    return len(captured.captured_queries), response


@pytest.mark.parametrize("url", sorted(LISTS))
def test_a_list_page_costs_the_same_queries_for_one_row_or_fifty(
    url, team, lead, api, django_assert_max_num_queries
) -> None:
    client = api(lead)
    LISTS[url](team, lead)
    one, small = queries(client, url, page_size=1)
    assert len(small.json()["results"]) == 1
    with django_assert_max_num_queries(one):
        response = client.get(url, {"page_size": ROWS})
    assert len(response.json()["results"]) >= min(ROWS, 6)


def test_the_csv_export_costs_the_same_queries_for_one_row_or_fifty(
    team, lead, api, django_assert_max_num_queries
) -> None:
    _activities(team, lead)
    client = api(lead)
    one, small = queries(client, "/api/v1/activities/export/", search="Activity 1", status="draft")
    assert small.content.decode().count("\r\n") < ROWS
    with django_assert_max_num_queries(one):
        response = client.get("/api/v1/activities/export/")
    assert response.content.decode().count("\r\n") == ROWS + 1


def test_the_history_costs_the_same_queries_for_one_event_or_fifty(
    team, lead, api, django_assert_max_num_queries
) -> None:
    short = ActivityFactory(campaign=CampaignFactory(owner_team=team), owner=lead)
    ActivityEvent.objects.create(activity=short, kind="created", actor=lead)
    client = api(lead)
    one, _ = queries(client, f"/api/v1/activities/{short.uuid}/history/")
    long = _history(team, lead)
    with django_assert_max_num_queries(one):
        response = client.get(long)
    assert len(response.json()) == ROWS
