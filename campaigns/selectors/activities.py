"""Scoped reads of campaigns and activities: lists, evidence counts, history, who may act."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import (
    Count,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from accounts.models import Membership, Role, User
from audiences.models import Channel
from campaigns.models import (
    ActivityEvent,
    ActivityStatus,
    ApprovalStep,
    Campaign,
    OutreachActivity,
)
from messaging.models import Citation, EvidenceItem


def campaign_list(*, user: User) -> QuerySet[Campaign]:
    """Campaigns the user's teams own or collaborate on."""
    return Campaign.objects.visible_to(user).select_related("owner_team")


def activity_list(*, user: User) -> QuerySet[OutreachActivity]:
    """Activities of the campaigns the user may see, with what every listing shows."""
    return OutreachActivity.objects.visible_to(user).select_related(
        "campaign", "audience", "segment", "message", "channel", "owner", "current_step"
    )


# What each evidence count counts: a message's citations, by their evidence's status. Defined
# once, for the summary every listing shows and for the evidence gate of the approval workflow.
EVIDENCE_COUNTS: dict[str, Q] = {
    "evidence_cited": Q(),
    "evidence_verified": Q(evidence__status=EvidenceItem.Status.VERIFIED),
    "evidence_withdrawn": Q(evidence__status__in=EvidenceItem.WITHDRAWN),
}


def _citations_counted(only: Q) -> Coalesce:
    counted = (
        Citation.objects.filter(only, message=OuterRef("message_id"))
        .order_by()
        .values("message")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted), 0)


def with_evidence_summary(activities: QuerySet[OutreachActivity]) -> QuerySet[OutreachActivity]:
    """``evidence_cited``, ``evidence_verified`` and ``evidence_withdrawn``: the message's
    citations counted by their evidence's status (``EVIDENCE_COUNTS``). All of them, including
    items the viewer may not open (the counts say what the activity depends on, never what an
    item says)."""
    return activities.annotate(
        **{name: _citations_counted(only) for name, only in EVIDENCE_COUNTS.items()}
    )


def evidence_counts(*, activity: OutreachActivity) -> dict[str, int]:
    """The activity's evidence counts as ``with_evidence_summary`` gives them, in one query:
    what the evidence gate checks."""
    return Citation.objects.filter(message_id=activity.message_id).aggregate(
        **{name: Count("pk", filter=only or None) for name, only in EVIDENCE_COUNTS.items()}
    )


@dataclass(frozen=True)
class Label:
    name: str
    slug: str = ""


def campaign_labels(*, campaign: Campaign) -> dict[str, list[Label]]:
    """The names of the campaign's audiences (with their slugs), themes and collaborating
    teams, each sorted: one query (UNION ALL) where three would read one column each."""
    # .order_by(): no default ordering inside the UNION (SQLite refuses it); sorted below.
    parts = [
        campaign.audiences.order_by().values_list(Value("audiences"), "name", "slug"),
        campaign.themes.order_by().values_list(Value("themes"), "title", Value("")),
        campaign.collaborating_teams.order_by().values_list(Value("teams"), "name", Value("")),
    ]
    labels: dict[str, list[Label]] = {"audiences": [], "themes": [], "teams": []}
    for kind, name, slug in parts[0].union(*parts[1:], all=True):
        labels[kind].append(Label(name, slug))
    return {kind: sorted(found, key=lambda label: label.name) for kind, found in labels.items()}


def activity_history(*, activity: OutreachActivity) -> QuerySet[ActivityEvent]:
    """Every transition and edit of the activity, oldest first, with who did it."""
    return activity.events.select_related("actor").order_by("at", "pk")


def people_with_role(*, activity: OutreachActivity, roles: set[str]) -> QuerySet[User]:
    """Active members of the accountable team holding one of ``roles`` (or lead)."""
    memberships = Membership.objects.filter(
        team_id__in=activity.accountable_team_ids(), role__in=roles | {Role.LEAD}
    )
    return User.objects.filter(is_active=True, pk__in=memberships.values("user_id")).exclude(
        Q(email="")
    )


# (accountable teams, role) → [(user pk, e-mail)] of those who hold it: see notification_recipients.
Reviewers = dict[tuple[frozenset[int], str], list[tuple[int, str]]]


def notification_recipients(
    *,
    event: ActivityEvent,
    step: ApprovalStep | None,
    reviewers: Reviewers | None = None,
) -> list[str]:
    """Who must hear of this event: the reviewers of ``step``, the step it brought the
    activity to (kept with the outbox row: the activity may have moved on since), after a
    submission, a step approval or a reminder; the owner after anything that needs their
    action or closes the loop.
    ``reviewers``: a dict kept across calls (the notify tick's batch), so each team's holders
    of a role are read once, not once per event."""
    activity = event.activity
    Kind = ActivityEvent.Kind
    if event.kind in (Kind.SUBMITTED, Kind.STEP_APPROVED, Kind.REMINDED):
        if step is None:
            return []
        known = {} if reviewers is None else reviewers
        key = (frozenset(activity.accountable_team_ids()), step.required_role)
        if key not in known:
            people = people_with_role(activity=activity, roles={step.required_role})
            known[key] = list(people.values_list("pk", "email"))
        authors = {activity.owner_id, activity.submitted_by_id}
        return sorted(email for pk, email in known[key] if pk not in authors)
    if event.kind in (
        Kind.APPROVED,
        Kind.CHANGES_REQUESTED,
        Kind.RECALLED,
        Kind.EDITED,
        Kind.CANCELLED,
        Kind.FAILED,
        Kind.DISPATCHED,
    ):
        told = []
        owner = activity.owner
        if owner.email and owner.is_active and owner.pk != event.actor_id:
            told.append(owner.email)
        if event.from_status == ActivityStatus.DISPATCHING and event.kind in (
            Kind.RECALLED,
            Kind.EDITED,
            Kind.CANCELLED,
        ):
            # A manual activity waiting for its officer was taken back: they must not carry
            # it out.
            officer = (
                activity.channel.officer if activity.channel.kind == Channel.Kind.MANUAL else None
            )
            if officer and officer.email and officer.is_active and officer.pk != event.actor_id:
                told.append(officer.email)
        return sorted(set(told))
    return []
