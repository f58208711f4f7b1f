"""The sections of a report: one function per section, each a fixed number of SQL queries
(aggregates, and lists cut at ``CANDOR_REPORT_LIST_LIMIT``) over a ``Frame``, the scope and the
period every section shares. Read-only."""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.urls import reverse

from campaigns.models import (
    ActivityEvent,
    ActivityStatus,
    Campaign,
    Dispatch,
    OutreachActivity,
    ReportSubscription,
)
from campaigns.reports.contents import (
    ActivityLine,
    DispatchedRow,
    EvidenceLine,
    GapLine,
    Outcomes,
    RecallLine,
)
from campaigns.reports.visibility import visible_library
from messaging.models import Citation, EvidenceItem, Theme

S = ActivityStatus
Kind = ActivityEvent.Kind


@dataclass(frozen=True)
class Frame:
    """What every section query shares."""

    subscription: ReportSubscription
    viewers: list[Any]
    campaigns: QuerySet[Campaign]
    activities: QuerySet[OutreachActivity]
    start: datetime
    end: datetime
    previous_start: datetime
    next_end: datetime
    now: datetime
    zone: ZoneInfo
    limit: int

    @property
    def with_dispatch(self) -> QuerySet[OutreachActivity]:
        """The activities with when they were dispatched (their first "dispatched" event)."""
        return self.activities.annotate(
            dispatched_at=Subquery(
                ActivityEvent.objects.filter(activity=OuterRef("pk"), kind=Kind.DISPATCHED)
                .order_by("at")
                .values("at")[:1]
            )
        )

    def first_dispatches(self, start: datetime, end: datetime) -> QuerySet[ActivityEvent]:
        """The first "dispatched" event of each activity of the scope, where it falls in
        ``[start, end)``: one row per activity dispatched (for the first time) in the window.

        Read from the events of the window (the index on ``at``), each checked for an earlier
        one by an index probe; starting from the activities instead means a lookup for every
        activity of the scope (1M activities: seconds per query)."""
        earlier = ActivityEvent.objects.filter(
            Q(at__lt=OuterRef("at")) | Q(at=OuterRef("at"), pk__lt=OuterRef("pk")),
            activity=OuterRef("activity_id"),
            kind=Kind.DISPATCHED,
        )
        return ActivityEvent.objects.filter(
            ~Exists(earlier),
            kind=Kind.DISPATCHED,
            at__gte=start,
            at__lt=end,
            activity__in=self.activities,
        )

    def between(self, name: str, start: datetime, end: datetime) -> Q:
        return Q(**{f"{name}__gte": start, f"{name}__lt": end})

    def local(self, moment: datetime | None) -> datetime | None:
        return moment.astimezone(self.zone) if moment is not None else None

    def iso(self, moment: datetime | None) -> str:
        return moment.astimezone(self.zone).isoformat(timespec="minutes") if moment else ""


def activity_url(activity_uuid: uuid_module.UUID) -> str:
    # By the public id: a bare ``OutreachActivity(pk=…)`` would carry a fresh random uuid.
    return f"{settings.CANDOR_BASE_URL}{reverse('activity_detail', kwargs={'uuid': activity_uuid})}"


def _line(f: Frame, a: OutreachActivity, *, at: datetime | None, detail: str) -> ActivityLine:
    """One activity of a report list (its campaign and audience read with it)."""
    return ActivityLine(
        title=a.title,
        url=activity_url(a.uuid),
        campaign=a.campaign.name,
        audience=a.audience.name,
        status=a.get_status_display(),
        at=f.local(at),
        detail=detail,
    )


def _hours(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() // 3600))


def dispatched(f: Frame) -> tuple[list[DispatchedRow], Outcomes]:
    """Dispatched in the period by audience and channel; outcomes now and the period before.

    One grouped query over both periods (each first dispatch is found once); the totals are
    the sums of its few groups."""
    now, before = Q(at__gte=f.start), Q(at__lt=f.start)
    groups = list(
        f.first_dispatches(f.previous_start, f.end)
        .values("activity__audience__name", "activity__channel__name", "activity__channel__kind")
        .annotate(
            n=Count("pk", filter=now),
            with_outcome=Count("activity__outcome", filter=now),
            reach=Coalesce(Sum("activity__outcome__reach", filter=now), 0),
            engagement=Coalesce(Sum("activity__outcome__engagement", filter=now), 0),
            previous_n=Count("pk", filter=before),
            previous_reach=Coalesce(Sum("activity__outcome__reach", filter=before), 0),
            previous_engagement=Coalesce(Sum("activity__outcome__engagement", filter=before), 0),
        )
        .order_by("activity__audience__name", "activity__channel__name")
    )
    rows = [
        DispatchedRow(
            audience=g["activity__audience__name"],
            channel=g["activity__channel__name"],
            channel_kind=g["activity__channel__kind"],
            count=g["n"],
            reach=g["reach"],
            engagement=g["engagement"],
        )
        for g in groups
        if g["n"]
    ]

    def total(
        name: Literal[
            "n",
            "with_outcome",
            "reach",
            "engagement",
            "previous_n",
            "previous_reach",
            "previous_engagement",
        ],
    ) -> int:
        return sum(g[name] for g in groups)

    outcomes = Outcomes(
        dispatched=total("n"),
        with_outcome=total("with_outcome"),
        reach=total("reach"),
        engagement=total("engagement"),
        previous_dispatched=total("previous_n"),
        previous_reach=total("previous_reach"),
        previous_engagement=total("previous_engagement"),
    )
    return rows, outcomes


def due_next(f: Frame) -> tuple[dict[str, int], list[ActivityLine]]:
    """Planned for the next period and on its way: not out, failed or cancelled."""
    due = f.activities.filter(f.between("scheduled_at", f.end, f.next_end)).exclude(
        status__in=[S.CANCELLED, S.DISPATCHED, S.COMPLETED, S.FAILED]
    )
    by_status = {
        S(row["status"]).label: row["n"]
        for row in due.values("status").annotate(n=Count("pk")).order_by("status")
    }
    lines = [
        _line(f, a, at=a.scheduled_at, detail=a.channel.name)
        for a in due.select_related("campaign", "audience", "channel").order_by(
            "scheduled_at", "pk"
        )[: f.limit]
    ]
    return by_status, lines


def waiting(f: Frame) -> tuple[int, int | None, list[ActivityLine]]:
    """Activities waiting for an approval, and how long since they reached their step."""
    # step_since: set by submit and by each step's approval (a column, not a subquery over
    # the events of every waiting activity: 0.5 s of a report at 1M activities, benchmark P5).
    in_review = f.activities.filter(status=S.IN_REVIEW)
    first = in_review.select_related("campaign", "audience", "current_step").order_by(
        F("step_since").asc(nulls_first=True), "pk"
    )[: f.limit]
    lines = [
        _line(
            f,
            a,
            at=a.step_since,
            detail=f"{a.current_step.name if a.current_step else '—'}: waiting "
            f"{_hours(f.now - a.step_since) if a.step_since else 0} h",
        )
        for a in first
    ]
    summary = in_review.aggregate(total=Count("pk"), oldest=Min("step_since"))
    oldest = summary["oldest"]
    return summary["total"], (_hours(f.now - oldest) if oldest else None), lines


def failures(f: Frame) -> tuple[int, list[ActivityLine]]:
    """Activities that failed in the period, with their last error."""
    failed_then = ActivityEvent.objects.filter(
        activity=OuterRef("pk"), kind=Kind.FAILED, at__gte=f.start, at__lt=f.end
    )
    failed = f.activities.filter(Exists(failed_then)).annotate(
        failed_at=Subquery(failed_then.order_by("-at").values("at")[:1]),
        last_error=Subquery(
            Dispatch.objects.filter(activity=OuterRef("pk"), result=Dispatch.Result.FAILED)
            .order_by("-attempt")
            .values("error")[:1]
        ),
    )
    lines = [
        _line(f, a, at=a.failed_at, detail=(a.last_error or "")[:200])
        for a in failed.select_related("campaign", "audience").order_by("-failed_at", "pk")[
            : f.limit
        ]
    ]
    return failed.count(), lines


def evidence(f: Frame) -> tuple[dict[str, int], list[EvidenceLine]]:
    """Evidence verified, disputed or retracted in the period: items the scope's activities
    cite (and, for a team, the team's own) that every recipient may see."""
    Status = EvidenceItem.Status
    # Per citation, does some activity of the scope use its message (an index probe), rather
    # than joining every activity of the scope to the citations.
    used = Exists(f.activities.filter(message_id=OuterRef("message_id")))
    relevant = Q(pk__in=Citation.objects.filter(used).values("evidence_id"))
    if f.subscription.team_id:
        relevant |= Q(owner_team_id=f.subscription.team_id)
    changed = (
        visible_library(EvidenceItem, f.viewers)
        .filter(relevant)
        .filter(
            f.between("status_changed_at", f.start, f.end),
            status__in=[Status.VERIFIED, Status.DISPUTED, Status.RETRACTED],
        )
    )
    # A week's status changes are few (the library's pace, not the activities'): one query
    # reads them (without the stored snapshots) for both the counts and the list.
    rows = changed.order_by("-status_changed_at", "pk").values_list(
        "claim",
        "source_reliability",
        "information_credibility",
        "publisher",
        "status",
        "status_changed_at",
        "status_reason",
        "source_url",
    )
    counts = dict.fromkeys([Status.VERIFIED, Status.DISPUTED, Status.RETRACTED], 0)
    lines: list[EvidenceLine] = []
    for claim, reliability, credibility, publisher, status, at, reason, url in rows:
        counts[status] += 1
        if len(lines) < f.limit:
            lines.append(
                EvidenceLine(
                    claim=claim,
                    admiralty_code=f"{reliability}{credibility}",
                    publisher=publisher,
                    status=Status(status).label,
                    changed_at=at.astimezone(f.zone),
                    reason=reason,
                    source_url=url,
                )
            )
    return {str(status): n for status, n in counts.items()}, lines


def recalls(f: Frame) -> tuple[int, list[RecallLine]]:
    """What withdrawn evidence recalled in the period (the activities' "recalled" events)."""
    recalled = ActivityEvent.objects.filter(
        activity__in=f.activities, kind=Kind.RECALLED, at__gte=f.start, at__lt=f.end
    )
    rows = list(
        recalled.annotate(evidence_id=KT("changes__evidence__id"))
        .values(
            "activity__uuid",
            "activity__title",
            "activity__campaign__name",
            "at",
            "comment",
            "evidence_id",
        )
        .order_by("-at", "-pk")[: f.limit]
    )
    claims = _evidence_claims((r["evidence_id"] for r in rows), f.viewers)
    lines = [
        RecallLine(
            activity=r["activity__title"],
            url=activity_url(r["activity__uuid"]),
            campaign=r["activity__campaign__name"],
            at=r["at"].astimezone(f.zone),
            evidence=(
                claims.get(r["evidence_id"], "(evidence not shown: restricted)")
                if r["evidence_id"]
                else "(cited evidence no longer verified at dispatch)"
            ),
            comment=r["comment"],
        )
        for r in rows
    ]
    return recalled.values("activity_id").distinct().count(), lines


def _evidence_claims(ids: Iterable[str | None], viewers: Sequence[Any]) -> dict[str, str]:
    """``{evidence uuid: "[B2] claim"}`` for the ids every viewer may see (one query)."""
    wanted = []
    for value in ids:
        try:
            wanted.append(uuid_module.UUID(str(value)))
        except ValueError:
            continue
    if not wanted:
        return {}
    return {
        str(e.uuid): f"[{e.admiralty_code}] {e.claim}"
        for e in visible_library(EvidenceItem, viewers).filter(uuid__in=wanted)
    }


def coverage(f: Frame) -> tuple[int, int, list[GapLine]]:
    """Audience × theme pairs of the scope's campaigns (themes every recipient may see) with
    nothing dispatched or planned from the start of this period to the end of the next."""
    covered = Exists(
        OutreachActivity.objects.filter(
            campaign_id=OuterRef("campaign_id"),
            audience_id=OuterRef("audience_id"),
            message__theme_id=OuterRef("theme_id"),
            scheduled_at__gte=f.start,
            scheduled_at__lt=f.next_end,
        ).exclude(status=S.CANCELLED)
    )
    # One row per (campaign, theme, audience): the campaign's theme links × its audiences.
    pairs = (
        Campaign.themes.through.objects.filter(
            campaign__in=f.campaigns, theme__in=visible_library(Theme, f.viewers)
        )
        .annotate(
            audience_id=F("campaign__audiences"), audience_name=F("campaign__audiences__name")
        )
        # The plugin resolves lookups on the through model's fields only, not its annotations.
        .filter(audience_id__isnull=False)  # type: ignore[misc]
        .annotate(covered=covered)
    )
    # Pairs are campaigns × themes × audiences (configuration, not activity volume): one
    # query reads them all with their coverage, rather than one to count and one to list.
    rows = list(
        pairs.values_list(  # type: ignore[misc]  # as above: an annotation's name
            "campaign__name", "audience_name", "theme__title", "covered"
        ).order_by("campaign__name", "audience_name", "theme__title")
    )
    gaps = [
        GapLine(campaign=campaign, audience=audience, theme=theme)
        for campaign, audience, theme, covered in rows
        if not covered
    ]
    return len(rows), len(gaps), gaps[: f.limit]
