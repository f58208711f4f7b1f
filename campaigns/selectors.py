"""Reads shared by the UI, the API, notifications and reports; each is scoped or explicit."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber

from accounts.models import Membership, Role, User
from accounts.permissions import may, team_ids, team_roles
from audiences.models import Audience, Channel
from campaigns.models import (
    ActivityEvent,
    ActivityStatus,
    ApprovalDecision,
    ApprovalStep,
    Campaign,
    OutreachActivity,
    ReportSubscription,
)
from campaigns.reports.contents import Report
from campaigns.reports.figures import report_build
from campaigns.reports.periods import report_periods_between, shift
from messaging.models import Citation, EvidenceItem, Message, Theme
from messaging.selectors import visible_citations


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


# --- the staff UI -------------------------------------------------------------------------------


def report_latest(*, subscription: ReportSubscription, now: datetime) -> Report:
    """The subscription's report for its latest complete period, as it was (or will be)
    e-mailed; before its first send time, the period up to now."""
    periods = report_periods_between(
        subscription=subscription, after=now - timedelta(days=40), until=now
    )
    if periods:
        start, end = periods[-1].start, periods[-1].end
    else:
        zone = ZoneInfo(subscription.timezone)
        start, end = shift(now, cadence=subscription.cadence, zone=zone, n=-1), now
    return report_build(subscription=subscription, period_start=start, period_end=end, now=now)


def _my_review_scope(user: User) -> Q:
    """Activities at a step this user may approve: a step of their role (or any step, for a
    lead) in a campaign their team owns (collaborators do not review)."""
    scope = Q(pk__in=[])
    for team_id, role in team_roles(user).items():
        in_team = Q(campaign__owner_team_id=team_id)
        if role == Role.LEAD:
            scope |= in_team
        elif role in (Role.REVIEWER, Role.APPROVER):
            scope |= in_team & Q(current_step__required_role=role)
    return scope


def waiting_for(*, user: User) -> QuerySet[OutreachActivity]:
    """In review at a step the user may approve, not their own work, not already approved by
    them in this round (four eyes), oldest submission first."""
    approved_by_me = ApprovalDecision.objects.filter(
        activity=OuterRef("pk"),
        review_round=OuterRef("review_round"),
        user=user,
        verdict=ApprovalDecision.Verdict.APPROVE,
    )
    mine = (
        OutreachActivity.objects.filter(status=ActivityStatus.IN_REVIEW)
        .filter(_my_review_scope(user))
        .exclude(owner=user)
        .exclude(submitted_by=user)
        .filter(~Exists(approved_by_me))
        .values("pk")
    )
    return activity_list(user=user).filter(pk__in=mine).order_by("submitted_at", "pk")


def approval_queue(*, user: Any) -> QuerySet[OutreachActivity]:
    """What ``waiting_for`` gives (the user may approve it now, four eyes kept), the longest
    waiting at its current step first."""
    return (
        waiting_for(user=user)
        .select_related("submitted_by")
        .order_by(F("step_since").asc(nulls_last=True), "submitted_at", "pk")
    )


# The same colours as the status badges in static/css/candor.css.
STATUS_COLOURS = {
    "draft": "#b0bec5",
    "in_review": "#64b5f6",
    "changes_requested": "#ffb74d",
    "approved": "#81c784",
    "dispatching": "#9575cd",
    "dispatched": "#43a047",
    "completed": "#2e7d32",
    "failed": "#e57373",
    "cancelled": "#bdbdbd",
}


def dashboard(*, user: User, now: datetime) -> dict[str, Any]:
    """What a staff member needs first: what goes out soon, what waits for them, what went out,
    what failed, and evidence withdrawn lately with what it recalled."""
    visible = activity_list(user=user)
    recent = now - timedelta(days=14)
    counts = dict(
        OutreachActivity.objects.visible_to(user)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    return {
        "by_status": [
            {"label": label, "count": counts.get(value, 0), "color": STATUS_COLOURS[value]}
            for value, label in ActivityStatus.choices
        ],
        **_dashboard_panels(visible, now=now, recent=recent),
        "waiting_for_me": waiting_for(user=user)[:50],
        "withdrawn_evidence": EvidenceItem.objects.visible_to(user)
        .filter(status__in=EvidenceItem.WITHDRAWN, status_changed_at__gte=recent)
        .select_related("status_changed_by")
        .annotate(
            recalled=Count(
                "messages__activities__events",
                filter=Q(messages__activities__events__kind=ActivityEvent.Kind.RECALLED),
                distinct=True,
            )
        )
        .order_by("-status_changed_at")[:20],
    }


# The dashboard's activity panels and how many rows each shows.
_PANELS = {
    "due_soon": 50,  # approved or dispatching, due within 48 h, soonest first
    "recently_dispatched": 20,  # went out in the last 14 days, latest first
    "failures": 20,  # failed, latest first
}


def _dashboard_panels(
    visible: QuerySet[OutreachActivity], *, now: datetime, recent: datetime
) -> dict[str, list[OutreachActivity]]:
    """The three activity panels of the dashboard in one query: each row is labelled with its
    panel and ranked within it (a window function), and only the top rows of each are read."""
    S = ActivityStatus
    due = Q(status__in=[S.APPROVED, S.DISPATCHING], scheduled_at__lte=now + timedelta(hours=48))
    went_out = Q(status__in=[S.DISPATCHED, S.COMPLETED], updated_at__gte=recent)
    failed = Q(status=S.FAILED)
    panel = Case(
        When(due, then=Value("due_soon")),
        When(went_out, then=Value("recently_dispatched")),
        default=Value("failures"),
    )
    rank = Window(
        RowNumber(),
        partition_by=[panel],
        order_by=[Case(When(due, then="scheduled_at")).asc(), F("updated_at").desc(), "pk"],
    )
    rows = (
        visible.filter(due | went_out | failed)
        .annotate(panel=panel, rank=rank)
        .filter(rank__lte=max(_PANELS.values()))
        .order_by("rank")
    )
    panels: dict[str, list[OutreachActivity]] = {name: [] for name in _PANELS}
    for activity in rows:
        if len(panels[activity.panel]) < _PANELS[activity.panel]:
            panels[activity.panel].append(activity)
    return panels


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    allowed: bool
    reason: str = ""


def activity_actions(*, activity: OutreachActivity, user: User) -> list[Action]:
    """The workflow buttons for this user, each enabled or disabled with the reason. A guide
    for the screen only: the services decide, and refuse whatever this lets through."""
    S = ActivityStatus
    planner = may(user, "campaigns.plan", activity)
    actions: list[Action] = []
    if activity.status in (S.DRAFT, S.CHANGES_REQUESTED):
        actions.append(
            Action("submit", "Submit for review", planner, "" if planner else "Planners only.")
        )
    if activity.status == S.IN_REVIEW and activity.current_step is not None:
        step = activity.current_step
        reason = ""
        if not may(user, step.permission, activity):
            reason = f"{step.name} needs a {step.required_role} (or lead) of the campaign."
        elif user.pk in (activity.owner_id, activity.submitted_by_id):
            reason = "Four eyes: you drafted or submitted it."
        elif activity.decisions.filter(
            review_round=activity.review_round, user=user, verdict="approve"
        ).exists():
            reason = "Four eyes: you approved the previous step."
        actions.append(Action("approve", f"Approve: {step.name}", not reason, reason))
        actions.append(Action("request_changes", "Request changes", not reason, reason))
    if activity.status == S.FAILED:
        actions.append(Action("retry", "Retry", planner, "" if planner else "Planners only."))
    if activity.status == S.DISPATCHING and activity.channel.kind == "manual":
        officer = user.pk == activity.channel.officer_id
        actions.append(
            Action("mark_done", "Mark done", officer or planner, "The officer or a planner.")
        )
    if activity.status in (S.DRAFT, S.IN_REVIEW, S.CHANGES_REQUESTED, S.APPROVED, S.FAILED):
        actions.append(Action("cancel", "Cancel", planner, "" if planner else "Planners only."))
    return actions


@dataclass(frozen=True)
class CoverageCell:
    planned: int = 0
    approved: int = 0
    dispatched: int = 0
    evidence: int = 0

    @property
    def empty(self) -> bool:
        return not (self.planned or self.approved or self.dispatched)


def coverage(*, user: User, campaign: Campaign | None = None) -> dict[str, Any]:
    """Audiences × themes: activities planned / approved / dispatched in each cell and how many
    verified evidence items back them. One aggregate query for the cells."""
    S = ActivityStatus
    activities = OutreachActivity.objects.visible_to(user).exclude(status=S.CANCELLED)
    campaigns = Campaign.objects.visible_to(user)
    if campaign is not None:
        activities = activities.filter(campaign=campaign)
        campaigns = campaigns.filter(pk=campaign.pk)
    rows = activities.values("audience_id", "message__theme_id").annotate(
        planned=Count(
            "pk",
            filter=Q(status__in=[S.DRAFT, S.IN_REVIEW, S.CHANGES_REQUESTED]),
            distinct=True,
        ),
        approved=Count("pk", filter=Q(status__in=[S.APPROVED, S.DISPATCHING]), distinct=True),
        dispatched=Count("pk", filter=Q(status__in=[S.DISPATCHED, S.COMPLETED]), distinct=True),
        evidence=Count(
            "message__citations__evidence",
            filter=Q(message__citations__evidence__status=EvidenceItem.Status.VERIFIED),
            distinct=True,
        ),
    )
    cells = {
        (r["audience_id"], r["message__theme_id"]): CoverageCell(
            r["planned"], r["approved"], r["dispatched"], r["evidence"]
        )
        for r in rows
    }
    audiences = list(Audience.objects.filter(campaigns__in=campaigns).distinct().order_by("name"))
    themes = list(Theme.objects.filter(campaigns__in=campaigns).distinct().order_by("title"))
    return {
        "audiences": audiences,
        "themes": themes,
        "rows": [
            (a, [(t, cells.get((a.pk, t.pk), CoverageCell())) for t in themes]) for a in audiences
        ],
    }


def calendar_month(
    *, campaign: Campaign, user: User, audience: Audience, year: int, month: int
) -> list[list[tuple[date | None, list[OutreachActivity]]]]:
    """The month as weeks of (local date, activities that day), in ``audience``'s time zone.
    Every activity of the campaign is placed by its own time shown in that zone."""
    zone = audience.zone
    first = datetime(year, month, 1, tzinfo=zone)
    last = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    by_day: dict[date, list[OutreachActivity]] = {}
    for activity in activity_list(user=user).filter(
        campaign=campaign, scheduled_at__gte=first, scheduled_at__lt=last
    ):
        shown_at = activity.scheduled_at.astimezone(zone)
        # For the calendar template: an attribute of this listing, not a field of the model.
        activity.shown_at = shown_at  # type: ignore[attr-defined]
        by_day.setdefault(shown_at.date(), []).append(activity)
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        weeks.append([(d if d.month == month else None, by_day.get(d, [])) for d in week])
    return weeks


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


def report_subscription_list(*, user: User, received: bool = False) -> QuerySet[ReportSubscription]:
    """The user's own report subscriptions (and, with ``received``, those sending to them)
    whose scope they may still see: someone who left the team reads no more of its reports."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ReportSubscription.objects.none()
    whose = Q(owner=user) | Q(recipients=user) if received else Q(owner=user)
    return (
        ReportSubscription.objects.filter(whose)
        .distinct()
        .filter(
            Q(team__in=team_ids(user))
            | Q(campaign__in=Campaign.objects.visible_to(user).values("pk"))
        )
        .select_related("owner", "team", "campaign")
        .prefetch_related("recipients")
    )


def calendar_week(
    *, campaign: Campaign, user: User, audience: Audience, day: date
) -> list[tuple[date, list[OutreachActivity]]]:
    """The week (Monday to Sunday) holding ``day``, each day with its activities in time
    order, as the clock shows it in ``audience``'s zone."""
    zone = audience.zone
    monday = day - timedelta(days=day.weekday())
    start = datetime(monday.year, monday.month, monday.day, tzinfo=zone)
    following = monday + timedelta(days=7)
    end = datetime(following.year, following.month, following.day, tzinfo=zone)
    by_day: dict[date, list[OutreachActivity]] = {monday + timedelta(days=n): [] for n in range(7)}
    for activity in (
        activity_list(user=user)
        .filter(campaign=campaign, scheduled_at__gte=start, scheduled_at__lt=end)
        .order_by("scheduled_at", "pk")
    ):
        by_day[activity.scheduled_at.astimezone(zone).date()].append(activity)
    return list(by_day.items())
