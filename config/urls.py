"""Mounts every app: the admin, each app's UI under ``/`` and its API under ``/api/v1/``."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Candor administration"
admin.site.site_title = "Candor"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("", include("campaigns.urls")),
    path("", include("messaging.urls")),
]
