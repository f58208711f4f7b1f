from __future__ import annotations

from rest_framework.routers import SimpleRouter

from audiences.api import views

router = SimpleRouter()
router.register("audiences", views.AudienceViewSet, basename="api-audience")
router.register("channels", views.ChannelViewSet, basename="api-channel")

urlpatterns = router.urls
