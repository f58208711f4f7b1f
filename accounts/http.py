"""Request types for code that runs only once someone has signed in (django-stubs' pattern:
"How do I annotate cases where request.user is guaranteed to be authenticated?").

Types only: Django and DRF build the requests; these tell the type checker what our
authentication guarantees, so a view passes ``request.user`` to a service typed for a ``User``.
"""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails
from rest_framework.request import Request

from accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request to a ``@login_required`` view: anonymous visitors were sent to sign in."""

    user: User


class AuthenticatedHtmxRequest(AuthenticatedHttpRequest):
    """The same, with django-htmx's ``request.htmx`` (set by ``HtmxMiddleware``; django-htmx
    documents declaring it this way, as its own stubs do not add it to ``HttpRequest``)."""

    htmx: HtmxDetails


class AuthenticatedRequest(Request):
    """An API request past DRF's ``IsAuthenticated`` (the default permission of every API view
    but sign-in): the token named a user."""

    user: User
