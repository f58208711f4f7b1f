"""How a reviewer's transition reaches the database (``campaigns/services/_transitions.py``):
under the row lock, against the version the caller loaded, everything or nothing written."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.errors import Conflict, InvalidTransition, NotPermitted
from accounts.permissions import team_roles
from campaigns import selectors, services
from campaigns.models import (
    ActivityEvent,
    ActivityStatus,
    ApprovalDecision,
    OutreachActivity,
    PendingNotification,
)
from tests.messaging.factories import CitationFactory, EvidenceFactory

pytestmark = pytest.mark.django_db
Kind = ActivityEvent.Kind


def written() -> tuple[int, int, int]:
    return (
        ApprovalDecision.objects.count(),
        ActivityEvent.objects.count(),
        PendingNotification.objects.count(),
    )


# Measured: 12 (the lock with its references, four eyes, the evidence counts, the next step,
# the decision in its savepoint, the update, the event, the outbox row, and the transaction's
# own savepoint); a query per reference or per cited item would pass it. The final step also
# reads the citations it freezes (the snapshot and the hash): one more.
APPROVAL_QUERIES = 12
FINAL_APPROVAL_QUERIES = APPROVAL_QUERIES + 1


def test_an_approval_takes_a_fixed_handful_of_queries_and_writes_it_all(
    in_review, reviewer, approver, django_assert_max_num_queries
) -> None:
    for actor in (reviewer, approver):
        team_roles(actor)  # as a request's user has them (accounts.backends)
    with django_assert_max_num_queries(APPROVAL_QUERIES):
        step_two = services.activity_approve(activity=in_review, actor=reviewer)
    with django_assert_max_num_queries(FINAL_APPROVAL_QUERIES):
        done = services.activity_approve(activity=step_two, actor=approver)
    assert done.status == ActivityStatus.APPROVED
    stored = OutreachActivity.objects.get(pk=in_review.pk)
    assert (stored.version, stored.status) == (in_review.version + 2, ActivityStatus.APPROVED)
    assert stored.approved_content_hash == stored.content_hash()
    assert [e.kind for e in stored.events.order_by("pk")][-2:] == [
        Kind.STEP_APPROVED,
        Kind.APPROVED,
    ]
    step_event = stored.events.get(kind=Kind.STEP_APPROVED)
    assert step_event.changes["next_step"] == step_two.current_step.name
    assert step_event.to_status == ActivityStatus.IN_REVIEW
    assert stored.decisions.count() == 2
    # Each step's reviewers are told of the step it reached, whatever happened since.
    steps = dict(PendingNotification.objects.values_list("event__kind", "step__name"))
    assert steps[Kind.STEP_APPROVED] == step_two.current_step.name
    assert steps[Kind.APPROVED] is None


def test_more_cited_evidence_costs_an_approval_no_more_queries(
    in_review, reviewer, approver, world
) -> None:
    for actor in (reviewer, approver):
        team_roles(actor)
    with CaptureQueriesContext(connection) as one_cited:
        step_two = services.activity_approve(activity=in_review, actor=reviewer)
    for _ in range(5):
        CitationFactory(message=world.message, evidence__owner_team=world.team)
    with CaptureQueriesContext(connection) as six_cited:
        services.activity_approve(activity=step_two, actor=approver)
    assert len(six_cited) == len(one_cited) + 1  # the final step reads what it freezes, once


def test_the_gate_counts_evidence_as_the_listings_summary_does(draft, world) -> None:
    """One definition of the counts (``selectors.EVIDENCE_COUNTS``) for both: the gate's
    aggregate and the listing's subqueries give the same numbers."""
    for status in ("unverified", "disputed", "retracted", "verified"):
        CitationFactory(
            message=world.message,
            evidence=EvidenceFactory(
                owner_team=world.team,
                status=status,
                status_changed_by=world.campaign.created_by,
                status_changed_at=timezone.now(),
            ),
        )
    counts = selectors.evidence_counts(activity=draft)
    summary = selectors.with_evidence_summary(OutreachActivity.objects.all()).get(pk=draft.pk)
    assert counts == {
        "evidence_cited": summary.evidence_cited,
        "evidence_verified": summary.evidence_verified,
        "evidence_withdrawn": summary.evidence_withdrawn,
    }
    assert counts == {"evidence_cited": 5, "evidence_verified": 2, "evidence_withdrawn": 2}


def test_a_message_without_citations_counts_zero_everywhere(draft, world) -> None:
    world.message.citations.all().delete()
    assert selectors.evidence_counts(activity=draft) == dict.fromkeys(selectors.EVIDENCE_COUNTS, 0)
    summary = selectors.with_evidence_summary(OutreachActivity.objects.all()).get(pk=draft.pk)
    assert (summary.evidence_cited, summary.evidence_withdrawn) == (0, 0)


@pytest.mark.parametrize("action", ["approve", "request_changes"])
def test_a_reviewers_transition_on_a_copy_that_moved_on_writes_nothing(
    in_review, reviewer, planner, action
) -> None:
    services.activity_update(activity=in_review, actor=planner, title="Renamed meanwhile")
    before = written()
    with pytest.raises(Conflict, match=r"it is now In review, version \d+"):
        act(in_review, action, reviewer)
    assert written() == before  # no decision, no event, no outbox row
    stored = OutreachActivity.objects.get(pk=in_review.pk)
    assert (stored.title, stored.current_step_id) == (
        "Renamed meanwhile",
        in_review.current_step_id,
    )


def test_a_submit_of_a_copy_that_moved_on_writes_nothing(draft, planner) -> None:
    services.activity_update(activity=draft, actor=planner, title="Renamed meanwhile")
    before = written()
    with pytest.raises(Conflict, match=r"it is now Draft, version \d+"):
        services.activity_submit(activity=draft, actor=planner)
    assert written() == before
    assert OutreachActivity.objects.get(pk=draft.pk).status == ActivityStatus.DRAFT


def test_a_step_decided_by_someone_else_first_is_a_conflict(in_review, reviewer, lead) -> None:
    """The database's own guard, should two decisions of one step ever reach it: the unique
    constraint, answered as a Conflict, with nothing of the transition written."""
    ApprovalDecision.objects.create(
        activity=in_review,
        step=in_review.current_step,
        review_round=in_review.review_round,
        user=lead,
        verdict="approve",
    )
    before = written()
    # (In the caller's transaction, as a view's: the refused statement rolls back with it.)
    with pytest.raises(Conflict, match="approved by someone else"), transaction.atomic():
        services.activity_approve(activity=in_review, actor=reviewer)
    assert written() == before
    stored = OutreachActivity.objects.get(pk=in_review.pk)
    assert (stored.version, stored.current_step_id) == (
        in_review.version,
        in_review.current_step_id,
    )


def test_an_earlier_request_for_changes_of_the_step_is_no_conflict(in_review, reviewer, lead):
    """Only approvals are unique per step and round: a decision to send back does not make
    the step "approved by someone else"."""
    ApprovalDecision.objects.create(
        activity=in_review,
        step=in_review.current_step,
        review_round=in_review.review_round,
        user=lead,
        verdict="request_changes",
        comment="An earlier look.",
    )
    approved = services.activity_approve(activity=in_review, actor=reviewer)
    assert approved.current_step.order == 2


@pytest.mark.parametrize(
    ("fixture", "action"),
    [
        ("draft", "approve"),
        ("approved", "approve"),
        ("draft", "request_changes"),
        ("approved", "request_changes"),
        ("in_review", "submit"),
        ("approved", "submit"),
    ],
)
def test_a_reviewers_transition_from_the_wrong_state_writes_nothing(
    request, fixture, action, planner, reviewer
) -> None:
    actor = planner if action == "submit" else reviewer
    refused_writing_nothing(request.getfixturevalue(fixture), action, actor, InvalidTransition)


def act(activity: OutreachActivity, action: str, actor: Any) -> OutreachActivity:
    if action == "approve":
        return services.activity_approve(activity=activity, actor=actor)
    if action == "request_changes":
        return services.activity_request_changes(activity=activity, actor=actor, comment="Fix it.")
    return services.activity_submit(activity=activity, actor=actor)


def refused_writing_nothing(
    activity: OutreachActivity, action: str, actor: Any, error: type[Exception]
) -> None:
    """``action`` by ``actor`` is refused with ``error``; no decision, event, outbox row or
    new version is written."""
    before, version = written(), OutreachActivity.objects.get(pk=activity.pk).version
    with pytest.raises(error):
        act(activity, action, actor)
    assert written() == before
    assert OutreachActivity.objects.get(pk=activity.pk).version == version


@pytest.mark.parametrize(
    ("fixture", "action", "actor"),
    [
        ("draft", "submit", "outsider"),  # a planner of another team
        ("draft", "submit", "viewer"),  # this team, no planning role
        ("in_review", "request_changes", "outsider_reviewer"),
        ("in_review", "request_changes", "viewer"),
        ("in_review", "request_changes", "approver"),  # the first step is the reviewers'
    ],
)
def test_a_reviewers_transition_by_someone_without_the_role_writes_nothing(
    request, fixture, action, actor
) -> None:
    """The role is checked under the lock, before any write: refused, nothing written."""
    activity, person = request.getfixturevalue(fixture), request.getfixturevalue(actor)
    refused_writing_nothing(activity, action, person, NotPermitted)
