"""What a report says, in-process against PostgreSQL: the figures, the scoping, the cost in
queries, and the renderings (e-mail, HTML, PDF). Sending, schedules and the real worker are in
test_schedule.py and test_worker.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role, Team
from campaigns import services
from campaigns.models import ActivityEvent, OutreachActivity
from campaigns.reports.figures import report_build
from campaigns.reports.visibility import report_owner_may_see, report_recipients
from messaging import services as messaging
from tests.accounts.factories import TeamFactory, member
from tests.campaigns.reports.report_data import EXPECTED, WEEK, Scene, event, subscribe
from tests.messaging.factories import CitationFactory, MessageFactory

pytestmark = pytest.mark.django_db
NOW = WEEK.end + dt.timedelta(minutes=1)


def build(subscription: Any, period: Any = WEEK) -> Any:
    return report_build(
        subscription=subscription, period_start=period.start, period_end=period.end, now=NOW
    )


@pytest.fixture
def scene(team: Team, lead: Any) -> Scene:
    scene = Scene(team=team, owner=lead, period=WEEK)
    scene.populate()
    return scene


def test_a_report_counts_each_section_of_the_period(scene: Scene, lead: Any) -> None:
    report = build(subscribe(owner=lead, campaign=scene.campaign))
    o = report.outcomes
    assert (o.dispatched, o.reach, o.engagement, o.with_outcome) == (
        EXPECTED["dispatched"],
        EXPECTED["reach"],
        EXPECTED["engagement"],
        EXPECTED["with_outcome"],
    )
    assert (o.previous_dispatched, o.previous_reach, o.previous_engagement) == (
        EXPECTED["previous_dispatched"],
        EXPECTED["previous_reach"],
        EXPECTED["previous_engagement"],
    )
    assert (o.reach_change, o.engagement_change) == (500, 50)
    by_channel = {(r.audience, r.channel_kind): (r.count, r.reach) for r in report.dispatched}
    assert by_channel == {("Moldova", "email"): (3, 600), ("Moldova", "webhook"): (1, 0)}
    assert report.due_next_total == EXPECTED["due_next"]
    assert report.due_next_by_status == {"Approved": 1, "Changes requested": 1, "In review": 1}
    assert report.waiting_total == EXPECTED["waiting"]
    assert report.waiting_oldest_hours == EXPECTED["waiting_hours"]
    assert "Evidence review: waiting 30 h" in report.waiting[0].detail
    assert report.failed_total == EXPECTED["failed"]
    assert "HTTP 503" in report.failed[0].detail
    assert report.evidence_counts == EXPECTED["evidence"]
    assert report.recalled_total == EXPECTED["recalled"]
    [recall] = report.recalls
    assert "Deliveries were never scheduled" in recall.evidence
    assert recall.evidence.startswith("[B2] ")
    assert (report.coverage_pairs, report.coverage_gaps_total) == (
        EXPECTED["coverage_pairs"],
        EXPECTED["coverage_gaps"],
    )
    gaps = {(g.audience, g.theme) for g in report.coverage_gaps}
    assert ("Moldova", scene.theme.title) not in gaps
    assert ("Belarus", scene.theme.title) in gaps
    assert len(report.activity_rows) == EXPECTED["csv_rows"]
    assert not report.is_empty


def test_times_are_shown_in_the_subscriptions_timezone(scene: Scene, lead: Any) -> None:
    report = build(subscribe(owner=lead, campaign=scene.campaign))
    assert report.period_start.isoformat() == "2027-03-01T08:00:00+02:00"
    assert report.period_end.isoformat() == "2027-03-08T08:00:00+02:00"
    assert report.period_label == "2027-03-01 08:00 – 2027-03-08 08:00 (Europe/Chisinau)"
    scheduled = {row[9] for row in report.activity_rows}
    assert all(value.endswith("+02:00") for value in scheduled)


def test_the_link_points_at_the_campaign_in_the_staff_ui(scene: Scene, lead: Any, settings) -> None:
    settings.CANDOR_BASE_URL = "https://candor.example.org"
    report = build(subscribe(owner=lead, campaign=scene.campaign))
    assert report.scope_url == f"https://candor.example.org/campaigns/{scene.campaign.uuid}/"
    assert all(row[13].startswith("https://candor.example.org/") for row in report.activity_rows)


def test_every_activity_link_opens_that_activity(scene: Scene, lead: Any, settings) -> None:
    # A link built from a bare ``OutreachActivity(pk=…)`` carried a fresh random uuid: every
    # link of every report led nowhere.
    settings.CANDOR_BASE_URL = "https://candor.example.org"
    report = build(subscribe(owner=lead, campaign=scene.campaign))
    activities = {str(a.uuid): a for a in OutreachActivity.objects.all()}
    assert report.activity_rows
    for row in report.activity_rows:
        expected = f"https://candor.example.org{activities[row[0]].get_absolute_url()}"
        assert row[13] == expected
    linked = [*report.due_next, *report.waiting, *report.failed, *report.recalls]
    assert linked
    known = {f"https://candor.example.org{a.get_absolute_url()}" for a in activities.values()}
    assert {line.url for line in linked} <= known


def test_an_activity_counts_in_the_period_of_its_first_dispatch_only(
    scene: Scene, lead: Any
) -> None:
    # The figures start from the window's "dispatched" events (for speed over 1M activities);
    # a later event of an activity dispatched before (a re-send) must not count it again.
    day = dt.timedelta(days=1)
    before = OutreachActivity.objects.get(events__at=WEEK.start - 2 * day)
    long_ago = OutreachActivity.objects.get(events__at=WEEK.start - 10 * day)
    event(before, ActivityEvent.Kind.DISPATCHED, WEEK.start + day)
    event(long_ago, ActivityEvent.Kind.DISPATCHED, WEEK.start - day)
    report = build(subscribe(owner=lead, campaign=scene.campaign))
    o = report.outcomes
    assert (o.dispatched, o.reach, o.previous_dispatched, o.previous_reach) == (
        EXPECTED["dispatched"],
        EXPECTED["reach"],
        EXPECTED["previous_dispatched"],
        EXPECTED["previous_reach"],
    )
    assert sum(row.count for row in report.dispatched) == EXPECTED["dispatched"]
    assert len(report.activity_rows) == EXPECTED["csv_rows"]


def queries_to_build(subscription: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        build(subscription)
    return len(queries)


def test_building_a_report_costs_the_same_queries_for_5_or_50_activities(
    team: Team, lead: Any, reviewer: Any
) -> None:
    small = Scene(team=team, owner=lead, period=WEEK)
    small.populate()
    big_team = TeamFactory(name="Big desk", slug="big")
    big_lead = member(big_team, Role.LEAD)
    big_reviewer = member(big_team, Role.REVIEWER)
    big = Scene(team=big_team, owner=big_lead, period=WEEK)
    big.populate(extra_dispatched=45)
    few = queries_to_build(subscribe(owner=lead, team=team, recipients=(reviewer,)))
    many_subscription = subscribe(owner=big_lead, team=big_team, recipients=(big_reviewer,))
    many = queries_to_build(many_subscription)
    assert build(many_subscription).dispatched_total == EXPECTED["dispatched"] + 45
    assert few == many, f"{few} queries for a few activities, {many} for fifty more"
    assert many <= 25


def period_ids(report: Any) -> set[str]:
    return {row[0] for row in report.activity_rows}


def test_reports_for_two_partner_teams_on_the_same_data_differ_exactly_by_team(
    team: Team, lead: Any
) -> None:
    partner_a = TeamFactory(name="Partner Team A", slug="partner-a", kind=Team.Kind.PARTNER)
    partner_b = TeamFactory(name="Partner Team B", slug="partner-b", kind=Team.Kind.PARTNER)
    a_lead, b_lead = member(partner_a, Role.LEAD), member(partner_b, Role.LEAD)
    # The desk runs two identical campaigns, one with each partner; A's cites desk-only
    # (TLP:RED) evidence disputed in the period.
    with_a = Scene(team=team, owner=lead, period=WEEK, collaborator=partner_a, label="with A")
    with_a.populate(red_evidence=True)
    with_b = Scene(team=team, owner=lead, period=WEEK, collaborator=partner_b, label="with B")
    with_b.populate()

    report_a = build(subscribe(owner=a_lead, team=partner_a))
    report_b = build(subscribe(owner=b_lead, team=partner_b))
    desk = build(subscribe(owner=lead, team=team))

    assert [c.name for c in report_a.campaigns] == [with_a.campaign.name]
    assert [c.name for c in report_b.campaigns] == [with_b.campaign.name]
    assert not period_ids(report_a) & period_ids(report_b)
    assert period_ids(report_a) | period_ids(report_b) == period_ids(desk)
    assert {row[1] for row in report_a.activity_rows} == {with_a.campaign.name}
    assert {row[1] for row in report_b.activity_rows} == {with_b.campaign.name}
    for partner in (report_a, report_b):  # the same data: the same figures
        assert partner.outcomes.dispatched == EXPECTED["dispatched"]
        assert partner.outcomes.reach == EXPECTED["reach"]
        assert partner.waiting_total == EXPECTED["waiting"]
        assert partner.failed_total == EXPECTED["failed"]
        assert partner.due_next_total == EXPECTED["due_next"]
        assert partner.recalled_total == EXPECTED["recalled"]
        assert partner.coverage_gaps_total == EXPECTED["coverage_gaps"]
        assert partner.evidence_counts == EXPECTED["evidence"]
    # The desk sees both teams' work, and its own restricted evidence.
    assert desk.outcomes.dispatched == 2 * EXPECTED["dispatched"]
    assert desk.outcomes.reach == 2 * EXPECTED["reach"]
    assert desk.waiting_total == 2 * EXPECTED["waiting"]
    assert desk.failed_total == 2 * EXPECTED["failed"]
    assert desk.coverage_gaps_total == 2 * EXPECTED["coverage_gaps"]
    assert desk.evidence_counts == {"verified": 2, "disputed": 1, "retracted": 2}
    assert any("not for partners" in e.claim for e in desk.evidence)
    assert not any("not for partners" in e.claim for e in report_a.evidence)


def test_a_recipient_who_may_not_see_the_scope_or_a_bad_address_is_left_out(
    team: Team, lead: Any, reviewer: Any, outsider: Any
) -> None:
    subscription = subscribe(
        owner=lead,
        team=team,
        recipients=(reviewer, outsider, lead),
        extra_addresses=("board@ministry.example.org", "not an address\nBcc: x@y.z"),
    )
    assert report_recipients(subscription=subscription) == [
        lead.email,
        reviewer.email,
        "board@ministry.example.org",
    ]


def test_a_report_shows_restricted_evidence_only_if_every_recipient_may_see_it(
    team: Team, lead: Any
) -> None:
    partner = TeamFactory(name="Partner Team A", slug="partner-a", kind=Team.Kind.PARTNER)
    partner_lead = member(partner, Role.LEAD)
    scene = Scene(team=team, owner=lead, period=WEEK, collaborator=partner)
    scene.populate(red_evidence=True)
    alone = build(subscribe(owner=lead, campaign=scene.campaign))
    shared = build(subscribe(owner=lead, campaign=scene.campaign, recipients=(partner_lead,)))
    assert alone.evidence_counts["disputed"] == 1
    assert shared.evidence_counts["disputed"] == 0
    assert shared.outcomes == alone.outcomes  # activities are the campaign's: both may see them


def test_an_owner_who_may_not_see_the_scope_gets_an_empty_view(
    team: Team, scene: Scene, outsider: Any
) -> None:
    subscription = subscribe(owner=outsider, campaign=scene.campaign)
    assert not report_owner_may_see(subscription=subscription)
    assert report_recipients(subscription=subscription) == []
    report = build(subscription)
    assert report.is_empty
    assert report.campaigns == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_report_reads_what_the_workflow_wrote(world: Any, planner, reviewer, approver, lead):
    """The same figures from activities that went through the real services: dispatched,
    failed after retries, recalled by a retraction, waiting at sign-off, with an outcome."""
    world.campaign.starts_on, world.campaign.ends_on = dt.date(2027, 1, 1), dt.date(2027, 12, 31)
    world.campaign.save()
    start = WEEK.start

    def approved(title: str, at: dt.datetime) -> Any:
        with time_machine.travel(at - dt.timedelta(hours=2), tick=False):
            activity = services.activity_create(
                actor=planner,
                campaign=world.campaign,
                title=title,
                audience=world.audience,
                message=world.message,
                channel=world.channel,
                scheduled_at=at,
            )
            activity = services.activity_submit(activity=activity, actor=planner)
            activity = services.activity_approve(activity=activity, actor=reviewer)
            return services.activity_approve(activity=activity, actor=approver)

    def attempt(at: dt.datetime) -> Any:
        with time_machine.travel(at, tick=False):
            [pk] = services.dispatch_claim_due(now=at).due
            return services.dispatch_prepare(activity_id=pk, now=at)

    sent_at = start + dt.timedelta(days=1)
    approved("Briefing", sent_at)
    sent = attempt(sent_at)
    with time_machine.travel(sent_at, tick=False):
        services.dispatch_record_success(dispatch=sent.dispatch, response="250 OK")
        services.activity_record_outcome(
            activity=OutreachActivity.objects.get(pk=sent.activity.pk),
            actor=planner,
            reach=1200,
            engagement=90,
        )
    failed_at = start + dt.timedelta(days=2)
    approved("Hook", failed_at)
    failing = attempt(failed_at)
    with time_machine.travel(failed_at, tick=False):
        services.dispatch_record_failure(dispatch=failing.dispatch, error="HTTP 503", final=True)
    recall_at = start + dt.timedelta(days=3)
    approved("Op-ed", WEEK.end + dt.timedelta(days=2))
    with time_machine.travel(recall_at, tick=False):
        messaging.evidence_retract(evidence=world.evidence, actor=reviewer, reason="Withdrawn.")
    with time_machine.travel(start + dt.timedelta(days=4), tick=False):
        other = services.activity_create(
            actor=planner,
            campaign=world.campaign,
            title="Interview",
            audience=world.audience,
            message=MessageFactory(theme=world.theme, owner_team=world.team, headline="Interviu"),
            channel=world.channel,
            scheduled_at=WEEK.end + dt.timedelta(days=3),
        )
        CitationFactory(message=other.message, evidence__owner_team=world.team)
        other = services.activity_submit(activity=other, actor=planner)
        services.activity_approve(activity=other, actor=reviewer)

    report = build(subscribe(owner=lead, campaign=world.campaign))
    assert report.outcomes.dispatched == 1
    assert (report.outcomes.reach, report.outcomes.engagement) == (1200, 90)
    assert report.failed_total == 1
    assert report.failed[0].detail == "HTTP 503"
    assert report.evidence_counts["retracted"] == 1
    # The retraction recalls what is approved and what failed (a retry would send it).
    assert report.recalled_total == 2
    assert {r.activity for r in report.recalls} == {"Op-ed", "Hook"}
    assert all(world.evidence.claim in r.evidence for r in report.recalls)
    assert report.waiting_total == 1
    assert report.waiting[0].detail.startswith("Sign-off: waiting")
    assert report.waiting_oldest_hours == (NOW - start - dt.timedelta(days=4)).days * 24
