"""Activities through the API: input in local time or UTC, role refusals, rule refusals with
their reasons, filters, stable cursor pages, the CSV export and the calendar feed."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from accounts.models import Role
from campaigns import services
from campaigns.models import ActivityStatus, OutreachActivity
from messaging import services as messaging
from tests.accounts.factories import member
from tests.audiences.factories import ChannelFactory, seeded
from tests.conftest import in_days
from tests.messaging.factories import MessageFactory
from tests.problems import field_errors, problem

pytestmark = pytest.mark.django_db

S = ActivityStatus
URL = "/api/v1/activities/"


def body(world, **overrides):
    return {
        "campaign": str(world.campaign.uuid),
        "title": "Editors' briefing",
        "audience": str(world.audience.uuid),
        "message": str(world.message.uuid),
        "channel": str(world.channel.uuid),
        "scheduled_local": in_days(5).isoformat(),
    } | overrides


# --- creating ------------------------------------------------------------------------------


def test_a_time_in_utc_is_shown_in_the_audiences_local_time_too(api, world, planner) -> None:
    day = in_days(5).date()
    response = api(planner).post(
        URL, body(world, scheduled_local=None) | {"scheduled_at": f"{day}T06:00:00Z"}
    )
    # scheduled_local: null is "not given" only when absent; here it is a wrong type.
    assert field_errors(response) == {"scheduled_local": ["null"]}
    payload = body(world)
    del payload["scheduled_local"]
    response = api(planner).post(URL, payload | {"scheduled_at": f"{day}T06:00:00Z"})
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["scheduled_at"] == f"{day}T06:00:00Z"
    chisinau = dt.datetime(day.year, day.month, day.day, 6, tzinfo=dt.UTC).astimezone(
        seeded("moldova").zone
    )
    assert created["scheduled_local"] == chisinau.replace(tzinfo=None).isoformat()
    assert created["timezone"] == "Europe/Chisinau"


def test_the_time_is_given_once_with_or_without_an_offset_as_the_field_says(
    api, world, planner
) -> None:
    client = api(planner)
    day = in_days(5).date()
    both = client.post(URL, body(world, scheduled_at=f"{day}T06:00:00Z"))
    assert field_errors(both) == {"scheduled_local": ["invalid"]}
    neither = body(world)
    del neither["scheduled_local"]
    assert field_errors(client.post(URL, neither)) == {"scheduled_local": ["invalid"]}
    offset_in_local = client.post(URL, body(world, scheduled_local=f"{day}T09:00:00+03:00"))
    assert field_errors(offset_in_local) == {"scheduled_local": ["offset"]}
    naive_instant = body(world)
    del naive_instant["scheduled_local"]
    naive_instant["scheduled_at"] = f"{day}T06:00:00"
    assert field_errors(client.post(URL, naive_instant)) == {"scheduled_at": ["naive"]}
    assert not OutreachActivity.objects.exists()


def test_a_local_time_that_does_not_exist_is_refused_with_the_reason(api, world, planner):
    # The hour skipped when Moldova's clocks go forward, found rather than assumed.
    zone = seeded("moldova").zone
    year = dt.date.today().year + 1
    gap = next(
        local
        for day in range(25, 32)
        for hour in range(24)
        if (local := dt.datetime(year, 3, day, hour, 30))
        and local.replace(tzinfo=zone).astimezone(dt.UTC).astimezone(zone).hour != hour
    )
    world.campaign.ends_on = dt.date(year, 12, 31)
    world.campaign.save()
    response = api(planner).post(URL, body(world, scheduled_local=gap.isoformat()))
    refusal = problem(response, 400)
    assert "does not exist in Europe/Chisinau" in refusal["detail"]
    assert refusal["errors"][0]["attr"] == "scheduled_local"  # the field the caller gave


def test_every_field_problem_comes_back_at_once(api, world, planner, other_team) -> None:
    foreign_channel = ChannelFactory(owner_team=other_team)
    response = api(planner).post(
        URL,
        body(
            world,
            audience="not-a-uuid",
            channel=str(foreign_channel.uuid),
            message=str(uuid.uuid4()),
            title=7,
            colour="blue",
        ),
    )
    errors = field_errors(response)
    assert errors == {
        "audience": ["invalid"],
        "channel": ["does_not_exist"],
        "message": ["does_not_exist"],
        "title": ["invalid_type"],
        "colour": ["unknown_field"],
    }
    details = {e["attr"]: e["detail"] for e in response.json()["errors"]}
    assert details["channel"] == "No such channel."
    assert details["message"] == "No such message."


def test_rules_of_the_service_come_back_as_field_errors(api, world, planner) -> None:
    belarus = seeded("belarus")
    response = api(planner).post(
        URL, body(world, audience=str(belarus.uuid), scheduled_local=in_days(-1).isoformat())
    )
    errors = {e["attr"]: e["detail"] for e in problem(response, 400)["errors"]}
    assert "is not an audience of campaign" in errors["audience"]
    assert errors["scheduled_at"].startswith("The scheduled time has passed")


def test_a_viewer_reads_but_cannot_plan(api, world, viewer, draft) -> None:
    client = api(viewer)
    assert client.get(URL).json()["results"][0]["id"] == str(draft.uuid)
    assert problem(client.post(URL, body(world)), 403)["code"] == "not_permitted"
    refused = client.post(f"{URL}{draft.uuid}/submit/", {"version": draft.version})
    assert problem(refused, 403)["detail"] == "You may not plan activities here (planner or lead)."


# --- the workflow's refusals ---------------------------------------------------------------


def test_a_lead_cannot_approve_what_they_submitted(api, world, lead) -> None:
    draft = services.activity_create(
        actor=lead,
        campaign=world.campaign,
        title="Lead's own",
        audience=world.audience,
        message=world.message,
        channel=world.channel,
        scheduled_local=in_days(5),
    )
    client = api(lead)
    submitted = client.post(f"{URL}{draft.uuid}/submit/", {"version": 1}).json()
    refused = client.post(f"{URL}{draft.uuid}/approve/", {"version": submitted["version"]})
    body_ = problem(refused, 422)
    assert body_["code"] == "four_eyes"
    assert body_["detail"].startswith("Four eyes")


def test_submitting_a_message_without_evidence_is_refused(api, world, planner, team) -> None:
    uncited = MessageFactory(theme=world.theme, owner_team=team)
    draft = services.activity_create(
        actor=planner,
        campaign=world.campaign,
        title="Unsourced",
        audience=world.audience,
        message=uncited,
        channel=world.channel,
        scheduled_local=in_days(5),
    )
    response = api(planner).post(f"{URL}{draft.uuid}/submit/", {"version": draft.version})
    assert problem(response, 422)["code"] == "evidence_missing"


def test_the_evidence_review_needs_verified_evidence(api, in_review, reviewer, world) -> None:
    messaging.evidence_dispute(evidence=world.evidence, actor=reviewer, reason="Doubts.")
    in_review.refresh_from_db()  # the dispute recalled it…
    assert in_review.status == S.CHANGES_REQUESTED
    response = api(reviewer).post(f"{URL}{in_review.uuid}/approve/", {"version": 3})
    assert problem(response, 409)["code"] == "invalid_transition"


def test_asking_for_changes_needs_a_comment(api, in_review, reviewer) -> None:
    url = f"{URL}{in_review.uuid}/request-changes/"
    client = api(reviewer)
    assert field_errors(client.post(url, {"version": in_review.version})) == {
        "comment": ["required"]
    }
    assert field_errors(client.post(url, {"version": in_review.version, "comment": "  "})) == {
        "comment": ["blank"]
    }
    sent_back = client.post(url, {"version": in_review.version, "comment": "Second source."})
    assert sent_back.json()["status"] == S.CHANGES_REQUESTED


def test_actions_refuse_states_that_do_not_allow_them(api, draft, planner) -> None:
    client = api(planner)
    outcome = client.post(
        f"{URL}{draft.uuid}/outcome/", {"version": 1, "reach": 5, "engagement": 1}
    )
    assert problem(outcome, 409)["code"] == "invalid_transition"
    cancelled = client.post(f"{URL}{draft.uuid}/cancel/", {"version": 1, "reason": "Venue."})
    assert cancelled.json()["status"] == S.CANCELLED
    again = client.post(f"{URL}{draft.uuid}/cancel/", {"version": cancelled.json()["version"]})
    body_ = problem(again, 409)
    assert body_["detail"] == "A cancelled activity cannot be cancelled."
    assert body_["errors"] == [
        {
            "code": "invalid_transition",
            "detail": body_["detail"],
            "attr": "status",
            "pointer": "/status",
        }
    ]


def test_an_outcome_is_checked_and_completes_the_activity(api, approved, planner) -> None:
    OutreachActivity.objects.filter(pk=approved.pk).update(status=S.DISPATCHED)
    url = f"{URL}{approved.uuid}/outcome/"
    client = api(planner)
    wrong = client.post(
        url, {"version": approved.version, "reach": 5, "engagement": 9, "pickups": ["ftp://x"]}
    )
    assert set(field_errors(wrong)) == {"engagement", "pickups"}
    negative = client.post(url, {"version": approved.version, "reach": -1, "engagement": 0})
    assert field_errors(negative) == {"reach": ["min_value"]}
    done = client.post(
        url,
        {
            "version": approved.version,
            "reach": 1800,
            "engagement": 240,
            "pickups": ["https://news.example.com/story"],
            "notes": "Three outlets ran it.",
        },
    )
    assert done.status_code == 200, done.content
    assert done.json()["status"] == S.COMPLETED
    assert done.json()["outcome"]["reach"] == 1800
    assert done.json()["outcome"]["recorded_by"]["username"] == "planner"


def test_a_patch_needs_the_version_and_refuses_unknown_fields(api, draft, planner) -> None:
    client = api(planner)
    url = f"{URL}{draft.uuid}/"
    assert field_errors(client.patch(url, {"title": "New"})) == {"version": ["required"]}
    assert field_errors(client.patch(url, {"version": 1, "status": "approved"})) == {
        "status": ["unknown_field"]
    }
    assert field_errors(client.patch(url, {"version": "1", "title": "New"})) == {
        "version": ["invalid_type"]
    }
    renamed = client.patch(url, {"version": 1, "title": "New"})
    assert (renamed.json()["title"], renamed.json()["version"]) == ("New", 2)
    stale = client.patch(url, {"version": 1, "title": "Newer"})
    assert problem(stale, 409)["code"] == "conflict"


# --- lists ---------------------------------------------------------------------------------


def second_draft(world, planner, title: str = "Radio interview") -> OutreachActivity:
    return services.activity_create(
        actor=planner,
        campaign=world.campaign,
        title=title,
        audience=world.audience,
        message=world.message,
        channel=world.channel,
        scheduled_local=in_days(9),
    )


def test_filters_search_and_ordering(api, world, planner, approved) -> None:
    draft = second_draft(world, planner)
    client = api(planner)

    def titles(**params):
        response = client.get(URL, params)
        assert response.status_code == 200, response.content
        return [a["title"] for a in response.json()["results"]]

    assert titles(status="approved") == [approved.title]
    assert sorted(titles(status=["approved", "draft"])) == sorted([approved.title, draft.title])
    assert titles(campaign=str(uuid.uuid4())) == []
    assert len(titles(audience=str(world.audience.uuid))) == 2
    assert titles(search="nothing like it") == []
    later = (draft.scheduled_at + dt.timedelta(minutes=1)).isoformat()
    assert titles(scheduled_at_after=later) == []
    assert titles(scheduled_at_before=later, ordering="-scheduled_at") == [
        draft.title,
        approved.title,
    ]
    assert titles(search="radio") == [draft.title]
    assert len(titles(mine="true")) == 2
    assert titles(mine="false") == []
    assert field_errors(client.get(URL, {"status": "sent"})) == {"status": ["invalid_choice"]}
    assert field_errors(client.get(URL, {"mine": "yes"})) == {"mine": ["invalid"]}
    assert field_errors(client.get(URL, {"page_size": 0})) == {"page_size": ["invalid"]}
    # django-filter names the range, not its end.
    assert field_errors(client.get(URL, {"scheduled_at_after": "Tuesday"})) == {
        "scheduled_at": ["invalid"]
    }
    # A cursor that decodes, but whose position is no time: 404, not a server error.
    forged = base64.b64encode(b"p=not-a-date").decode()
    assert problem(client.get(URL, {"cursor": forged}), 404)["detail"] == "Invalid cursor"
    bad_offset = base64.b64encode(b"o=abc").decode()
    assert problem(client.get(URL, {"cursor": bad_offset}), 404)["detail"] == "Invalid cursor"


def test_cursor_pages_are_stable_even_when_times_are_equal(api, world, planner) -> None:
    when = in_days(5)
    for i in range(7):
        services.activity_create(
            actor=planner,
            campaign=world.campaign,
            title=f"Same time {i}",
            audience=world.audience,
            message=world.message,
            channel=world.channel,
            scheduled_local=when,
        )
    client = api(planner)
    seen: list[str] = []
    url = f"{URL}?page_size=2&ordering=-scheduled_at"
    while url:
        page = client.get(url).json()
        seen += [a["id"] for a in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 7


# --- files ---------------------------------------------------------------------------------


def test_the_csv_export_has_local_and_utc_times_and_defuses_formulas(api, world, planner):
    services.activity_create(
        actor=planner,
        campaign=world.campaign,
        title='=HYPERLINK("http://evil.example")',
        audience=world.audience,
        message=world.message,
        channel=world.channel,
        scheduled_local=in_days(5, hour=9),
    )
    response = api(planner).get(f"{URL}export/", HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="activities.csv"' in response["Content-Disposition"]
    [row] = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert row["title"] == '\'=HYPERLINK("http://evil.example")'
    assert row["scheduled_local"] == in_days(5, hour=9).isoformat(timespec="minutes")
    assert row["timezone"] == "Europe/Chisinau"
    assert row["scheduled_at_utc"].endswith("Z")


def test_an_export_error_is_still_a_problem(api, planner) -> None:
    response = api(planner).get(f"{URL}export/", {"status": "nonsense"})
    problem(response, 400)
    assert problem(api().get(f"{URL}export/"), 401)["code"] == "not_authenticated"


def test_the_calendar_feed_is_in_the_audiences_local_time(api, world, planner, approved):
    draft = services.activity_cancel(activity=second_draft(world, planner), actor=planner)
    response = api(planner).get(f"/api/v1/campaigns/{world.campaign.uuid}/schedule/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    event = events[f"{approved.uuid}@candor"]
    start = event.decoded("DTSTART")
    assert str(start.tzinfo) == "Europe/Chisinau"
    assert start.hour == 9
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(events[f"{draft.uuid}@candor"]["STATUS"]) == "CANCELLED"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Chisinau"]
    assert world.campaign.attributed_to in str(event["DESCRIPTION"])


def test_other_teams_planners_see_no_activity_of_this_team(api, draft, outsider) -> None:
    other = member(outsider.teams.get(), Role.LEAD)
    assert api(other).get(URL).json()["results"] == []
    assert api(other).get(f"{URL}export/").content.decode().count("\r\n") == 1


def test_the_evidence_counts_are_read_where_they_are_shown_only(
    api, planner, reviewer, in_review, world
) -> None:
    """Detail and list carry ``evidence``; the CSV export and the read a write action starts
    with do not pay for its three subqueries a row."""
    client = api(reviewer)
    detail = client.get(f"{URL}{in_review.uuid}/").json()
    assert detail["evidence"] == {"cited": 1, "verified": 1, "withdrawn": 0}
    assert client.get(URL).json()["results"][0]["evidence"] == detail["evidence"]
    with CaptureQueriesContext(connection) as queries:
        assert api(planner).get(f"{URL}export/", HTTP_ACCEPT="text/csv").status_code == 200
    assert not [q for q in queries.captured_queries if "messaging_citation" in q["sql"]]
    with CaptureQueriesContext(connection) as queries:
        approved = client.post(f"{URL}{in_review.uuid}/approve/", {"version": detail["version"]})
    assert approved.status_code == 200
    assert approved.json()["evidence"] == detail["evidence"]  # the response still shows them
    citing = [q for q in queries.captured_queries if "messaging_citation" in q["sql"]]
    assert len(citing) == 2  # the rules' read (approvals._facts_columns) and the response
