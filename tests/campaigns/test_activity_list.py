"""Finding work: the activity list across campaigns (filters, search, sorting, pages, CSV) and
the approval queue ("waiting for me", the longest waiting first, four eyes kept)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.errors import NotPermitted
from accounts.models import Role
from campaigns.models import ActivityStatus as S
from campaigns.models import OutreachActivity
from tests.accounts.factories import member
from tests.audiences.factories import ChannelFactory, seeded
from tests.campaigns.factories import ActivityFactory, CampaignFactory

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "campaigns"
NOON = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return [a.title for a in response.context["page"]]


def csv_titles(response) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/csv")
    return [row["title"] for row in csv.DictReader(io.StringIO(response.content.decode()))]


def in_review(world, *, title, owner, submitted_by, waiting: dt.timedelta, step: int = 1):
    steps = list(world.campaign.approval_policy.steps.order_by("order"))
    since = timezone.now() - waiting
    return ActivityFactory(
        campaign=world.campaign,
        audience=world.audience,
        message=world.message,
        channel=world.channel,
        title=title,
        owner=owner,
        submitted_by=submitted_by,
        submitted_at=since,
        step_since=since,
        status=S.IN_REVIEW,
        current_step=steps[step - 1],
    )


@pytest.fixture
def varied(world, planner, lead):
    """Four activities of the team's campaign and one of a second campaign, each differing
    from the first in one filtered property."""
    other_campaign = CampaignFactory(owner_team=world.team, name="Second campaign")
    belarus = seeded("belarus")
    other_channel = ChannelFactory(owner_team=world.team, name="Second channel")
    base = {
        "campaign": world.campaign,
        "audience": world.audience,
        "message": world.message,
        "channel": world.channel,
        "owner": planner,
    }
    return {
        "base": ActivityFactory(**base, title="Base briefing", scheduled_at=NOON),
        "status": ActivityFactory(
            **base | {"title": "Cancelled op-ed", "status": S.CANCELLED},
            scheduled_at=NOON + dt.timedelta(days=1),
        ),
        "audience": ActivityFactory(
            **base | {"title": "Minsk mailing", "audience": belarus},
            scheduled_at=NOON + dt.timedelta(days=2),
        ),
        "channel": ActivityFactory(
            **base | {"title": "Webhook push", "channel": other_channel},
            scheduled_at=NOON + dt.timedelta(days=3),
        ),
        "owner": ActivityFactory(
            **base | {"title": "Lead's interview", "owner": lead},
            scheduled_at=NOON + dt.timedelta(days=4),
        ),
        "campaign": ActivityFactory(
            **base | {"title": "Second campaign event", "campaign": other_campaign},
            scheduled_at=NOON + dt.timedelta(days=5),
        ),
    }


# --- scoping --------------------------------------------------------------------------------


def test_an_outsider_sees_none_of_another_teams_activities(client, varied, outsider) -> None:
    client.force_login(outsider)
    assert titles(client.get("/activities/")) == []
    assert csv_titles(client.get("/activities/export.csv")) == []


def test_a_collaborator_sees_the_campaigns_activities_and_no_others(
    client, world, varied, outsider
) -> None:
    world.campaign.collaborating_teams.add(outsider.memberships.get().team)
    client.force_login(outsider)
    shown = titles(client.get("/activities/"))
    assert "Base briefing" in shown
    assert "Second campaign event" not in shown  # a campaign they do not work on


def test_a_foreign_campaign_in_the_filter_is_an_error_not_a_peek(
    client, varied, outsider, world
) -> None:
    client.force_login(outsider)
    response = client.get("/activities/", {"campaign": str(world.campaign.uuid)})
    assert response.status_code == 200
    assert titles(response) == []
    assert "Select a valid choice" in response.content.decode()


# --- filters, search, sorting ---------------------------------------------------------------


def test_every_filter_narrows_the_list(client, planner, varied, world) -> None:
    client.force_login(planner)
    everything = titles(client.get("/activities/"))
    assert len(everything) == 6
    narrowed = {
        "status": {"status": "cancelled"},
        "audience": {"audience": str(seeded("belarus").uuid)},
        "channel": {"channel": str(varied["channel"].channel.uuid)},
        "owner": {"owner": str(varied["owner"].owner.uuid)},
        "campaign": {"campaign": str(varied["campaign"].campaign.uuid)},
    }
    for key, params in narrowed.items():
        assert titles(client.get("/activities/", params)) == [varied[key].title], key


def test_several_statuses_are_combined_with_or(client, planner, varied) -> None:
    client.force_login(planner)
    response = client.get("/activities/?status=cancelled&status=draft")
    assert len(titles(response)) == 6
    only_cancelled = client.get("/activities/?status=cancelled")
    assert titles(only_cancelled) == ["Cancelled op-ed"]


def test_the_date_range_is_in_utc_days_and_inclusive(client, planner, varied) -> None:
    client.force_login(planner)
    response = client.get(
        "/activities/", {"scheduled_from": "2026-03-11", "scheduled_to": "2026-03-12"}
    )
    assert titles(response) == ["Cancelled op-ed", "Minsk mailing"]


def test_an_end_before_the_start_is_said_next_to_the_field(client, planner, varied) -> None:
    client.force_login(planner)
    response = client.get(
        "/activities/", {"scheduled_from": "2026-03-12", "scheduled_to": "2026-03-11"}
    )
    assert titles(response) == []
    page = response.content.decode()
    assert 'id="id_scheduled_to-error"' in page
    assert "The end is before the start." in page
    assert 'value="2026-03-12"' in page  # what was typed is kept


def test_search_finds_titles_containing_the_words(client, planner, varied) -> None:
    client.force_login(planner)
    assert titles(client.get("/activities/", {"q": "MINSK"})) == ["Minsk mailing"]
    assert titles(client.get("/activities/", {"q": "nothing like it"})) == []


@pytest.mark.parametrize(
    ("sort", "first"),
    [
        ("", "Base briefing"),
        ("scheduled", "Base briefing"),
        ("-scheduled", "Second campaign event"),
        ("title", "Base briefing"),
        ("-title", "Webhook push"),
        ("status", "Cancelled op-ed"),
    ],
)
def test_the_list_sorts_as_asked(client, planner, varied, sort, first) -> None:
    client.force_login(planner)
    assert titles(client.get("/activities/", {"sort": sort}))[0] == first


def test_sorting_by_last_change_puts_the_latest_first(client, planner, varied) -> None:
    OutreachActivity.objects.filter(pk=varied["owner"].pk).update(
        updated_at=timezone.now() + dt.timedelta(hours=1)
    )
    client.force_login(planner)
    assert titles(client.get("/activities/", {"sort": "-updated"}))[0] == "Lead's interview"
    assert titles(client.get("/activities/", {"sort": "updated"}))[-1] == "Lead's interview"


def test_a_malformed_filter_is_a_message_next_to_its_field_never_an_error(
    client, planner, varied
) -> None:
    client.force_login(planner)
    for params in (
        {"campaign": "not-a-uuid"},
        {"status": "sunk"},
        {"scheduled_from": "2026-13-45"},
        {"sort": "password"},
        {"scheduled_to": "9999-12-31"},
    ):
        response = client.get("/activities/", params)
        assert response.status_code == 200, params
    bad = client.get("/activities/", {"status": "sunk"})
    assert titles(bad) == []
    assert "Select a valid choice" in bad.content.decode()
    assert client.get("/activities/export.csv", {"status": "sunk"}).status_code == 400


# --- CSV and pages --------------------------------------------------------------------------


def test_the_csv_carries_the_filters_and_the_same_rows(client, planner, varied) -> None:
    client.force_login(planner)
    params = {"q": "i", "sort": "-title", "status": "draft"}
    listed = titles(client.get("/activities/", params))
    page = client.get("/activities/", params).content.decode()
    link = re.search(r'href="(/activities/export\.csv\?[^"]+)"', page).group(1)
    exported = csv_titles(client.get(link.replace("&amp;", "&")))
    assert exported == listed
    # "i" is in four titles; "Cancelled op-ed" is filtered out twice, "Webhook push" once.
    assert listed == ["Second campaign event", "Minsk mailing", "Lead's interview", "Base briefing"]
    assert "Cancelled op-ed" not in exported


def test_pages_hold_fifty_and_keep_the_filters(client, planner, world) -> None:
    for i in range(51):
        ActivityFactory(
            campaign=world.campaign,
            title=f"Bulk {i:02}",
            scheduled_at=NOON + dt.timedelta(minutes=i),
            owner=planner,
        )
    client.force_login(planner)
    first = client.get("/activities/", {"q": "bulk", "sort": "title"})
    assert len(titles(first)) == 50
    assert 'href="?q=bulk&amp;sort=title&amp;page=2"' in first.content.decode()
    second = client.get("/activities/", {"q": "bulk", "sort": "title", "page": "2"})
    assert titles(second) == ["Bulk 50"]
    assert len(csv_titles(client.get("/activities/export.csv", {"q": "bulk"}))) == 51


# --- the approval queue ---------------------------------------------------------------------


def test_the_queue_lists_what_i_may_approve_oldest_first_with_its_age(
    client, world, planner, reviewer, approver
) -> None:
    in_review(
        world, title="Fresh", owner=planner, submitted_by=planner, waiting=dt.timedelta(hours=2)
    )
    in_review(world, title="Old", owner=planner, submitted_by=planner, waiting=dt.timedelta(days=3))
    in_review(
        world,
        title="At sign-off",
        owner=planner,
        submitted_by=planner,
        waiting=dt.timedelta(days=5),
        step=2,
    )
    client.force_login(reviewer)
    response = client.get("/approvals/")
    assert titles(response) == ["Old", "Fresh"]  # the evidence review is a reviewer's step
    page = response.content.decode()
    assert "waiting 3\xa0days" in page
    assert "waiting 2\xa0hours" in page
    client.force_login(approver)
    assert titles(client.get("/approvals/")) == ["At sign-off"]


def test_the_queue_never_lists_my_own_work(client, world, lead, planner) -> None:
    in_review(
        world, title="The lead's own", owner=lead, submitted_by=lead, waiting=dt.timedelta(days=1)
    )
    in_review(
        world,
        title="Submitted by the lead",
        owner=planner,
        submitted_by=lead,
        waiting=dt.timedelta(days=1),
    )
    in_review(
        world,
        title="A planner's",
        owner=planner,
        submitted_by=planner,
        waiting=dt.timedelta(days=1),
    )
    client.force_login(lead)
    assert titles(client.get("/approvals/")) == ["A planner's"]
    client.force_login(planner)  # a planner approves nothing
    assert titles(client.get("/approvals/")) == []


def test_the_queue_shows_nothing_of_another_team(client, world, planner, outsider_reviewer) -> None:
    world.campaign.collaborating_teams.add(outsider_reviewer.memberships.get().team)
    in_review(
        world, title="Ours", owner=planner, submitted_by=planner, waiting=dt.timedelta(days=1)
    )
    client.force_login(outsider_reviewer)  # a collaborator sees it, but does not review it
    assert titles(client.get("/approvals/")) == []
    assert "Nothing waits for you." in client.get("/approvals/").content.decode()


def test_the_navigation_leads_to_both_pages(client, planner) -> None:
    client.force_login(planner)
    page = client.get("/").content.decode()
    assert 'href="/activities/"' in page
    assert 'href="/approvals/"' in page


# --- costs and the strict CSP ---------------------------------------------------------------


@pytest.mark.parametrize("url", ["/activities/", "/activities/export.csv", "/approvals/"])
def test_the_pages_cost_the_same_queries_for_two_rows_or_thirty(
    client, world, planner, lead, url, django_assert_max_num_queries
) -> None:
    def fill(n: int) -> None:
        for i in range(n):
            in_review(
                world,
                title=f"Row {i}",
                owner=member(world.team, Role.PLANNER),  # one more in the owner filter's list
                submitted_by=member(world.team, Role.PLANNER),
                waiting=dt.timedelta(hours=i + 1),
            )

    client.force_login(lead)
    fill(2)
    client.get(url)  # warm caches (sessions, content types)
    with django_assert_max_num_queries(20) as few:
        assert client.get(url).status_code == 200
    fill(28)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    if url != "/activities/export.csv":
        assert len(response.context["page"]) == 30


@pytest.mark.parametrize("name", ["activity_list.html", "approval_queue.html"])
def test_the_new_pages_have_no_inline_script_or_style(name) -> None:
    source = (TEMPLATES / name).read_text()
    assert "<script" not in source
    assert "<style" not in source
    assert not re.search(r"\sstyle=", source)
    assert not re.search(r"\son[a-z]+=", source)  # no inline event handlers
    assert "hx-on" not in source


# --- saved filters --------------------------------------------------------------------------


def test_a_saved_filter_keeps_the_filters_and_opens_the_same_list(client, planner, varied) -> None:
    client.force_login(planner)
    response = client.post("/activities/?q=minsk&page=3&sort=title&bogus=1", {"name": "Minsk"})
    assert response.status_code == 302
    assert response["Location"] == "/activities/?q=minsk&sort=title"  # no page, nothing unknown
    listing = client.get(response["Location"])
    assert titles(listing) == ["Minsk mailing"]
    assert 'href="/activities/?q=minsk&amp;sort=title">Minsk</a>' in listing.content.decode()


def test_a_saved_filter_needs_a_name_of_its_own(client, planner, varied) -> None:
    client.force_login(planner)
    client.post("/activities/?q=minsk", {"name": "Mine"})
    again = client.post("/activities/?q=webhook", {"name": " Mine "})
    assert again.status_code == 200
    page = again.content.decode()
    assert 'id="id_name-error"' in page
    assert "You already have a filter by this name." in page
    assert 'value=" Mine "' in page  # what was typed is kept
    blank = client.post("/activities/?q=webhook", {"name": ""})
    assert "This field is required." in blank.content.decode()
    assert list(planner.saved_filters.values_list("name", "query")) == [("Mine", "q=minsk")]


def test_saved_filters_are_private_and_deleted_only_by_their_owner(
    client, planner, lead, varied
) -> None:
    from campaigns import services

    mine = services.saved_filter_create(owner=planner, name="Mine", query="status=draft")
    client.force_login(lead)
    assert "Mine" not in client.get("/activities/").content.decode()
    assert client.post(f"/activities/saved/{mine.uuid}/delete/").status_code == 404
    with pytest.raises(NotPermitted):
        services.saved_filter_delete(saved_filter=mine, actor=lead)
    client.force_login(planner)
    assert client.get(f"/activities/saved/{mine.uuid}/delete/").status_code == 405
    assert client.post(f"/activities/saved/{mine.uuid}/delete/").status_code == 302
    assert not planner.saved_filters.exists()
