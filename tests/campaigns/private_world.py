"""Seed and read a private PostgreSQL cluster (``real_parts.PrivatePostgres``) from a process of
its own (the test process's connection belongs to the shared test database). Run with that
cluster's environment (``PrivatePostgres.env``); the last line printed is JSON:

    python -m tests.campaigns.private_world seed COUNT DUE_EPOCH SPREAD_SECONDS WEBHOOK_URL
        COUNT webhook activities approved through the workflow, due from DUE_EPOCH over
        SPREAD_SECONDS → {"keys": [...]}
    python -m tests.campaigns.private_world wait TIMEOUT
        polls until every activity is dispatched and no attempt is pending (or TIMEOUT
        seconds pass) → {"statuses": {...}, "sent": {key: n}, "pending": n, "waited": s}
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import django
import time_machine


def seed(count: int, due: datetime, spread: float, url: str) -> dict[str, Any]:
    from accounts.models import Role
    from campaigns import services
    from tests.accounts.factories import TeamFactory, member
    from tests.audiences.factories import ChannelFactory, seeded
    from tests.campaigns.factories import CampaignFactory
    from tests.messaging.factories import CitationFactory, MessageFactory, ThemeFactory

    team = TeamFactory(name="Public Diplomacy Desk", slug="desk")
    audience = seeded("moldova")
    theme = ThemeFactory(owner_team=team)
    message = MessageFactory(theme=theme, owner_team=team)
    CitationFactory(message=message, evidence__owner_team=team)
    campaign = CampaignFactory(owner_team=team)
    campaign.audiences.add(audience)
    campaign.themes.add(theme)
    channel = ChannelFactory(
        owner_team=team,
        kind="webhook",
        email_recipients=[],
        webhook_url=url,
        webhook_secret="partner-shared-secret",
    )
    planner = member(team, Role.PLANNER)
    reviewer = member(team, Role.REVIEWER)
    approver = member(team, Role.APPROVER)
    keys = []
    # Approved as if an hour before ``due``: submit refuses a time that has passed, and seeding
    # may take longer than planned on a busy machine (then they are simply due at once).
    traveller = time_machine.travel(due - timedelta(hours=1), tick=False)
    traveller.start()
    for n in range(count):
        activity = services.activity_create(
            actor=planner,
            campaign=campaign,
            title=f"Outreach {n}",
            audience=audience,
            message=message,
            channel=channel,
            scheduled_at=due + timedelta(seconds=spread * n / count),
        )
        activity = services.activity_submit(activity=activity, actor=planner)
        activity = services.activity_approve(activity=activity, actor=reviewer)
        keys.append(services.activity_approve(activity=activity, actor=approver).idempotency_key)
    traveller.stop()
    return {"keys": keys}


def report() -> dict[str, Any]:
    from campaigns.models import Dispatch, OutreachActivity

    sent = Counter(
        Dispatch.objects.filter(result=Dispatch.Result.SENT).values_list(
            "idempotency_key", flat=True
        )
    )
    return {
        "statuses": dict(Counter(OutreachActivity.objects.values_list("status", flat=True))),
        "sent": dict(sent),
        "pending": Dispatch.objects.filter(result=Dispatch.Result.PENDING).count(),
    }


def wait(timeout: float) -> dict[str, Any]:
    from django.db import OperationalError, close_old_connections

    started = time.monotonic()
    found: dict[str, Any] = {}
    while time.monotonic() - started < timeout:
        try:
            found = report()
        except OperationalError:  # the cluster is restarting
            close_old_connections()
        else:
            if set(found["statuses"]) == {"dispatched"} and not found["pending"]:
                break
        time.sleep(0.5)
    return {**found, "waited": round(time.monotonic() - started, 1)}


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    django.setup()
    if argv[0] == "seed":
        due = datetime.fromtimestamp(float(argv[2]), UTC)
        result = seed(int(argv[1]), due, float(argv[3]), argv[4])
    else:
        result = wait(float(argv[1]))
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
