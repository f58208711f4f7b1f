from __future__ import annotations

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin, TeamScopedAdminMixin
from audiences.models import Audience, BlackoutWindow, Channel, Country, Segment


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


class SegmentInline(admin.TabularInline):
    model = Segment
    extra = 0


class BlackoutInline(admin.TabularInline):
    model = BlackoutWindow
    extra = 0


@admin.register(Audience)
class AudienceAdmin(admin.ModelAdmin):
    list_display = ("name", "timezone", "languages")
    search_fields = ("name",)
    filter_horizontal = ("countries",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = [SegmentInline, BlackoutInline]


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ("name", "audience")
    list_filter = ("audience",)
    search_fields = ("name",)


@admin.register(Channel)
class ChannelAdmin(TeamScopedAdminMixin, ReadOnlyAdmin):
    """Read-only: a channel's destination must pass the outbound URL policy, which
    ``channel_create`` / ``channel_update`` check (use the API)."""

    list_display = ("name", "kind", "owner_team", "is_active")
    list_filter = ("kind", "owner_team", "is_active")
    search_fields = ("name",)
    list_select_related = ("owner_team",)


@admin.register(BlackoutWindow)
class BlackoutWindowAdmin(admin.ModelAdmin):
    list_display = ("audience", "starts_at", "ends_at", "reason")
    list_filter = ("audience",)
