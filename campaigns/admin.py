from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from accounts.admin import (
    ReadOnlyAdmin,
    ReadOnlyInline,
    ServiceAdminMixin,
    TeamScopedAdminMixin,
    staff_user,
)
from accounts.models import User
from campaigns import services
from campaigns.models import (
    ActivityEvent,
    ApprovalDecision,
    ApprovalPolicy,
    ApprovalStep,
    Campaign,
    Dispatch,
    Heartbeat,
    Outcome,
    OutreachActivity,
    PendingNotification,
    ReportRun,
    ReportSubscription,
    SavedFilter,
)


class ActivityScopedAdmin(TeamScopedAdminMixin, ReadOnlyAdmin):
    """Read-only tables about activities, scoped to the activities the user may see."""

    activity_path = "activity"  # the lookup from a row to its activity

    def scope(self, queryset: QuerySet, user: User) -> QuerySet:
        visible = OutreachActivity.objects.visible_to(user)
        return queryset.filter(**{f"{self.activity_path}__in": visible})


@admin.register(Campaign)
class CampaignAdmin(TeamScopedAdminMixin, ReadOnlyAdmin):
    """Read-only: ``campaign_create`` gives a campaign its approval policy and
    ``campaign_update`` / ``campaign_set_status`` check who may change it (use the UI or API)."""

    list_display = ("name", "owner_team", "attributed_to", "status", "starts_on", "ends_on")
    list_filter = ("status", "owner_team")
    search_fields = ("name", "objective", "attributed_to")


@admin.register(ApprovalStep)
class ApprovalStepAdmin(TeamScopedAdminMixin, ReadOnlyAdmin):
    """Read-only: the steps decide who signs off, and no change to them would be audited."""

    def scope(self, queryset: QuerySet, user: User) -> QuerySet:
        return queryset.filter(policy__campaign__in=Campaign.objects.visible_to(user))

    list_display = ("policy", "order", "name", "kind", "required_role")
    list_select_related = ("policy__campaign",)


class ApprovalStepInline(ReadOnlyInline):
    model = ApprovalStep


@admin.register(ApprovalPolicy)
class ApprovalPolicyAdmin(TeamScopedAdminMixin, ReadOnlyAdmin):
    def scope(self, queryset: QuerySet, user: User) -> QuerySet:
        return queryset.filter(campaign__in=Campaign.objects.visible_to(user))

    list_display = ("campaign",)
    inlines = [ApprovalStepInline]


class EventInline(admin.TabularInline):
    model = ActivityEvent
    extra = 0
    can_delete = False
    fields = ("at", "kind", "actor", "from_status", "to_status", "comment", "changes")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OutreachActivity)
class OutreachActivityAdmin(TeamScopedAdminMixin, ServiceAdminMixin, admin.ModelAdmin):
    """Edits and transitions go through the campaigns services, so the lifecycle rules hold
    here exactly as in the API and the UI."""

    list_display = ("title", "campaign", "audience", "channel", "scheduled_at", "status")
    list_filter = ("status", "campaign", "audience")
    search_fields = ("title",)
    list_select_related = ("campaign", "audience", "channel")
    fields = (
        "campaign",
        "title",
        "audience",
        "segment",
        "message",
        "channel",
        "scheduled_at",
        "status",
        "version",
        "current_step",
        "owner",
        "submitted_by",
        "approved_content_hash",
        "approved_at",
    )
    readonly_fields = (
        "status",
        "version",
        "current_step",
        "owner",
        "submitted_by",
        "approved_content_hash",
        "approved_at",
    )
    inlines = [EventInline]
    actions = ["submit", "approve", "cancel"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return (*self.readonly_fields, "campaign") if obj else self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an activity is cancelled (audited), never deleted

    def save_model(
        self, request: HttpRequest, obj: OutreachActivity, form: ModelForm, change: bool
    ) -> None:
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        if change:
            current = OutreachActivity.objects.get(pk=obj.pk)
            updated = services.activity_update(activity=current, actor=staff_user(request), **data)
        else:
            updated = services.activity_create(
                actor=staff_user(request),
                campaign=form.cleaned_data["campaign"],
                title=form.cleaned_data["title"],
                audience=form.cleaned_data["audience"],
                segment=form.cleaned_data.get("segment"),
                message=form.cleaned_data["message"],
                channel=form.cleaned_data["channel"],
                scheduled_at=form.cleaned_data["scheduled_at"],
            )
        obj.pk = updated.pk
        obj.version = updated.version

    @admin.action(description="Submit for review")
    def submit(self, request: HttpRequest, queryset: QuerySet[OutreachActivity]) -> None:
        self.run_service(
            request,
            queryset,
            "submitted",
            lambda a: services.activity_submit(activity=a, actor=staff_user(request)),
        )

    @admin.action(description="Approve the current step")
    def approve(self, request: HttpRequest, queryset: QuerySet[OutreachActivity]) -> None:
        self.run_service(
            request,
            queryset,
            "approved",
            lambda a: services.activity_approve(activity=a, actor=staff_user(request)),
        )

    @admin.action(description="Cancel")
    def cancel(self, request: HttpRequest, queryset: QuerySet[OutreachActivity]) -> None:
        self.run_service(
            request,
            queryset,
            "cancelled",
            lambda a: services.activity_cancel(
                activity=a, actor=staff_user(request), reason="Cancelled in the admin."
            ),
        )


@admin.register(ActivityEvent)
class ActivityEventAdmin(ActivityScopedAdmin):
    list_display = ("at", "activity", "kind", "actor", "from_status", "to_status")
    list_filter = ("kind",)
    list_select_related = ("activity", "actor")


@admin.register(PendingNotification)
class PendingNotificationAdmin(ActivityScopedAdmin):
    """The outbox, to see what waits for the notify tick (a mail server down, say)."""

    activity_path = "event__activity"
    list_display = ("created_at", "event", "step")
    list_select_related = ("event__activity", "step")


@admin.register(ApprovalDecision)
class ApprovalDecisionAdmin(ActivityScopedAdmin):
    list_display = ("at", "activity", "step", "review_round", "user", "verdict")
    list_select_related = ("activity", "step", "user")


@admin.register(Dispatch)
class DispatchAdmin(ActivityScopedAdmin):
    list_display = ("activity", "attempt", "result", "started_at", "finished_at")
    list_filter = ("result",)


@admin.register(Outcome)
class OutcomeAdmin(ActivityScopedAdmin):
    list_display = ("activity", "reach", "engagement", "recorded_by", "recorded_at")


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(TeamScopedAdminMixin, admin.ModelAdmin):
    def scope(self, queryset: QuerySet, user: User) -> QuerySet:
        return queryset.filter(owner=user)

    list_display = ("__str__", "owner", "cadence", "send_time", "timezone", "is_active")
    list_filter = ("cadence", "is_active")
    filter_horizontal = ("recipients",)


@admin.register(ReportRun)
class ReportRunAdmin(TeamScopedAdminMixin, ReadOnlyAdmin):
    def scope(self, queryset: QuerySet, user: User) -> QuerySet:
        return queryset.filter(subscription__owner=user)

    list_display = ("subscription", "period_start", "period_end", "sent_at", "late")


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnlyAdmin):
    """When the scheduler and a worker last beat (written by those processes; see /health/)."""

    list_display = ("name", "at")


@admin.register(SavedFilter)
class SavedFilterAdmin(TeamScopedAdminMixin, ReadOnlyAdmin):
    def scope(self, queryset: QuerySet, user: Any) -> QuerySet:
        return queryset.filter(owner=user)

    list_display = ("name", "owner", "query", "created_at")
    list_select_related = ("owner",)
    search_fields = ("name", "owner__username")
