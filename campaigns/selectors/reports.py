"""Reads of reports: the latest period of a subscription, and the subscriptions a person sees."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import (
    Q,
    QuerySet,
)

from accounts.models import User
from accounts.permissions import team_ids
from campaigns.models import (
    Campaign,
    ReportSubscription,
)
from campaigns.reports.contents import Report
from campaigns.reports.figures import report_build
from campaigns.reports.periods import report_periods_between, shift


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
