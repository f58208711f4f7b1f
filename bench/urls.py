"""The site's URLs plus the raw baseline views the benchmarks compare against."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from knox.auth import TokenAuthentication

from campaigns.models import OutreachActivity


def raw_activities(request: HttpRequest) -> JsonResponse:
    """The floor: the same 50 team-scoped rows and the same authentication, serialized by
    ``QuerySet.values`` with no framework in between."""
    user, _ = TokenAuthentication().authenticate(request)
    rows = (
        OutreachActivity.objects.visible_to(user)
        .order_by("scheduled_at", "pk")
        .values(
            "uuid",
            "title",
            "status",
            "version",
            "scheduled_at",
            "audience__uuid",
            "audience__name",
            "audience__timezone",
            "message__uuid",
            "message__headline",
            "message__language",
            "channel__uuid",
            "channel__name",
            "campaign__uuid",
            "campaign__name",
        )[:50]
    )
    return JsonResponse({"results": list(rows)})


urlpatterns = [
    path("bench/raw/activities/", raw_activities),
    path("", include("config.urls")),
]
