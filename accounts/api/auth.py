"""API authentication: knox tokens, checked in one query."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox import auth as knox_auth

from accounts.models import ApiToken


class TokenAuthentication(knox_auth.TokenAuthentication):
    """knox's token authentication without its per-request sweep.

    knox reads every token of the caller on every request to delete the expired ones (one more
    query per API call). Here the presented token alone is checked: expired, it is deleted and
    refused, as knox does. The others are swept when the user is issued a new token
    (``accounts.services.token_create``), and listings never show expired tokens anyway.
    """

    def _cleanup_token(self, auth_token: ApiToken) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False


class TokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme of knox tokens, for this subclass (drf-spectacular matches
    authentication classes exactly)."""

    target_class = "accounts.api.auth.TokenAuthentication"
