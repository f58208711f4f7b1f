"""Report subscriptions API: a person's standing orders for report e-mails on a team or a
campaign, and the latest report of one as HTML or PDF."""

from __future__ import annotations

from typing import Any

import django_filters
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.http import AuthenticatedRequest
from campaigns import selectors, services
from campaigns.api.serializers import (
    SubscriptionCreateInput,
    SubscriptionOutput,
    SubscriptionUpdateInput,
)
from campaigns.models import ReportSubscription
from campaigns.reports.rendering import report_render_html, report_render_pdf
from config.api.filters import boolean_filter
from config.api.renderers import HTMLDocumentRenderer, PDFRenderer
from config.api.serializers import render, validated
from config.api.viewsets import ReadViewSet


class SubscriptionFilter(django_filters.FilterSet):
    campaign = django_filters.UUIDFilter(field_name="campaign__uuid")
    team = django_filters.UUIDFilter(field_name="team__uuid")
    is_active = boolean_filter()

    class Meta:
        model = ReportSubscription
        fields = ["cadence"]


@extend_schema(tags=["reports"])
class SubscriptionViewSet(ReadViewSet):
    """Your standing orders for report e-mails on a team or a campaign."""

    serializer_class = SubscriptionOutput
    filterset_class = SubscriptionFilter
    search_fields: list[str] = []
    ordering_fields = ["created_at"]
    ordering = ("-created_at",)

    def get_queryset(self):
        return selectors.report_subscription_list(user=self.request.user)

    def _render(self, subscription: ReportSubscription, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=subscription.pk)
        return Response(render(SubscriptionOutput, fresh, self.request), status=code)

    @extend_schema(
        operation_id="report_subscriptions_latest_html",
        responses={(200, "text/html"): OpenApiResponse(OpenApiTypes.STR)},
        description="The report of the latest complete period, as the e-mail shows it.",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="latest-html",
        renderer_classes=[HTMLDocumentRenderer],
        pagination_class=None,
        filter_backends=[],
    )
    def latest_html(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        report = selectors.report_latest(subscription=self.get_object(), now=timezone.now())
        return Response(report_render_html(report), content_type="text/html; charset=utf-8")

    @extend_schema(
        operation_id="report_subscriptions_latest_pdf",
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)},
        description="The report of the latest complete period as a PDF.",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="latest-pdf",
        renderer_classes=[PDFRenderer],
        pagination_class=None,
        filter_backends=[],
    )
    def latest_pdf(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        subscription = self.get_object()
        report = selectors.report_latest(subscription=subscription, now=timezone.now())
        response = Response(report_render_pdf(report), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="report-{subscription.uuid}.pdf"'
        return response

    @extend_schema(request=SubscriptionCreateInput, responses={201: SubscriptionOutput})
    def create(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        data = validated(SubscriptionCreateInput, request)
        subscription = services.report_subscription_create(actor=request.user, **data)
        return self._render(subscription, status.HTTP_201_CREATED)

    @extend_schema(request=SubscriptionUpdateInput, responses=SubscriptionOutput)
    def partial_update(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        subscription = self.get_object()
        data = validated(SubscriptionUpdateInput, request)
        subscription = services.report_subscription_update(
            subscription=subscription, actor=request.user, **data
        )
        return self._render(subscription)
