from __future__ import annotations

from rest_framework.routers import SimpleRouter

from messaging.api import views

router = SimpleRouter()
router.register("themes", views.ThemeViewSet, basename="api-theme")
router.register("evidence", views.EvidenceViewSet, basename="api-evidence")
router.register("messages", views.MessageViewSet, basename="api-message")

urlpatterns = router.urls
