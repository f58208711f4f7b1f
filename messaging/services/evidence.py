"""Evidence items: create, correct, and move through verification (verify, dispute, retract), each
status change hash-chained."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from accounts.audit import audit_context
from accounts.errors import (
    InvalidInput,
    InvalidTransition,
    full_clean,
)
from accounts.models import Marking, Team, User
from accounts.permissions import require
from messaging.models import (
    EvidenceItem,
    EvidenceStatusChange,
)
from messaging.services.library import _require_team_role
from messaging.signals import evidence_withdrawn

Status = EvidenceItem.Status


# Which verification status may follow which. Retracted is final: a retracted source is gone.
EVIDENCE_TRANSITIONS: dict[str, set[str]] = {
    Status.UNVERIFIED: {Status.VERIFIED, Status.DISPUTED, Status.RETRACTED},
    Status.VERIFIED: {Status.DISPUTED, Status.RETRACTED},
    Status.DISPUTED: {Status.VERIFIED, Status.RETRACTED},
    Status.RETRACTED: set(),
}


@transaction.atomic
def evidence_create(
    *,
    actor: User,
    owner_team: Team,
    claim: str,
    source_url: str,
    publisher: str,
    language: str,
    source_reliability: str,
    information_credibility: int,
    published_on: date | None = None,
    excerpt: str = "",
    marking: str = Marking.AMBER,
) -> EvidenceItem:
    """Record a sourced claim, unverified until a reviewer verifies it."""
    _require_team_role(actor, owner_team)
    evidence = EvidenceItem(
        owner_team=owner_team,
        claim=claim,
        source_url=source_url,
        publisher=publisher,
        language=language,
        source_reliability=source_reliability,
        information_credibility=information_credibility,
        published_on=published_on,
        excerpt=excerpt,
        marking=marking,
    )
    full_clean(evidence, exclude={"shared_with"})
    with audit_context(actor=actor.pk, action="evidence_create"):
        evidence.save()
    return evidence


def _evidence_set_status(
    *, evidence: EvidenceItem, actor: User, status: str, reason: str
) -> EvidenceItem:
    require(actor, "messaging.verify", evidence)
    if status in EvidenceItem.WITHDRAWN and not reason.strip():
        raise InvalidInput({"reason": ["Say why the evidence is " + status + "."]})
    locked = EvidenceItem.objects.select_for_update().get(pk=evidence.pk)
    if status not in EVIDENCE_TRANSITIONS[locked.status]:
        raise InvalidTransition(
            f"Evidence that is {locked.status} cannot become {status}.", field="status"
        )
    was_withdrawn = locked.is_withdrawn
    change = EvidenceStatusChange(
        evidence=locked, from_status=locked.status, to_status=status, actor=actor, reason=reason
    )
    locked.status = status
    locked.status_changed_by = actor
    locked.status_changed_at = change.at
    locked.status_reason = reason
    with audit_context(actor=actor.pk, action=f"evidence_{status}", reason=reason):
        change.save(force_insert=True)
        locked.save(
            update_fields=[
                "status",
                "status_changed_by",
                "status_changed_at",
                "status_reason",
                "updated_at",
            ]
        )
        if locked.is_withdrawn and not was_withdrawn:
            # Receivers (campaigns) recall what cited it, in this same transaction.
            evidence_withdrawn.send(
                sender=EvidenceItem, evidence=locked, actor=actor, reason=reason
            )
    return locked


@transaction.atomic
def evidence_verify(*, evidence: EvidenceItem, actor: User, reason: str = "") -> EvidenceItem:
    """Mark evidence verified (reviewer or lead of its owner team)."""
    return _evidence_set_status(
        evidence=evidence, actor=actor, status=Status.VERIFIED, reason=reason
    )


@transaction.atomic
def evidence_dispute(*, evidence: EvidenceItem, actor: User, reason: str) -> EvidenceItem:
    """Mark evidence disputed; approved activities citing it are recalled."""
    return _evidence_set_status(
        evidence=evidence, actor=actor, status=Status.DISPUTED, reason=reason
    )


@transaction.atomic
def evidence_retract(*, evidence: EvidenceItem, actor: User, reason: str) -> EvidenceItem:
    """Retract evidence for good; approved activities citing it are recalled."""
    return _evidence_set_status(
        evidence=evidence, actor=actor, status=Status.RETRACTED, reason=reason
    )


# What a reviewer verified: changing any of it would leave a "verified" label on something
# nobody checked, under approvals that relied on it.
_EVIDENCE_CONTENT = (
    "claim",
    "source_url",
    "publisher",
    "published_on",
    "excerpt",
    "language",
    "source_reliability",
    "information_credibility",
)


@transaction.atomic
def evidence_update(*, evidence: EvidenceItem, actor: User, **changes: Any) -> EvidenceItem:
    """Correct an evidence item (planner, reviewer or lead of its owner team). Its content can
    change only while nobody vouches for it (unverified or disputed); verified evidence is
    disputed first, retracted evidence is final. The marking may change until retraction."""
    unknown = set(changes) - {*_EVIDENCE_CONTENT, "marking"}
    if unknown:
        raise InvalidInput({name: ["This field cannot be changed."] for name in sorted(unknown)})
    locked = EvidenceItem.objects.select_for_update().get(pk=evidence.pk)
    require(actor, "messaging.edit", locked)
    diff = {n: v for n, v in changes.items() if getattr(locked, n) != v}
    if not diff:
        return locked
    if locked.status == Status.RETRACTED:
        raise InvalidTransition("Retracted evidence cannot be changed.", field="status")
    if locked.status == Status.VERIFIED and set(diff) & set(_EVIDENCE_CONTENT):
        raise InvalidTransition(
            "Verified evidence cannot be edited: dispute it first (approvals relied on it), "
            "or record the corrected source as a new item.",
            field="status",
        )
    for name, value in diff.items():
        setattr(locked, name, value)
    full_clean(locked, exclude={"shared_with"})
    with audit_context(actor=actor.pk, action="evidence_update"):
        locked.save(update_fields=[*diff, "updated_at"])
    return locked
