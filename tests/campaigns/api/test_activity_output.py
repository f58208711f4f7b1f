"""What the API says of an activity: a list row and the detail of the same activity agree, over
every kind of row."""

from __future__ import annotations

import pytest

from accounts.models import Role
from campaigns.models import ActivityStatus
from messaging import services as messaging
from tests.accounts.factories import member
from tests.campaigns.factories import ActivityFactory
from tests.messaging.factories import CitationFactory, EvidenceFactory
from tests.test_api_query_counts import _activities

pytestmark = pytest.mark.django_db


def test_every_row_of_the_activity_list_equals_its_detail(
    api, team, lead, world, in_review
) -> None:
    """With and without segment, step, submitter, outcome; a named and an unnamed person;
    evidence verified, unverified and withdrawn."""
    _activities(team, lead)  # segments, submitters, outcomes on half of them
    cited = ActivityFactory(campaign=world.campaign, owner=lead, status=ActivityStatus.DRAFT)
    withdrawn = CitationFactory(message=cited.message, evidence__owner_team=team).evidence
    messaging.evidence_dispute(evidence=withdrawn, actor=lead, reason="The figure was revised.")
    CitationFactory(message=cited.message, evidence__owner_team=team)
    CitationFactory(message=cited.message, evidence=EvidenceFactory(owner_team=team))
    named = member(team, Role.PLANNER, username="ana-rusu", first_name="Ana", last_name="Rusu")
    nameless = member(team, Role.PLANNER, username="no-name", first_name="", last_name="")
    for owner in (named, nameless):
        ActivityFactory(campaign=world.campaign, owner=owner, status=ActivityStatus.DRAFT)
    client = api(lead)

    listed = client.get("/api/v1/activities/", {"page_size": 200}).json()["results"]

    assert len(listed) == 50 + 4
    for row in listed:
        assert row == client.get(f"/api/v1/activities/{row['id']}/").json()
    by_title = {row["title"]: row for row in listed}
    assert by_title[cited.title]["evidence"] == {"cited": 3, "verified": 1, "withdrawn": 1}
    assert {row["owner"]["name"] for row in listed} >= {"Ana Rusu", "no-name"}
    assert any(row["outcome"] for row in listed)
    assert any(not row["outcome"] for row in listed)
    assert any(row["current_step"] for row in listed)
    assert any(row["segment"] for row in listed)
