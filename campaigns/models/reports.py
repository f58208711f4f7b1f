"""Report subscriptions and the runs that send them."""

from __future__ import annotations

import calendar
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.audit import audited
from accounts.models import Team
from accounts.validators import validate_timezone
from campaigns.models.campaigns import Campaign


@audited
class ReportSubscription(models.Model):
    """A manager's standing order for a report on a team or a campaign, on a cadence, at a
    local time in their timezone."""

    class Cadence(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions"
    )
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    extra_addresses = models.JSONField(default=list, blank=True)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE)
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.CASCADE)
    cadence = models.CharField(max_length=10, choices=Cadence.choices)
    weekday = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0 = Monday")
    day_of_month = models.PositiveSmallIntegerField(null=True, blank=True)
    send_time = models.TimeField()
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    is_active = models.BooleanField(default=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(team__isnull=False, campaign__isnull=True)
                | Q(team__isnull=True, campaign__isnull=False),
                name="subscription_one_scope",
            ),
            models.CheckConstraint(
                condition=~Q(cadence="weekly") | Q(weekday__gte=0, weekday__lte=6),
                name="subscription_weekly_has_weekday",
            ),
            models.CheckConstraint(
                condition=~Q(cadence="monthly") | Q(day_of_month__gte=1, day_of_month__lte=28),
                name="subscription_monthly_has_day",
            ),
        ]

    def __str__(self) -> str:
        scope = self.campaign or self.team
        return f"{self.get_cadence_display()} report on {scope}"

    @property
    def schedule_label(self) -> str:
        """e.g. "Weekly on Monday at 08:00 (Europe/Minsk)"."""
        when = {
            self.Cadence.DAILY: "Daily",
            self.Cadence.WEEKLY: f"Weekly on {calendar.day_name[self.weekday or 0]}",
            self.Cadence.MONTHLY: f"Monthly on day {self.day_of_month}",
        }[self.Cadence(self.cadence)]
        return f"{when} at {self.send_time:%H:%M} ({self.timezone})"

    def access_team_ids(self) -> set[int]:
        if self.campaign is not None:
            return self.campaign.access_team_ids()
        # A check constraint sets exactly one of team and campaign; an unsaved subscription
        # with neither is acted on by no team (as ``{None}`` was: no role is held in None).
        return {self.team_id} if self.team_id is not None else set()


class ReportRun(models.Model):
    """One report sent for one period of a subscription; unique, so a period is sent once."""

    subscription = models.ForeignKey(
        ReportSubscription, on_delete=models.CASCADE, related_name="runs"
    )
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    started_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    late = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period_start"], name="report_run_once_per_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscription}: {self.period_start:%Y-%m-%d}"
