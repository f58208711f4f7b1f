"""Mounts every app: the admin, each app's UI under ``/`` and its API under ``/api/v1/``."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.csp import csp_override
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

admin.site.site_header = "Candor administration"
admin.site.site_title = "Candor"

# Every app's API, versioned in the path (DRF's URLPathVersioning reads ``version``).
api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("audiences.api.urls")),
    path("", include("messaging.api.urls")),
    path("", include("campaigns.api.urls")),
]

# Redoc styles itself with injected <style> elements and searches in a blob: worker; the rest of
# the site keeps the strict policy (no inline script or style).
_REDOC_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'", "data:"],
    "worker-src": ["'self'", "blob:"],
    "frame-ancestors": ["'none'"],
}

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    re_path(r"^api/(?P<version>v1)/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path(
        "api/redoc/",
        csp_override(_REDOC_CSP)(SpectacularRedocView.as_view(url_name="api-schema")),
        name="api-redoc",
    ),
    path("", include("campaigns.urls")),
    path("", include("messaging.urls")),
]

handler404 = "config.api.problems.not_found"
handler500 = "config.api.problems.server_error"
