"""Data for report tests: subscriptions, and a campaign with activities in every state a report
shows, written straight to the tables (with their events at chosen times) so that a test can
make fifty of them quickly. The workflow services themselves are exercised by the worker test.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import time_machine

from accounts.models import Marking, Team
from audiences.models import Audience, Channel
from campaigns.models import (
    ActivityEvent,
    ActivityStatus,
    Campaign,
    Dispatch,
    Outcome,
    OutreachActivity,
    ReportSubscription,
)
from campaigns.reports.periods import Period
from messaging.models import EvidenceItem, Message
from tests.audiences.factories import ChannelFactory, seeded
from tests.campaigns.factories import CampaignFactory
from tests.messaging.factories import CitationFactory, MessageFactory, ThemeFactory

S = ActivityStatus
Kind = ActivityEvent.Kind
UTC = dt.UTC

# A week of a Monday-08:00 report in Chișinău: 1 March 2027 08:00 EET → 8 March 08:00 EET.
WEEK = Period(
    start=dt.datetime(2027, 3, 1, 6, 0, tzinfo=UTC),
    end=dt.datetime(2027, 3, 8, 6, 0, tzinfo=UTC),
)


def subscribe(
    *,
    owner: Any,
    team: Team | None = None,
    campaign: Campaign | None = None,
    cadence: str = ReportSubscription.Cadence.WEEKLY,
    weekday: int | None = 0,
    day_of_month: int | None = None,
    send_time: dt.time = dt.time(8, 0),
    timezone: str = "Europe/Chisinau",
    recipients: tuple[Any, ...] = (),
    extra_addresses: tuple[str, ...] = (),
    created_at: dt.datetime | None = None,
) -> ReportSubscription:
    subscription = ReportSubscription.objects.create(
        owner=owner,
        team=team,
        campaign=campaign,
        cadence=cadence,
        weekday=weekday if cadence == ReportSubscription.Cadence.WEEKLY else None,
        day_of_month=day_of_month,
        send_time=send_time,
        timezone=timezone,
        extra_addresses=list(extra_addresses),
    )
    subscription.recipients.set(recipients)
    if created_at is not None:
        ReportSubscription.objects.filter(pk=subscription.pk).update(created_at=created_at)
        subscription.refresh_from_db()
    return subscription


def event(activity: OutreachActivity, kind: str, at: dt.datetime, **fields: Any) -> ActivityEvent:
    """An activity event that happened at ``at`` (``at`` is set by the database default)."""
    with time_machine.travel(at, tick=False):
        return ActivityEvent.objects.create(activity=activity, kind=kind, **fields)


@dataclass
class Scene:
    """A campaign to Moldova and Belarus with two themes, and activities around ``period``."""

    team: Team
    owner: Any
    period: Period
    collaborator: Team | None = None  # a partner team working on the campaign
    label: str = ""  # tells two scenes of one team apart
    campaign: Campaign = field(init=False)
    moldova: Audience = field(init=False)
    belarus: Audience = field(init=False)
    email: Channel = field(init=False)
    webhook: Channel = field(init=False)
    message: Message = field(init=False)
    evidence: EvidenceItem = field(init=False)
    tag: str = field(init=False, default="")
    counter: int = 0

    def __post_init__(self) -> None:
        tag = self.label or self.team.slug
        self.tag = tag
        self.moldova, self.belarus = seeded("moldova"), seeded("belarus")
        self.campaign = CampaignFactory(
            owner_team=self.team,
            starts_on=dt.date(2026, 1, 1),
            ends_on=dt.date(2028, 12, 31),
            name=f"Promises kept? ({tag})",
        )
        self.campaign.audiences.add(self.moldova, self.belarus)
        self.theme = ThemeFactory(owner_team=self.team, title=f"Support withheld ({tag})")
        self.other_theme = ThemeFactory(owner_team=self.team, title=f"What was promised ({tag})")
        self.campaign.themes.add(self.theme, self.other_theme)
        self.message = MessageFactory(theme=self.theme, owner_team=self.team)
        self.evidence = CitationFactory(
            message=self.message, evidence__owner_team=self.team
        ).evidence
        self.email = ChannelFactory(owner_team=self.team, name=f"Editors list ({tag})")
        if self.collaborator is not None:
            self.campaign.collaborating_teams.add(self.collaborator)
            self.share(self.theme, self.other_theme, self.message, self.evidence)
        self.webhook = ChannelFactory(
            owner_team=self.team,
            kind=Channel.Kind.WEBHOOK,
            name=f"Partner hook ({tag})",
            email_recipients=[],
            webhook_url="https://partner.example.org/hook",
            webhook_secret="s3cret",
        )

    def share(self, *items: Any) -> None:
        """What ``activity_create`` does: TLP amber items reach the campaign's teams."""
        if self.collaborator is not None:
            for item in items:
                item.shared_with.add(self.collaborator)

    def activity(
        self,
        status: str,
        scheduled_at: dt.datetime,
        *,
        channel: Channel | None = None,
        audience: Audience | None = None,
        events: tuple[tuple[str, dt.datetime], ...] = (),
        outcome: tuple[int, int] | None = None,
        error: str = "",
        title: str = "",
    ) -> OutreachActivity:
        self.counter += 1
        reviewed = status in {S.APPROVED, S.DISPATCHING, S.DISPATCHED, S.COMPLETED}
        policy_steps = self.campaign.approval_policy.steps.order_by("order")
        activity = OutreachActivity.objects.create(
            campaign=self.campaign,
            title=title or f"{status.title()} {self.counter} ({self.tag})",
            audience=audience or self.moldova,
            message=self.message,
            channel=channel or self.email,
            scheduled_at=scheduled_at,
            owner=self.owner,
            status=status,
            approved_content_hash="a" * 64 if reviewed else "",
            current_step=policy_steps.first() if status == S.IN_REVIEW else None,
        )
        for kind, at in events:
            event(activity, kind, at)
        reached = [at for kind, at in events if kind in (Kind.SUBMITTED, Kind.STEP_APPROVED)]
        if status == S.IN_REVIEW and reached:  # as submit and a step's approval set it
            OutreachActivity.objects.filter(pk=activity.pk).update(step_since=max(reached))
        if outcome is not None:
            Outcome.objects.create(
                activity=activity, reach=outcome[0], engagement=outcome[1], recorded_by=self.owner
            )
        if error:
            Dispatch.objects.create(
                activity=activity,
                attempt=1,
                idempotency_key="k",
                channel=activity.channel,
                result=Dispatch.Result.FAILED,
                error=error,
            )
        return activity

    def dispatched(
        self, at: dt.datetime, *, outcome: tuple[int, int] | None = None, **kw: Any
    ) -> OutreachActivity:
        status = S.COMPLETED if outcome else S.DISPATCHED
        return self.activity(
            status,
            at - dt.timedelta(minutes=5),
            events=((Kind.DISPATCHED, at),),
            outcome=outcome,
            **kw,
        )

    def populate(self, *, extra_dispatched: int = 0, red_evidence: bool = False) -> None:
        """Everything a report shows, with known figures (see ``EXPECTED``), plus
        ``extra_dispatched`` more activities dispatched in the period without an outcome, and
        (``red_evidence``) a TLP:RED item the campaign cites, disputed in the period, which only
        the owner team may see."""
        start, end = self.period.start, self.period.end
        day = (end - start) / 7  # a day of a weekly period; proportionally less of a daily one
        self.dispatched(start + day, outcome=(100, 10))
        self.dispatched(start + 2 * day, outcome=(200, 20))
        self.dispatched(start + 3 * day, outcome=(300, 30))
        self.dispatched(start + 4 * day, channel=self.webhook)
        for n in range(extra_dispatched):
            self.dispatched(start + day + dt.timedelta(minutes=n + 1), channel=self.webhook)
        self.dispatched(start - 2 * day, outcome=(50, 5))  # the previous period
        self.dispatched(start - 3 * day, outcome=(50, 5))
        self.dispatched(start - 10 * day, outcome=(999, 99))  # before that: not counted
        self.activity(S.APPROVED, end + 2 * day)  # due next period
        self.activity(
            S.IN_REVIEW,
            end + 3 * day,
            events=((Kind.SUBMITTED, end - dt.timedelta(hours=30)),),
            title=f"Waiting op-ed ({self.tag})",
        )
        self.activity(
            S.FAILED,
            start + 2 * day,
            channel=self.webhook,
            events=((Kind.DISPATCH_STARTED, start + 2 * day), (Kind.FAILED, start + 2 * day)),
            error="HTTP 503 from partner.example.org",
            title=f"Failed hook ({self.tag})",
        )
        self.activity(S.CANCELLED, start + 5 * day)
        # Evidence: one verified in the period; one retracted in it, which recalled an activity.
        EvidenceItem.objects.filter(pk=self.evidence.pk).update(status_changed_at=start + day)
        retracted = CitationFactory(
            message=MessageFactory(theme=self.theme, owner_team=self.team),
            evidence__owner_team=self.team,
            evidence__claim=f"Deliveries were never scheduled ({self.tag}).",
        ).evidence
        self.share(retracted, retracted.messages.get())
        EvidenceItem.objects.filter(pk=retracted.pk).update(
            status=EvidenceItem.Status.RETRACTED,
            status_changed_at=start + 3 * day,
            status_reason="The source withdrew the article.",
        )
        recalled = self.activity(S.CHANGES_REQUESTED, end + 4 * day, title=f"Recalled ({self.tag})")
        recalled.message = retracted.messages.get()
        recalled.save(update_fields=["message"])
        event(
            recalled,
            Kind.RECALLED,
            start + 3 * day,
            from_status=S.APPROVED,
            to_status=S.CHANGES_REQUESTED,
            comment="Evidence retracted: The source withdrew the article.",
            changes={"evidence": {"id": str(retracted.uuid), "status": "retracted"}},
        )

        if red_evidence:
            red = CitationFactory(
                message=self.message,
                evidence__owner_team=self.team,
                evidence__marking=Marking.RED,
                evidence__claim=f"Internal assessment, not for partners ({self.tag}).",
            ).evidence
            EvidenceItem.objects.filter(pk=red.pk).update(
                status=EvidenceItem.Status.DISPUTED, status_changed_at=start + 2 * day
            )


# What ``Scene.populate()`` gives for ``Scene.period`` (see the tests that use it).
EXPECTED = {
    "dispatched": 4,
    "reach": 600,
    "engagement": 60,
    "previous_dispatched": 2,
    "previous_reach": 100,
    "previous_engagement": 10,
    "with_outcome": 3,
    "due_next": 3,  # approved, in review, changes requested (recalled)
    "waiting": 1,
    "waiting_hours": 30,
    "failed": 1,
    "evidence": {"verified": 1, "disputed": 0, "retracted": 1},
    "recalled": 1,
    "coverage_pairs": 4,
    "coverage_gaps": 3,
    "csv_rows": 6,  # four dispatched in the period, the failed one, the cancelled one
}
