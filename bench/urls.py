"""The site's URLs plus the raw baseline views the benchmarks compare against."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from accounts.api.auth import TokenAuthentication
from accounts.db import joins_as_written
from campaigns.models import OutreachActivity
from campaigns.selectors import with_evidence_summary


def raw_activities(request: HttpRequest) -> JsonResponse:
    """The floor: the same 50 team-scoped rows with the same content as the API's page (every
    column the activity output shows, the evidence counts included) and the same
    authentication, serialized by ``QuerySet.values`` with no framework in between."""
    user, _ = TokenAuthentication().authenticate(request)
    activities = with_evidence_summary(OutreachActivity.objects.visible_to(user))
    rows = activities.order_by("scheduled_at", "pk").values(*RAW_COLUMNS)[:50]
    with joins_as_written():  # the same plan as ours: this measures everything but the SQL
        return JsonResponse({"results": list(rows)})


def _ref(relation: str, *fields: str) -> list[str]:
    return [f"{relation}__{field}" for field in fields]


_USER = ("uuid", "username", "first_name", "last_name")
RAW_COLUMNS = [
    *("uuid", "title", "status", "version", "scheduled_at", "review_round"),
    *("submitted_at", "approved_at", "approved_content_hash", "created_at", "updated_at"),
    *("evidence_cited", "evidence_verified", "evidence_withdrawn"),
    *_ref("campaign", "uuid", "name"),
    *_ref("audience", "uuid", "name", "timezone"),
    *_ref("segment", "uuid", "name"),
    *_ref("message", "uuid", "headline", "language"),
    *_ref("channel", "uuid", "name", "kind"),
    *_ref("owner", *_USER),
    *_ref("current_step", "name", "kind", "required_role"),
    *_ref("submitted_by", *_USER),
    *_ref("outcome", "reach", "engagement", "pickups", "notes", "recorded_at"),
    *_ref("outcome__recorded_by", *_USER),
]


urlpatterns = [
    path("bench/raw/activities/", raw_activities),
    path("", include("config.urls")),
]
