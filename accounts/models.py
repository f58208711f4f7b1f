"""Who we are: users, teams, memberships with roles, API tokens, and the TLP markings of shared
items."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from knox.models import AbstractAuthToken

from accounts.validators import validate_timezone


# knox ships no types, so the plugin cannot see the manager of ApiToken's knox base and so
# cannot type the reverse ``auth_token_set`` it adds here.
class User(AbstractUser):  # type: ignore[django-manager-missing]
    """A person who signs in. ``timezone`` is where their reports and dates are shown."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"


class Team(models.Model):
    """A staff team (plans and approves) or a partner team (works through the API)."""

    class Kind(models.TextChoices):
        STAFF = "staff", "Staff team"
        PARTNER = "partner", "Partner team"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.STAFF)
    members = models.ManyToManyField(User, through="Membership", related_name="teams")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["staff", "partner"]), name="team_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def access_team_ids(self) -> set[int]:
        return {self.pk}


class Role(models.TextChoices):
    """What a member may do in a team. ``lead`` may do everything the others may."""

    VIEWER = "viewer", "Viewer"
    PLANNER = "planner", "Planner"
    REVIEWER = "reviewer", "Reviewer"
    APPROVER = "approver", "Approver"
    LEAD = "lead", "Lead"


class Membership(models.Model):
    """A user's role in one team; one row per (user, team)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "team"], name="membership_unique_user_team"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.role} in {self.team}"


class Marking(models.TextChoices):
    """Traffic Light Protocol 2.0: who may see a library item (theme, message, evidence)."""

    CLEAR = "clear", "TLP:CLEAR — every signed-in user"
    GREEN = "green", "TLP:GREEN — every team"
    AMBER = "amber", "TLP:AMBER — owner team and the teams it is shared with"
    RED = "red", "TLP:RED — owner team only"


class ApiToken(AbstractAuthToken):
    """A partner's API token (django-rest-knox): only a SHA-512 digest of it is stored, it
    expires, and its owner can list and revoke it by ``uuid`` without ever seeing it again."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=100, blank=True, help_text="What the token is for.")

    class Meta:
        ordering = ["-created"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.user} — {self.name or self.token_key}"
