"""Reads of the audiences app: reference data for everyone, channels for their team."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from audiences.models import Audience, Channel


def audience_list() -> QuerySet[Audience]:
    """Every audience with its countries and segments (three queries, whatever the count)."""
    return Audience.objects.prefetch_related("countries", "segments")


def channel_list(*, user: User) -> QuerySet[Channel]:
    """The channels of the user's teams."""
    return Channel.objects.visible_to(user).select_related("owner_team", "officer")
