"""Writes of the accounts app."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

STAFF_GROUP = "Candor staff"
_APPS = ("accounts", "audiences", "messaging", "campaigns")


@transaction.atomic
def staff_group_ensure() -> Group:
    """The group that lets staff users into the admin: they may look at every Candor table (the
    rows are still scoped to their teams) and add or edit activities, which the admin does
    through the lifecycle services. Idempotent."""
    group, _ = Group.objects.get_or_create(name=STAFF_GROUP)
    perms = Permission.objects.filter(content_type__app_label__in=_APPS).filter(
        Q(codename__startswith="view_")
        | Q(codename__in=["add_outreachactivity", "change_outreachactivity"])
    )
    group.permissions.set(perms)
    return group
