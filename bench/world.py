"""Generated data for the benchmarks, built through the services where a rule could matter and
in bulk where only volume does."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from accounts.models import Membership, Role, Team, User
from audiences.models import Audience, Channel
from campaigns import services
from campaigns.models import ActivityStatus, Campaign, OutreachActivity
from messaging import services as messaging
from messaging.models import Message


@dataclass
class World:
    team: Team
    planner: User
    reviewer: User
    approver: User
    campaign: Campaign
    audience: Audience
    message: Message
    channel: Channel


def _user(team: Team, name: str, role: str) -> User:
    user = User.objects.create_user(name, email=f"{name}@bench.example", password="bench")
    Membership.objects.create(user=user, team=team, role=role)
    return user


def build(tag: str = "bench") -> World:
    """One team running one campaign to Moldova with a verified, cited message."""
    team = Team.objects.create(name=f"Team {tag}", slug=f"team-{tag}")
    planner = _user(team, f"{tag}-planner", Role.PLANNER)
    reviewer = _user(team, f"{tag}-reviewer", Role.REVIEWER)
    approver = _user(team, f"{tag}-approver", Role.APPROVER)
    audience = Audience.objects.get(slug="moldova")
    theme = messaging.theme_create(
        actor=planner, owner_team=team, title=f"Theme {tag}", summary="Broken promises."
    )
    evidence = messaging.evidence_create(
        actor=planner,
        owner_team=team,
        claim="Only 12% of the promised equipment arrived.",
        source_url="https://www.example.org/audit",
        publisher="Example Audit Office",
        language="en",
        source_reliability="A",
        information_credibility=2,
    )
    messaging.evidence_verify(evidence=evidence, actor=reviewer)
    sentence = "Aliatul nu a primit sprijinul promis."
    message = messaging.message_create(
        actor=planner,
        theme=theme,
        language="ro",
        headline="Promisiunile nu au fost respectate",
        body=f"{sentence} Rapoartele independente o confirmă.",
        citations=[(evidence, sentence)],
    )
    today = timezone.now().date()
    campaign = services.campaign_create(
        actor=planner,
        owner_team=team,
        name=f"Campaign {tag}",
        objective="Explain, with sources, what was promised and not delivered.",
        starts_on=today - dt.timedelta(days=30),
        ends_on=today + dt.timedelta(days=365),
        attributed_to="Ministry of Foreign Affairs, spokesperson",
        audiences=[audience],
        themes=[theme],
    )
    channel = Channel.objects.create(
        owner_team=team, kind="email", name=f"Press {tag}", email_recipients=["p@bench.example"]
    )
    return World(team, planner, reviewer, approver, campaign, audience, message, channel)


def bulk_activities(world: World, count: int, *, status: str = ActivityStatus.APPROVED) -> None:
    """``count`` more activities in one INSERT, spread over the coming weeks."""
    now = timezone.now()
    OutreachActivity.objects.bulk_create(
        OutreachActivity(
            campaign=world.campaign,
            title=f"Bulk activity {n}",
            audience=world.audience,
            message=world.message,
            channel=world.channel,
            owner=world.planner,
            status=status,
            approved_content_hash="0" * 64,
            scheduled_at=now + dt.timedelta(hours=1 + n % 500, minutes=n % 60),
        )
        for n in range(count)
    )


def bulk_in_review(world: World, count: int) -> None:
    """``count`` more activities in one INSERT, waiting at the evidence review (the reviewer's
    step) for one to ``count`` minutes, as the approval queue lists them."""
    now = timezone.now()
    step = world.campaign.approval_policy.steps.order_by("order").first()
    OutreachActivity.objects.bulk_create(
        OutreachActivity(
            campaign=world.campaign,
            title=f"Bulk review {n}",
            audience=world.audience,
            message=world.message,
            channel=world.channel,
            owner=world.planner,
            submitted_by=world.planner,
            submitted_at=now - dt.timedelta(minutes=1 + n),
            step_since=now - dt.timedelta(minutes=1 + n),
            status=ActivityStatus.IN_REVIEW,
            current_step=step,
            scheduled_at=now + dt.timedelta(days=7, minutes=n),
        )
        for n in range(count)
    )


def in_sign_off(world: World, count: int) -> list[OutreachActivity]:
    """``count`` activities through the real workflow, waiting at the sign-off step."""
    when = timezone.now() + dt.timedelta(days=7)
    result = []
    for n in range(count):
        activity = services.activity_create(
            actor=world.planner,
            campaign=world.campaign,
            title=f"Sign-off {n}",
            audience=world.audience,
            message=world.message,
            channel=world.channel,
            scheduled_at=when + dt.timedelta(minutes=n),
        )
        activity = services.activity_submit(activity=activity, actor=world.planner)
        result.append(services.activity_approve(activity=activity, actor=world.reviewer))
    return result


def fresh(user: Any) -> Any:
    """The same user as a new object (no cached roles), as a new request would have."""
    return type(user).objects.get(pk=user.pk)
