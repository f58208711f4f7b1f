from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.admin import (
    ReadOnlyAdmin,
    ReadOnlyInline,
    ServiceAdminMixin,
    TeamScopedAdminMixin,
    staff_user,
)
from accounts.models import User
from messaging import services
from messaging.models import (
    Citation,
    EvidenceItem,
    EvidenceStatusChange,
    Message,
    MessageRevision,
    Theme,
)


@admin.register(Theme)
class ThemeAdmin(TeamScopedAdminMixin, admin.ModelAdmin):
    list_display = ("title", "owner_team", "marking")
    list_filter = ("marking", "owner_team")
    search_fields = ("title", "summary")
    filter_horizontal = ("shared_with",)


@admin.register(EvidenceItem)
class EvidenceItemAdmin(TeamScopedAdminMixin, ServiceAdminMixin, ReadOnlyAdmin):
    """Read-only but for the verify action, which calls the service: a change of a claim or
    a source would skip the recall of the activities relying on it."""

    list_display = ("claim", "publisher", "admiralty_code", "status", "owner_team", "marking")
    list_filter = ("status", "source_reliability", "information_credibility", "marking")
    search_fields = ("claim", "publisher", "source_url")
    # Dispute and retract need a reason: use the UI or the API. The admin shows who changed
    # the status, when and why.
    actions = ["verify"]

    @admin.action(description="Verify the selected evidence")
    def verify(self, request: HttpRequest, queryset: QuerySet[EvidenceItem]) -> None:
        self.run_service(
            request,
            queryset,
            "verified",
            lambda e: services.evidence_verify(evidence=e, actor=staff_user(request)),
        )


class CitationInline(ReadOnlyInline):
    model = Citation


@admin.register(Message)
class MessageAdmin(TeamScopedAdminMixin, ReadOnlyAdmin):
    """Read-only: an edit must bump the version, keep a revision and recall approved
    activities (``message_update``, ``citation_add``), which a model form would skip."""

    list_display = ("headline", "theme", "language", "audience", "version")
    list_filter = ("language", "theme")
    search_fields = ("headline", "body")
    inlines = [CitationInline]


@admin.register(MessageRevision)
class MessageRevisionAdmin(TeamScopedAdminMixin, ReadOnlyAdmin):
    def scope(self, queryset: QuerySet, user: User) -> QuerySet:
        return queryset.filter(message__in=Message.objects.visible_to(user))

    list_display = ("message", "version", "edited_by", "edited_at")
    list_select_related = ("message", "edited_by")


@admin.register(EvidenceStatusChange)
class EvidenceStatusChangeAdmin(TeamScopedAdminMixin, ReadOnlyAdmin):
    def scope(self, queryset: QuerySet, user: User) -> QuerySet:
        return queryset.filter(evidence__in=EvidenceItem.objects.visible_to(user))

    list_display = ("evidence", "from_status", "to_status", "actor", "at")
    list_select_related = ("evidence", "actor")


@admin.register(Citation)
class CitationAdmin(TeamScopedAdminMixin, ReadOnlyAdmin):
    def scope(self, queryset: QuerySet, user: User) -> QuerySet:
        return queryset.filter(message__in=Message.objects.visible_to(user))

    list_display = ("message", "evidence", "sentence")
    list_select_related = ("message", "evidence")
