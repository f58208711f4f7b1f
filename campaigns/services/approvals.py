"""The approval workflow: submit, approve a step, request changes. The evidence gate and the
four-eyes rule live here, so every caller (API, UI, admin, tasks) gets them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection
from django.utils import timezone

from accounts.errors import Conflict, InvalidInput, RuleViolation
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


def _facts_sql() -> str:
    citation, evidence = Citation._meta.db_table, EvidenceItem._meta.db_table
    decision, step = ApprovalDecision._meta.db_table, ApprovalStep._meta.db_table
    # Table names come from the models' _meta; every value is a parameter.
    return f"""
        SELECT
          (SELECT COUNT(*) FROM {citation} c WHERE c.message_id = %s),
          (SELECT COUNT(*) FROM {citation} c JOIN {evidence} e ON e.id = c.evidence_id
            WHERE c.message_id = %s AND e.status = %s),
          (SELECT COUNT(*) FROM {citation} c JOIN {evidence} e ON e.id = c.evidence_id
            WHERE c.message_id = %s AND e.status IN (%s, %s)),
          EXISTS (SELECT 1 FROM {decision} d WHERE d.activity_id = %s AND d.review_round = %s
            AND d.user_id = %s AND d.verdict = %s),
          (SELECT s.id FROM {step} s WHERE s.policy_id = %s AND s."order" > %s
            ORDER BY s."order" LIMIT 1)
    """  # noqa: S608


def _read_facts(locked: OutreachActivity, actor: Any) -> _Facts:
    """What the rules check besides the locked row: the evidence counts, whether the actor
    already approved a step of this round (four eyes), the policy's next step. One
    hand-written statement: built through the ORM (annotations on the lock, or a query each)
    it cost more to compile than to run (benchmark P7, cProfile)."""
    step = locked.current_step
    message = locked.message_id
    params = [
        *(message, message, EvidenceItem.Status.VERIFIED, message, *EvidenceItem.WITHDRAWN),
        *(locked.pk, locked.review_round, getattr(actor, "pk", None)),
        ApprovalDecision.Verdict.APPROVE,
        *(step.policy_id if step else None, step.order if step else 0),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_facts_sql(), params)
        cited, verified, withdrawn, approved, next_step = cursor.fetchone()
    return _Facts(cited, verified, withdrawn, bool(approved), next_step)


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


@t.atomic
def activity_submit(*, activity: OutreachActivity, actor: Any) -> OutreachActivity:
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
    _evidence_gate(locked, _read_facts(locked, actor))
    from_status = locked.status
    locked.status = S.IN_REVIEW
    locked.review_round += 1
    locked.current_step = _first_step(locked)
    locked.submitted_by = actor
    locked.submitted_at = locked.step_since = timezone.now()
    with t.audited(actor, "submit"):
        t.write(
            locked,
            *("status", "review_round", "current_step", "submitted_by", "submitted_at"),
            "step_since",
        )
        t.record(
            locked,
            kind=Kind.SUBMITTED,
            actor=actor,
            from_status=from_status,
            changes={"review_round": locked.review_round, "step": locked.current_step.name},
        )
    return locked


def _decide(locked: OutreachActivity, actor: Any, verdict: str, comment: str) -> None:
    try:
        # No savepoint: the row lock and the version check already make this the only
        # decision of its round; should the unique index still refuse it, the Conflict ends
        # (and rolls back) the whole transaction.
        ApprovalDecision.objects.create(
            activity=locked,
            step=locked.current_step,
            review_round=locked.review_round,
            user=actor,
            verdict=verdict,
            comment=comment,
        )
    except IntegrityError as error:
        raise Conflict("This step was approved by someone else a moment ago.") from error


@t.atomic
def activity_approve(
    *, activity: OutreachActivity, actor: Any, comment: str = ""
) -> OutreachActivity:
    """Approve the current step. The evidence review needs every cited item verified; the last
    step freezes the content by storing its hash."""
    locked = t.lock(activity)
    t.check(locked, "approve")
    step = locked.current_step
    assert step is not None  # guaranteed by the activity_in_review_has_step constraint
    require(actor, step.permission, locked)
    facts = _read_facts(locked, actor)
    _four_eyes(locked, facts, actor)
    _evidence_gate(locked, facts, all_verified=step.kind == ApprovalStep.Kind.EVIDENCE_REVIEW)
    next_step = ApprovalStep.objects.get(pk=facts.next_step_id) if facts.next_step_id else None
    from_status = locked.status
    with t.audited(actor, "approve"):
        _decide(locked, actor, ApprovalDecision.Verdict.APPROVE, comment)
        if next_step is not None:
            locked.current_step = next_step
            locked.step_since = timezone.now()
            t.write(locked, "current_step", "step_since")
            t.record(
                locked,
                kind=Kind.STEP_APPROVED,
                actor=actor,
                from_status=from_status,
                comment=comment,
                changes={"step": step.name, "next_step": next_step.name},
            )
        else:
            locked.status = S.APPROVED
            locked.current_step = None
            locked.approved_content_hash = locked.content_hash()
            locked.approved_at = timezone.now()
            t.write(locked, "status", "current_step", "approved_content_hash", "approved_at")
            t.record(
                locked,
                kind=Kind.APPROVED,
                actor=actor,
                from_status=from_status,
                comment=comment,
                changes={"step": step.name, "content_hash": locked.approved_content_hash},
            )
    return locked


@t.atomic
def activity_request_changes(
    *, activity: OutreachActivity, actor: Any, comment: str
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
