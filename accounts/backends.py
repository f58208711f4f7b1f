"""Authentication backends: django-axes in front of the model backend."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


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
