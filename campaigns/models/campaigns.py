"""Campaigns and their approval policies: who speaks, to whom, and who must approve."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from accounts.audit import audited
from accounts.models import Role, Team, User
from accounts.permissions import team_ids
from audiences.models import Audience
from messaging.models import Theme


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
