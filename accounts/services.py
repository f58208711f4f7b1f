"""Writes of the accounts app."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.audit import audit_context
from accounts.errors import InvalidInput, NotPermitted, RuleViolation
from accounts.models import ApiToken, User

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


@transaction.atomic
def token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Issue an API token for an active user; returns the row and the token itself, which is
    shown this once (only its digest is stored). Each user may hold a bounded number of live
    tokens, so a leaked password cannot mint them without end."""
    if not user.is_active:
        raise NotPermitted("This account is deactivated.")
    # Lock the user's row: two logins at once must not both slip under the limit.
    User.objects.select_for_update().filter(pk=user.pk).first()
    now = timezone.now()
    # Expired tokens are swept here, not on every request (accounts.api.auth).
    ApiToken.objects.filter(user=user, expiry__lte=now).delete()
    live = ApiToken.objects.filter(user=user).filter(Q(expiry__gt=now) | Q(expiry__isnull=True))
    limit = settings.CANDOR_API_TOKENS_PER_USER
    if live.count() >= limit:
        raise RuleViolation(
            f"You already hold {limit} live tokens; revoke one you no longer use first.",
            code="token_limit",
        )
    if len(name) > 100:
        raise InvalidInput({"name": ["Keep the name under 100 characters."]})
    with audit_context(actor=user.pk, action="token_create"):
        return ApiToken.objects.create(user=user, name=name.strip())


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: User) -> None:
    """Revoke one of the actor's own tokens; it stops working at once."""
    if token.user_id != actor.pk:
        raise NotPermitted("You may revoke only your own tokens.")
    with audit_context(actor=actor.pk, action="token_revoke"):
        ApiToken.objects.filter(pk=token.pk).delete()
