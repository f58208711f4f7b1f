"""What we do and when: campaigns, outreach activities and their approval workflow, dispatch
attempts, outcomes, report subscriptions, and the activity's append-only event log."""

from __future__ import annotations

import calendar
import hashlib
import json
import uuid
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from accounts import chain
from accounts.audit import audited
from accounts.models import Role, Team, User
from accounts.permissions import team_ids
from accounts.validators import validate_timezone
from audiences.models import Audience, Channel, Segment
from messaging.models import Citation, Message, Theme


class CampaignQuerySet(models.QuerySet["Campaign"]):
    def visible_to(self, user: User) -> CampaignQuerySet:
        """Campaigns owned by, or shared with, one of the user's teams."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        teams = team_ids(user)
        shared = Campaign.collaborating_teams.through.objects.filter(team__in=teams)
        return self.filter(Q(owner_team__in=teams) | Q(pk__in=shared.values("campaign_id")))


@audited
class Campaign(models.Model):
    """An overt campaign: its objective, the teams that run it, and who speaks."""

    class Status(models.TextChoices):
        PLANNING = "planning", "Planning"
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    objective = models.TextField()
    starts_on = models.DateField()
    ends_on = models.DateField()
    owner_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="campaigns")
    collaborating_teams = models.ManyToManyField(Team, blank=True, related_name="collaborations")
    audiences = models.ManyToManyField(Audience, related_name="campaigns")
    themes = models.ManyToManyField(Theme, blank=True, related_name="campaigns")
    attributed_to = models.CharField(
        max_length=200,
        help_text="The public speaker: who is named as the source of every activity.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.UniqueConstraint(fields=["owner_team", "name"], name="campaign_unique_name"),
            models.CheckConstraint(
                condition=~Q(attributed_to=""), name="campaign_attributed_to_required"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="campaign_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["planning", "active", "closed"]),
                name="campaign_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def access_team_ids(self) -> set[int]:
        collaborators = getattr(self, "_collaborator_ids", None)
        if collaborators is None:
            collaborators = set(self.collaborating_teams.values_list("pk", flat=True))
            self._collaborator_ids = collaborators
        return {self.owner_team_id} | collaborators

    def accountable_team_ids(self) -> set[int]:
        """The team that answers for the campaign: it alone reviews and signs off."""
        return {self.owner_team_id}


@audited
class ApprovalPolicy(models.Model):
    """A campaign's ordered approval steps. Created with the default two steps."""

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, related_name="approval_policy"
    )

    class Meta:
        verbose_name_plural = "approval policies"

    def __str__(self) -> str:
        return f"Approval policy of {self.campaign}"


@audited
class ApprovalStep(models.Model):
    """One step of a policy: who must approve (by role), and whether it checks evidence."""

    class Kind(models.TextChoices):
        EVIDENCE_REVIEW = "evidence_review", "Evidence review"
        SIGN_OFF = "sign_off", "Sign-off"

    policy = models.ForeignKey(ApprovalPolicy, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    required_role = models.CharField(max_length=10, choices=Role.choices)

    class Meta:
        ordering = ["policy", "order"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "order"], name="step_unique_order"),
            models.CheckConstraint(
                condition=Q(required_role__in=[Role.REVIEWER, Role.APPROVER, Role.LEAD]),
                name="step_role_may_approve",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"

    @property
    def permission(self) -> str:
        return {
            Role.REVIEWER: "campaigns.review",
            Role.APPROVER: "campaigns.sign_off",
            Role.LEAD: "campaigns.manage",
        }[Role(self.required_role)]


class ActivityStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    DISPATCHING = "dispatching", "Dispatching"
    DISPATCHED = "dispatched", "Dispatched"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class ActivityQuerySet(models.QuerySet["OutreachActivity"]):
    def visible_to(self, user: User) -> ActivityQuerySet:
        return self.filter(campaign__in=Campaign.objects.visible_to(user))

    def due(self, now: datetime) -> ActivityQuerySet:
        return self.filter(status=ActivityStatus.APPROVED, scheduled_at__lte=now)

    def citing(self, evidence_id: int) -> ActivityQuerySet:
        return self.filter(message__citations__evidence_id=evidence_id)


@audited
class OutreachActivity(models.Model):
    """One attributed piece of outreach: a message to an audience through a channel, at a time.

    ``version`` goes up with every transition and edit; services compare it to detect that
    someone else acted first (optimistic concurrency on top of the row lock)."""

    Status = ActivityStatus

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="activities")
    title = models.CharField(max_length=200)
    audience = models.ForeignKey(Audience, on_delete=models.PROTECT, related_name="activities")
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.PROTECT, related_name="activities"
    )
    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="activities")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="activities")
    scheduled_at = models.DateTimeField(help_text="UTC; entered and shown in audience time.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_activities"
    )
    status = models.CharField(
        max_length=20, choices=ActivityStatus.choices, default=ActivityStatus.DRAFT
    )
    version = models.PositiveIntegerField(default=1)
    review_round = models.PositiveIntegerField(default=0)
    current_step = models.ForeignKey(
        ApprovalStep, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    step_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="In review: when it reached its current step (reports sort by it).",
    )
    approved_content_hash = models.CharField(max_length=64, blank=True)
    # The citations as approved (sentence, evidence and its rating and status at the time):
    # what the evidence packet of an approved or sent activity shows, whatever the message
    # cites later. Empty before approval and after a send-back.
    approved_citations = models.JSONField(default=list, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the dispatcher last claimed or re-enqueued it."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["scheduled_at", "pk"]
        verbose_name_plural = "outreach activities"
        indexes = [
            # The dispatch tick's query: due approved activities, oldest first.
            models.Index(
                fields=["scheduled_at"],
                condition=Q(status="approved"),
                name="activity_due_idx",
            ),
            # What the tick looks at every interval: the queue's length, stuck sends.
            models.Index(
                fields=["claimed_at"],
                condition=Q(status="dispatching"),
                name="activity_dispatching_idx",
            ),
            models.Index(fields=["campaign", "status"], name="activity_campaign_status_idx"),
            # A scope's activities in a time window: report sections, calendar, coverage.
            models.Index(fields=["campaign", "scheduled_at"], name="activity_campaign_time_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ActivityStatus.values), name="activity_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "dispatching", "dispatched", "completed"])
                | ~Q(approved_content_hash=""),
                name="activity_approved_has_hash",
            ),
            models.CheckConstraint(
                condition=~Q(status="in_review") | Q(current_step__isnull=False),
                name="activity_in_review_has_step",
            ),
            # A dispatching activity was claimed by the tick at a known time: without one, the
            # tick's search for stuck sends (claimed_at older than the lease) never finds it.
            models.CheckConstraint(
                condition=~Q(status="dispatching") | Q(claimed_at__isnull=False),
                name="activity_dispatching_has_claim",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("activity_detail", kwargs={"uuid": self.uuid})

    def access_team_ids(self) -> set[int]:
        return self.campaign.access_team_ids()

    def accountable_team_ids(self) -> set[int]:
        return {self.campaign.owner_team_id}

    @property
    def scheduled_local(self) -> datetime:
        return self.audience.to_local(self.scheduled_at)

    def cited(self) -> list[tuple[str, str]]:
        """(sentence, evidence uuid) of each citation of the message, sorted: the citations'
        part of the approved hash. One query (a batch reads them for all at once instead)."""
        citations = Citation.objects.filter(message_id=self.message_id)
        return sorted((s, str(e)) for s, e in citations.values_list("sentence", "evidence__uuid"))

    def content_hash(self, cited: list[tuple[str, str]] | None = None) -> str:
        """SHA-256 of everything that goes out, where, to whom, when, from whom, and on which
        evidence: the message's text, headline, call to action and language; audience,
        segment, the channel's destination, time, speaker, and every citation (sentence and
        evidence). ``cited``: ``self.cited()`` when the caller read it already (a batch)."""
        payload = {
            "message": self.message.content(),
            "audience": str(self.audience.uuid),
            "segment": str(self.segment.uuid) if self.segment is not None else None,
            "channel": self.channel.dispatch_identity(),
            "scheduled_at": self.scheduled_at.isoformat(),
            "attributed_to": self.campaign.attributed_to,
            "citations": [list(c) for c in (self.cited() if cited is None else cited)],
        }
        encoded = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(encoded).hexdigest()

    @property
    def idempotency_key(self) -> str:
        """The same for every attempt to send the same approved content (see ``Dispatch``)."""
        # Short enough (45 characters) that no mail header carrying it is folded.
        return f"{self.uuid.hex}.{self.approved_content_hash[:12]}"


def event_chain_content(event: Any, activity_uuid: uuid.UUID | str) -> dict[str, Any]:
    """What an activity event's hash covers: the one canonical content, used to write the
    chain (``ActivityEventQuerySet.link``), to backfill it (migrations) and to verify it
    (``campaigns.verification``). ``event`` is an ``ActivityEvent`` or a row with its fields.
    The actor is named by id: a renamed user is not a rewritten history."""
    return {
        "activity": str(activity_uuid),
        "kind": str(event.kind),
        "from": str(event.from_status),
        "to": str(event.to_status),
        "actor": event.actor_id,
        "at": chain.instant(event.at),
        "comment": event.comment,
        "changes": event.changes,
    }


def chain_head() -> Coalesce:
    """Annotation: the hash of an activity's last event (``GENESIS`` if it has none)."""
    last = ActivityEvent.objects.filter(activity=OuterRef("pk")).order_by("-pk")
    return Coalesce(Subquery(last.values("hash")[:1]), Value(chain.GENESIS))


class ActivityEventQuerySet(models.QuerySet["ActivityEvent"]):
    def link(self, events: list[ActivityEvent]) -> None:
        """Give new, unsaved events their place in their activity's hash chain: ``prev_hash``
        (the activity's last event's hash, or that of the previous event of the same activity
        in ``events``) and ``hash``. One query whatever the number of events.

        Race-free because every writer of events holds the activity's row lock (transitions:
        ``select_for_update`` in ``_transitions.lock``; the dispatch tick and batches: ``FOR
        UPDATE`` on the activities they claim or record): no other transaction appends to the
        same chain between reading its head here and the INSERT. The chain's order is the
        events' keys (insertion order under that lock), not ``at``, which clocks may skew."""
        if not events:
            return
        heads: dict[int, tuple[uuid.UUID, str]] = {
            pk: (public_id, head)
            for pk, public_id, head in OutreachActivity.objects.filter(
                pk__in={e.activity_id for e in events}
            )
            .annotate(head=chain_head())
            .values_list("pk", "uuid", "head")
        }
        for event in events:
            public_id, prev = heads[event.activity_id]
            event.follow(prev, public_id)
            heads[event.activity_id] = (public_id, event.hash)

    # The stubs type ``bulk_create`` with a covariant type variable that an override cannot
    # name; the signature is Django's own.
    def bulk_create(  # type: ignore[override]
        self,
        objs: Iterable[ActivityEvent],
        batch_size: int | None = None,
        ignore_conflicts: bool = False,
        update_conflicts: bool = False,
        update_fields: Collection[str] | None = None,
        unique_fields: Collection[str] | None = None,
    ) -> list[ActivityEvent]:
        """Append events in bulk, chained (see ``link``): no path writes an unchained event."""
        events = list(objs)
        self.link([e for e in events if not e.hash])
        return super().bulk_create(  # type: ignore[return-value]
            events,  # type: ignore[arg-type]
            batch_size=batch_size,
            ignore_conflicts=ignore_conflicts,
            update_conflicts=update_conflicts,
            update_fields=update_fields,
            unique_fields=unique_fields,
        )


class ActivityEvent(models.Model):
    """The activity's history as users see it: every transition and edit, who, when, from, to,
    what changed. Append-only: the model refuses updates and deletes, and on PostgreSQL a
    trigger refuses them in the database too. Works on SQLite as well.

    Tamper-evident: each activity's events form a hash chain (``prev_hash``, ``hash``; see
    ``accounts.chain``), so a rewrite with the trigger disabled is found by
    ``manage.py verify_chain``."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        EDITED = "edited", "Edited"
        SUBMITTED = "submitted", "Submitted"
        STEP_APPROVED = "step_approved", "Step approved"
        APPROVED = "approved", "Approved"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        RECALLED = "recalled", "Recalled (evidence withdrawn)"
        CANCELLED = "cancelled", "Cancelled"
        DISPATCH_STARTED = "dispatch_started", "Dispatch started"
        DISPATCHED = "dispatched", "Dispatched"
        FAILED = "failed", "Failed"
        RETRIED = "retried", "Retry requested"
        DEFERRED = "deferred", "Deferred"
        OUTCOME_RECORDED = "outcome_recorded", "Outcome recorded"
        REMINDED = "reminded", "Reviewers reminded"

    activity = models.ForeignKey(OutreachActivity, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    comment = models.TextField(blank=True)
    # Set before the INSERT (not auto_now_add, which is set during it): the hash covers it.
    at = models.DateTimeField(default=timezone.now, db_index=True)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    hash = models.CharField(max_length=64, blank=True, editable=False)

    objects = ActivityEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            # "the last event of this kind": reminders, dispatch retries, report figures.
            models.Index(fields=["activity", "kind", "at"], name="activityevent_kind_at_idx"),
        ]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"{self.activity}: {self.kind}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise TypeError("Activity events are append-only.")
        if not self.hash:
            ActivityEvent.objects.link([self])
        super().save(*args, **kwargs)

    def follow(self, prev_hash: str, activity_uuid: uuid.UUID | str) -> None:
        """Chain this (unsaved) event after the one hashed ``prev_hash``."""
        self.prev_hash = prev_hash
        self.hash = chain.link(prev_hash, event_chain_content(self, activity_uuid))

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("Activity events are append-only.")


class PendingNotification(models.Model):
    """The outbox of activity notifications: written in the transition's own transaction, so a
    committed transition is always told (a broker that is down at commit loses nothing), and
    deleted by ``notifications_send_pending`` (the notify tick) once its e-mail went out."""

    event = models.OneToOneField(
        ActivityEvent, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    # The step the activity was at when the event happened: whose reviewers hear of it,
    # whatever step the activity has reached by the time the tick sends it.
    step = models.ForeignKey(
        ApprovalStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"notify {self.event_id}"


# Two approvals of one step in one round: the second is refused by this constraint.
DECISION_UNIQUE = "decision_one_approval_per_step_round"


@audited
class ApprovalDecision(models.Model):
    """One person's verdict on one step of one review round of an activity."""

    class Verdict(models.TextChoices):
        APPROVE = "approve", "Approve"
        REQUEST_CHANGES = "request_changes", "Request changes"

    activity = models.ForeignKey(
        OutreachActivity, on_delete=models.PROTECT, related_name="decisions"
    )
    step = models.ForeignKey(ApprovalStep, on_delete=models.PROTECT, related_name="decisions")
    review_round = models.PositiveIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    verdict = models.CharField(max_length=20, choices=Verdict.choices)
    comment = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            # The database's own guard against two winners of one step in one round.
            models.UniqueConstraint(
                fields=["activity", "step", "review_round"],
                condition=Q(verdict="approve"),
                name=DECISION_UNIQUE,
            ),
            models.CheckConstraint(
                condition=Q(verdict__in=["approve", "request_changes"]),
                name="decision_verdict_valid",
            ),
            models.CheckConstraint(
                condition=Q(verdict="approve") | ~Q(comment=""),
                name="decision_changes_need_comment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.verdict} {self.step} of {self.activity}"


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


class SavedFilter(models.Model):
    """A named filter of the activity list, one user's: the list's query string, so opening
    it is opening the same URL. Written by ``saved_filter_create`` / ``saved_filter_delete``."""

    NAME_LENGTH = 100
    QUERY_LENGTH = 1000

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters"
    )
    name = models.CharField(max_length=NAME_LENGTH)
    query = models.CharField(max_length=QUERY_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_filter_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name
