"""Creating and changing campaigns. Every campaign names who speaks (``attributed_to``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction

from accounts.audit import audit_context
from accounts.errors import Conflict, InvalidInput, InvalidTransition, full_clean
from accounts.models import Role, Team, User
from accounts.permissions import may, require
from audiences.models import Audience
from campaigns.models import (
    ActivityStatus,
    ApprovalPolicy,
    ApprovalStep,
    Campaign,
    OutreachActivity,
)
from campaigns.services.activities import activity_recall_in_campaign
from messaging.models import Theme
from messaging.services import library_share

DEFAULT_STEPS = (
    ("Evidence review", ApprovalStep.Kind.EVIDENCE_REVIEW, Role.REVIEWER),
    ("Sign-off", ApprovalStep.Kind.SIGN_OFF, Role.APPROVER),
)


@transaction.atomic
def campaign_create(
    *,
    actor: User,
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
        try:
            with transaction.atomic():  # a name taken a moment ago: 409, not a 500
                campaign.save()
        except IntegrityError as error:
            raise Conflict("Someone just gave a campaign of your team this name.") from error
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


_CAMPAIGN_STATUS_FLOW: dict[str, set[str]] = {
    Campaign.Status.PLANNING: {Campaign.Status.ACTIVE, Campaign.Status.CLOSED},
    Campaign.Status.ACTIVE: {Campaign.Status.CLOSED},
    Campaign.Status.CLOSED: set(),
}


@transaction.atomic
def campaign_set_status(*, campaign: Campaign, actor: User, status: str) -> Campaign:
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


_CAMPAIGN_FIELDS = ("name", "objective", "starts_on", "ends_on", "attributed_to")
_CAMPAIGN_SETS = ("audiences", "themes")
# Activities that still count: everything not cancelled (history stays consistent too).
_LIVE = [s for s in ActivityStatus.values if s != ActivityStatus.CANCELLED]


@transaction.atomic
def campaign_update(*, campaign: Campaign, actor: User, **changes: Any) -> Campaign:
    """Change a campaign's framing (planner or lead of its owner team). Nothing its activities
    rely on may be pulled from under them: their audiences, their messages' themes and their
    dates stay in the campaign. A new speaker sends reviewed activities back for review."""
    unknown = set(changes) - {*_CAMPAIGN_FIELDS, *_CAMPAIGN_SETS}
    if unknown:
        raise InvalidInput({name: ["This field cannot be changed."] for name in sorted(unknown)})
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    require(actor, "campaigns.edit", locked)
    if locked.status == Campaign.Status.CLOSED:
        raise InvalidTransition("A closed campaign cannot be changed.", field="status")
    if "attributed_to" in changes:
        changes["attributed_to"] = changes["attributed_to"].strip()
    diff: dict[str, list[Any]] = {
        name: [str(getattr(locked, name)), str(value)]
        for name, value in changes.items()
        if name in _CAMPAIGN_FIELDS and getattr(locked, name) != value
    }
    for name in diff:
        setattr(locked, name, changes[name])
    full_clean(locked)
    live = OutreachActivity.objects.filter(campaign=locked, status__in=_LIVE)
    errors: dict[str, list[str]] = {}
    if locked.ends_on < locked.starts_on:
        errors["ends_on"] = ["The campaign cannot end before it starts."]
    elif {"starts_on", "ends_on"} & set(diff):
        outside = [
            a.title
            for a in live.select_related("audience")
            if not locked.starts_on <= a.scheduled_local.date() <= locked.ends_on
        ]
        if outside:
            field = "starts_on" if "starts_on" in diff else "ends_on"
            errors[field] = [
                f"{len(outside)} activities would fall outside the campaign: "
                + "; ".join(outside[:3])
            ]
    if "audiences" in changes:
        audiences = list(changes["audiences"])
        used = set(live.values_list("audience_id", flat=True))
        dropped = Audience.objects.filter(pk__in=used - {a.pk for a in audiences})
        if not audiences:
            errors["audiences"] = ["Choose at least one audience."]
        elif dropped:
            errors["audiences"] = [
                "Activities are planned for " + ", ".join(a.name for a in dropped) + "."
            ]
        else:
            before = {a.uuid for a in locked.audiences.all()}
            if before != {a.uuid for a in audiences}:
                diff["audiences"] = [
                    sorted(map(str, before)),
                    sorted(str(a.uuid) for a in audiences),
                ]
    if "themes" in changes:
        themes = list(changes["themes"])
        if any(not may(actor, "messaging.view", theme) for theme in themes):
            errors["themes"] = ["No such theme."]
        else:
            used = set(live.values_list("message__theme_id", flat=True))
            dropped_themes = Theme.objects.filter(pk__in=used - {t.pk for t in themes})
            if dropped_themes:
                errors["themes"] = [
                    "Activities send messages of "
                    + ", ".join(t.title for t in dropped_themes)
                    + "."
                ]
            else:
                before = {t.uuid for t in locked.themes.all()}
                if before != {t.uuid for t in themes}:
                    diff["themes"] = [sorted(map(str, before)), sorted(str(t.uuid) for t in themes)]
    if "name" in diff and (
        Campaign.objects.filter(owner_team_id=locked.owner_team_id, name=locked.name)
        .exclude(pk=locked.pk)
        .exists()
    ):
        errors["name"] = ["Your team already has a campaign with this name."]
    if errors:
        raise InvalidInput(errors)
    if not diff:
        return locked
    with audit_context(actor=actor.pk, action="campaign_update"):
        fields = [name for name in diff if name in _CAMPAIGN_FIELDS]
        if fields:
            try:
                with transaction.atomic():  # a name taken a moment ago: 409, not a 500
                    locked.save(update_fields=fields)
            except IntegrityError as error:
                raise Conflict("Someone just gave a campaign of your team this name.") from error
        if "audiences" in diff:
            locked.audiences.set(changes["audiences"])
        if "themes" in diff:
            locked.themes.set(changes["themes"])
            teams = [locked.owner_team, *locked.collaborating_teams.all()]
            for theme in changes["themes"]:
                library_share(item=theme, teams=teams)
        if "attributed_to" in diff:
            activity_recall_in_campaign(
                campaign=locked, actor=actor, changes={"attributed_to": diff["attributed_to"]}
            )
    return locked
