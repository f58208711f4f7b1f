"""Reads shared by the UI, the API, notifications and reports; each is scoped or explicit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import Membership, Role, User
from accounts.permissions import team_ids
from campaigns.models import (
    ActivityEvent,
    ApprovalDecision,
    Campaign,
    OutreachActivity,
    ReportSubscription,
)
from messaging.models import Citation, Message
from messaging.selectors import visible_citations


def campaign_list(*, user: Any) -> QuerySet[Campaign]:
    """Campaigns the user's teams own or collaborate on."""
    return Campaign.objects.visible_to(user).select_related("owner_team")


def activity_list(*, user: Any) -> QuerySet[OutreachActivity]:
    """Activities of the campaigns the user may see, with what every listing shows."""
    return OutreachActivity.objects.visible_to(user).select_related(
        "campaign", "audience", "segment", "message", "channel", "owner", "current_step"
    )


def activity_history(*, activity: OutreachActivity) -> QuerySet[ActivityEvent]:
    """Every transition and edit of the activity, oldest first, with who did it."""
    return activity.events.select_related("actor").order_by("at", "pk")


def people_with_role(*, activity: OutreachActivity, roles: set[str]) -> QuerySet[User]:
    """Active members of the activity's campaign teams holding one of ``roles`` (or lead)."""
    memberships = Membership.objects.filter(
        team_id__in=activity.access_team_ids(), role__in=roles | {Role.LEAD}
    )
    return User.objects.filter(is_active=True, pk__in=memberships.values("user_id")).exclude(
        Q(email="")
    )


def notification_recipients(*, event: ActivityEvent) -> list[str]:
    """Who must hear of this event: the next step's reviewers after a submission or a step
    approval; the owner after anything that needs their action or closes the loop."""
    activity = event.activity
    Kind = ActivityEvent.Kind
    if event.kind in (Kind.SUBMITTED, Kind.STEP_APPROVED):
        step = activity.current_step
        if step is None:
            return []
        people = people_with_role(activity=activity, roles={step.required_role}).exclude(
            pk__in=[activity.owner_id, activity.submitted_by_id or 0]
        )
        return sorted(people.values_list("email", flat=True))
    if event.kind in (
        Kind.APPROVED,
        Kind.CHANGES_REQUESTED,
        Kind.RECALLED,
        Kind.EDITED,
        Kind.CANCELLED,
        Kind.FAILED,
        Kind.DISPATCHED,
    ):
        owner = activity.owner
        if owner.email and owner.is_active and owner.pk != event.actor_id:
            return [owner.email]
    return []


def approvals_of_message(*, message: Message, user: Any) -> QuerySet[ApprovalDecision]:
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
class EvidencePacket:
    """A message's claims, the evidence behind each, and the approvals that relied on it."""

    message: Message
    citations: list[Citation]
    restricted_citations: int
    approvals: list[ApprovalDecision]


def evidence_packet(*, message: Message, user: Any) -> EvidencePacket:
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


def report_subscription_list(*, user: Any) -> QuerySet[ReportSubscription]:
    """The user's own report subscriptions whose scope they may still see."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ReportSubscription.objects.none()
    return (
        ReportSubscription.objects.filter(owner=user)
        .filter(
            Q(team__in=team_ids(user))
            | Q(campaign__in=Campaign.objects.visible_to(user).values("pk"))
        )
        .select_related("owner", "team", "campaign")
        .prefetch_related("recipients")
    )
