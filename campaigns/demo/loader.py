"""Load the demo (``campaigns.demo.data``) through the services, each write at its moment.

Every domain write goes through the service a person (or the dispatcher) would use, so every
rule, event, decision, recall and notification is real. What no service writes is reference
data: the teams, their members (Django's auth API creates the users) and the audiences'
segments. Dispatch goes through the dispatcher's own services: the tick's claim and send
(``dispatch_send_batch``), so e-mail goes out through the channel (under ``make run``: into
``var/mail``) and a manual channel notifies its officer. The demo sends no webhook (it must not
need a network): the failed activity's attempts are prepared by the dispatcher and each answer
of the partner's system is recorded by ``dispatch_record_failure``, as the send would have.

**The clock.** The story (``data.When``) puts every write at a moment in the past, and all of
them must read true: created_at, events' and decisions' ``at``, ``submitted_at``,
``approved_at``, ``claimed_at``, the dispatch attempts, ``Outcome.recorded_at``, the date of
the e-mails sent. The services read the time from ``django.utils.timezone.now()``; the models
from ``auto_now``/``auto_now_add`` (which Django fills from the same function) and from
``default=timezone.now`` (a reference taken at import); the e-mail's Date header from
``time.time()``. The seams considered:

- a clock module of our own, called by every service and used by every field: a change to a
  dozen services and every timestamp field (``auto_now`` cannot take a clock) in files other
  work is changing, for the sake of a demo;
- ``unittest.mock.patch`` of ``timezone.now``: misses the references taken at import and the
  e-mail's date, and replaces a library's function behind its back;
- ``now=`` arguments: only the dispatcher's services have them.

So the loader moves the process's clock with time-machine's public ``travel()``, one moment at a
time, forward only (``tick=False``: a step's writes share its moment, ordered by key). Every
reader above sees the story's time; no service or model knows. time-machine is therefore a
runtime dependency (it has none of its own), used only here; the command that calls this is
refused in production. The one clock it does not move is the database's: the audit rows that
pghistory's triggers write say when the demo was really loaded — which is the truth about
them.

Everything is one transaction (all of it, or none) and idempotent: if the demo campaign exists,
nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.conf import settings
from django.db import transaction

from accounts.audit import audit_context
from accounts.models import Membership, Team, User
from accounts.services import staff_group_ensure
from audiences import services as audience_services
from audiences.models import Audience, Segment
from campaigns import services
from campaigns.demo import data
from campaigns.models import Campaign, OutreachActivity, ReportSubscription
from campaigns.reports.periods import report_periods_between
from messaging import services as messaging_services
from messaging.models import EvidenceItem


class DemoError(Exception):
    """The demo cannot be loaded here (half of it exists), or a step did not go as told."""


def demo_campaign() -> Campaign | None:
    """The demo's campaign, if the demo was loaded."""
    staff_slug = data.TEAMS["staff"][1]
    return Campaign.objects.filter(name=data.CAMPAIGN_NAME, owner_team__slug=staff_slug).first()


def report_period_end(now: datetime) -> datetime:
    """The end of the latest complete period of the demo's weekly report at ``now``."""
    subscription = ReportSubscription(
        cadence=data.REPORT["cadence"],
        weekday=data.REPORT["weekday"],
        send_time=data.REPORT["send_time"],
        timezone=data.REPORT["timezone"],
    )
    periods = report_periods_between(
        subscription=subscription, after=now - timedelta(days=8), until=now
    )
    return periods[-1].end


def load(*, password: str, now: datetime | None = None) -> Campaign | None:
    """Load the demo as it stands at ``now`` (default: the real time); ``None`` if it is there
    already. Raises ``DemoError`` if some demo users or teams exist without it."""
    with transaction.atomic():
        if demo_campaign() is not None:
            return None
        taken = sorted(
            User.objects.filter(username__in=[*data.USERS, data.ADMIN_USERNAME]).values_list(
                "username", flat=True
            )
        )
        slugs = [slug for _, slug, _ in data.TEAMS.values()]
        if taken or Team.objects.filter(slug__in=slugs).exists():
            raise DemoError(
                "Some demo users or teams exist without the demo campaign "
                f"({', '.join(taken) or 'teams'}); refusing to mix demo data into them."
            )
        story = Story(password, now or datetime.now(UTC))
        for moment, step in story.timeline():
            with time_machine.travel(moment, tick=False):
                step()
        return demo_campaign()


Step = Callable[[], None]


class Story:
    """The demo's steps at their moments; attributes hold what later steps need."""

    def __init__(self, password: str, now: datetime) -> None:
        self.password = password
        self.anchors = {"now": now, "report": report_period_end(now)}
        self.desk = ZoneInfo(data.DESK_TIMEZONE)
        self.users: dict[str, User] = {}
        self.teams: dict[str, Team] = {}
        self.audiences = {a.slug: a for a in Audience.objects.all()}
        self.segments: dict[tuple[str, str], Segment] = {}
        self.channels: dict[str, Any] = {}
        self.themes: dict[str, Any] = {}
        self.evidence: dict[str, EvidenceItem] = {}
        self.messages: dict[str, Any] = {}
        self.campaign: Campaign | None = None
        self.activity_ids: dict[int, int] = {}  # index in data.ACTIVITIES → pk

    def at(self, when: data.When, zone: ZoneInfo | None = None) -> datetime:
        """The moment ``when`` names, in ``zone`` (the desk's by default)."""
        zone = zone or self.desk
        day = self.anchors[when.anchor].astimezone(zone).date() + timedelta(days=when.day)
        return datetime.combine(day, when.clock, tzinfo=zone)

    def timeline(self) -> list[tuple[datetime, Step]]:
        """Every step with its moment, in time order (ties in the order written)."""
        steps: list[tuple[datetime, Step]] = [(self.at(data.WORLD_AT), self.world)]
        for key, spec in data.CHANNELS.items():
            steps.append((self.at(spec["at"]), partial(self.channel, key, spec)))
        for key, spec in data.THEMES.items():
            steps.append((self.at(spec["at"]), partial(self.theme, key, spec)))
        for key, spec in data.EVIDENCE.items():
            for when, verb in spec["story"]:
                steps.append((self.at(when), partial(self.evidence_step, key, verb)))
        steps.append((self.at(data.CAMPAIGN["at"]), self.create_campaign))
        steps.append((self.at(data.CAMPAIGN["activated"]), self.activate_campaign))
        for key, spec in data.MESSAGES.items():
            steps.append((self.at(spec["at"]), partial(self.message, key, spec)))
        for index, spec in enumerate(data.ACTIVITIES):
            steps += self.activity_steps(index, spec)
        steps.append((self.at(data.REPORT["at"]), self.report))
        if any(moment > self.anchors["now"] for moment, _ in steps):
            raise DemoError("The demo's story reaches into the future.")
        return sorted(steps, key=lambda step: step[0])  # stable: ties keep their order

    # --- the world and the library --------------------------------------------------------------

    def world(self) -> None:
        with audit_context(actor=None, action="seed_demo_world"):
            for key, (name, slug, kind) in data.TEAMS.items():
                self.teams[key] = Team.objects.create(name=name, slug=slug, kind=kind)
            staff_group = staff_group_ensure()
            for username, (first, last, zone, team, role) in data.USERS.items():
                user = User.objects.create_user(
                    username,
                    email=f"{username}@candor.example",
                    password=self.password,
                    first_name=first,
                    last_name=last,
                    timezone=zone,
                    is_staff=team == "staff",
                )
                Membership.objects.create(user=user, team=self.teams[team], role=role)
                if user.is_staff:
                    user.groups.add(staff_group)
                self.users[username] = user
            self.users[data.ADMIN_USERNAME] = User.objects.create_superuser(
                data.ADMIN_USERNAME,
                email=f"{data.ADMIN_USERNAME}@candor.example",
                password=self.password,
                first_name="Demo",
                last_name="Administrator",
            )
            for slug, segments in data.SEGMENTS.items():
                for name, notes in segments:
                    self.segments[(slug, name)], _ = Segment.objects.get_or_create(
                        audience=self.audiences[slug], name=name, defaults={"notes": notes}
                    )

    def channel(self, key: str, spec: dict[str, Any]) -> None:
        args = {k: v for k, v in spec.items() if k not in {"at", "actor", "owner_team", "officer"}}
        self.channels[key] = audience_services.channel_create(
            actor=self.users[spec["actor"]],
            owner_team=self.teams[spec["owner_team"]],
            officer=self.users[spec["officer"]] if "officer" in spec else None,
            **args,
        )

    def theme(self, key: str, spec: dict[str, Any]) -> None:
        args = {k: v for k, v in spec.items() if k != "at"}
        self.themes[key] = messaging_services.theme_create(
            actor=self.users["planner"], owner_team=self.teams["staff"], **args
        )

    def evidence_step(self, key: str, verb: str) -> None:
        spec, reviewer = data.EVIDENCE[key], self.users["reviewer"]
        if verb == "create":
            reliability, credibility = spec["rating"]
            fields = ("claim", "source_url", "publisher", "published_on", "excerpt", "language")
            self.evidence[key] = messaging_services.evidence_create(
                actor=self.users["planner"],
                owner_team=self.teams["staff"],
                source_reliability=reliability,
                information_credibility=credibility,
                marking=spec["marking"],
                **{name: spec[name] for name in fields},
            )
        else:
            change = {
                "verify": messaging_services.evidence_verify,
                "dispute": messaging_services.evidence_dispute,
                "retract": messaging_services.evidence_retract,
            }[verb]
            reason = data.VERIFY_REASON if verb == "verify" else spec["reason"]
            self.evidence[key] = change(evidence=self.evidence[key], actor=reviewer, reason=reason)

    def create_campaign(self) -> None:
        spec = data.CAMPAIGN
        self.campaign = services.campaign_create(
            actor=self.users[spec["actor"]],
            owner_team=self.teams[spec["owner_team"]],
            name=spec["name"],
            objective=spec["objective"],
            starts_on=self._desk_day(spec["starts"]),
            ends_on=self._desk_day(spec["ends"]),
            attributed_to=spec["attributed_to"],
            audiences=[self.audiences[slug] for slug in spec["audiences"]],
            themes=[self.themes[key] for key in spec["themes"]],
            collaborating_teams=[self.teams[key] for key in spec["collaborating_teams"]],
        )

    def _desk_day(self, days: int) -> date:
        return self.anchors["now"].astimezone(self.desk).date() + timedelta(days=days)

    def activate_campaign(self) -> None:
        assert self.campaign is not None
        self.campaign = services.campaign_set_status(
            campaign=self.campaign,
            actor=self.users[data.CAMPAIGN["activated_by"]],
            status=Campaign.Status.ACTIVE,
        )

    def message(self, key: str, spec: dict[str, Any]) -> None:
        owner = spec.get("owner_team")
        self.messages[key] = messaging_services.message_create(
            actor=self.users[spec.get("actor", "planner")],
            theme=self.themes[spec["theme"]],
            language=spec["language"],
            audience=self.audiences[spec["audience"]],
            owner_team=self.teams[owner] if owner else None,
            headline=spec["headline"],
            body=" ".join([*(sentence for _, sentence in spec["cited"]), *spec.get("extra", ())]),
            call_to_action=spec.get("call_to_action", ""),
            citations=[(self.evidence[e], sentence) for e, sentence in spec["cited"]],
        )

    def report(self) -> None:
        spec = data.REPORT
        args = {k: v for k, v in spec.items() if k not in {"at", "actor"}}
        services.report_subscription_create(
            actor=self.users[spec["actor"]], campaign=self.campaign, **args
        )

    # --- activities ------------------------------------------------------------------------------

    def activity_steps(self, index: int, spec: dict[str, Any]) -> list[tuple[datetime, Step]]:
        zone = self.audiences[spec["audience"]].zone
        steps: list[tuple[datetime, Step]] = []
        for when, verb, args in spec["story"]:
            moment = self.at(when, zone)
            if verb == "fail":
                # The dispatcher's attempts, each after the backoff it would wait.
                attempts = settings.CANDOR_DISPATCH_MAX_RETRIES + 1
                for number in range(1, attempts + 1):
                    final = number == attempts
                    steps.append((moment, partial(self.attempt_fails, index, final, args)))
                    moment += timedelta(
                        seconds=settings.CANDOR_DISPATCH_RETRY_BACKOFF * 2 ** (number - 1)
                    )
            else:
                steps.append((moment, partial(self.act, index, verb, args)))
        return steps

    def act(self, index: int, verb: str, args: dict[str, Any]) -> None:
        spec = data.ACTIVITIES[index]
        if verb == "create":
            assert self.campaign is not None
            segment = spec.get("segment")
            created = services.activity_create(
                actor=self.users[spec.get("owner", "planner")],
                campaign=self.campaign,
                title=spec["title"],
                audience=self.audiences[spec["audience"]],
                segment=self.segments[(spec["audience"], segment)] if segment else None,
                message=self.messages[spec["message"]],
                channel=self.channels[spec["channel"]],
                scheduled_at=self.at(spec["scheduled"], self.audiences[spec["audience"]].zone),
            )
            self.activity_ids[index] = created.pk
            return
        # Read afresh: another step (a recall, the dispatcher) may have moved it on.
        activity = OutreachActivity.objects.get(pk=self.activity_ids[index])
        if verb == "send":
            done = services.dispatch_send_batch(activity_ids=[activity.pk], claim=True)
            if done[activity.pk] != "sent":
                raise DemoError(f"{activity}: not sent ({done[activity.pk]}).")
            return
        actor = self.users[args["actor"]]
        rest = {k: v for k, v in args.items() if k != "actor"}
        if verb == "mark_done":
            services.activity_mark_done(activity=activity, actor=actor, **rest)
        elif verb == "outcome":
            services.activity_record_outcome(activity=activity, actor=actor, **rest)
        else:
            transitions: dict[str, Callable[..., OutreachActivity]] = {
                "submit": services.activity_submit,
                "approve": services.activity_approve,
                "request_changes": services.activity_request_changes,
                "cancel": services.activity_cancel,
            }
            transitions[verb](activity=activity, actor=actor, **rest)

    def attempt_fails(self, index: int, final: bool, args: dict[str, Any]) -> None:
        """One attempt of the dispatcher (claiming the activity on the first), refused by the
        receiver with ``args["error"]``."""
        pk = self.activity_ids[index]
        first = OutreachActivity.objects.get(pk=pk).status == OutreachActivity.Status.APPROVED
        [attempt] = services.dispatch_prepare_batch(activity_ids=[pk], claim=first)
        if attempt.dispatch is None:
            raise DemoError(f"{data.ACTIVITIES[index]['title']}: {attempt.reason}.")
        services.dispatch_record_failure(
            dispatch=attempt.dispatch, error=args["error"], final=final
        )
