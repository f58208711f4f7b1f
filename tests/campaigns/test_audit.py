"""Everything audited: each write path leaves a record, and the records cannot be rewritten."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from accounts.models import Marking
from campaigns import services
from campaigns.models import ActivityEvent, ApprovalDecision, Campaign, OutreachActivity
from messaging import services as messaging
from messaging.models import Theme

pytestmark = pytest.mark.django_db

OutreachActivityEvent = OutreachActivity.audit_trail.rel.related_model
CampaignEvent = Campaign.audit_trail.rel.related_model
ThemeEvent = Theme.audit_trail.rel.related_model


def test_a_service_transition_is_in_both_histories_with_its_actor(draft, planner) -> None:
    submitted = services.activity_submit(activity=draft, actor=planner)
    row = OutreachActivityEvent.objects.filter(pgh_obj=submitted).order_by("pgh_id").last()
    assert row.status == "in_review"
    assert row.pgh_context.metadata["actor"] == planner.pk
    assert row.pgh_context.metadata["transition"] == "activity_submit"
    event = submitted.events.last()
    assert (event.actor, event.from_status, event.to_status) == (planner, "draft", "in_review")


def test_a_recall_is_recorded_under_the_retraction_that_caused_it(approved, reviewer, world):
    messaging.evidence_retract(evidence=world.evidence, actor=reviewer, reason="Fabricated")
    row = OutreachActivityEvent.objects.filter(pgh_obj=approved).order_by("pgh_id").last()
    assert row.status == "changes_requested"
    assert row.pgh_context.metadata == {
        "actor": reviewer.pk,
        "action": "evidence_retracted",
        "reason": "Fabricated",
        "transition": "activity_recall",
    }


def test_a_queryset_update_is_recorded_by_the_database(draft) -> None:
    OutreachActivity.objects.filter(pk=draft.pk).update(title="Changed behind the app's back")
    titles = list(
        OutreachActivityEvent.objects.filter(pgh_obj=draft)
        .order_by("pgh_id")
        .values_list("title", flat=True)
    )
    assert titles[-1] == "Changed behind the app's back"
    assert len(titles) == 2


def test_bulk_writes_are_recorded_row_by_row(team) -> None:
    themes = Theme.objects.bulk_create(
        [
            Theme(owner_team=team, title=f"Bulk {i}", summary="s", marking=Marking.GREEN)
            for i in (1, 2)
        ]
    )
    for theme in themes:
        theme.summary = "changed in bulk"
    Theme.objects.bulk_update(themes, ["summary"])
    summaries = sorted(
        ThemeEvent.objects.filter(title__startswith="Bulk").values_list("title", "summary")
    )
    assert summaries == [
        ("Bulk 1", "changed in bulk"),
        ("Bulk 1", "s"),
        ("Bulk 2", "changed in bulk"),
        ("Bulk 2", "s"),
    ]


def test_an_admin_save_is_recorded_with_the_signed_in_user(client, world, admin_user) -> None:
    # A theme: the models the rules govern (a campaign, say) are read-only in the admin.
    theme = world.theme
    client.force_login(admin_user)
    response = client.post(
        f"/admin/messaging/theme/{theme.pk}/change/",
        {
            "title": "Renamed in the admin",
            "summary": theme.summary,
            "key_points": "[]",
            "tags": "[]",
            "owner_team": theme.owner_team_id,
            "marking": theme.marking,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row = ThemeEvent.objects.filter(pgh_obj=theme).order_by("pgh_id").last()
    assert row.title == "Renamed in the admin"
    assert row.pgh_context.metadata["user"] == admin_user.pk
    assert row.pgh_context.metadata["url"].startswith("/admin/messaging/theme/")


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE campaigns_activityevent SET comment = 'rewritten'",
        "DELETE FROM campaigns_activityevent",
        "UPDATE campaigns_outreachactivityevent SET title = 'rewritten'",
        "DELETE FROM campaigns_outreachactivityevent",
    ],
)
def test_the_database_refuses_to_rewrite_audit_rows(draft, sql) -> None:
    with (
        pytest.raises(DatabaseError, match="append_only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert ActivityEvent.objects.filter(activity=draft).count() == 1


def test_the_app_refuses_to_rewrite_activity_events(draft) -> None:
    event = draft.events.get()
    event.comment = "rewritten"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        ActivityEvent.objects.filter(pk=event.pk).update(comment="rewritten")
    assert draft.events.get().comment == ""


def test_an_api_approval_is_recorded_under_the_request_context(api, in_review, reviewer) -> None:
    """The transition's audit context (``pghistory.context``) nests in the request's: one
    context, the request's URL and user with the transition added, on the activity's and the
    decision's audit rows alike."""
    DecisionEvent = ApprovalDecision.audit_trail.rel.related_model
    url = f"/api/v1/activities/{in_review.uuid}/approve/"
    response = api(reviewer).post(url, {"version": in_review.version})
    assert response.status_code == 200, response.content
    row = OutreachActivityEvent.objects.filter(pgh_obj=in_review).order_by("pgh_id").last()
    assert row.current_step_id != in_review.current_step_id  # the row of this approval
    decision_row = DecisionEvent.objects.get(activity=in_review, user=reviewer)
    assert row.pgh_context_id == decision_row.pgh_context_id
    metadata = row.pgh_context.metadata
    assert metadata["url"] == url
    assert (metadata["actor"], metadata["transition"]) == (reviewer.pk, "activity_approve")
