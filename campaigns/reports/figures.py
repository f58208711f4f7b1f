"""What a report says: the figures of one period for one subscription, seen with the owner's
visibility, each computed by an SQL aggregate.

**Visibility.** Every query starts from ``Campaign.objects.visible_to(owner)`` /
``OutreachActivity.objects.visible_to(owner)``, narrowed to the scope (a team's campaigns —
owned or collaborated on — or one campaign). The report goes to the owner, to each listed
recipient who may see the scope themselves (anyone else is left out and logged), and to the
``extra_addresses`` (people outside Candor to whom the owner forwards their own view). Library
items — evidence and themes, which carry TLP markings — appear only if *every* user recipient
may see them (``EvidenceItem.objects.visible_to`` of each), so nobody reads a restricted item
through someone else's report.

**Cost.** The number of queries is fixed (about twenty, plus one per recipient for their team
roles); it does not grow with the number of activities. Lists are cut at
``CANDOR_REPORT_LIST_LIMIT``; the totals count everything.
"""

from __future__ import annotations

import logging
import uuid as uuid_module
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from accounts.permissions import may
from campaigns.models import (
    ActivityEvent,
    ActivityStatus,
    Campaign,
    Dispatch,
    OutreachActivity,
    ReportSubscription,
)
from campaigns.reports.periods import shift
from messaging.models import Citation, EvidenceItem, Theme

logger = logging.getLogger(__name__)
S = ActivityStatus
Kind = ActivityEvent.Kind


@dataclass(frozen=True)
class Link:
    name: str
    url: str


@dataclass(frozen=True)
class DispatchedRow:
    audience: str
    channel: str
    channel_kind: str
    count: int
    reach: int
    engagement: int


@dataclass(frozen=True)
class ActivityLine:
    title: str
    url: str
    campaign: str
    audience: str
    status: str
    at: datetime | None  # local: scheduled, waiting since, or failed at
    detail: str = ""


@dataclass(frozen=True)
class EvidenceLine:
    claim: str
    admiralty_code: str
    publisher: str
    status: str
    changed_at: datetime  # local
    reason: str
    source_url: str


@dataclass(frozen=True)
class RecallLine:
    activity: str
    url: str
    campaign: str
    at: datetime  # local
    evidence: str  # the withdrawn evidence's claim, or why it is not shown
    comment: str


@dataclass(frozen=True)
class GapLine:
    campaign: str
    audience: str
    theme: str


@dataclass(frozen=True)
class Outcomes:
    """Activities dispatched in the period and in the one before, with their outcomes."""

    dispatched: int
    with_outcome: int
    reach: int
    engagement: int
    previous_dispatched: int
    previous_reach: int
    previous_engagement: int

    @property
    def reach_change(self) -> int:
        return self.reach - self.previous_reach

    @property
    def engagement_change(self) -> int:
        return self.engagement - self.previous_engagement

    @property
    def dispatched_change(self) -> int:
        return self.dispatched - self.previous_dispatched


CSV_COLUMNS = (
    "id",
    "campaign",
    "title",
    "audience",
    "segment",
    "channel",
    "channel_kind",
    "theme",
    "status",
    "scheduled_local",
    "dispatched_local",
    "reach",
    "engagement",
    "url",
)


@dataclass(frozen=True)
class Report:
    """Everything one report says; times in the subscription's timezone."""

    subscription_id: uuid_module.UUID
    cadence: str
    scope_kind: str  # "team" or "campaign"
    scope_name: str
    scope_url: str
    campaigns: list[Link]
    timezone: str
    period_start: datetime
    period_end: datetime
    previous_start: datetime
    next_end: datetime
    generated_at: datetime
    late: bool
    dispatched: list[DispatchedRow]
    due_next_total: int
    due_next_by_status: dict[str, int]
    due_next: list[ActivityLine]
    waiting_total: int
    waiting_oldest_hours: int | None
    waiting: list[ActivityLine]
    failed_total: int
    failed: list[ActivityLine]
    evidence_counts: dict[str, int]
    evidence: list[EvidenceLine]
    recalled_total: int
    recalls: list[RecallLine]
    coverage_pairs: int
    coverage_gaps_total: int
    coverage_gaps: list[GapLine]
    outcomes: Outcomes
    activity_rows: list[tuple[Any, ...]] = field(repr=False)  # CSV_COLUMNS, one per activity

    @property
    def dispatched_total(self) -> int:
        return self.outcomes.dispatched

    @property
    def evidence_total(self) -> int:
        return sum(self.evidence_counts.values())

    @property
    def is_empty(self) -> bool:
        """Nothing happened in the period and nothing waits: the short report."""
        return not (
            self.dispatched_total
            or self.due_next_total
            or self.waiting_total
            or self.failed_total
            or self.evidence_total
            or self.recalled_total
            or self.activity_rows
        )

    @property
    def period_label(self) -> str:
        return (
            f"{self.period_start:%Y-%m-%d %H:%M} – {self.period_end:%Y-%m-%d %H:%M} "
            f"({self.timezone})"
        )


# --- Who sees it --------------------------------------------------------------------------------


def _scope(subscription: ReportSubscription) -> Any:
    return subscription.campaign if subscription.campaign_id else subscription.team


def report_owner_may_see(*, subscription: ReportSubscription) -> bool:
    """Whether the owner (whose visibility the report has) may still see the scope."""
    return may(subscription.owner, "campaigns.view", _scope(subscription))


def report_viewers(*, subscription: ReportSubscription) -> list[Any]:
    """The owner and every active recipient who may see the subscription's scope; nobody if
    the owner may not."""
    if not report_owner_may_see(subscription=subscription):
        return []
    scope = _scope(subscription)
    viewers = [subscription.owner]
    for user in subscription.recipients.filter(is_active=True).order_by("pk"):
        if user.pk == subscription.owner_id:
            continue
        if may(user, "campaigns.view", scope):
            viewers.append(user)
        else:
            logger.warning(
                "Report %s: recipient %s may not see %s and is left out.",
                subscription.uuid,
                user.username,
                scope,
            )
    return viewers


def report_recipients(*, subscription: ReportSubscription) -> list[str]:
    """Addresses the report goes to: the owner and the recipients who may see the scope, then
    the extra addresses; each once. Empty if the owner may no longer see the scope."""
    viewers = report_viewers(subscription=subscription)
    if not viewers:
        return []
    addresses = [u.email for u in viewers if u.email]
    for address in subscription.extra_addresses:
        try:
            validate_email(address)
        except ValidationError:
            # Refused here rather than by the mail server, where it would fail the whole send
            # (and its retries) for every recipient.
            logger.warning("Report %s: %r is not an e-mail address.", subscription.uuid, address)
            continue
        addresses.append(address)
    return list(dict.fromkeys(addresses))


def _visible_library(model: Any, viewers: Sequence[Any]) -> QuerySet:
    """Library items (TLP-marked) that every viewer may see."""
    if not viewers:
        return model.objects.none()
    items = model.objects.visible_to(viewers[0])
    for user in viewers[1:]:
        items = items.filter(pk__in=model.objects.visible_to(user).values("pk"))
    return items


def _scope_campaigns(subscription: ReportSubscription) -> QuerySet[Campaign]:
    """The owner's visible campaigns within the scope: one campaign, or every campaign the
    team owns or collaborates on."""
    visible = Campaign.objects.visible_to(subscription.owner)
    if subscription.campaign_id:
        return visible.filter(pk=subscription.campaign_id)
    shared = Campaign.collaborating_teams.through.objects.filter(team_id=subscription.team_id)
    return visible.filter(
        Q(owner_team_id=subscription.team_id) | Q(pk__in=shared.values("campaign_id"))
    )


# --- The sections -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Frame:
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


def _activity_url(activity_uuid: uuid_module.UUID) -> str:
    # By the public id: a bare ``OutreachActivity(pk=…)`` would carry a fresh random uuid.
    return f"{settings.CANDOR_BASE_URL}{reverse('activity_detail', kwargs={'uuid': activity_uuid})}"


def _line(f: _Frame, a: OutreachActivity, *, at: datetime | None, detail: str) -> ActivityLine:
    """One activity of a report list (its campaign and audience read with it)."""
    return ActivityLine(
        title=a.title,
        url=_activity_url(a.uuid),
        campaign=a.campaign.name,
        audience=a.audience.name,
        status=a.get_status_display(),
        at=f.local(at),
        detail=detail,
    )


def _activity_url_maker() -> Callable[[uuid_module.UUID], str]:
    """``_activity_url`` for many rows: ``reverse()`` once, not once per row (10k CSV rows:
    about a third of a second of URL resolving)."""
    placeholder = uuid_module.UUID(int=0)
    head, tail = _activity_url(placeholder).split(str(placeholder))
    return lambda activity_uuid: f"{head}{activity_uuid}{tail}"


def _campaign_url(campaign_uuid: uuid_module.UUID) -> str:
    # The staff UI's campaign page (being built); e-mails link to it by the public id.
    return f"{settings.CANDOR_BASE_URL}/campaigns/{campaign_uuid}/"


def _hours(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() // 3600))


def _dispatched(f: _Frame) -> tuple[list[DispatchedRow], Outcomes]:
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

    def total(name: str) -> int:
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


def _due_next(f: _Frame) -> tuple[dict[str, int], list[ActivityLine]]:
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


def _waiting(f: _Frame) -> tuple[int, int | None, list[ActivityLine]]:
    """Activities waiting for an approval, and how long since they reached their step."""
    # step_since: set by submit and by each step's approval (a column, not a subquery over
    # the events of every waiting activity: 0.5 s of a report at 1M activities, benchmark P5).
    waiting = f.activities.filter(status=S.IN_REVIEW)
    first = waiting.select_related("campaign", "audience", "current_step").order_by(
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
    summary = waiting.aggregate(total=Count("pk"), oldest=Min("step_since"))
    oldest = summary["oldest"]
    return summary["total"], (_hours(f.now - oldest) if oldest else None), lines


def _failures(f: _Frame) -> tuple[int, list[ActivityLine]]:
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


def _evidence(f: _Frame) -> tuple[dict[str, int], list[EvidenceLine]]:
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
        _visible_library(EvidenceItem, f.viewers)
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
    lines = []
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


def _recalls(f: _Frame) -> tuple[int, list[RecallLine]]:
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
            url=_activity_url(r["activity__uuid"]),
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
        for e in _visible_library(EvidenceItem, viewers).filter(uuid__in=wanted)
    }


def _coverage(f: _Frame) -> tuple[int, int, list[GapLine]]:
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
            campaign__in=f.campaigns, theme__in=_visible_library(Theme, f.viewers)
        )
        .annotate(
            audience_id=F("campaign__audiences"), audience_name=F("campaign__audiences__name")
        )
        .filter(audience_id__isnull=False)
        .annotate(covered=covered)
    )
    # Pairs are campaigns × themes × audiences (configuration, not activity volume): one
    # query reads them all with their coverage, rather than one to count and one to list.
    rows = list(
        pairs.values_list("campaign__name", "audience_name", "theme__title", "covered").order_by(
            "campaign__name", "audience_name", "theme__title"
        )
    )
    gaps = [
        GapLine(campaign=campaign, audience=audience, theme=theme)
        for campaign, audience, theme, covered in rows
        if not covered
    ]
    return len(rows), len(gaps), gaps[: f.limit]


# The CSV's columns, as paths from an activity; ``dispatched_at`` and ``theme_title`` are
# computed (see ``_activity_rows``).
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


def _activity_rows(f: _Frame) -> list[tuple[Any, ...]]:
    """The period's activities (scheduled or dispatched in it), one CSV row each, in one
    query. A theme not every recipient may see is shown as "(restricted)".

    A UNION of the activities scheduled in the period (by the (campaign, time) index) and the
    period's first dispatches (by the events' time index); an OR of the two made PostgreSQL
    read every activity of the scope."""
    themes = _visible_library(Theme, f.viewers)
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


def report_build(
    *,
    subscription: ReportSubscription,
    period_start: datetime,
    period_end: datetime,
    now: datetime | None = None,
    late: bool = False,
) -> Report:
    """The report of ``[period_start, period_end)`` for the subscription, with the owner's
    visibility and only the library items every recipient may see (see the module docstring).
    ``now`` is the moment current states (waiting approvals, their age) are measured at."""
    now = now or timezone.now()
    zone = ZoneInfo(subscription.timezone)
    cadence = subscription.cadence
    viewers = report_viewers(subscription=subscription)
    campaigns = _scope_campaigns(subscription)
    f = _Frame(
        subscription=subscription,
        viewers=viewers,
        campaigns=campaigns,
        activities=OutreachActivity.objects.visible_to(subscription.owner).filter(
            campaign__in=campaigns
        ),
        start=period_start,
        end=period_end,
        previous_start=shift(period_start, cadence=cadence, zone=zone, n=-1),
        next_end=shift(period_end, cadence=cadence, zone=zone, n=1),
        now=now,
        zone=zone,
        limit=settings.CANDOR_REPORT_LIST_LIMIT,
    )
    dispatched, outcomes = _dispatched(f)
    due_next_by_status, due_next = _due_next(f)
    waiting_total, waiting_oldest_hours, waiting = _waiting(f)
    failed_total, failed = _failures(f)
    evidence_counts, evidence = _evidence(f)
    recalled_total, recalls = _recalls(f)
    coverage_pairs, coverage_gaps_total, coverage_gaps = _coverage(f)
    links = [
        Link(name=name, url=_campaign_url(campaign_uuid))
        for campaign_uuid, name in campaigns.order_by("name").values_list("uuid", "name")
    ]
    if subscription.campaign_id:
        scope_kind, scope_url = "campaign", _campaign_url(subscription.campaign.uuid)
    else:
        scope_kind = "team"
        scope_url = links[0].url if len(links) == 1 else f"{settings.CANDOR_BASE_URL}/campaigns/"
    return Report(
        subscription_id=subscription.uuid,
        cadence=subscription.get_cadence_display(),
        scope_kind=scope_kind,
        scope_name=str(_scope(subscription)),
        scope_url=scope_url,
        campaigns=links,
        timezone=subscription.timezone,
        period_start=period_start.astimezone(zone),
        period_end=period_end.astimezone(zone),
        previous_start=f.previous_start.astimezone(zone),
        next_end=f.next_end.astimezone(zone),
        generated_at=now.astimezone(zone),
        late=late,
        dispatched=dispatched,
        due_next_total=sum(due_next_by_status.values()),
        due_next_by_status=due_next_by_status,
        due_next=due_next,
        waiting_total=waiting_total,
        waiting_oldest_hours=waiting_oldest_hours,
        waiting=waiting,
        failed_total=failed_total,
        failed=failed,
        evidence_counts=evidence_counts,
        evidence=evidence,
        recalled_total=recalled_total,
        recalls=recalls,
        coverage_pairs=coverage_pairs,
        coverage_gaps_total=coverage_gaps_total,
        coverage_gaps=coverage_gaps,
        outcomes=outcomes,
        activity_rows=_activity_rows(f),
    )
