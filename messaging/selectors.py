"""Reads of the library, scoped to what the user may see (TLP markings)."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Count, Q, QuerySet

from messaging.models import EvidenceItem, Message

# "simple": no stemming, so claims in Russian, Romanian or Kazakh match as typed.
_VECTOR = (
    SearchVector("claim", weight="A", config="simple")
    + SearchVector("publisher", weight="B", config="simple")
    + SearchVector("excerpt", weight="C", config="simple")
)


def evidence_search(
    *,
    user: Any,
    text: str = "",
    status: str = "",
    reliability: str = "",
    credibility: int | None = None,
) -> QuerySet[EvidenceItem]:
    """The evidence the user may see, filtered and searched: PostgreSQL full-text search ranked
    by relevance; on SQLite (the embedded default) a plain substring match."""
    items = (
        EvidenceItem.objects.visible_to(user)
        .select_related("owner_team", "status_changed_by")
        .annotate(citing=Count("citations", distinct=True))
    )
    if status:
        items = items.filter(status=status)
    if reliability:
        items = items.filter(source_reliability=reliability)
    if credibility:
        items = items.filter(information_credibility=credibility)
    text = text.strip()
    if not text:
        return items.order_by("-created_at", "pk")
    if connection.vendor == "postgresql":
        query = SearchQuery(text, search_type="websearch", config="simple")
        return (
            items.annotate(document=_VECTOR, rank=SearchRank(_VECTOR, query))
            .filter(document=query)
            .order_by("-rank", "-created_at", "pk")
        )
    return items.filter(
        Q(claim__icontains=text) | Q(publisher__icontains=text) | Q(excerpt__icontains=text)
    ).order_by("-created_at", "pk")


def messages_citing(*, evidence: EvidenceItem, user: Any) -> QuerySet[Message]:
    """The messages the user may see that cite this evidence, with the sentence each backs."""
    return (
        Message.objects.visible_to(user)
        .filter(citations__evidence=evidence)
        .select_related("theme", "audience")
        .distinct()
    )
