"""When reports are due: a subscription's periods on its local calendar, DST-safe.

A subscription sends at a local wall-clock time (``send_time`` in its IANA ``timezone``) every
day, every week on ``weekday`` (0 = Monday) or every month on ``day_of_month`` (1–28). The
report sent at one send time covers the time since the previous one: ``[previous send time,
this send time)``. Both ends are computed on the local calendar and only then converted to UTC,
so a daily report at 08:00 goes out at 08:00 local on both sides of a DST change (that day's
period is 23 or 25 hours long), and periods follow each other with no gap and no overlap.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from campaigns.models import ReportSubscription

Cadence = ReportSubscription.Cadence


@dataclass(frozen=True, order=True)
class Period:
    """``[start, end)`` in UTC; ``end`` is the send time of the report that covers it."""

    start: datetime
    end: datetime


def _at_local(day: date, at: time, zone: ZoneInfo) -> datetime:
    """Wall-clock ``at`` on local ``day``, in UTC.

    A time that does not exist locally (02:30 on the night clocks go forward) is read with the
    offset before the jump, i.e. it lands as far past the jump as it was meant to be past 02:00
    (03:30): the report goes out late by the gap, never not at all. An ambiguous time (the hour
    repeated when clocks go back) means its first occurrence."""
    return datetime.combine(day, at.replace(tzinfo=None), tzinfo=zone).astimezone(UTC)


def _add_months(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _step(day: date, cadence: str, n: int) -> date:
    """The local date ``n`` cadence steps from ``day`` (negative: back)."""
    if cadence == Cadence.DAILY:
        return day + timedelta(days=n)
    if cadence == Cadence.WEEKLY:
        return day + timedelta(weeks=n)
    return _add_months(day, n)


def shift(moment: datetime, *, cadence: str, zone: ZoneInfo, n: int) -> datetime:
    """``moment`` moved ``n`` cadence steps on the local calendar, keeping its wall-clock time
    (the previous or next period's bound, whatever the DST offsets in between)."""
    local = moment.astimezone(zone)
    return _at_local(_step(local.date(), cadence, n), local.time(), zone)


def _is_send_day(subscription: ReportSubscription, day: date) -> bool:
    if subscription.cadence == Cadence.DAILY:
        return True
    if subscription.cadence == Cadence.WEEKLY:
        return day.weekday() == subscription.weekday
    return day.day == subscription.day_of_month


def report_period_ending(*, subscription: ReportSubscription, day: date) -> Period:
    """The period whose report is sent on local ``day`` (a send day of the subscription)."""
    zone = ZoneInfo(subscription.timezone)
    previous = _step(day, subscription.cadence, -1)
    return Period(
        start=_at_local(previous, subscription.send_time, zone),
        end=_at_local(day, subscription.send_time, zone),
    )


def report_periods_between(
    *, subscription: ReportSubscription, after: datetime, until: datetime
) -> list[Period]:
    """Every period of the subscription whose send time lies in ``(after, until]``, oldest
    first."""
    zone = ZoneInfo(subscription.timezone)
    day = after.astimezone(zone).date()
    last = until.astimezone(zone).date()
    periods = []
    while day <= last:
        if _is_send_day(subscription, day):
            period = report_period_ending(subscription=subscription, day=day)
            if after < period.end <= until:
                periods.append(period)
        day += timedelta(days=1)
    return periods


def report_periods_due(*, subscription: ReportSubscription, now: datetime) -> list[Period]:
    """The periods whose local send time has passed and that have no ``ReportRun``, oldest
    first: normally none or one; after the scheduler was down, each one it missed (going back
    at most ``CANDOR_REPORT_CATCH_UP_DAYS``, never before the subscription existed, never
    before the last period sent — so a changed schedule does not resend history)."""
    floor = max(
        subscription.created_at,
        now - timedelta(days=settings.CANDOR_REPORT_CATCH_UP_DAYS),
    )
    last_end = (
        subscription.runs.order_by("-period_end").values_list("period_end", flat=True).first()
    )
    if last_end is not None:
        floor = max(floor, last_end)
    periods = report_periods_between(subscription=subscription, after=floor, until=now)
    if not periods:
        return []
    taken = set(
        subscription.runs.filter(period_start__in=[p.start for p in periods]).values_list(
            "period_start", flat=True
        )
    )
    return [p for p in periods if p.start not in taken]
