"""Reads of the messaging app, scoped by TLP 2.0 to the user asking."""

from __future__ import annotations

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import User
from messaging.models import Citation, EvidenceItem, Message, Theme

# "simple": no stemming, so claims in Russian, Romanian or Kazakh match as typed.
_VECTOR = (
    SearchVector("claim", weight="A", config="simple")
    + SearchVector("publisher", weight="B", config="simple")
    + SearchVector("excerpt", weight="C", config="simple")
)


def evidence_search(
    *,
    user: User,
    text: str = "",
    status: str = "",
    reliability: str = "",
    credibility: int | None = None,
) -> QuerySet[EvidenceItem]:
    """The evidence the user may see, filtered and searched: PostgreSQL full-text search ranked
    by relevance; on SQLite (the embedded default) a plain substring match."""
    items = evidence_list(user=user).annotate(citing=Count("citations", distinct=True))
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


def messages_citing(*, evidence: EvidenceItem, user: User) -> QuerySet[Message]:
    """The messages the user may see that cite this evidence, with the sentence each backs."""
    return (
        Message.objects.visible_to(user)
        .filter(citations__evidence=evidence)
        .select_related("theme", "audience")
        .distinct()
    )


def theme_list(*, user: User) -> QuerySet[Theme]:
    """Themes the user may see."""
    return Theme.objects.visible_to(user).select_related("owner_team")


def evidence_list(*, user: User) -> QuerySet[EvidenceItem]:
    """Evidence the user may see, with who last changed its verification."""
    return EvidenceItem.objects.visible_to(user).select_related("owner_team", "status_changed_by")


def visible_citations(*, user: User) -> QuerySet[Citation]:
    """Citations of evidence the user may see: a message visible to a team must not reveal
    the claim of a more restricted item it cites."""
    return Citation.objects.filter(
        evidence__in=EvidenceItem.objects.visible_to(user).values("pk")
    ).select_related("evidence", "evidence__status_changed_by")


def message_list(*, user: User) -> QuerySet[Message]:
    """Messages the user may see, with their theme, audience and the citations the user may
    see (the rest only counted); a fixed number of queries, whatever the count."""
    return (
        Message.objects.visible_to(user)
        .select_related("owner_team", "theme", "audience")
        .annotate(citation_total=Count("citations", distinct=True))
        .prefetch_related(Prefetch("citations", queryset=visible_citations(user=user)))
    )
