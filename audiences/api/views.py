"""Audiences API: the shared audiences (read-only) and the caller's teams' channels."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from accounts.http import AuthenticatedRequest
from audiences import selectors, services
from audiences.api.serializers import (
    AudienceOutput,
    ChannelCreateInput,
    ChannelOutput,
    ChannelUpdateInput,
)
from audiences.models import Audience, Channel
from config.api.filters import boolean_filter, json_list_contains
from config.api.serializers import render, validated
from config.api.viewsets import ReadViewSet


class AudienceFilter(django_filters.FilterSet):
    country = django_filters.CharFilter(
        field_name="countries__code", help_text="ISO 3166-1 alpha-2 code, e.g. MD."
    )
    language = django_filters.CharFilter(method="filter_language", help_text="BCP 47 tag, e.g. ru.")

    class Meta:
        model = Audience
        fields: list[str] = []

    def filter_language(self, queryset: Any, name: str, value: str) -> Any:
        return json_list_contains(queryset, "languages", value)


@extend_schema(tags=["audiences"])
class AudienceViewSet(ReadViewSet):
    """Audiences are shared reference data: every signed-in partner reads them."""

    serializer_class = AudienceOutput
    filterset_class = AudienceFilter
    search_fields = ["name", "description"]
    ordering_fields = ["name"]
    ordering = ("name",)

    def get_queryset(self):
        return selectors.audience_list()


class ChannelFilter(django_filters.FilterSet):
    is_active = boolean_filter()

    class Meta:
        model = Channel
        fields = ["kind"]


@extend_schema(tags=["channels"])
class ChannelViewSet(ReadViewSet):
    """Your teams' channels: e-mail lists, partner webhooks, manual work. Leads manage them."""

    serializer_class = ChannelOutput
    filterset_class = ChannelFilter
    search_fields = ["name"]
    ordering_fields = ["name"]
    ordering = ("name",)

    def get_queryset(self):
        return selectors.channel_list(user=self.request.user)

    @extend_schema(request=ChannelCreateInput, responses={201: ChannelOutput})
    def create(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        data = validated(ChannelCreateInput, request)
        channel = services.channel_create(actor=request.user, **data)
        return Response(render(ChannelOutput, channel, request), status=status.HTTP_201_CREATED)

    @extend_schema(request=ChannelUpdateInput, responses=ChannelOutput)
    def partial_update(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        channel = self.get_object()
        data = validated(ChannelUpdateInput, request)
        channel = services.channel_update(channel=channel, actor=request.user, **data)
        return Response(render(ChannelOutput, channel, request))
