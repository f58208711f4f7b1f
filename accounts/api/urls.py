from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts.api import views

router = SimpleRouter()
router.register("auth/tokens", views.TokenViewSet, basename="api-token")
router.register("teams", views.TeamViewSet, basename="api-team")

urlpatterns = [
    path("auth/token/", views.LoginView.as_view(), name="api-login"),
    path("me/", views.MeView.as_view(), name="api-me"),
    *router.urls,
]
