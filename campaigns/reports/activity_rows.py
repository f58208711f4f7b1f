"""The report's CSV rows: the period's activities, one row each (``CSV_COLUMNS``), in one
query."""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Callable
from typing import Any

from django.db.models import Case, CharField, F, QuerySet, Value, When

from campaigns.reports.sections import Frame, activity_url
from campaigns.reports.visibility import visible_library
from messaging.models import Theme


def _activity_url_maker() -> Callable[[uuid_module.UUID], str]:
    """``activity_url`` for many rows: ``reverse()`` once, not once per row (10k CSV rows:
    about a third of a second of URL resolving)."""
    placeholder = uuid_module.UUID(int=0)
    head, tail = activity_url(placeholder).split(str(placeholder))
    return lambda activity_uuid: f"{head}{activity_uuid}{tail}"


# The CSV's columns, as paths from an activity; ``dispatched_at`` and ``theme_title`` are
# computed (see ``activity_rows``).
_ROW_PATHS = (
    "pk",
    "uuid",
    "campaign__name",
    "title",
    "audience__name",
    "segment__name",
    "channel__name",
    "channel__kind",
    "theme_title",
    "status",
    "scheduled_at",
    "dispatched_at",
    "outcome__reach",
    "outcome__engagement",
)


def _row_values(rows: QuerySet, prefix: str, dispatched_at: Any, themes: QuerySet) -> QuerySet:
    """``rows`` (activities, or events with ``prefix`` "activity__") as CSV values, every
    column under the same alias so that the two can be combined in a UNION."""
    computed = {
        "dispatched_at": dispatched_at,
        "theme_title": Case(
            When(
                **{f"{prefix}message__theme__in": themes}, then=F(f"{prefix}message__theme__title")
            ),
            default=Value("(restricted)"),
            output_field=CharField(),
        ),
    }
    columns = {f"c_{path}": computed.get(path, F(f"{prefix}{path}")) for path in _ROW_PATHS}
    return rows.annotate(**columns).values_list(*columns).order_by()  # ordered by the UNION


def activity_rows(f: Frame) -> list[tuple[Any, ...]]:
    """The period's activities (scheduled or dispatched in it), one CSV row each, in one
    query. A theme not every recipient may see is shown as "(restricted)".

    A UNION of the activities scheduled in the period (by the (campaign, time) index) and the
    period's first dispatches (by the events' time index); an OR of the two made PostgreSQL
    read every activity of the scope."""
    themes = visible_library(Theme, f.viewers)
    url = _activity_url_maker()
    scheduled = f.with_dispatch.filter(f.between("scheduled_at", f.start, f.end))
    dispatched = f.first_dispatches(f.start, f.end)
    rows = (
        _row_values(scheduled, "", F("dispatched_at"), themes)
        .union(_row_values(dispatched, "activity__", F("at"), themes))
        .order_by("c_scheduled_at", "c_pk")
    )
    return [
        (
            str(uuid),
            campaign,
            title,
            audience,
            segment or "",
            channel,
            channel_kind,
            theme,
            status,
            f.iso(scheduled_at),
            f.iso(dispatched_at),
            "" if reach is None else reach,
            "" if engagement is None else engagement,
            url(uuid),
        )
        for (
            _pk,
            uuid,
            campaign,
            title,
            audience,
            segment,
            channel,
            channel_kind,
            theme,
            status,
            scheduled_at,
            dispatched_at,
            reach,
            engagement,
        ) in rows
    ]
