"""Two teams side by side, each with one of everything the API serves, and the people who ask:
a member of each team, staff of neither, a deactivated former member, and nobody.

Objects are made on first use (``world.a("draft")``) so a test pays only for what it touches.
Team A's and team B's objects are marked TLP:AMBER: no team sees the other's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db.models import F
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Marking, Role, Team
from accounts.services import token_create
from audiences.models import Channel
from campaigns import services as campaign_services
from campaigns.models import ActivityStatus, Campaign, OutreachActivity, ReportSubscription
from messaging import services as messaging_services
from tests.accounts.factories import TeamFactory, member
from tests.audiences.factories import seeded

BODY = (
    "Aliatul nu a primit sprijinul promis. Rapoartele independente o confirmă. "
    "Promisiunile au rămas pe hârtie."
)
CITED = "Aliatul nu a primit sprijinul promis."
UNCITED = "Rapoartele independente o confirmă."


def local_in(days: int, hour: int = 9) -> dt.datetime:
    day = timezone.now().date() + dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, 0)


class TeamWorld:
    """One team's people and objects, made lazily."""

    def __init__(self, key: str, kind: str = Team.Kind.STAFF) -> None:
        self.key = key
        self.team = TeamFactory(name=f"Team {key}", slug=f"team-{key.lower()}", kind=kind)
        self.lead = member(self.team, Role.LEAD, username=f"lead_{key.lower()}")
        self.planner = member(self.team, Role.PLANNER, username=f"planner_{key.lower()}")
        self.reviewer = member(self.team, Role.REVIEWER, username=f"reviewer_{key.lower()}")
        self.approver = member(self.team, Role.APPROVER, username=f"approver_{key.lower()}")
        self._made: dict[str, Any] = {}

    def __call__(self, name: str) -> Any:
        if name not in self._made:
            self._made[name] = getattr(self, f"_make_{name}")()
        return self._made[name]

    def refresh(self, name: str) -> Any:
        obj = self(name)
        obj.refresh_from_db()
        return obj

    # --- objects --------------------------------------------------------------------------

    def _make_audience(self) -> Any:
        return seeded("moldova")

    def _make_theme(self) -> Any:
        return messaging_services.theme_create(
            actor=self.planner,
            owner_team=self.team,
            title=f"Broken guarantees ({self.key})",
            summary="The ally was promised support and did not receive it.",
            marking=Marking.AMBER,
        )

    def _evidence(self, claim: str) -> Any:
        return messaging_services.evidence_create(
            actor=self.planner,
            owner_team=self.team,
            claim=claim,
            source_url=f"https://www.example.org/{self.key}/{abs(hash(claim))}",
            publisher="Example Institute",
            language="en",
            source_reliability="B",
            information_credibility=2,
            marking=Marking.AMBER,
        )

    def _make_evidence(self) -> Any:
        item = self._evidence(f"Promised deliveries fell short ({self.key}).")
        return messaging_services.evidence_verify(evidence=item, actor=self.reviewer)

    def _make_fresh_evidence(self) -> Any:
        return self._evidence(f"Monitors tracked no shipments ({self.key}).")

    def _make_message(self) -> Any:
        return messaging_services.message_create(
            actor=self.planner,
            theme=self("theme"),
            language="ro",
            headline=f"Promisiunile nu au fost respectate ({self.key})",
            body=BODY,
            audience=self("audience"),
            citations=[(self("evidence"), CITED)],
        )

    def _make_channel(self) -> Any:
        return Channel.objects.create(
            owner_team=self.team,
            kind=Channel.Kind.EMAIL,
            name=f"Press list {self.key}",
            email_recipients=[f"press-{self.key.lower()}@candor.test"],
        )

    def _make_campaign(self) -> Campaign:
        return campaign_services.campaign_create(
            actor=self.planner,
            owner_team=self.team,
            name=f"Promises kept? ({self.key})",
            objective="Explain, with sources, that the ally was left without support.",
            starts_on=timezone.now().date() - dt.timedelta(days=10),
            ends_on=timezone.now().date() + dt.timedelta(days=90),
            attributed_to=f"Spokesperson of team {self.key}",
            audiences=[self("audience")],
            themes=[self("theme")],
        )

    def new_draft(
        self, days: int = 5, title: str = "Editors' briefing", channel: str = "channel"
    ) -> OutreachActivity:
        self("message")  # the message before the campaign: its theme must be shared first
        return campaign_services.activity_create(
            actor=self.planner,
            campaign=self("campaign"),
            title=f"{title} ({self.key})",
            audience=self("audience"),
            message=self("message"),
            channel=self(channel),
            scheduled_local=local_in(days),
        )

    def _make_manual_channel(self) -> Any:
        return Channel.objects.create(
            owner_team=self.team,
            kind=Channel.Kind.MANUAL,
            name=f"Briefings {self.key}",
            officer=self.lead,
        )

    def _sent_once(self, activity: OutreachActivity, *, fail: bool) -> OutreachActivity:
        """Claimed by the dispatcher and one attempt made, through the dispatch services."""
        OutreachActivity.objects.filter(pk=activity.pk).update(
            status=ActivityStatus.DISPATCHING, claimed_at=timezone.now(), version=F("version") + 1
        )
        attempt = campaign_services.dispatch_prepare(activity_id=activity.pk)
        if fail:
            campaign_services.dispatch_record_failure(
                dispatch=attempt.dispatch, error="HTTP 503", final=True
            )
        else:
            campaign_services.dispatch_record_success(
                dispatch=attempt.dispatch, response="officer notified"
            )
        activity.refresh_from_db()
        return activity

    def _approved(self, days: int, title: str, channel: str = "channel") -> OutreachActivity:
        activity = self.new_draft(days=days, title=title, channel=channel)
        activity = campaign_services.activity_submit(activity=activity, actor=self.planner)
        activity = campaign_services.activity_approve(activity=activity, actor=self.reviewer)
        return campaign_services.activity_approve(activity=activity, actor=self.approver)

    def _make_failed(self) -> OutreachActivity:
        return self._sent_once(self._approved(9, "Partner feed"), fail=True)

    def _make_awaiting_officer(self) -> OutreachActivity:
        activity = self._approved(10, "Roundtable", channel="manual_channel")
        return self._sent_once(activity, fail=False)

    def _make_draft(self) -> OutreachActivity:
        return self.new_draft()

    def _make_in_review(self) -> OutreachActivity:
        draft = self.new_draft(days=6, title="Op-ed placement")
        return campaign_services.activity_submit(activity=draft, actor=self.planner)

    def _make_approved(self) -> OutreachActivity:
        activity = self.new_draft(days=7, title="Press mailing")
        activity = campaign_services.activity_submit(activity=activity, actor=self.planner)
        activity = campaign_services.activity_approve(activity=activity, actor=self.reviewer)
        return campaign_services.activity_approve(activity=activity, actor=self.approver)

    def _make_dispatched(self) -> OutreachActivity:
        """Approved, then sent: written as the dispatcher writes it (no service yet)."""
        activity = self("approved")
        OutreachActivity.objects.filter(pk=activity.pk).update(
            status=ActivityStatus.DISPATCHED, version=F("version") + 1
        )
        activity.refresh_from_db()
        return activity

    def _make_subscription(self) -> ReportSubscription:
        return campaign_services.report_subscription_create(
            actor=self.lead,
            team=self.team,
            cadence=ReportSubscription.Cadence.WEEKLY,
            weekday=0,
            send_time=dt.time(8, 0),
            timezone="Europe/Chisinau",
        )

    def _make_token(self) -> Any:
        row, _ = token_create(user=self.lead, name="spare")
        return row

    # --- what must never leak -------------------------------------------------------------

    def private_ids(self) -> set[str]:
        """The public ids of everything this team has made, and its team's own id."""
        ids = {str(self.team.uuid)}
        for obj in self._made.values():
            if hasattr(obj, "uuid") and obj is not self._made.get("audience"):
                ids.add(str(obj.uuid))
        return ids

    def private_names(self) -> set[str]:
        return {u.username for u in (self.lead, self.planner, self.reviewer, self.approver)} | {
            self.team.name
        }


class TwoTeams:
    """Team A, team B, and the people who call the API."""

    def __init__(self) -> None:
        self.a = TeamWorld("A")
        self.b = TeamWorld("B", kind=Team.Kind.PARTNER)
        self.c_team = TeamFactory(name="Team C", slug="team-c")
        self.staff_elsewhere = member(self.c_team, Role.LEAD, username="staff_c", is_staff=True)
        self.former = member(self.a.team, Role.LEAD, username="former_a")
        self._former_token = token_create(user=self.former, name="before leaving")[1]
        self.former.is_active = False
        self.former.save(update_fields=["is_active"])

    def team(self, key: str) -> TeamWorld:
        return {"A": self.a, "B": self.b}[key]

    def client(self, persona: str) -> APIClient:
        """``member_a``, ``member_b``, ``staff`` (of neither team), ``deactivated``,
        ``anonymous``."""
        users: dict[str, Callable[[], Any]] = {
            "member_a": lambda: self.a.lead,
            "member_b": lambda: self.b.lead,
            "staff": lambda: self.staff_elsewhere,
        }
        client = APIClient()
        if persona == "deactivated":
            client.credentials(HTTP_AUTHORIZATION=f"Token {self._former_token}")
        elif persona != "anonymous":
            _, token = token_create(user=users[persona](), name=persona)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client
