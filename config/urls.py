"""Mounts every app: the admin, each app's UI under ``/`` and its API under ``/api/v1/``."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "Candor administration"
admin.site.site_title = "Candor"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]
