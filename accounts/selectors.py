"""Reads of the accounts app, scoped to the user asking."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import ApiToken, Membership, Team, User
from accounts.permissions import team_ids


def token_list(*, user: User) -> QuerySet[ApiToken]:
    """The user's own live tokens, newest first (expired ones are not listed)."""
    if not getattr(user, "is_authenticated", False):
        return ApiToken.objects.none()
    now = timezone.now()
    return ApiToken.objects.filter(user=user).filter(Q(expiry__gt=now) | Q(expiry__isnull=True))


def membership_list(*, user: User) -> QuerySet[Membership]:
    """The user's memberships with their teams."""
    return Membership.objects.filter(user=user).select_related("team").order_by("team__name")


def team_list(*, user: User) -> QuerySet[Team]:
    """The teams the user belongs to, with their members (two queries, whatever the size)."""
    members = Membership.objects.select_related("user").order_by("user__username")
    return Team.objects.filter(pk__in=team_ids(user)).prefetch_related(
        Prefetch("memberships", queryset=members)
    )


def colleague_list(*, user: User) -> QuerySet[User]:
    """Active users who share a team with the user (officers, report recipients)."""
    return User.objects.filter(is_active=True, memberships__team__in=team_ids(user)).distinct()


def own_team_list(*, user: User) -> QuerySet[Team]:
    """The teams the user belongs to, for choosing an owner team."""
    return Team.objects.filter(pk__in=team_ids(user))
