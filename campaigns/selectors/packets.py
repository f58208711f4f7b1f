"""Evidence packets: claims, their evidence and the approvals, as approved once an activity is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import (
    QuerySet,
)

from accounts.models import User
from campaigns.models import (
    ActivityStatus,
    ApprovalDecision,
    OutreachActivity,
)
from messaging.models import Citation, EvidenceItem, Message
from messaging.selectors import visible_citations


def approvals_of_message(*, message: Message, user: User) -> QuerySet[ApprovalDecision]:
    """Approvals of activities that send ``message``, as far as the user may see them."""
    return (
        ApprovalDecision.objects.filter(
            activity__message=message,
            activity__in=OutreachActivity.objects.visible_to(user).values("pk"),
            verdict=ApprovalDecision.Verdict.APPROVE,
        )
        .select_related("activity", "step", "user")
        .order_by("at", "pk")
    )


@dataclass
class PacketClaim:
    """One claim of a packet: the sentence, the evidence item as it is now (``None`` if it is
    gone), and, for an approved or sent activity, the item as it was approved (``approved``:
    claim, source, rating, verification at the time)."""

    sentence: str
    evidence: EvidenceItem | None
    approved: dict[str, Any] | None = None


@dataclass
class EvidencePacket:
    """A message's claims, the evidence behind each, and the approvals that relied on it.
    ``as_approved``: the claims are those approved (and sent), not the message's current
    citations."""

    message: Message
    citations: list[Citation] | list[PacketClaim]
    restricted_citations: int
    approvals: list[ApprovalDecision]
    as_approved: bool = False


# Whose packet shows the citations as approved: what was approved stays what is shown.
FROZEN = frozenset(
    {
        ActivityStatus.APPROVED,
        ActivityStatus.DISPATCHING,
        ActivityStatus.DISPATCHED,
        ActivityStatus.COMPLETED,
    }
)


def activity_evidence_packet(*, activity: OutreachActivity, user: Any) -> EvidencePacket:
    """The evidence packet of one activity. Once approved (and while dispatching, after it was
    sent or completed) its claims are the citations as approved, from the snapshot taken at
    the final approval, whatever the message cites now; before, the message's current ones.
    Either way evidence behind a stricter marking than the user may see is counted, not
    shown."""
    approvals = list(
        ApprovalDecision.objects.filter(activity=activity, verdict=ApprovalDecision.Verdict.APPROVE)
        .select_related("activity", "step", "user")
        .order_by("at", "pk")
    )
    if activity.status not in FROZEN or not activity.approved_citations:
        packet = evidence_packet(message=activity.message, user=user)
        claims = [PacketClaim(c.sentence, c.evidence) for c in packet.citations]
        return EvidencePacket(activity.message, claims, packet.restricted_citations, approvals)
    snapshot = activity.approved_citations
    visible = {
        str(e.uuid): e
        for e in EvidenceItem.objects.visible_to(user)
        .filter(uuid__in=[c["evidence"] for c in snapshot])
        .select_related("status_changed_by")
    }
    claims = [
        PacketClaim(c["sentence"], visible[c["evidence"]], c)
        for c in snapshot
        if c["evidence"] in visible
    ]
    restricted = len(snapshot) - len(claims)
    return EvidencePacket(activity.message, claims, restricted, approvals, as_approved=True)


def evidence_packet(*, message: Message, user: User) -> EvidencePacket:
    """Claims → cited evidence → Admiralty rating and verification (who, when, why) → the
    approvals of activities sending the message (who, which step, when), as far as the user
    may see: evidence behind a stricter marking is counted, not shown."""
    citations = list(visible_citations(user=user).filter(message=message).order_by("created_at"))
    return EvidencePacket(
        message=message,
        citations=citations,
        # Counted on the table: ``message.citations`` may be a prefetch of the visible ones.
        restricted_citations=Citation.objects.filter(message_id=message.pk).count()
        - len(citations),
        approvals=list(approvals_of_message(message=message, user=user)),
    )
