"""What went out: dispatch attempts with the payload each sent, outcomes, and the heartbeats of the
processes that send."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.audit import audited
from audiences.models import Channel
from campaigns.models.activities import OutreachActivity


class Dispatch(models.Model):
    """One attempt to send an activity.

    The idempotency key names the approved content, not the attempt: every attempt to send the
    same approved content carries the same key, so a receiver that got it before a worker died
    recognises the re-send. A ``pending`` row is the lease of the worker sending it."""

    class Result(models.TextChoices):
        PENDING = "pending", "Sending"
        SENT = "sent", "Sent"
        AWAITING_OFFICER = "awaiting_officer", "Officer notified, awaiting completion"
        FAILED = "failed", "Failed"

    activity = models.ForeignKey(
        OutreachActivity, on_delete=models.PROTECT, related_name="dispatches"
    )
    attempt = models.PositiveIntegerField()
    idempotency_key = models.CharField(max_length=100, db_index=True)
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="dispatches")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=20, choices=Result.choices, default=Result.PENDING)
    error = models.TextField(blank=True)
    response = models.CharField(max_length=200, blank=True, help_text="e.g. HTTP 200")
    # What this attempt sent, exactly: the webhook's JSON body as posted; for e-mail (and a
    # manual channel's officer notice) the subject, the headers that matter and the body, as
    # canonical JSON. ``payload_hash`` is its SHA-256 (of the UTF-8 bytes), so anyone can
    # prove later that what went out carried the approved content hash.
    payload = models.TextField(blank=True)
    payload_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["activity", "attempt"]
        verbose_name_plural = "dispatches"
        constraints = [
            models.UniqueConstraint(fields=["activity", "attempt"], name="dispatch_unique_attempt"),
        ]

    def __str__(self) -> str:
        return f"{self.activity} attempt {self.attempt}: {self.result}"


@audited
class Outcome(models.Model):
    """What happened after dispatch: reach, engagement, pickups."""

    activity = models.OneToOneField(
        OutreachActivity, on_delete=models.PROTECT, related_name="outcome"
    )
    reach = models.PositiveIntegerField(default=0)
    engagement = models.PositiveIntegerField(default=0)
    pickups = models.JSONField(default=list, blank=True, help_text="URLs that picked it up.")
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(engagement__lte=F("reach")),
                name="outcome_engagement_within_reach",
            ),
        ]

    def __str__(self) -> str:
        return f"Outcome of {self.activity}"


class Heartbeat(models.Model):
    """When a running part last showed it works: ``scheduler`` (published a periodic tick) and
    ``worker`` (finished a task). In the database, so every process of every deployment, the
    embedded SQLite one included, reads the same figures (``campaigns/health.py``)."""

    class Part(models.TextChoices):
        SCHEDULER = "scheduler", "Scheduler"
        WORKER = "worker", "Worker"

    name = models.CharField(max_length=20, choices=Part.choices, unique=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"
