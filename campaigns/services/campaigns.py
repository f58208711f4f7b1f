"""Creating and changing campaigns. Every campaign names who speaks (``attributed_to``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import transaction

from accounts.audit import audit_context
from accounts.errors import InvalidInput, InvalidTransition, full_clean
from accounts.models import Role, Team
from accounts.permissions import may, require
from audiences.models import Audience
from campaigns.models import ApprovalPolicy, ApprovalStep, Campaign
from messaging.models import Theme
from messaging.services import library_share

DEFAULT_STEPS = (
    ("Evidence review", ApprovalStep.Kind.EVIDENCE_REVIEW, Role.REVIEWER),
    ("Sign-off", ApprovalStep.Kind.SIGN_OFF, Role.APPROVER),
)


@transaction.atomic
def campaign_create(
    *,
    actor: Any,
    owner_team: Team,
    name: str,
    objective: str,
    starts_on: date,
    ends_on: date,
    attributed_to: str,
    audiences: Iterable[Audience],
    themes: Iterable[Theme] = (),
    collaborating_teams: Iterable[Team] = (),
) -> Campaign:
    """Create a campaign with the default approval policy (evidence review, then sign-off)."""
    require(actor, "campaigns.plan", owner_team)
    audiences, themes, collaborators = list(audiences), list(themes), list(collaborating_teams)
    campaign = Campaign(
        owner_team=owner_team,
        name=name,
        objective=objective,
        starts_on=starts_on,
        ends_on=ends_on,
        attributed_to=attributed_to.strip(),
        created_by=actor,
    )
    full_clean(campaign)
    errors: dict[str, list[str]] = {}
    if ends_on < starts_on:
        errors["ends_on"] = ["The campaign cannot end before it starts."]
    if not audiences:
        errors["audiences"] = ["Choose at least one audience."]
    hidden = [t for t in themes if not may(actor, "messaging.view", t)]
    if hidden:
        errors["themes"] = ["No such theme."]
    if Campaign.objects.filter(owner_team=owner_team, name=name).exists():
        errors["name"] = ["Your team already has a campaign with this name."]
    if errors:
        raise InvalidInput(errors)
    with audit_context(actor=actor.pk, action="campaign_create"):
        campaign.save()
        campaign.audiences.set(audiences)
        campaign.themes.set(themes)
        campaign.collaborating_teams.set([t for t in collaborators if t != owner_team])
        policy = ApprovalPolicy.objects.create(campaign=campaign)
        ApprovalStep.objects.bulk_create(
            ApprovalStep(policy=policy, order=i, name=n, kind=k, required_role=r)
            for i, (n, k, r) in enumerate(DEFAULT_STEPS, start=1)
        )
        for theme in themes:
            library_share(item=theme, teams=[owner_team, *collaborators])
    return campaign


_CAMPAIGN_STATUS_FLOW = {
    Campaign.Status.PLANNING: {Campaign.Status.ACTIVE, Campaign.Status.CLOSED},
    Campaign.Status.ACTIVE: {Campaign.Status.CLOSED},
    Campaign.Status.CLOSED: set(),
}


@transaction.atomic
def campaign_set_status(*, campaign: Campaign, actor: Any, status: str) -> Campaign:
    """Move a campaign from planning to active to closed (a lead's decision)."""
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    require(actor, "campaigns.manage", locked)
    if status not in _CAMPAIGN_STATUS_FLOW[locked.status]:
        raise InvalidTransition(
            f"A {locked.status} campaign cannot become {status}.", field="status"
        )
    locked.status = status
    with audit_context(actor=actor.pk, action="campaign_set_status"):
        locked.save(update_fields=["status"])
    return locked
