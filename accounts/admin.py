from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from accounts.errors import DomainError
from accounts.models import ApiToken, Membership, Team, User
from accounts.permissions import team_ids


def staff_user(request: HttpRequest) -> User:
    """``request.user`` in a ``ModelAdmin`` method: the admin site lets only active staff in
    (``AdminSite.has_permission``), and a method that overrides Django's keeps its
    ``HttpRequest`` parameter, so the type says what the site guarantees."""
    return cast(User, request.user)


class ReadOnlyAdmin(admin.ModelAdmin):
    """For audit and event tables: visible, never changed or deleted from the admin."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """An inline shown on its parent's page and never changed there: its rows are governed
    by the services (DESIGN.md §8, the admin is not an authoring path)."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ServiceAdminMixin:
    """Admin pages whose writes go through services: a domain refusal becomes an error message
    on the page (the transaction rolls back), never a server error."""

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().changeform_view(request, *args, **kwargs)  # type: ignore[misc]
        except DomainError as error:
            self.message_user(request, str(error), messages.ERROR)  # type: ignore[attr-defined]
            return HttpResponseRedirect(request.get_full_path())

    def run_service(self, request: HttpRequest, queryset: QuerySet, verb: str, call: Any) -> None:
        done = 0
        for obj in queryset:
            try:
                call(obj)
                done += 1
            except DomainError as error:
                self.message_user(request, f"{obj}: {error}", messages.ERROR)  # type: ignore[attr-defined]
        if done:
            self.message_user(request, f"{done} {verb}.", messages.SUCCESS)  # type: ignore[attr-defined]


class TeamScopedAdminMixin:
    """Staff users see in the admin only what their teams may see (superusers see all)."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        if request.user.is_superuser:
            return queryset
        return self.scope(queryset, staff_user(request))

    def scope(self, queryset: QuerySet, user: User) -> QuerySet:
        # Every model left on this default has a QuerySet with ``visible_to`` (the others
        # override ``scope``); a mixin cannot name that queryset type.
        return queryset.visible_to(user)  # type: ignore[attr-defined]


class MembershipInline(ReadOnlyInline):
    # Roles decide who may approve what; no service changes them yet, so the admin only shows.
    model = Membership


@admin.register(User)
class CandorUserAdmin(TeamScopedAdminMixin, UserAdmin):
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Candor", {"fields": ("timezone",)}))
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "is_active")

    def scope(self, queryset: QuerySet, user: User) -> QuerySet:
        return queryset.filter(memberships__team__in=team_ids(user)).distinct()


@admin.register(Team)
class TeamAdmin(TeamScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "kind", "slug")
    list_filter = ("kind",)
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]

    def scope(self, queryset: QuerySet, user: User) -> QuerySet:
        return queryset.filter(pk__in=team_ids(user))


@admin.register(Membership)
class MembershipAdmin(TeamScopedAdminMixin, ReadOnlyAdmin):
    """Read-only: a role decides who may approve what (four eyes), so it is not edited here."""

    list_display = ("user", "team", "role")
    list_filter = ("role", "team")
    search_fields = ("user__username", "team__name")
    list_select_related = ("user", "team")

    def scope(self, queryset: QuerySet, user: User) -> QuerySet:
        return queryset.filter(team__in=team_ids(user))


@admin.register(ApiToken)
class ApiTokenAdmin(TeamScopedAdminMixin, admin.ModelAdmin):
    """API tokens: only their digests are stored, so the admin can list and revoke (delete)
    them, never show or create one. Staff see their own tokens; superusers see all."""

    list_display = ("user", "name", "token_key", "created", "expiry")
    list_select_related = ("user",)
    search_fields = ("user__username", "name")
    readonly_fields = ("user", "name", "token_key", "created", "expiry", "uuid")
    exclude = ("digest",)

    def scope(self, queryset: QuerySet, user: User) -> QuerySet:
        return queryset.filter(user=user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
