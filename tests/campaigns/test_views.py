"""The staff UI: scoped pages (a foreign object is a 404), actions through the services, errors
shown where they belong, and a constant number of queries whatever the page holds."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from django.utils.html import escape

from accounts.models import Role
from campaigns.models import ActivityStatus, OutreachActivity
from tests.accounts.factories import member
from tests.audiences.factories import ChannelFactory
from tests.campaigns.factories import ActivityFactory, CampaignFactory
from tests.conftest import in_days

pytestmark = pytest.mark.django_db
S = ActivityStatus


def page_of(client, user, url):
    client.force_login(user)
    return client.get(url)


def test_pages_need_a_signed_in_user(client, approved) -> None:
    for url in ("/", "/campaigns/", f"/activities/{approved.uuid}/", "/evidence/", "/coverage/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_an_outsider_sees_none_of_another_teams_work(client, approved, outsider, world) -> None:
    client.force_login(outsider)
    assert escape(world.campaign.name) not in client.get("/campaigns/").content.decode()
    assert escape(approved.title) not in client.get("/").content.decode()
    for url in (
        f"/campaigns/{world.campaign.uuid}/",
        f"/campaigns/{world.campaign.uuid}/calendar/",
        f"/activities/{approved.uuid}/",
        f"/activities/{approved.uuid}/edit/",
        f"/evidence/{world.evidence.uuid}/",
        f"/evidence/{world.evidence.uuid}/retract/confirm/",
        f"/coverage/?campaign={world.campaign.uuid}",
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(f"/activities/{approved.uuid}/cancel/", {"version": approved.version})
    assert response.status_code == 404
    assert OutreachActivity.objects.get(pk=approved.pk).status == S.APPROVED


def test_a_collaborating_partner_sees_the_campaign_but_not_others(client, approved, world):
    partner = member(world.team.__class__.objects.create(name="P", slug="p"), Role.VIEWER)
    world.campaign.collaborating_teams.add(partner.teams.get())
    other = CampaignFactory(name="Someone else's campaign")
    listing = page_of(client, partner, "/campaigns/").content.decode()
    assert escape(world.campaign.name) in listing
    assert escape(other.name) not in listing
    assert client.get(f"/activities/{approved.uuid}/").status_code == 200


def test_the_dashboard_lists_what_waits_for_me_and_not_my_own_work(
    client, in_review, reviewer, planner
) -> None:
    mine = page_of(client, reviewer, "/").content.decode()
    section = mine.split("Waiting for my approval")[1].split("Due in the next 48 hours")[0]
    assert escape(in_review.title) in section
    own = page_of(client, planner, "/").content.decode()
    section = own.split("Waiting for my approval")[1].split("Due in the next 48 hours")[0]
    assert "Nothing waits for you." in section


def test_approval_buttons_say_why_they_are_disabled(client, draft, lead, approver):
    from campaigns import services

    in_review = services.activity_submit(activity=draft, actor=lead)
    page = page_of(client, lead, f"/activities/{in_review.uuid}/").content.decode()
    assert "Four eyes: you drafted or submitted it." in page
    page = page_of(client, approver, f"/activities/{in_review.uuid}/").content.decode()
    assert "Evidence review needs a reviewer (or lead) of the campaign." in page


def test_approving_in_the_ui_goes_through_the_service(client, in_review, reviewer, approver):
    client.force_login(reviewer)
    response = client.post(
        f"/activities/{in_review.uuid}/approve/",
        {"version": in_review.version, "comment": "Sources check out"},
        follow=True,
    )
    assert "Done. The activity is In review." in response.content.decode()
    client.force_login(approver)
    stale = client.post(
        f"/activities/{in_review.uuid}/approve/", {"version": in_review.version}, follow=True
    )
    assert "Someone else changed this activity first" in stale.content.decode()
    current = OutreachActivity.objects.get(pk=in_review.pk)
    client.post(f"/activities/{in_review.uuid}/approve/", {"version": current.version})
    assert OutreachActivity.objects.get(pk=in_review.pk).status == S.APPROVED


def test_a_refused_action_shows_the_services_reason(client, in_review, reviewer) -> None:
    client.force_login(reviewer)
    response = client.post(
        f"/activities/{in_review.uuid}/request_changes/",
        {"version": in_review.version, "comment": ""},
        follow=True,
    )
    assert "Say what must change." in response.content.decode()
    assert OutreachActivity.objects.get(pk=in_review.pk).status == S.IN_REVIEW


def test_the_editor_creates_a_draft_in_audience_time(client, world, planner) -> None:
    client.force_login(planner)
    when = in_days(6, hour=9)
    response = client.post(
        f"/campaigns/{world.campaign.uuid}/activities/new/",
        {
            "title": "Op-ed in Ziarul de Gardă",
            "audience": world.audience.uuid,
            "message": world.message.uuid,
            "channel": world.channel.uuid,
            "scheduled_local": when.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    activity = OutreachActivity.objects.get(title="Op-ed in Ziarul de Gardă")
    assert response["Location"] == f"/activities/{activity.uuid}/"
    assert activity.scheduled_local.replace(tzinfo=None) == when
    page = client.get(response["Location"]).content.decode()
    assert when.strftime("%H:%M") + "</time> Europe/Chisinau" in page


def test_the_editor_shows_field_errors_and_saves_nothing(client, world, planner, other_team):
    client.force_login(planner)
    foreign = ChannelFactory(owner_team=other_team)
    response = client.post(
        f"/campaigns/{world.campaign.uuid}/activities/new/",
        {
            "title": "Too late",
            "audience": world.audience.uuid,
            "message": world.message.uuid,
            "channel": foreign.uuid,
            "scheduled_local": in_days(-2).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Select a valid choice" in page  # the other team's channel is not offered
    assert not OutreachActivity.objects.filter(title="Too late").exists()
    response = client.post(
        f"/campaigns/{world.campaign.uuid}/activities/new/",
        {
            "title": "Too late",
            "audience": world.audience.uuid,
            "message": world.message.uuid,
            "channel": world.channel.uuid,
            "scheduled_local": in_days(-2).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert re.search(
        r'id="id_scheduled_local-error">The scheduled time has passed', response.content.decode()
    )


def test_the_calendar_shows_times_in_the_chosen_audiences_zone(client, approved, reviewer):
    month = approved.scheduled_local.strftime("%Y-%m")
    page = page_of(
        client,
        reviewer,
        f"/campaigns/{approved.campaign.uuid}/calendar/?audience=moldova&month={month}",
    ).content.decode()
    assert f"{approved.scheduled_local:%H:%M}</time> {escape(approved.title)[:20]}" in page


def test_coverage_marks_gaps(client, approved, reviewer, world) -> None:
    from tests.messaging.factories import ThemeFactory

    world.campaign.themes.add(ThemeFactory(owner_team=world.team, title="Uncovered theme"))
    page = page_of(client, reviewer, f"/coverage/?campaign={world.campaign.uuid}").content.decode()
    assert "Uncovered theme" in page
    assert 'class="gap"' in page
    assert "0 / 1 / 0" in page  # the approved activity in Moldova × its theme
    assert "1 verified source" in page


def test_retracting_shows_what_it_will_recall_first(client, approved, reviewer, world) -> None:
    client.force_login(reviewer)
    preview = client.get(f"/evidence/{world.evidence.uuid}/retract/confirm/").content.decode()
    assert "This recalls 1 activity" in preview
    assert escape(approved.title) in preview
    assert OutreachActivity.objects.get(pk=approved.pk).status == S.APPROVED
    missing = client.post(f"/evidence/{world.evidence.uuid}/retract/confirm/", {"reason": ""})
    assert "This field is required." in missing.content.decode()
    client.post(f"/evidence/{world.evidence.uuid}/retract/confirm/", {"reason": "Fabricated"})
    assert OutreachActivity.objects.get(pk=approved.pk).status == S.CHANGES_REQUESTED


@pytest.mark.parametrize("url", ["/", "/campaigns/", "campaign", "calendar", "/coverage/"])
def test_list_pages_keep_a_constant_number_of_queries(
    client, world, planner, reviewer, url, django_assert_max_num_queries
) -> None:
    def fill(n: int) -> None:
        for i in range(n):
            ActivityFactory(
                campaign=world.campaign,
                audience=world.audience,
                message=world.message,
                channel=world.channel,
                owner=planner,
                title=f"Bulk {i}",
                status=S.APPROVED,
                approved_content_hash="x" * 64,
                scheduled_at=timezone.now() + dt.timedelta(hours=1 + i),
            )

    target = {
        "campaign": f"/campaigns/{world.campaign.uuid}/",
        "calendar": f"/campaigns/{world.campaign.uuid}/calendar/",
    }.get(url, url)
    client.force_login(reviewer)
    fill(2)
    client.get(target)  # warm caches (sessions, content types)
    with django_assert_max_num_queries(12) as few:
        assert client.get(target).status_code == 200
    fill(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(target).status_code == 200


def test_my_reports_download_as_html_and_pdf_and_stay_private(
    client, approved, lead, outsider, world
) -> None:
    import datetime as _dt

    from campaigns.models import ReportSubscription

    subscription = ReportSubscription.objects.create(
        owner=lead,
        campaign=world.campaign,
        cadence="weekly",
        weekday=0,
        send_time=_dt.time(8, 0),
        timezone="Europe/Minsk",
    )
    listing = page_of(client, lead, "/reports/").content.decode()
    assert "Weekly on Monday at 08:00 (Europe/Minsk)" in listing
    html = client.get(f"/reports/{subscription.uuid}/latest.html")
    assert html.status_code == 200
    assert escape(world.campaign.name) in html.content.decode()
    pdf = client.get(f"/reports/{subscription.uuid}/latest.pdf")
    assert pdf.content.startswith(b"%PDF")
    assert pdf["Content-Disposition"].startswith('attachment; filename="candor-report-')
    client.force_login(outsider)
    assert client.get(f"/reports/{subscription.uuid}/latest.pdf").status_code == 404


def test_an_outcome_is_entered_after_dispatch_with_field_errors(client, approved, planner):
    OutreachActivity.objects.filter(pk=approved.pk).update(status=S.DISPATCHED)
    client.force_login(planner)
    url = f"/activities/{approved.uuid}/"
    bad = client.post(url, {"reach": "100", "engagement": "250", "pickups": "not a url"})
    page = bad.content.decode()
    assert "Engagement cannot exceed reach." in page
    assert "Not an http(s) URL: not a url" in page
    assert OutreachActivity.objects.get(pk=approved.pk).status == S.DISPATCHED
    good = client.post(
        url, {"reach": "1200", "engagement": "85", "pickups": "https://news.example.md/a\n"}
    )
    assert good.status_code == 302
    done = OutreachActivity.objects.get(pk=approved.pk)
    assert done.status == S.COMPLETED
    assert done.outcome.pickups == ["https://news.example.md/a"]


def test_the_evidence_packet_hides_claims_marked_beyond_the_viewer(
    client, approved, world, outsider
) -> None:
    world.campaign.collaborating_teams.add(outsider.teams.get())
    world.evidence.marking = "red"
    world.evidence.save()
    page = page_of(client, outsider, f"/activities/{approved.uuid}/").content.decode()
    assert escape(world.evidence.claim) not in page
    assert "1 more source marked beyond what you may see." in page


def test_a_report_is_subscribed_in_the_ui_and_bad_input_is_explained(client, lead, world):
    from campaigns.models import ReportSubscription

    client.force_login(lead)
    form = {"campaign": world.campaign.uuid, "send_time": "08:00", "timezone": "Asia/Almaty"}
    no_day = client.post("/reports/", {**form, "cadence": "weekly"}).content.decode()
    assert "A weekly report needs a weekday" in no_day
    mars = client.post("/reports/", {**form, "cadence": "daily", "timezone": "Mars/Olympus"})
    assert "Mars/Olympus is not an IANA time zone" in mars.content.decode()
    assert not ReportSubscription.objects.exists()
    done = client.post("/reports/", {**form, "cadence": "weekly", "weekday": "2"}, follow=True)
    assert "Subscribed: Weekly on Wednesday at 08:00 (Asia/Almaty)." in done.content.decode()
    assert ReportSubscription.objects.get().owner == lead


def test_the_week_view_shows_the_activity_on_its_local_day_and_time(client, approved, reviewer):
    local = approved.scheduled_local
    url = (
        f"/campaigns/{approved.campaign.uuid}/calendar/"
        f"?view=week&audience=moldova&day={local:%Y-%m-%d}"
    )
    page = page_of(client, reviewer, url).content.decode()
    assert f"{local:%H:%M}</time> {escape(approved.title)[:20]}" in page
    assert (
        f"<th>{local:%a} {local.day} {local:%b}</th>" in page or f'class="today">{local:%a}' in page
    )
    bad = client.get(f"/campaigns/{approved.campaign.uuid}/calendar/?view=week&day=not-a-date")
    assert bad.status_code == 200


def test_the_dashboard_chart_counts_my_teams_activities_by_status(client, approved, reviewer):
    import json
    import re

    page = page_of(client, reviewer, "/").content.decode()
    data = json.loads(re.search(r'id="status-data"[^>]*>(.*?)</script>', page).group(1))
    counts = {row["label"]: row["count"] for row in data}
    assert counts["Approved"] == 1
    assert sum(counts.values()) == 1
    assert "vendor/chartjs/chart.umd.min.js" in page


def test_an_action_needs_the_version_seen_and_a_known_name(client, in_review, reviewer):
    client.force_login(reviewer)
    url = f"/activities/{in_review.uuid}/"
    blind = client.post(f"{url}approve/", {}, follow=True).content.decode()
    assert "The page was incomplete" in blind
    assert client.post(f"{url}publish/", {"version": in_review.version}).status_code == 404
    assert OutreachActivity.objects.get(pk=in_review.pk).version == in_review.version


def test_a_recipient_who_left_the_team_can_no_longer_download_its_reports(
    client, lead, reviewer, world
) -> None:
    import datetime as _dt

    from accounts.models import Membership
    from campaigns.models import ReportSubscription

    subscription = ReportSubscription.objects.create(
        owner=lead,
        campaign=world.campaign,
        cadence="daily",
        send_time=_dt.time(8, 0),
        timezone="Europe/Chisinau",
    )
    subscription.recipients.add(reviewer)
    client.force_login(reviewer)
    assert client.get(f"/reports/{subscription.uuid}/latest.html").status_code == 200
    Membership.objects.filter(user=reviewer).delete()
    client.force_login(type(reviewer).objects.get(pk=reviewer.pk))
    assert client.get(f"/reports/{subscription.uuid}/latest.html").status_code == 404
    assert "You receive no reports yet" in client.get("/reports/").content.decode()


def test_a_failed_activity_is_retried_from_the_ui_by_a_planner_only(
    client, approved, planner, viewer
) -> None:
    from campaigns import services

    OutreachActivity.objects.filter(pk=approved.pk).update(
        status=S.DISPATCHING, claimed_at=timezone.now()
    )
    attempt = services.dispatch_prepare(activity_id=approved.pk)
    services.dispatch_record_failure(dispatch=attempt.dispatch, error="HTTP 503", final=True)
    failed = OutreachActivity.objects.get(pk=approved.pk)
    url = f"/activities/{failed.uuid}/"
    assert "Planners only." in page_of(client, viewer, url).content.decode()
    refused = client.post(f"{url}retry/", {"version": failed.version}, follow=True)
    assert "You may not plan activities here" in refused.content.decode()
    assert OutreachActivity.objects.get(pk=failed.pk).status == S.FAILED
    client.force_login(planner)
    client.post(f"{url}retry/", {"version": failed.version})
    assert OutreachActivity.objects.get(pk=failed.pk).status == S.APPROVED


def test_the_dashboard_panels_keep_their_own_order_and_limits(world, planner, outsider) -> None:
    """The three activity panels come from one ranked query: each keeps its order and its
    limit however many rows the others have."""
    from campaigns.selectors import dashboard

    now = timezone.now()

    def make(status, count, **fields):
        return [
            ActivityFactory(
                campaign=world.campaign,
                owner=planner,
                status=status,
                approved_content_hash="0" * 64,
                **fields,
            )
            for _ in range(count)
        ]

    due = [
        make(S.APPROVED, 1, scheduled_at=now + dt.timedelta(hours=hours))[0]
        for hours in (30, 2, 40)
    ]
    make(S.APPROVED, 1, scheduled_at=now + dt.timedelta(hours=60))  # not due yet
    failed = make(S.FAILED, 25)
    went_out = make(S.DISPATCHED, 2)
    old = make(S.COMPLETED, 1)
    OutreachActivity.objects.filter(pk=old[0].pk).update(updated_at=now - dt.timedelta(days=20))

    panels = dashboard(user=planner, now=now)

    assert [a.pk for a in panels["due_soon"]] == [due[1].pk, due[0].pk, due[2].pk]
    assert len(panels["failures"]) == 20
    latest = sorted(failed, key=lambda a: a.updated_at, reverse=True)[:20]
    assert [a.pk for a in panels["failures"]] == [a.pk for a in latest]
    assert {a.pk for a in panels["recently_dispatched"]} == {a.pk for a in went_out}
    theirs = dashboard(user=outsider, now=now)  # another team: none of it, in any panel
    assert [theirs[name] for name in ("due_soon", "recently_dispatched", "failures")] == [
        [],
        [],
        [],
    ]


def test_the_campaign_page_names_its_teams_audiences_and_themes(client, world, planner) -> None:
    from tests.messaging.factories import ThemeFactory

    partner = CampaignFactory().owner_team
    world.campaign.collaborating_teams.add(partner)
    world.campaign.themes.add(ThemeFactory(owner_team=world.team, title="A theme first"))
    html = page_of(client, planner, f"/campaigns/{world.campaign.uuid}/").content.decode()
    assert partner.name in html
    assert f'?audience={world.audience.slug}">{escape(world.audience.name)}</a>' in html
    assert f"A theme first; {escape(world.theme.title)}" in html
