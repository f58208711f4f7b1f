"""Shared personas and a small world: a staff team running a campaign to Moldova, a partner
team next door, and a draft activity backed by verified evidence.

Personas (healthchecks style): ``planner`` owns the work; ``reviewer``, ``approver`` and
``lead`` are teammates with those roles; ``viewer`` may only look; ``outsider`` is a planner in
another team; ``outsider_reviewer`` a reviewer there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Role, Team
from campaigns import services
from campaigns.models import OutreachActivity
from tests.accounts.factories import TeamFactory, member
from tests.audiences.factories import ChannelFactory, seeded
from tests.campaigns.factories import CampaignFactory
from tests.messaging.factories import CitationFactory, MessageFactory, ThemeFactory


@pytest.fixture
def team(db: Any) -> Team:
    return TeamFactory(name="Public Diplomacy Desk", slug="desk")


@pytest.fixture
def other_team(db: Any) -> Team:
    return TeamFactory(name="Partner Team B", slug="partner-b", kind=Team.Kind.PARTNER)


@pytest.fixture
def planner(team: Team) -> Any:
    return member(team, Role.PLANNER, username="planner")


@pytest.fixture
def reviewer(team: Team) -> Any:
    return member(team, Role.REVIEWER, username="reviewer")


@pytest.fixture
def approver(team: Team) -> Any:
    return member(team, Role.APPROVER, username="approver")


@pytest.fixture
def lead(team: Team) -> Any:
    return member(team, Role.LEAD, username="lead")


@pytest.fixture
def viewer(team: Team) -> Any:
    return member(team, Role.VIEWER, username="viewer")


@pytest.fixture
def outsider(other_team: Team) -> Any:
    return member(other_team, Role.PLANNER, username="outsider")


@pytest.fixture
def outsider_reviewer(other_team: Team) -> Any:
    return member(other_team, Role.REVIEWER, username="outsider_reviewer")


@dataclass
class World:
    team: Team
    campaign: Any
    audience: Any
    theme: Any
    message: Any
    evidence: Any
    channel: Any


@pytest.fixture
def world(team: Team) -> World:
    audience = seeded("moldova")
    theme = ThemeFactory(owner_team=team)
    message = MessageFactory(theme=theme, owner_team=team)
    citation = CitationFactory(message=message, evidence__owner_team=team)
    campaign = CampaignFactory(owner_team=team)
    campaign.audiences.add(audience)
    campaign.themes.add(theme)
    channel = ChannelFactory(owner_team=team)
    return World(team, campaign, audience, theme, message, citation.evidence, channel)


def in_days(days: int, hour: int = 9) -> dt.datetime:
    """A naive wall-clock time ``days`` from today, for ``scheduled_local``."""
    day = timezone.now().date() + dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, 0)


@pytest.fixture
def draft(world: World, planner: Any) -> OutreachActivity:
    return services.activity_create(
        actor=planner,
        campaign=world.campaign,
        title="Editors' briefing in Chișinău",
        audience=world.audience,
        message=world.message,
        channel=world.channel,
        scheduled_local=in_days(5),
    )


@pytest.fixture
def in_review(draft: OutreachActivity, planner: Any) -> OutreachActivity:
    return services.activity_submit(activity=draft, actor=planner)


@pytest.fixture
def approved(in_review: OutreachActivity, reviewer: Any, approver: Any) -> OutreachActivity:
    step_two = services.activity_approve(activity=in_review, actor=reviewer)
    return services.activity_approve(activity=step_two, actor=approver)


# --- The partner API -------------------------------------------------------------------------


def token_for(user: Any) -> str:
    """A real API token (knox, hashed) for ``user``."""
    from accounts.services import token_create

    _, token = token_create(user=user, name="tests")
    return token


@pytest.fixture
def api(db: Any):
    """``api(user)``: an API client carrying a real token of ``user``; ``api()``: anonymous."""
    from rest_framework.test import APIClient

    def make(user: Any = None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
        return client

    return make


@pytest.fixture(scope="session")
def sqlite_demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``make run``'s path: the embedded default (SQLite, filesystem broker, no services),
    migrated and loaded with the demo data once per session, driven through ``manage.py``.
    Returns ``manage(*args) -> stdout``; a failing command fails the test with its stderr."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    var = tmp_path_factory.mktemp("embedded")
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}},
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "CANDOR_VAR_DIR": str(var),
    }

    def manage(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    manage("migrate", "--noinput", "-v0")
    manage.first_seed = manage("seed_demo")  # type: ignore[attr-defined]
    manage.var = var  # type: ignore[attr-defined]
    return manage


def sent_back(activity: Any) -> dict[str, Any]:
    """The activity's fields that sending it back for review sets, as stored now."""
    from campaigns.services._transitions import SENT_BACK

    activity.refresh_from_db()
    return {name: getattr(activity, name) for name in SENT_BACK}


SENT_BACK_STATE = {
    "status": "changes_requested",
    "current_step": None,
    "approved_content_hash": "",
    "approved_citations": [],
    "approved_at": None,
}


def email_of(event: Any) -> Any:
    """The e-mail that told of ``event`` (alone or listed with others), from the test outbox."""
    from django.core import mail

    [message] = [
        m for m in mail.outbox if str(event.pk) in m.extra_headers["X-Candor-Event"].split()
    ]
    return message
