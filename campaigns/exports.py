"""Activities as files people open elsewhere: a CSV for spreadsheets and an iCalendar feed of a
campaign's schedule. Times are the audience's local time, as planners think of them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import timedelta

from icalendar import Calendar, Event

from campaigns.models import ActivityStatus, Campaign, OutreachActivity

CSV_COLUMNS = (
    "id",
    "title",
    "status",
    "campaign",
    "audience",
    "segment",
    "timezone",
    "scheduled_local",
    "scheduled_at_utc",
    "channel",
    "channel_kind",
    "message_id",
    "message_headline",
    "language",
    "owner",
    "version",
    "submitted_at",
    "approved_at",
    "reach",
    "engagement",
)
# A cell starting like a formula is run by spreadsheets (CSV injection): quote it as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def activities_csv(activities: Iterable[OutreachActivity]) -> str:
    """One row per activity; expects ``campaign``, ``audience``, ``segment``, ``channel``,
    ``message``, ``owner`` and ``outcome`` loaded with it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for a in activities:
        outcome = getattr(a, "outcome", None)  # no outcome: RelatedObjectDoesNotExist
        local = a.scheduled_local
        writer.writerow(
            _cell(v)
            for v in (
                a.uuid,
                a.title,
                a.status,
                a.campaign.name,
                a.audience.name,
                a.segment.name if a.segment is not None else "",
                a.audience.timezone,
                local.replace(tzinfo=None).isoformat(timespec="minutes"),
                a.scheduled_at.isoformat().replace("+00:00", "Z"),
                a.channel.name,
                a.channel.kind,
                a.message.uuid,
                a.message.headline,
                a.message.language,
                a.owner.username,
                a.version,
                a.submitted_at.isoformat() if a.submitted_at else "",
                a.approved_at.isoformat() if a.approved_at else "",
                outcome.reach if outcome else "",
                outcome.engagement if outcome else "",
            )
        )
    return out.getvalue()


_ICAL_STATUS: dict[str, str] = {
    ActivityStatus.APPROVED: "CONFIRMED",
    ActivityStatus.DISPATCHING: "CONFIRMED",
    ActivityStatus.DISPATCHED: "CONFIRMED",
    ActivityStatus.COMPLETED: "CONFIRMED",
    ActivityStatus.CANCELLED: "CANCELLED",
}
EVENT_LENGTH = timedelta(minutes=30)


def schedule_ics(campaign: Campaign, activities: Iterable[OutreachActivity]) -> str:
    """The campaign's activities as iCalendar events at the audience's local time (with the
    VTIMEZONE definitions calendar apps need). Unapproved ones are TENTATIVE; cancelled ones
    stay as CANCELLED, so subscribed calendars drop them."""
    calendar = Calendar()
    calendar.add("prodid", "-//Candor//Campaign schedule//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Candor: {campaign.name}")
    for a in activities:
        event = Event()
        event.add("uid", f"{a.uuid}@candor")
        event.add("dtstamp", a.updated_at)
        event.add("last-modified", a.updated_at)
        event.add("sequence", a.version)
        start = a.scheduled_local
        event.add("dtstart", start)
        event.add("dtend", start + EVENT_LENGTH)
        event.add("summary", a.title)
        event.add("status", _ICAL_STATUS.get(a.status, "TENTATIVE"))
        event.add("categories", [a.get_status_display()])
        event.add(
            "description",
            "\n".join(
                [
                    f"Audience: {a.audience.name}"
                    + (f" — {a.segment.name}" if a.segment is not None else ""),
                    f"Channel: {a.channel.name} ({a.channel.get_kind_display()})",
                    f"Message: {a.message.headline} [{a.message.language}]",
                    f"Status: {a.get_status_display()}",
                    f"Attributed to: {campaign.attributed_to}",
                ]
            ),
        )
        calendar.add_component(event)
    calendar.add_missing_timezones(
        first_date=campaign.starts_on - timedelta(days=366),
        last_date=campaign.ends_on + timedelta(days=366),
    )
    return calendar.to_ical().decode()
