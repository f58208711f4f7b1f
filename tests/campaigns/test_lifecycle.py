"""The activity lifecycle (DESIGN.md §3): every rule holds, and breaking it is refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.errors import Conflict, InvalidInput, InvalidTransition, NotPermitted, RuleViolation
from campaigns import services
from campaigns.models import (
    ActivityEvent,
    ActivityStatus,
    ApprovalDecision,
    OutreachActivity,
    PendingNotification,
)
from messaging import services as messaging
from messaging.models import Citation
from messaging.signals import evidence_withdrawn
from tests.audiences.factories import ChannelFactory, seeded
from tests.conftest import SENT_BACK_STATE, email_of, in_days, sent_back
from tests.messaging.factories import EvidenceFactory, MessageFactory

S = ActivityStatus
Kind = ActivityEvent.Kind


def kinds(activity: OutreachActivity) -> list[str]:
    return list(activity.events.order_by("at", "pk").values_list("kind", flat=True))


# --- creating and the shape of a draft ---------------------------------------------------------


def test_a_draft_is_stored_in_utc_and_records_who_created_it(draft, planner, world) -> None:
    assert draft.status == S.DRAFT
    assert draft.scheduled_local.hour == 9
    assert draft.scheduled_local.tzinfo.key == "Europe/Chisinau"
    assert draft.scheduled_at.utcoffset() == dt.timedelta(0)
    event = draft.events.get()
    assert (event.kind, event.actor, event.to_status) == (Kind.CREATED, planner, S.DRAFT)


def test_creating_checks_every_field_and_reports_them_together(world, planner, other_team):
    belarus = seeded("belarus")
    foreign_channel = ChannelFactory(owner_team=other_team)
    with pytest.raises(InvalidInput) as error:
        services.activity_create(
            actor=planner,
            campaign=world.campaign,
            title="Wrong on every count",
            audience=belarus,
            message=world.message,
            channel=foreign_channel,
            scheduled_local=in_days(400),
        )
    errors = error.value.errors
    assert "not an audience of campaign" in errors["audience"][0]
    assert errors["message"] == ["The message is in ro; Belarus is reached in be, ru."]
    assert errors["channel"] == ["No such channel."]
    assert "The campaign runs from" in errors["scheduled_at"][0]
    assert not OutreachActivity.objects.exists()


def test_a_time_in_the_past_is_refused(world, planner) -> None:
    with pytest.raises(InvalidInput) as error:
        services.activity_create(
            actor=planner,
            campaign=world.campaign,
            title="Too late",
            audience=world.audience,
            message=world.message,
            channel=world.channel,
            scheduled_local=in_days(-1),
        )
    assert error.value.errors["scheduled_at"][0].startswith("The scheduled time has passed")


def test_a_viewer_or_an_outsider_cannot_plan_in_the_campaign(world, viewer, outsider) -> None:
    for actor in (viewer, outsider):
        with pytest.raises(NotPermitted):
            services.activity_create(
                actor=actor,
                campaign=world.campaign,
                title="Not mine",
                audience=world.audience,
                message=world.message,
                channel=world.channel,
                scheduled_local=in_days(5),
            )


def test_an_outsider_cannot_use_a_red_message_of_another_team(world, team, outsider) -> None:
    world.campaign.collaborating_teams.add(outsider.teams.get())
    secret = MessageFactory(theme=world.theme, owner_team=team, marking="red")
    outsider_channel = ChannelFactory(owner_team=outsider.teams.get())
    with pytest.raises(InvalidInput) as error:
        services.activity_create(
            actor=outsider,
            campaign=world.campaign,
            title="Borrowed words",
            audience=world.audience,
            message=secret,
            channel=outsider_channel,
            scheduled_local=in_days(5),
        )
    assert error.value.errors == {"message": ["No such message."]}


# --- submit and the evidence gate ---------------------------------------------------------------


def test_submitting_starts_review_at_the_first_step(in_review, planner) -> None:
    assert in_review.status == S.IN_REVIEW
    assert in_review.current_step.name == "Evidence review"
    assert in_review.review_round == 1
    assert in_review.submitted_by == planner
    assert kinds(in_review) == [Kind.CREATED, Kind.SUBMITTED]


def test_submit_is_refused_when_the_message_cites_no_evidence(draft, planner) -> None:
    Citation.objects.filter(message=draft.message).delete()
    with pytest.raises(RuleViolation) as error:
        services.activity_submit(activity=draft, actor=planner)
    assert error.value.code == "evidence_missing"
    draft.refresh_from_db()
    assert draft.status == S.DRAFT


@pytest.mark.parametrize("status", ["disputed", "retracted"])
def test_submit_is_refused_when_cited_evidence_is_withdrawn(draft, planner, world, status):
    world.evidence.status = status
    world.evidence.save()
    with pytest.raises(RuleViolation) as error:
        services.activity_submit(activity=draft, actor=planner)
    assert error.value.code == "evidence_withdrawn"
    assert status in error.value.message


def test_submit_is_refused_once_the_time_has_passed(draft, planner) -> None:
    with (
        time_machine.travel(draft.scheduled_at + dt.timedelta(minutes=1)),
        pytest.raises(InvalidInput) as error,
    ):
        services.activity_submit(activity=draft, actor=planner)
    assert "reschedule" in error.value.errors["scheduled_at"][0]


def test_an_activity_in_review_cannot_be_submitted_again(in_review, planner) -> None:
    with pytest.raises(InvalidTransition):
        services.activity_submit(activity=in_review, actor=planner)


# --- approval: roles, four eyes, evidence review, freezing ------------------------------------


def test_two_other_people_approve_and_the_content_is_frozen(in_review, reviewer, approver):
    step_two = services.activity_approve(activity=in_review, actor=reviewer, comment="Sources ok")
    assert step_two.status == S.IN_REVIEW
    assert step_two.current_step.name == "Sign-off"
    done = services.activity_approve(activity=step_two, actor=approver)
    assert done.status == S.APPROVED
    assert done.current_step is None
    assert done.approved_content_hash == done.content_hash()
    assert len(done.approved_content_hash) == 64
    assert kinds(done)[-2:] == [Kind.STEP_APPROVED, Kind.APPROVED]
    assert list(done.decisions.values_list("user__username", "verdict")) == [
        ("reviewer", "approve"),
        ("approver", "approve"),
    ]


def test_the_drafter_cannot_approve_even_as_lead(world, lead, reviewer, approver) -> None:
    mine = services.activity_create(
        actor=lead,
        campaign=world.campaign,
        title="Lead's own",
        audience=world.audience,
        message=world.message,
        channel=world.channel,
        scheduled_local=in_days(6),
    )
    mine = services.activity_submit(activity=mine, actor=lead)
    with pytest.raises(RuleViolation) as error:
        services.activity_approve(activity=mine, actor=lead)
    assert error.value.code == "four_eyes"


def test_the_submitter_cannot_approve(draft, lead) -> None:
    submitted = services.activity_submit(activity=draft, actor=lead)
    with pytest.raises(RuleViolation) as error:
        services.activity_approve(activity=submitted, actor=lead)
    assert error.value.code == "four_eyes"


def test_one_person_cannot_approve_two_steps(in_review, lead) -> None:
    step_two = services.activity_approve(activity=in_review, actor=lead)
    with pytest.raises(RuleViolation) as error:
        services.activity_approve(activity=step_two, actor=lead)
    assert "already approved a step" in error.value.message


def test_an_activity_in_review_records_when_it_reached_its_step(draft, planner, reviewer):
    """What reports sort the waiting list by: the submission, then each step's approval."""
    first = (timezone.now() - dt.timedelta(days=2)).replace(microsecond=0)
    second = first + dt.timedelta(hours=30)
    with time_machine.travel(first, tick=False):
        submitted = services.activity_submit(activity=draft, actor=planner)
    with time_machine.travel(second, tick=False):
        step_two = services.activity_approve(activity=submitted, actor=reviewer)
    assert submitted.step_since == first
    stored = OutreachActivity.objects.get(pk=draft.pk).step_since
    assert stored == step_two.step_since == second


def test_each_step_needs_its_role(in_review, approver, viewer, outsider_reviewer) -> None:
    for actor in (approver, viewer, outsider_reviewer):
        with pytest.raises(NotPermitted):
            services.activity_approve(activity=in_review, actor=actor)
    assert not ApprovalDecision.objects.exists()


def test_a_reviewer_cannot_sign_off(in_review, reviewer, lead) -> None:
    step_two = services.activity_approve(activity=in_review, actor=lead)
    with pytest.raises(NotPermitted):
        services.activity_approve(activity=step_two, actor=reviewer)


def test_evidence_review_is_refused_until_every_cited_item_is_verified(
    draft, planner, reviewer, world
) -> None:
    unverified = EvidenceFactory(owner_team=world.team)
    Citation.objects.create(
        message=world.message, evidence=unverified, sentence="Rapoartele independente o confirmă."
    )
    submitted = services.activity_submit(activity=draft, actor=planner)
    with pytest.raises(RuleViolation) as error:
        services.activity_approve(activity=submitted, actor=reviewer)
    assert error.value.code == "evidence_unverified"
    assert unverified.claim[:60] in error.value.message
    assert world.evidence.claim[:60] not in error.value.message  # verified: not named
    messaging.evidence_verify(evidence=unverified, actor=reviewer)
    passed = services.activity_approve(activity=submitted, actor=reviewer)
    assert passed.current_step.name == "Sign-off"


def test_request_changes_needs_a_comment_and_returns_it_to_the_owner(in_review, reviewer):
    with pytest.raises(InvalidInput):
        services.activity_request_changes(activity=in_review, actor=reviewer, comment="  ")
    back = services.activity_request_changes(
        activity=in_review, actor=reviewer, comment="Cite the ministry's own figures."
    )
    assert back.status == S.CHANGES_REQUESTED
    assert back.current_step is None
    assert back.events.last().comment == "Cite the ministry's own figures."


def test_resubmitting_starts_a_new_round_with_fresh_approvals(in_review, planner, reviewer):
    back = services.activity_request_changes(activity=in_review, actor=reviewer, comment="Fix")
    again = services.activity_submit(activity=back, actor=planner)
    assert again.review_round == 2
    assert again.current_step.name == "Evidence review"
    assert services.activity_approve(activity=again, actor=reviewer).current_step.order == 2


# --- approved means frozen ------------------------------------------------------------------


def test_rescheduling_an_approved_activity_sends_it_back(approved, planner) -> None:
    edited = services.activity_update(
        activity=approved, actor=planner, scheduled_local=in_days(7, hour=10)
    )
    assert sent_back(edited) == SENT_BACK_STATE
    event = edited.events.last()
    assert event.kind == Kind.EDITED
    assert (event.from_status, event.to_status) == (S.APPROVED, S.CHANGES_REQUESTED)
    assert set(event.changes) == {"scheduled_at"}
    old, new = event.changes["scheduled_at"]
    assert old != new


def test_renaming_an_approved_activity_keeps_it_approved(approved, planner) -> None:
    edited = services.activity_update(activity=approved, actor=planner, title="New internal name")
    assert edited.status == S.APPROVED
    assert edited.approved_content_hash == edited.content_hash()


def test_editing_the_approved_message_text_sends_the_activity_back(approved, planner) -> None:
    messaging.message_update(
        message=approved.message, actor=planner, body=approved.message.body + " Actualizat."
    )
    approved.refresh_from_db()
    assert approved.status == S.CHANGES_REQUESTED
    assert approved.events.last().changes["message"]["body"][1].endswith("Actualizat.")


def test_the_content_hash_changes_with_what_goes_out(approved) -> None:
    frozen = approved.approved_content_hash
    approved.scheduled_at += dt.timedelta(minutes=1)
    assert approved.content_hash() != frozen
    approved.refresh_from_db()
    approved.channel.email_recipients = ["someone-else@candor.test"]
    assert approved.content_hash() != frozen


def test_a_dispatched_activity_cannot_be_edited_or_cancelled(approved, planner) -> None:
    OutreachActivity.objects.filter(pk=approved.pk).update(status=S.DISPATCHED)
    approved.refresh_from_db()
    with pytest.raises(InvalidTransition):
        services.activity_update(activity=approved, actor=planner, title="Too late")
    with pytest.raises(InvalidTransition):
        services.activity_cancel(activity=approved, actor=planner)


def test_a_title_can_be_corrected_after_the_time_has_passed(approved, planner) -> None:
    with time_machine.travel(approved.scheduled_at + dt.timedelta(hours=1)):
        renamed = services.activity_update(activity=approved, actor=planner, title="Renamed")
        assert renamed.title == "Renamed"
        with pytest.raises(InvalidInput):
            services.activity_update(
                activity=renamed,
                actor=planner,
                scheduled_at=approved.scheduled_at + dt.timedelta(minutes=-5),
            )


# --- retraction recall ------------------------------------------------------------------------


@pytest.mark.parametrize("verb", ["evidence_retract", "evidence_dispute"])
def test_withdrawing_evidence_recalls_approved_activities_and_tells_the_owner(
    approved, reviewer, world, verb
) -> None:
    getattr(messaging, verb)(
        evidence=world.evidence, actor=reviewer, reason="Publisher corrected the figures."
    )
    assert sent_back(approved) == SENT_BACK_STATE  # the approval and its step are gone
    recall = approved.events.last()
    assert recall.kind == Kind.RECALLED
    assert recall.actor == reviewer
    assert "Publisher corrected the figures." in recall.comment
    # One notification, queued in the outbox by the recall's own transaction.
    assert PendingNotification.objects.filter(event__activity=approved).latest("pk").pk == recall.pk
    services.notifications_send_pending()
    assert mail.outbox[-1].to == [approved.owner.email]
    assert "recalled" in mail.outbox[-1].subject.lower()
    assert mail.outbox[-1].extra_headers["X-Candor-Event"] == str(recall.pk)


def test_recall_leaves_drafts_and_activities_citing_other_evidence_alone(
    approved, planner, reviewer, world
) -> None:
    other_draft = services.activity_create(
        actor=planner,
        campaign=world.campaign,
        title="Still a draft",
        audience=world.audience,
        message=world.message,
        channel=world.channel,
        scheduled_local=in_days(8),
    )
    other = EvidenceFactory(owner_team=world.team, verified=True)
    messaging.evidence_retract(evidence=other, actor=reviewer, reason="Unrelated")
    approved.refresh_from_db()
    assert approved.status == S.APPROVED
    messaging.evidence_retract(evidence=world.evidence, actor=reviewer, reason="Wrong figures")
    other_draft.refresh_from_db()
    assert other_draft.status == S.DRAFT
    assert kinds(other_draft) == [Kind.CREATED]


def test_a_failed_activity_is_recalled_so_a_retry_cannot_send_withdrawn_evidence(
    approved, reviewer, world
) -> None:
    OutreachActivity.objects.filter(pk=approved.pk).update(status=S.FAILED)
    messaging.evidence_dispute(evidence=world.evidence, actor=reviewer, reason="Contested")
    approved.refresh_from_db()
    assert approved.status == S.CHANGES_REQUESTED


def test_a_superuser_without_a_team_role_cannot_approve(in_review, admin_user) -> None:
    with pytest.raises(NotPermitted):
        services.activity_approve(activity=in_review, actor=admin_user)


def test_retraction_and_recall_commit_or_roll_back_together(approved, reviewer, world) -> None:
    def downstream_failure(**kwargs: Any) -> None:
        raise RuntimeError("a later receiver failed")

    evidence_withdrawn.connect(downstream_failure, dispatch_uid="test-downstream-failure")
    try:
        with pytest.raises(RuntimeError):
            messaging.evidence_retract(evidence=world.evidence, actor=reviewer, reason="x")
    finally:
        evidence_withdrawn.disconnect(dispatch_uid="test-downstream-failure")
    world.evidence.refresh_from_db()
    approved.refresh_from_db()
    assert world.evidence.status == "verified"
    assert approved.status == S.APPROVED
    assert not approved.events.filter(kind=Kind.RECALLED).exists()


# --- cancel, outcome, concurrency guard -------------------------------------------------------


@pytest.mark.parametrize("fixture", ["draft", "in_review", "approved"])
def test_any_open_activity_can_be_cancelled(request, planner, fixture) -> None:
    activity = request.getfixturevalue(fixture)
    cancelled = services.activity_cancel(activity=activity, actor=planner, reason="Postponed")
    assert cancelled.status == S.CANCELLED
    assert cancelled.events.last().comment == "Postponed"
    with pytest.raises(InvalidTransition):
        services.activity_cancel(activity=cancelled, actor=planner)


def test_an_outcome_needs_a_dispatched_activity_and_sane_figures(approved, planner) -> None:
    with pytest.raises(InvalidTransition):
        services.activity_record_outcome(activity=approved, actor=planner, reach=1, engagement=0)
    OutreachActivity.objects.filter(pk=approved.pk).update(status=S.DISPATCHED)
    approved.refresh_from_db()
    with pytest.raises(InvalidInput) as error:
        services.activity_record_outcome(
            activity=approved, actor=planner, reach=10, engagement=11, pickups=["ftp://x"]
        )
    assert set(error.value.errors) == {"engagement", "pickups"}
    outcome = services.activity_record_outcome(
        activity=approved,
        actor=planner,
        reach=1200,
        engagement=85,
        pickups=["https://news.example.md/article"],
    )
    assert outcome.activity.status == S.COMPLETED
    assert outcome.reach == 1200


def test_acting_on_a_stale_copy_is_a_conflict(in_review, reviewer, lead) -> None:
    stale = OutreachActivity.objects.get(pk=in_review.pk)
    services.activity_approve(activity=in_review, actor=reviewer)
    with pytest.raises(Conflict) as error:
        services.activity_approve(activity=stale, actor=lead)
    assert error.value.http_status == 409
    assert "reload" in error.value.message


def test_the_database_refuses_a_second_approval_of_one_step(in_review, reviewer, lead) -> None:
    ApprovalDecision.objects.create(
        activity=in_review,
        step=in_review.current_step,
        review_round=1,
        user=reviewer,
        verdict="approve",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ApprovalDecision.objects.create(
            activity=in_review,
            step=in_review.current_step,
            review_round=1,
            user=lead,
            verdict="approve",
        )


def test_submitting_notifies_the_reviewers_of_the_first_step(
    draft, planner, reviewer, lead, approver
) -> None:
    submitted = services.activity_submit(activity=draft, actor=planner)
    event = submitted.events.last()
    assert services.notifications_send_pending() == 1  # the notify tick's work
    message = email_of(event)
    assert sorted(message.to) == sorted([reviewer.email, lead.email])
    text = message.body
    assert "Editors' briefing in Chișinău" in text
    assert "Scheduled: " + draft.scheduled_local.strftime("%Y-%m-%d 09:00") in text
    assert "09:00 Europe/Chisinau" in text
    assert f"http://127.0.0.1:8000/activities/{draft.uuid}/" in text
    html = message.alternatives[0].content
    assert "<h2" in html
    assert "09:00 Europe/Chisinau" in html
    assert message.subject == "[Candor] Editors' briefing in Chișinău: submitted"
