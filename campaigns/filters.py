"""The staff UI's activity filters: one GET form, so a filtered list is a bookmarkable URL and
its CSV export carries the same query string."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import Membership, User
from audiences.models import Audience, Channel
from campaigns import selectors
from campaigns.models import ActivityStatus, Campaign, OutreachActivity

# ?sort= value → the ordering; the primary key last, so pages never overlap or skip a row.
SORTS: dict[str, tuple[str, ...]] = {
    "scheduled": ("scheduled_at", "pk"),
    "-scheduled": ("-scheduled_at", "-pk"),
    "status": ("status", "scheduled_at", "pk"),
    "-status": ("-status", "scheduled_at", "pk"),
    "title": ("title", "pk"),
    "-title": ("-title", "-pk"),
    "updated": ("updated_at", "pk"),
    "-updated": ("-updated_at", "-pk"),
}
SORT_LABELS = {
    "scheduled": "Scheduled, soonest first",
    "-scheduled": "Scheduled, latest first",
    "status": "Status",
    "-status": "Status, reversed",
    "title": "Title, A–Z",
    "-title": "Title, Z–A",
    "updated": "Least recently changed",
    "-updated": "Most recently changed",
}


def _campaigns(request: Any) -> QuerySet[Campaign]:
    # Of each option only what the form shows and submits (no objective, no password hash).
    return Campaign.objects.visible_to(request.user).only("uuid", "name").order_by("name")


def _in_visible_campaigns(request: Any, field: str) -> Exists:
    """Whether an activity of a campaign the user may see uses this row (a semi-join per row
    of the short list, never a scan of the activities)."""
    return Exists(
        OutreachActivity.objects.filter(
            **{field: OuterRef("pk")}, campaign__in=Campaign.objects.visible_to(request.user)
        )
    )


def _channels(request: Any) -> QuerySet[Channel]:
    channels = Channel.objects.filter(_in_visible_campaigns(request, "channel"))
    return channels.only("uuid", "name", "kind").order_by("name")


def _owners(request: Any) -> QuerySet[User]:
    # The people of the teams running the campaigns the user may see: whoever drafts an
    # activity is one of them. Asking which users own a visible activity read every activity
    # (57 ms at 105,000 rows, against 2 ms); someone who has left every such team is not
    # offered, and their activities are still found by the other filters.
    campaigns = Campaign.objects.visible_to(request.user)
    teams = Q(team__in=campaigns.values("owner_team")) | Q(
        team__in=campaigns.values("collaborating_teams")
    )
    owners = User.objects.filter(pk__in=Membership.objects.filter(teams).values("user_id"))
    return owners.only("uuid", "username").order_by("username")


def _utc_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


class ActivityFilterForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("scheduled_from"), data.get("scheduled_to")
        if start and end and end < start:
            self.add_error("scheduled_to", "The end is before the start.")
        return data


class ActivityListFilter(django_filters.FilterSet):
    """Filters of ``/activities/``: every value is checked by its form field, so a malformed
    one is an error shown next to that field, never a server error."""

    q = django_filters.CharFilter(method="filter_q", label="Title contains")
    status = django_filters.MultipleChoiceFilter(
        choices=ActivityStatus.choices, widget=forms.CheckboxSelectMultiple
    )
    campaign = django_filters.ModelChoiceFilter(
        queryset=_campaigns, to_field_name="uuid", empty_label="Any campaign"
    )
    audience = django_filters.ModelChoiceFilter(
        queryset=Audience.objects.order_by("name"), to_field_name="uuid", empty_label="Any audience"
    )
    channel = django_filters.ModelChoiceFilter(
        queryset=_channels, to_field_name="uuid", empty_label="Any channel"
    )
    owner = django_filters.ModelChoiceFilter(
        queryset=_owners, to_field_name="uuid", empty_label="Anyone"
    )
    scheduled_from = django_filters.DateFilter(
        method="filter_from",
        label="Scheduled from (UTC date)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    scheduled_to = django_filters.DateFilter(
        method="filter_to",
        label="Scheduled to (UTC date, inclusive)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    sort = django_filters.ChoiceFilter(
        choices=list(SORT_LABELS.items()),
        method="filter_sort",
        empty_label="Scheduled, soonest first",
        label="Sort by",
    )

    class Meta:
        model = OutreachActivity
        fields: list[str] = []
        form = ActivityFilterForm

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(title__icontains=value.strip()) if value.strip() else queryset

    def filter_from(self, queryset: QuerySet, name: str, value: dt.date) -> QuerySet:
        return queryset.filter(scheduled_at__gte=_utc_midnight(value))

    def filter_to(self, queryset: QuerySet, name: str, value: dt.date) -> QuerySet:
        if value == dt.date.max:  # no day after it: no upper bound
            return queryset
        return queryset.filter(scheduled_at__lt=_utc_midnight(value + dt.timedelta(days=1)))

    def filter_sort(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.order_by(*SORTS[value])


def activities_filtered(request: Any) -> tuple[ActivityListFilter, QuerySet | None]:
    """The filter form bound to the request's query and the user's activities it selects
    (soonest first unless sorted), or ``None`` when a value is malformed: the form then says
    which, next to the field."""
    activities = selectors.activity_list(user=request.user).order_by(*SORTS["scheduled"])
    filterset = ActivityListFilter(request.GET, queryset=activities, request=request)
    if not filterset.is_valid():
        return filterset, None
    return filterset, filterset.qs
