from __future__ import annotations

from django.urls import path

from campaigns import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("health/", views.health, name="health"),
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/<uuid:uuid>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<uuid:uuid>/calendar/", views.campaign_calendar, name="campaign_calendar"),
    path("campaigns/<uuid:uuid>/activities/new/", views.activity_create, name="activity_create"),
    path("coverage/", views.coverage, name="coverage"),
    path("reports/", views.report_list, name="report_list"),
    path(
        "reports/<uuid:uuid>/latest.<str:fmt>",
        views.report_download,
        name="report_download",
    ),
    path("activities/", views.activity_list, name="activity_list"),
    path("activities/export.csv", views.activity_export, name="activity_export"),
    path(
        "activities/saved/<uuid:uuid>/delete/",
        views.saved_filter_delete,
        name="saved_filter_delete",
    ),
    path("approvals/", views.approval_queue, name="approval_queue"),
    path("activities/<uuid:uuid>/", views.activity_detail, name="activity_detail"),
    path("activities/<uuid:uuid>/edit/", views.activity_edit, name="activity_edit"),
    path("activities/<uuid:uuid>/<slug:action>/", views.activity_action, name="activity_action"),
    path(
        "evidence/<uuid:uuid>/<slug:verb>/confirm/",
        views.evidence_withdraw,
        name="evidence_withdraw",
    ),
]
