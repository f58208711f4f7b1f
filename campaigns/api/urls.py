from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from campaigns.api import subscriptions, views

router = SimpleRouter()
router.register("campaigns", views.CampaignViewSet, basename="api-campaign")
router.register("activities", views.ActivityViewSet, basename="api-activity")
router.register(
    "report-subscriptions", subscriptions.SubscriptionViewSet, basename="api-subscription"
)

urlpatterns = [
    path(
        "messages/<str:id>/evidence-packet/",
        views.EvidencePacketViewSet.as_view({"get": "retrieve"}),
        name="api-evidence-packet",
    ),
    *router.urls,
]
