"""Authentication backends: django-axes in front of the model backend."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.contrib.auth.backends import ModelBackend
from django.db.models import CharField, Q, StringAgg, Value
from django.db.models.functions import Cast, Concat
from django.http import HttpRequest

from accounts.models import User
from accounts.permissions import remember_roles


class LoginAttemptsBackend(AxesStandaloneBackend):
    """Refuses a login locked out after repeated failures (django-axes).

    Only HTTP logins (the admin's form, the API's token endpoint) are attempts an attacker can
    repeat, and both pass the request. ``authenticate()`` without one (the test client's
    ``login``, a management command) is not counted or locked; axes itself would refuse it
    outright, which protects nothing.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class UserAndRolesBackend(ModelBackend):
    """The model backend, loading the signed-in user of a session together with their team
    roles: one query instead of two on every page (benchmark P2). The roles are what every
    permission check and scoped query of the request reads (``accounts.permissions``)."""

    def get_user(self, user_id: Any) -> User | None:
        pairs = StringAgg(
            Concat(Cast("memberships__team_id", CharField()), Value(":"), "memberships__role"),
            delimiter=Value(","),
            filter=Q(memberships__isnull=False),
            default=Value(""),
        )
        user = User._default_manager.annotate(team_role_pairs=pairs).filter(pk=user_id).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        remember_roles(
            user,
            {
                int(team): role
                for team, role in (
                    pair.split(":", 1) for pair in user.team_role_pairs.split(",") if pair
                )
            },
        )
        return user
