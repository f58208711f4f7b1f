"""Outreach activities and the record of their lifecycle: the hash-chained events, the approval
decisions and the notification outbox."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from accounts import chain
from accounts.audit import audited
from accounts.models import User
from audiences.models import Audience, Channel, Segment
from campaigns.models.campaigns import ApprovalStep, Campaign
from messaging.models import Citation, Message


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
