"""The base of every resource's view set."""

from __future__ import annotations

from rest_framework import mixins, viewsets

from accounts.http import AuthenticatedRequest


class ReadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A resource looked up by its public ``uuid`` as ``{id}``. Any path segment reaches the
    view, so a malformed id is the view's 404 problem, never the URL resolver's HTML page.

    Lists and details are DRF's own: each view's ``get_queryset`` selects, joins
    (``select_related``), prefetches and annotates what its output serializer shows, so a page
    costs the same queries for one row or two hundred."""

    # Every resource requires a signed-in caller (DRF's default ``IsAuthenticated``), checked
    # before any handler or ``get_queryset`` runs.
    request: AuthenticatedRequest
    lookup_field = "uuid"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[^/]+"
