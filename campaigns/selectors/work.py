"""What waits for a person: the dashboard, the approval queue and the actions an activity offers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber

from accounts.models import Role, User
from accounts.permissions import may, team_roles
from campaigns.models import (
    ActivityEvent,
    ActivityStatus,
    ApprovalDecision,
    OutreachActivity,
)
from campaigns.selectors.activities import activity_list
from messaging.models import EvidenceItem


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
