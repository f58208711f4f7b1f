"""The whole lifecycle through the API on PostgreSQL: draft → submitted → approved by two other
people → frozen (an edit sends it back) → approved again → evidence retracted → recalled."""

from __future__ import annotations

import pytest

from campaigns.models import ActivityEvent, ActivityStatus
from tests.conftest import in_days
from tests.problems import problem

pytestmark = pytest.mark.django_db

S = ActivityStatus
Kind = ActivityEvent.Kind


def test_an_activity_goes_through_the_whole_workflow_by_api(
    api, world, planner, reviewer, approver
) -> None:
    as_planner, as_reviewer, as_approver = api(planner), api(reviewer), api(approver)

    created = as_planner.post(
        "/api/v1/activities/",
        {
            "campaign": str(world.campaign.uuid),
            "title": "Editors' briefing in Chișinău",
            "audience": str(world.audience.uuid),
            "message": str(world.message.uuid),
            "channel": str(world.channel.uuid),
            "scheduled_local": in_days(5).isoformat(),
        },
    )
    assert created.status_code == 201, created.content
    activity = created.json()
    url = f"/api/v1/activities/{activity['id']}/"
    assert (activity["status"], activity["version"]) == (S.DRAFT, 1)
    assert activity["scheduled_local"] == in_days(5).isoformat()
    assert activity["timezone"] == "Europe/Chisinau"
    assert activity["scheduled_at"].endswith("Z")

    submitted = as_planner.post(f"{url}submit/", {"version": activity["version"]})
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["status"] == S.IN_REVIEW
    assert submitted.json()["current_step"]["kind"] == "evidence_review"

    # The planner may not approve their own work (four eyes): 422 with the reason.
    own = as_planner.post(f"{url}approve/", {"version": submitted.json()["version"]})
    assert problem(own, 403)["code"] == "not_permitted"  # a planner holds no reviewer role

    step_one = as_reviewer.post(
        f"{url}approve/", {"version": submitted.json()["version"], "comment": "Sources hold."}
    )
    assert step_one.status_code == 200, step_one.content
    assert step_one.json()["current_step"]["kind"] == "sign_off"

    # The reviewer cannot also sign off: another person must.
    again = as_reviewer.post(f"{url}approve/", {"version": step_one.json()["version"]})
    assert problem(again, 403)["code"] == "not_permitted"

    # A stale version is a conflict, not a silent overwrite.
    stale = as_approver.post(f"{url}approve/", {"version": submitted.json()["version"]})
    assert problem(stale, 409)["code"] == "conflict"

    approved = as_approver.post(f"{url}approve/", {"version": step_one.json()["version"]})
    assert approved.status_code == 200, approved.content
    body = approved.json()
    assert body["status"] == S.APPROVED
    assert len(body["approved_content_hash"]) == 64

    # Approved means frozen: moving the time sends it back for review.
    moved = as_planner.patch(
        url, {"version": body["version"], "scheduled_local": in_days(6).isoformat()}
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["status"] == S.CHANGES_REQUESTED
    assert moved.json()["approved_content_hash"] == ""

    version = moved.json()["version"]
    version = as_planner.post(f"{url}submit/", {"version": version}).json()["version"]
    version = as_reviewer.post(f"{url}approve/", {"version": version}).json()["version"]
    reapproved = as_approver.post(f"{url}approve/", {"version": version})
    assert reapproved.json()["status"] == S.APPROVED

    # The reviewer retracts the evidence the message cites: the activity is recalled.
    retracted = as_reviewer.post(
        f"/api/v1/evidence/{world.evidence.uuid}/retract/",
        {"reason": "The publisher withdrew the report."},
    )
    assert retracted.status_code == 200, retracted.content
    assert retracted.json()["status"] == "retracted"
    assert retracted.json()["verification"]["by"]["username"] == "reviewer"

    recalled = as_planner.get(url).json()
    assert recalled["status"] == S.CHANGES_REQUESTED

    history = as_planner.get(f"{url}history/")
    assert history.status_code == 200
    events = history.json()
    assert [e["kind"] for e in events] == [
        Kind.CREATED,
        Kind.SUBMITTED,
        Kind.STEP_APPROVED,
        Kind.APPROVED,
        Kind.EDITED,
        Kind.SUBMITTED,
        Kind.STEP_APPROVED,
        Kind.APPROVED,
        Kind.RECALLED,
    ]
    assert events[-1]["actor"]["username"] == "reviewer"
    assert "The publisher withdrew the report." in events[-1]["comment"]
    assert events[-1]["changes"]["evidence"]["status"] == "retracted"

    # And it cannot be submitted again while it cites retracted evidence: 422 with the reason.
    refused = as_planner.post(f"{url}submit/", {"version": recalled["version"]})
    body = problem(refused, 422)
    assert body["code"] == "evidence_withdrawn"
    assert body["errors"][0]["attr"] == "message"


def test_a_failed_activity_is_retried_by_api_only_with_its_approved_content(
    api, approved, planner, viewer
) -> None:
    from django.utils import timezone

    from audiences.models import Channel
    from campaigns import services
    from campaigns.models import OutreachActivity

    OutreachActivity.objects.filter(pk=approved.pk).update(
        status=S.DISPATCHING, claimed_at=timezone.now()
    )
    attempt = services.dispatch_prepare(activity_id=approved.pk)
    services.dispatch_record_failure(dispatch=attempt.dispatch, error="HTTP 503", final=True)
    failed = OutreachActivity.objects.get(pk=approved.pk)
    url = f"/api/v1/activities/{failed.uuid}/retry/"

    assert problem(api(viewer).post(url, {"version": failed.version}), 403)
    Channel.objects.filter(pk=failed.channel_id).update(email_recipients=["x@elsewhere.test"])
    changed = problem(api(planner).post(url, {"version": failed.version}), 422)
    assert "differs from what was approved" in changed["detail"]
    Channel.objects.filter(pk=failed.channel_id).update(
        email_recipients=approved.channel.email_recipients
    )
    retried = api(planner).post(url, {"version": failed.version})
    assert retried.status_code == 200, retried.content
    assert retried.json()["status"] == S.APPROVED
    stale = api(planner).post(url, {"version": failed.version})
    assert problem(stale, 409)


def test_a_report_downloads_as_html_and_pdf_by_api(api, approved, lead, world) -> None:
    import datetime as _dt

    from campaigns.models import ReportSubscription

    subscription = ReportSubscription.objects.create(
        owner=lead,
        campaign=world.campaign,
        cadence="daily",
        send_time=_dt.time(8, 0),
        timezone="Europe/Chisinau",
    )
    base = f"/api/v1/report-subscriptions/{subscription.uuid}/"
    html = api(lead).get(f"{base}latest-html/")
    assert html.status_code == 200
    assert html["Content-Type"].startswith("text/html")
    assert world.campaign.name in html.content.decode()
    pdf = api(lead).get(f"{base}latest-pdf/")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
