"""Who we reach: countries, audiences (with their languages and local time), segments,
channels (a team's ways of reaching them) and blackout windows."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.errors import RuleViolation
from accounts.models import Team, User
from accounts.permissions import team_ids
from accounts.validators import validate_language_tags, validate_timezone


class Country(models.Model):
    """An ISO 3166-1 alpha-2 country (plus XK, Kosovo). Loaded for every country by migration."""

    code = models.CharField(max_length=2, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "countries"
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[A-Z]{2}$"), name="country_code_iso"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Audience(models.Model):
    """A group of people we want to reach: shared reference data, one or many countries."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    countries = models.ManyToManyField(Country, related_name="audiences")
    languages = models.JSONField(
        default=list,
        validators=[validate_language_tags],
        help_text="BCP 47 tags, most used first, e.g. ['be', 'ru'].",
    )
    timezone = models.CharField(
        max_length=64,
        validators=[validate_timezone],
        help_text="IANA zone whose local time activities are scheduled in.",
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def to_utc(self, local: datetime) -> datetime:
        """A naive wall-clock time in this audience's zone, as an aware UTC datetime.

        DST-safe: a time that does not exist locally (the hour skipped when clocks go forward)
        is refused; an ambiguous one (the hour repeated when they go back) means its first
        occurrence, as a person reading a calendar would expect.
        """
        if local.tzinfo is not None:
            return local.astimezone(ZoneInfo("UTC"))
        aware = local.replace(tzinfo=self.zone, fold=0)
        in_utc = aware.astimezone(ZoneInfo("UTC"))
        if in_utc.astimezone(self.zone).replace(tzinfo=None) != local:
            raise RuleViolation(
                f"{local:%Y-%m-%d %H:%M} does not exist in {self.timezone} "
                "(clocks go forward then); choose another time.",
                field="scheduled_at",
            )
        return in_utc

    def to_local(self, moment: datetime) -> datetime:
        """An aware datetime shown in this audience's zone."""
        return moment.astimezone(self.zone)


class Segment(models.Model):
    """A named part of an audience (policy elites, diaspora, students…)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    audience = models.ForeignKey(Audience, on_delete=models.CASCADE, related_name="segments")
    name = models.CharField(max_length=120)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["audience__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["audience", "name"], name="segment_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.audience}: {self.name}"


class ChannelQuerySet(models.QuerySet["Channel"]):
    def visible_to(self, user: User) -> ChannelQuerySet:
        """Channels are a team's own: members of the owner team see them."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(owner_team__in=team_ids(user))


class Channel(models.Model):
    """How a team reaches people: an e-mail list, a partner's webhook, or manual work
    (briefings, events, op-ed placements) done by a responsible officer."""

    class Kind(models.TextChoices):
        EMAIL = "email", "E-mail"
        WEBHOOK = "webhook", "Webhook"
        MANUAL = "manual", "Manual"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="channels")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=120)
    email_recipients = models.JSONField(default=list, blank=True)
    webhook_url = models.URLField(blank=True)
    webhook_secret = models.CharField(max_length=128, blank=True)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who carries out manual activities.",
    )
    is_active = models.BooleanField(default=True)

    objects = ChannelQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner_team", "name"], name="channel_unique_name"),
            models.CheckConstraint(
                condition=Q(kind__in=["email", "webhook", "manual"]), name="channel_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(kind="webhook") | (~Q(webhook_url="") & ~Q(webhook_secret="")),
                name="channel_webhook_has_url_and_secret",
            ),
            models.CheckConstraint(
                condition=~Q(kind="manual") | Q(officer__isnull=False),
                name="channel_manual_has_officer",
            ),
            models.CheckConstraint(
                condition=~Q(kind="email") | ~Q(email_recipients=[]),
                name="channel_email_has_recipients",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def access_team_ids(self) -> set[int]:
        return {self.owner_team_id}

    def dispatch_identity(self) -> dict[str, object]:
        """What of the channel decides where content goes; part of the approved hash."""
        return {
            "channel": str(self.uuid),
            "kind": self.kind,
            "recipients": sorted(self.email_recipients),
            "webhook_url": self.webhook_url,
            "officer": self.officer_id,
        }


class BlackoutWindowQuerySet(models.QuerySet["BlackoutWindow"]):
    def covering(self, moment: datetime) -> BlackoutWindowQuerySet:
        return self.filter(starts_at__lte=moment, ends_at__gt=moment)


class BlackoutWindow(models.Model):
    """A period in which nothing is dispatched to an audience (election silence, mourning).
    Dispatch is deferred to the window's end, never dropped."""

    audience = models.ForeignKey(Audience, on_delete=models.CASCADE, related_name="blackouts")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200)

    objects = BlackoutWindowQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="blackout_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.audience}: {self.reason}"

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at

    def is_active(self, at: datetime | None = None) -> bool:
        at = at or timezone.now()
        return self.starts_at <= at < self.ends_at
