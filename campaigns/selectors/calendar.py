"""Where and when: the audience × theme coverage matrix and the calendar in audience local time."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import (
    Count,
    Q,
)

from accounts.models import User
from audiences.models import Audience
from campaigns.models import (
    ActivityStatus,
    Campaign,
    OutreachActivity,
)
from campaigns.selectors.activities import activity_list
from messaging.models import EvidenceItem, Theme


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
