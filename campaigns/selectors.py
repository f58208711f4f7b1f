"""Reads shared by the UI, the API, notifications and reports; each is scoped or explicit."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import Membership, Role, User
from campaigns.models import ActivityEvent, Campaign, OutreachActivity


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
    if event.kind in (Kind.SUBMITTED, Kind.STEP_APPROVED, Kind.REMINDED):
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
