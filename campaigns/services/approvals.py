"""The approval workflow: submit, approve a step, request changes. The evidence gate and the
four-eyes rule live here, so every caller (API, UI, admin, tasks) gets them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from accounts.db import RowWithReferences
from accounts.errors import InvalidInput, RuleViolation
from accounts.permissions import require
from campaigns.models import (
    ActivityEvent,
    ActivityStatus,
    ApprovalDecision,
    ApprovalStep,
    Campaign,
    OutreachActivity,
)
from campaigns.services import _transitions as t
from messaging.models import Citation, EvidenceItem

S = ActivityStatus
Kind = ActivityEvent.Kind


def _cited(activity: OutreachActivity) -> list[EvidenceItem]:
    return list(EvidenceItem.objects.filter(citations__message_id=activity.message_id))


def _evidence_gate(locked: OutreachActivity, facts: _Facts, *, all_verified: bool = False) -> None:
    """Refused unless the message cites evidence and none of it is withdrawn (and, for the
    evidence review, all of it is verified). Reads the counts; the items themselves only to
    name them in a refusal."""
    if not facts.evidence_cited:
        raise RuleViolation(
            "The message cites no evidence; cite at least one source before submitting.",
            field="message",
            code="evidence_missing",
        )
    if facts.evidence_withdrawn:
        withdrawn = [e for e in _cited(locked) if e.is_withdrawn]
        raise RuleViolation(
            "The message cites withdrawn evidence: "
            + "; ".join(f"{e.claim[:60]} ({e.status})" for e in withdrawn),
            field="message",
            code="evidence_withdrawn",
        )
    if all_verified and facts.evidence_verified < facts.evidence_cited:
        unverified = [e for e in _cited(locked) if e.status != EvidenceItem.Status.VERIFIED]
        raise RuleViolation(
            "Evidence review needs every cited item verified; not yet verified: "
            + "; ".join(e.claim[:60] for e in unverified),
            field="message",
            code="evidence_unverified",
        )


@dataclass(frozen=True)
class _Facts:
    evidence_cited: int
    evidence_verified: int
    evidence_withdrawn: int
    approved_by_actor: bool
    next_step_id: int | None
    next_step_name: str | None


def _facts_columns() -> str:
    """What the rules check besides the activity's row, as columns of the statement that reads
    it (``t.read``; aliases: ``t0`` the activity, ``t2`` its current step): the evidence counts
    (as ``selectors.with_evidence_summary`` counts them), whether the actor already approved a
    step of this round (four eyes), the policy's next step."""
    citation, evidence = Citation._meta.db_table, EvidenceItem._meta.db_table
    decision, step = ApprovalDecision._meta.db_table, ApprovalStep._meta.db_table
    # Table names come from the models' _meta; every value is a parameter.
    next_step = f"""FROM {step} s WHERE s.policy_id = t2.policy_id AND s."order" > t2."order"
          ORDER BY s."order" LIMIT 1"""
    return f"""
        (SELECT COUNT(*) FROM {citation} c WHERE c.message_id = t0.message_id),
        (SELECT COUNT(*) FROM {citation} c JOIN {evidence} e ON e.id = c.evidence_id
          WHERE c.message_id = t0.message_id AND e.status = %s),
        (SELECT COUNT(*) FROM {citation} c JOIN {evidence} e ON e.id = c.evidence_id
          WHERE c.message_id = t0.message_id AND e.status IN (%s, %s)),
        EXISTS (SELECT 1 FROM {decision} d WHERE d.activity_id = t0.id
          AND d.review_round = t0.review_round AND d.user_id = %s AND d.verdict = %s),
        (SELECT s.id {next_step}),
        (SELECT s.name {next_step})
    """  # noqa: S608


# One statement, written once and prepared: the activity, its references and the facts.
_WITH_FACTS = RowWithReferences(OutreachActivity, t.REFERENCES, extra=_facts_columns())


def _read(activity: OutreachActivity, actor: Any) -> tuple[OutreachActivity, _Facts]:
    """The activity as it is now and the facts its rules check, in one prepared statement: built
    through the ORM, the reads cost more to compile and to plan than to run (benchmark P7)."""
    params = (
        *(EvidenceItem.Status.VERIFIED, *EvidenceItem.WITHDRAWN),
        *(getattr(actor, "pk", None), ApprovalDecision.Verdict.APPROVE),
    )
    current, extra = t.read(activity, _WITH_FACTS, *params)
    cited, verified, withdrawn, approved, next_step, next_step_name = extra
    facts = _Facts(cited, verified, withdrawn, bool(approved), next_step, next_step_name)
    return current, facts


def _four_eyes(locked: OutreachActivity, facts: _Facts, actor: Any) -> None:
    """Nobody approves a step of an activity they drafted or submitted, nor two steps of one
    round: each step is another person's judgement."""
    if actor.pk in (locked.owner_id, locked.submitted_by_id):
        raise RuleViolation(
            "Four eyes: you drafted or submitted this activity, so someone else must review it.",
            code="four_eyes",
        )
    if facts.approved_by_actor:
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


def activity_submit(*, activity: OutreachActivity, actor: Any) -> OutreachActivity:
    """Send a draft for review; the evidence gate must pass."""
    current, facts = _read(activity, actor)
    require(actor, "campaigns.plan", current)
    t.check(current, "submit")
    if current.campaign.status == Campaign.Status.CLOSED:
        raise RuleViolation("The campaign is closed.", field="campaign")
    if current.scheduled_at <= timezone.now():
        raise InvalidInput(
            {"scheduled_at": ["The scheduled time has passed; reschedule before submitting."]}
        )
    _evidence_gate(current, facts)
    from_status = current.status
    current.status = S.IN_REVIEW
    current.review_round += 1
    current.current_step = _first_step(current)
    current.submitted_by = actor
    current.submitted_at = current.step_since = timezone.now()
    event = t.new_event(
        current,
        kind=Kind.SUBMITTED,
        actor=actor,
        from_status=from_status,
        changes={"review_round": current.review_round, "step": current.current_step.name},
    )
    fields = ("status", "review_round", "current_step", "submitted_by", "submitted_at")
    t.commit(current, (*fields, "step_since"), event, action="submit")
    return current


def _decision(locked: OutreachActivity, actor: Any, verdict: str, comment: str) -> ApprovalDecision:
    # The unique constraint on (activity, step, round) makes it the only decision of its step:
    # should another person's land first, ``t.commit`` answers Conflict.
    return ApprovalDecision(  # by ids: nothing reads its relations back
        activity_id=locked.pk,
        step_id=locked.current_step_id,
        review_round=locked.review_round,
        user_id=actor.pk,
        verdict=verdict,
        comment=comment,
    )


def activity_approve(
    *, activity: OutreachActivity, actor: Any, comment: str = ""
) -> OutreachActivity:
    """Approve the current step. The evidence review needs every cited item verified; the last
    step freezes the content by storing its hash."""
    current, facts = _read(activity, actor)
    t.check(current, "approve")
    step = current.current_step
    assert step is not None  # guaranteed by the activity_in_review_has_step constraint
    require(actor, step.permission, current)
    _four_eyes(current, facts, actor)
    _evidence_gate(current, facts, all_verified=step.kind == ApprovalStep.Kind.EVIDENCE_REVIEW)
    decision = _decision(current, actor, ApprovalDecision.Verdict.APPROVE, comment)
    from_status = current.status
    if facts.next_step_id is not None:
        current.current_step_id = facts.next_step_id  # its row is read when someone needs it
        current.step_since = timezone.now()
        fields: tuple[str, ...] = ("current_step", "step_since")
        kind, changes = Kind.STEP_APPROVED, {"step": step.name, "next_step": facts.next_step_name}
    else:
        current.status = S.APPROVED
        current.current_step = None
        current.approved_content_hash = current.content_hash()
        current.approved_at = timezone.now()
        fields = ("status", "current_step", "approved_content_hash", "approved_at")
        kind, changes = (
            Kind.APPROVED,
            {"step": step.name, "content_hash": current.approved_content_hash},
        )
    event = t.new_event(
        current, kind=kind, actor=actor, from_status=from_status, comment=comment, changes=changes
    )
    t.commit(current, fields, event, decision=decision, action="approve")
    return current


def activity_request_changes(
    *, activity: OutreachActivity, actor: Any, comment: str
) -> OutreachActivity:
    """Send an activity in review back to its owner, saying what must change."""
    current, _ = t.read(activity)
    t.check(current, "request_changes")
    step = current.current_step
    assert step is not None
    require(actor, step.permission, current)
    if not comment.strip():
        raise InvalidInput({"comment": ["Say what must change."]})
    if actor.pk in (current.owner_id, current.submitted_by_id):
        raise RuleViolation(
            "You drafted or submitted this activity; edit it instead of reviewing it.",
            code="four_eyes",
        )
    verdict = ApprovalDecision.Verdict.REQUEST_CHANGES
    decision = _decision(current, actor, verdict, comment.strip())
    from_status = current.status
    current.status = S.CHANGES_REQUESTED
    current.current_step = None
    event = t.new_event(
        current,
        kind=Kind.CHANGES_REQUESTED,
        actor=actor,
        from_status=from_status,
        comment=comment.strip(),
        changes={"step": step.name},
    )
    t.commit(
        current, ("status", "current_step"), event, decision=decision, action="request_changes"
    )
    return current
