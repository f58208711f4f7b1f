"""Reads of the messaging app, scoped by TLP 2.0 to the user asking."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from messaging.models import Citation, EvidenceItem, Message, Theme


def theme_list(*, user: Any) -> QuerySet[Theme]:
    """Themes the user may see."""
    return Theme.objects.visible_to(user).select_related("owner_team")


def evidence_list(*, user: Any) -> QuerySet[EvidenceItem]:
    """Evidence the user may see, with who last changed its verification."""
    return EvidenceItem.objects.visible_to(user).select_related("owner_team", "status_changed_by")


def visible_citations(*, user: Any) -> QuerySet[Citation]:
    """Citations of evidence the user may see: a message visible to a team must not reveal
    the claim of a more restricted item it cites."""
    return Citation.objects.filter(
        evidence__in=EvidenceItem.objects.visible_to(user).values("pk")
    ).select_related("evidence", "evidence__status_changed_by")


def message_list(*, user: Any) -> QuerySet[Message]:
    """Messages the user may see, with their theme, audience and the citations the user may
    see (the rest only counted); a fixed number of queries, whatever the count."""
    return (
        Message.objects.visible_to(user)
        .select_related("owner_team", "theme", "audience")
        .annotate(citation_total=Count("citations", distinct=True))
        .prefetch_related(Prefetch("citations", queryset=visible_citations(user=user)))
    )
