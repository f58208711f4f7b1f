"""What we say and why it is true: themes, messages (versioned), evidence items with their
Admiralty rating and verification status, and the citations that tie a message to evidence."""

from __future__ import annotations

import uuid
from typing import Self

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Marking, Team, User
from accounts.permissions import team_roles
from accounts.validators import validate_language_tag
from audiences.models import Audience


class LibraryItemQuerySet[M: LibraryItem](models.QuerySet[M]):
    def visible_to(self, user: User) -> Self:
        """Items the user may see under TLP 2.0 (see ``accounts.permissions``)."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        teams = list(team_roles(user))
        visible = Q(marking=Marking.CLEAR)
        if teams:
            visible |= Q(marking=Marking.GREEN)
            visible |= Q(marking__in=[Marking.AMBER, Marking.RED], owner_team__in=teams)
            # The auto-created through model has ``objects``; django-stubs types it as Model.
            amber_shared = self.model.shared_with.through.objects.filter(team__in=teams)  # type: ignore[attr-defined]
            visible |= Q(
                marking=Marking.AMBER,
                pk__in=amber_shared.values(f"{self.model._meta.model_name}_id"),
            )
        return self.filter(visible)


class LibraryItem(models.Model):
    """What themes, messages and evidence share: a public id, an owner team, a TLP marking and
    the teams an amber item is shared with (the teams of campaigns that use it)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    marking = models.CharField(max_length=5, choices=Marking.choices, default=Marking.AMBER)
    shared_with = models.ManyToManyField(Team, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LibraryItemQuerySet.as_manager()

    class Meta:
        abstract = True

    def access_team_ids(self) -> set[int]:
        shared = {t.pk for t in self.shared_with.all()} if self.pk else set()
        return {self.owner_team_id} | shared


@pghistory.track()
class Theme(LibraryItem):
    """A message theme: what we want an audience to understand."""

    title = models.CharField(max_length=200)
    summary = models.TextField()
    key_points = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True, help_text="e.g. DISARM countermeasure ids")

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["owner_team", "title"], name="theme_unique_title"),
            models.CheckConstraint(
                condition=Q(marking__in=Marking.values), name="theme_marking_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class EvidenceQuerySet(LibraryItemQuerySet["EvidenceItem"]):
    def usable(self) -> Self:
        """Neither disputed nor retracted: may back a submitted message."""
        return self.exclude(status__in=EvidenceItem.WITHDRAWN)


@pghistory.track()
class EvidenceItem(LibraryItem):
    """A sourced fact: the claim, where it comes from, how reliable the source and how credible
    the information (Admiralty code, e.g. B2), and whether it has been verified."""

    class Reliability(models.TextChoices):
        A = "A", "A — completely reliable"
        B = "B", "B — usually reliable"
        C = "C", "C — fairly reliable"
        D = "D", "D — not usually reliable"
        E = "E", "E — unreliable"
        F = "F", "F — reliability cannot be judged"

    class Credibility(models.IntegerChoices):
        CONFIRMED = 1, "1 — confirmed by other sources"
        PROBABLY_TRUE = 2, "2 — probably true"
        POSSIBLY_TRUE = 3, "3 — possibly true"
        DOUBTFUL = 4, "4 — doubtful"
        IMPROBABLE = 5, "5 — improbable"
        CANNOT_JUDGE = 6, "6 — truth cannot be judged"

    class Status(models.TextChoices):
        UNVERIFIED = "unverified", "Unverified"
        VERIFIED = "verified", "Verified"
        DISPUTED = "disputed", "Disputed"
        RETRACTED = "retracted", "Retracted"

    WITHDRAWN = (Status.DISPUTED, Status.RETRACTED)

    claim = models.TextField(help_text="The statement this evidence supports.")
    source_url = models.URLField(max_length=500)
    publisher = models.CharField(max_length=200)
    published_on = models.DateField(null=True, blank=True)
    excerpt = models.TextField(blank=True)
    language = models.CharField(max_length=16, validators=[validate_language_tag])
    source_reliability = models.CharField(max_length=1, choices=Reliability.choices)
    information_credibility = models.PositiveSmallIntegerField(choices=Credibility.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UNVERIFIED)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.TextField(blank=True)
    snapshot_hash = models.CharField(max_length=64, blank=True)
    snapshot = models.TextField(blank=True)
    snapshot_fetched_at = models.DateTimeField(null=True, blank=True)

    # The plugin declares the inherited ``objects`` a ClassVar, and an ``as_manager()`` type
    # cannot be written down to declare this one so (django-stubs #1713).
    objects = EvidenceQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "evidence item"
        constraints = [
            models.CheckConstraint(
                condition=Q(source_reliability__in=["A", "B", "C", "D", "E", "F"]),
                name="evidence_reliability_a_to_f",
            ),
            models.CheckConstraint(
                condition=Q(information_credibility__gte=1, information_credibility__lte=6),
                name="evidence_credibility_1_to_6",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["unverified", "verified", "disputed", "retracted"]),
                name="evidence_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="unverified")
                | Q(status_changed_by__isnull=False, status_changed_at__isnull=False),
                name="evidence_status_change_has_who_and_when",
            ),
            models.CheckConstraint(
                condition=Q(marking__in=Marking.values), name="evidence_marking_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"[{self.admiralty_code}] {self.claim[:80]}"

    @property
    def admiralty_code(self) -> str:
        return f"{self.source_reliability}{self.information_credibility}"

    @property
    def is_withdrawn(self) -> bool:
        return self.status in self.WITHDRAWN


@pghistory.track()
class Message(LibraryItem):
    """A concrete text for a theme, in one language, optionally for one audience.

    ``version`` goes up with every edit of the text; each version is kept in
    ``MessageRevision`` (and, on PostgreSQL, in the trigger-written history)."""

    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="messages")
    language = models.CharField(max_length=16, validators=[validate_language_tag])
    audience = models.ForeignKey(
        Audience, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    headline = models.CharField(max_length=200)
    body = models.TextField()
    call_to_action = models.CharField(max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)
    evidence = models.ManyToManyField(EvidenceItem, through="Citation", related_name="messages")

    class Meta:
        ordering = ["theme__title", "language", "headline"]
        constraints = [
            models.CheckConstraint(condition=~Q(headline=""), name="message_headline_required"),
            models.CheckConstraint(condition=~Q(body=""), name="message_body_required"),
            models.CheckConstraint(
                condition=Q(marking__in=Marking.values), name="message_marking_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.headline} ({self.language})"

    def content(self) -> dict[str, object]:
        """The text that goes out; part of an activity's approved hash."""
        return {
            "message": str(self.uuid),
            "version": self.version,
            "language": self.language,
            "headline": self.headline,
            "body": self.body,
            "call_to_action": self.call_to_action,
        }


class MessageRevision(models.Model):
    """One kept version of a message's text. Append-only."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    headline = models.CharField(max_length=200)
    body = models.TextField()
    call_to_action = models.CharField(max_length=300, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    edited_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["message", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["message", "version"], name="revision_unique_version"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} v{self.version}"


@pghistory.track()
class Citation(models.Model):
    """Message ↔ evidence, with the sentence of the message the evidence backs."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="citations")
    evidence = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="citations")
    sentence = models.TextField(help_text="The sentence of the message this evidence backs.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["message", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["message", "evidence"], name="citation_unique_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.message} ← {self.evidence}"
