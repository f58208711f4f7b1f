"""The approval workflow: submit, approve a step, request changes. The evidence gate and the
four-eyes rule live here, so every caller (API, UI, admin, tasks) gets them."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.errors import Conflict, InvalidInput, RuleViolation
from accounts.models import User
from accounts.permissions import require
from campaigns import selectors
from campaigns.models import (
    ActivityEvent,
    ActivityStatus,
    ApprovalDecision,
    ApprovalStep,
    Campaign,
    OutreachActivity,
)
from campaigns.services import _transitions as t
from messaging.models import EvidenceItem

S = ActivityStatus
Kind = ActivityEvent.Kind


def _cited(activity: OutreachActivity) -> list[EvidenceItem]:
    return list(EvidenceItem.objects.filter(citations__message_id=activity.message_id))


def _evidence_gate(locked: OutreachActivity, *, all_verified: bool = False) -> None:
    """Refused unless the message cites evidence and none of it is withdrawn (and, for the
    evidence review, all of it is verified). Reads the counts; the items themselves only to
    name them in a refusal."""
    counts = selectors.evidence_counts(activity=locked)
    if not counts["evidence_cited"]:
        raise RuleViolation(
            "The message cites no evidence; cite at least one source before submitting.",
            field="message",
            code="evidence_missing",
        )
    if counts["evidence_withdrawn"]:
        withdrawn = [e for e in _cited(locked) if e.is_withdrawn]
        raise RuleViolation(
            "The message cites withdrawn evidence: "
            + "; ".join(f"{e.claim[:60]} ({e.status})" for e in withdrawn),
            field="message",
            code="evidence_withdrawn",
        )
    if all_verified and counts["evidence_verified"] < counts["evidence_cited"]:
        unverified = [e for e in _cited(locked) if e.status != EvidenceItem.Status.VERIFIED]
        raise RuleViolation(
            "Evidence review needs every cited item verified; not yet verified: "
            + "; ".join(e.claim[:60] for e in unverified),
            field="message",
            code="evidence_unverified",
        )


def _four_eyes(locked: OutreachActivity, actor: User) -> None:
    """Nobody approves a step of an activity they drafted or submitted, nor two steps of one
    round: each step is another person's judgement."""
    if actor.pk in (locked.owner_id, locked.submitted_by_id):
        raise RuleViolation(
            "Four eyes: you drafted or submitted this activity, so someone else must review it.",
            code="four_eyes",
        )
    if ApprovalDecision.objects.filter(
        activity=locked,
        review_round=locked.review_round,
        user=actor,
        verdict=ApprovalDecision.Verdict.APPROVE,
    ).exists():
        raise RuleViolation(
            "Four eyes: you already approved a step of this review; another person must "
            "approve the next one.",
            code="four_eyes",
        )


def _first_step(activity: OutreachActivity) -> ApprovalStep:
    step = ApprovalStep.objects.filter(policy__campaign_id=activity.campaign_id).first()
    if step is None:
        raise RuleViolation("The campaign has no approval steps.", field="campaign")
    return step


def _next_step(step: ApprovalStep) -> ApprovalStep | None:
    return (
        ApprovalStep.objects.filter(policy_id=step.policy_id, order__gt=step.order)
        .order_by("order")
        .first()
    )


def _decide(locked: OutreachActivity, actor: User, verdict: str, comment: str) -> None:
    """The decision of the activity's current step. Under the row lock no second approval of
    the step can reach here; should one ever reach the database (another path, a bug), the
    unique constraint on (activity, step, round) refuses it and the caller gets Conflict."""
    step, round_ = locked.current_step, locked.review_round
    assert step is not None  # guaranteed by the activity_in_review_has_step constraint
    try:
        # A savepoint, so the refused insert leaves the transaction usable for the error.
        with transaction.atomic():
            ApprovalDecision.objects.create(
                activity=locked,
                step=step,
                review_round=round_,
                user=actor,
                verdict=verdict,
                comment=comment,
            )
    except IntegrityError as error:
        approved = ApprovalDecision.objects.filter(
            activity=locked,
            step=step,
            review_round=round_,
            verdict=ApprovalDecision.Verdict.APPROVE,
        )
        if approved.exists():
            raise Conflict("This step was approved by someone else a moment ago.") from error
        raise


@transaction.atomic
def activity_submit(*, activity: OutreachActivity, actor: User) -> OutreachActivity:
    """Send a draft for review; the evidence gate must pass."""
    locked = t.lock(activity)
    require(actor, "campaigns.plan", locked)
    t.check(locked, "submit")
    if locked.campaign.status == Campaign.Status.CLOSED:
        raise RuleViolation("The campaign is closed.", field="campaign")
    if locked.scheduled_at <= timezone.now():
        raise InvalidInput(
            {"scheduled_at": ["The scheduled time has passed; reschedule before submitting."]}
        )
    _evidence_gate(locked)
    from_status = locked.status
    locked.status = S.IN_REVIEW
    locked.review_round += 1
    locked.current_step = _first_step(locked)
    locked.submitted_by = actor
    locked.submitted_at = locked.step_since = timezone.now()
    with t.audited(actor, "submit"):
        fields = ("status", "review_round", "current_step", "submitted_by", "submitted_at")
        t.write(locked, *fields, "step_since")
        t.record(
            locked,
            kind=Kind.SUBMITTED,
            actor=actor,
            from_status=from_status,
            changes={"review_round": locked.review_round, "step": locked.current_step.name},
        )
    return locked


@transaction.atomic
def activity_approve(
    *, activity: OutreachActivity, actor: User, comment: str = ""
) -> OutreachActivity:
    """Approve the current step. The evidence review needs every cited item verified; the last
    step freezes the content by storing its hash."""
    locked = t.lock(activity)
    t.check(locked, "approve")
    step = locked.current_step
    assert step is not None  # guaranteed by the activity_in_review_has_step constraint
    require(actor, step.permission, locked)
    _four_eyes(locked, actor)
    _evidence_gate(locked, all_verified=step.kind == ApprovalStep.Kind.EVIDENCE_REVIEW)
    next_step = _next_step(step)
    from_status = locked.status
    with t.audited(actor, "approve"):
        _decide(locked, actor, ApprovalDecision.Verdict.APPROVE, comment)
        changes: dict[str, Any] = {"step": step.name}
        if next_step is not None:
            locked.current_step = next_step
            locked.step_since = timezone.now()
            t.write(locked, "current_step", "step_since")
            kind, changes["next_step"] = Kind.STEP_APPROVED, next_step.name
        else:
            locked.status = S.APPROVED
            locked.current_step = None
            locked.approved_content_hash = locked.content_hash()
            locked.approved_at = timezone.now()
            t.write(locked, "status", "current_step", "approved_content_hash", "approved_at")
            kind, changes["content_hash"] = Kind.APPROVED, locked.approved_content_hash
        t.record(
            locked,
            kind=kind,
            actor=actor,
            from_status=from_status,
            comment=comment,
            changes=changes,
        )
    return locked


@transaction.atomic
def activity_request_changes(
    *, activity: OutreachActivity, actor: User, comment: str
) -> OutreachActivity:
    """Send an activity in review back to its owner, saying what must change."""
    locked = t.lock(activity)
    t.check(locked, "request_changes")
    step = locked.current_step
    assert step is not None
    require(actor, step.permission, locked)
    if not comment.strip():
        raise InvalidInput({"comment": ["Say what must change."]})
    if actor.pk in (locked.owner_id, locked.submitted_by_id):
        raise RuleViolation(
            "You drafted or submitted this activity; edit it instead of reviewing it.",
            code="four_eyes",
        )
    from_status = locked.status
    with t.audited(actor, "request_changes"):
        _decide(locked, actor, ApprovalDecision.Verdict.REQUEST_CHANGES, comment.strip())
        locked.status = S.CHANGES_REQUESTED
        locked.current_step = None
        t.write(locked, "status", "current_step")
        t.record(
            locked,
            kind=Kind.CHANGES_REQUESTED,
            actor=actor,
            from_status=from_status,
            comment=comment.strip(),
            changes={"step": step.name},
        )
    return locked
