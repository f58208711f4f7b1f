"""What a report says: the figures of one period for one subscription, seen with the owner's
visibility (see ``visibility``), each computed by an SQL aggregate (see ``sections``). A
selector: it reads, scoped to what the recipients may see, and writes nothing.

**Cost.** The number of queries is fixed (about twenty, plus one per recipient for their team
roles); it does not grow with the number of activities. Lists are cut at
``CANDOR_REPORT_LIST_LIMIT``; the totals count everything.
"""

from __future__ import annotations

import uuid as uuid_module
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from campaigns.models import OutreachActivity, ReportSubscription
from campaigns.reports import sections
from campaigns.reports.activity_rows import activity_rows
from campaigns.reports.contents import Link, Report
from campaigns.reports.periods import shift
from campaigns.reports.sections import Frame
from campaigns.reports.visibility import report_scope, report_viewers, scope_campaigns


def _campaign_url(campaign_uuid: uuid_module.UUID) -> str:
    # The staff UI's campaign page (being built); e-mails link to it by the public id.
    return f"{settings.CANDOR_BASE_URL}/campaigns/{campaign_uuid}/"


def report_build(
    *,
    subscription: ReportSubscription,
    period_start: datetime,
    period_end: datetime,
    now: datetime | None = None,
    late: bool = False,
) -> Report:
    """The report of ``[period_start, period_end)`` for the subscription, with the owner's
    visibility and only the library items every recipient may see (see ``visibility``).
    ``now`` is the moment current states (waiting approvals, their age) are measured at."""
    now = now or timezone.now()
    zone = ZoneInfo(subscription.timezone)
    cadence = subscription.cadence
    viewers = report_viewers(subscription=subscription)
    campaigns = scope_campaigns(subscription)
    f = Frame(
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
    dispatched, outcomes = sections.dispatched(f)
    due_next_by_status, due_next = sections.due_next(f)
    waiting_total, waiting_oldest_hours, waiting = sections.waiting(f)
    failed_total, failed = sections.failures(f)
    evidence_counts, evidence = sections.evidence(f)
    recalled_total, recalls = sections.recalls(f)
    coverage_pairs, coverage_gaps_total, coverage_gaps = sections.coverage(f)
    links = [
        Link(name=name, url=_campaign_url(campaign_uuid))
        for campaign_uuid, name in campaigns.order_by("name").values_list("uuid", "name")
    ]
    if subscription.campaign is not None:
        scope_kind, scope_url = "campaign", _campaign_url(subscription.campaign.uuid)
    else:
        scope_kind = "team"
        scope_url = links[0].url if len(links) == 1 else f"{settings.CANDOR_BASE_URL}/campaigns/"
    return Report(
        subscription_id=subscription.uuid,
        cadence=subscription.get_cadence_display(),
        scope_kind=scope_kind,
        scope_name=str(report_scope(subscription)),
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
        activity_rows=activity_rows(f),
    )
