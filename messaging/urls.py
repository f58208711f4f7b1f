from __future__ import annotations

from django.urls import path

from messaging import views

urlpatterns = [
    path("evidence/", views.evidence_list, name="evidence_list"),
    path("evidence/import/", views.evidence_import, name="evidence_import"),
    path("messages/citations/", views.message_citations, name="message_citations"),
    path("messages/<uuid:uuid>/cite/", views.message_cite, name="message_cite"),
    path("evidence/<uuid:uuid>/", views.evidence_detail, name="evidence_detail"),
    path("evidence/<uuid:uuid>/verify/", views.evidence_verify, name="evidence_verify"),
]
