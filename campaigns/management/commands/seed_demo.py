"""``manage.py seed_demo``: load the demo data a newcomer sees after ``make run``.

The data and its story are in ``campaigns.demo.data``; ``campaigns.demo.loader`` writes them
through the services, each at its moment. Idempotent: if the demo is there, nothing changes.
Refused in production settings.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from campaigns.models import ActivityEvent, ActivityStatus, Campaign, OutreachActivity
from messaging.models import EvidenceItem


def _refused_here() -> bool:
    module = getattr(settings, "SETTINGS_MODULE", None) or os.environ.get(
        "DJANGO_SETTINGS_MODULE", ""
    )
    return module.rsplit(".", 1)[-1] == "production"


class Command(BaseCommand):
    help = "Load the demo campaign, teams and users (idempotent; refused in production)."

    def handle(self, *args: Any, **options: Any) -> None:
        if _refused_here():
            raise CommandError("seed_demo is refused in production settings")
        # Imported here: the loader needs time-machine, which nothing in production loads.
        from campaigns.demo import data, loader

        existing = loader.demo_campaign()
        if existing is not None:
            self.stdout.write(
                f"The demo data is already there (campaign “{existing.name}”); nothing changed."
            )
            return
        try:
            campaign = loader.load(password=settings.CANDOR_DEMO_PASSWORD)
        except loader.DemoError as error:
            raise CommandError(str(error)) from error
        if campaign is None:  # loaded by someone else a moment ago
            self.stdout.write("The demo data is already there; nothing changed.")
            return
        self._summary(campaign, data)

    def _summary(self, campaign: Campaign, data: Any) -> None:
        activities = OutreachActivity.objects.filter(campaign=campaign)
        by_status = Counter(activities.values_list("status", flat=True))
        recalled = (
            ActivityEvent.objects.filter(
                activity__campaign=campaign, kind=ActivityEvent.Kind.RECALLED
            )
            .values("activity")
            .distinct()
            .count()
        )
        evidence = Counter(
            EvidenceItem.objects.filter(owner_team=campaign.owner_team).values_list(
                "status", flat=True
            )
        )
        out = self.stdout
        out.write(self.style.SUCCESS(f"Demo data loaded: campaign “{campaign.name}”."))
        out.write(f"Activities ({activities.count()}):")
        for status, label in ActivityStatus.choices:
            out.write(f"  {label:<18} {by_status.get(status, 0)}")
        out.write(f"  (of which recalled after evidence was withdrawn: {recalled})")
        out.write(
            "Evidence: "
            + ", ".join(f"{s} {evidence.get(s, 0)}" for s in EvidenceItem.Status.values)
        )
        out.write(f"Users (password “{settings.CANDOR_DEMO_PASSWORD}”):")
        for username, (first, last, _, team_key, role) in data.USERS.items():
            out.write(f"  {username:<10} {first} {last} — {role} of {data.TEAMS[team_key][0]}")
        out.write(f"  {data.ADMIN_USERNAME:<10} superuser (Django admin)")
