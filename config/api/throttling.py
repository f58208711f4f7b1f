"""Request rates: per API token, and login attempts per address.

Named in ``DEFAULT_THROTTLE_CLASSES``, so this module must not import DRF's views (DRF imports it
while it defines ``APIView``). The lockout per username and address is django-axes'
(``accounts.api.lockout``); DRF's throttling is not a security measure.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class _DynamicRateThrottle(SimpleRateThrottle):
    """Reads its rate from the settings at request time (DRF binds them at import)."""

    def get_rate(self) -> str | None:
        # The stubs type the rates as numbers (they are strings such as "100/minute") and the
        # scope as optional (every subclass here names one).
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)  # type: ignore[return-value, arg-type]


class TokenRateThrottle(_DynamicRateThrottle):
    """Requests per API token; a caller without one is counted by address."""

    scope = "token"

    def get_cache_key(self, request: Request, view: Any) -> str:
        token = getattr(request.auth, "uuid", None)
        ident = f"token-{token}" if token else f"addr-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class LoginRateThrottle(_DynamicRateThrottle):
    """Login attempts per address (the lockout per username and address is django-axes')."""

    scope = "login"

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
