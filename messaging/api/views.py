"""Messaging API: themes, evidence (with its verification workflow and CSV import), messages
with their citations. Everything is scoped by TLP 2.0 markings."""

from __future__ import annotations

import uuid
from typing import Any

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from accounts.http import AuthenticatedRequest
from accounts.models import Marking
from config.api.filters import json_list_contains
from config.api.serializers import render, validated
from config.api.viewsets import ReadViewSet
from messaging import selectors, services
from messaging.api.serializers import (
    CitationInput,
    EvidenceCreateInput,
    EvidenceImportInput,
    EvidenceImportOutput,
    EvidenceOutput,
    EvidenceUpdateInput,
    EvidenceVerifyInput,
    EvidenceWithdrawInput,
    MessageCreateInput,
    MessageOutput,
    MessageUpdateInput,
    ThemeCreateInput,
    ThemeOutput,
    ThemeUpdateInput,
)
from messaging.models import EvidenceItem, Message, Theme

# --- themes ----------------------------------------------------------------------------------


class ThemeFilter(django_filters.FilterSet):
    marking = django_filters.MultipleChoiceFilter(choices=Marking.choices)
    tag = django_filters.CharFilter(method="filter_tag", help_text="e.g. a DISARM id, C00030.")

    class Meta:
        model = Theme
        fields: list[str] = []

    def filter_tag(self, queryset: Any, name: str, value: str) -> Any:
        return json_list_contains(queryset, "tags", value)


@extend_schema(tags=["themes"])
class ThemeViewSet(ReadViewSet):
    """Message themes: what we want an audience to understand."""

    serializer_class = ThemeOutput
    filterset_class = ThemeFilter
    search_fields = ["title", "summary"]
    ordering_fields = ["title", "created_at", "updated_at"]
    ordering = ("title",)

    def get_queryset(self):
        return selectors.theme_list(user=self.request.user)

    @extend_schema(request=ThemeCreateInput, responses={201: ThemeOutput})
    def create(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        data = validated(ThemeCreateInput, request)
        theme = services.theme_create(actor=request.user, **data)
        return Response(render(ThemeOutput, theme, request), status=status.HTTP_201_CREATED)

    @extend_schema(request=ThemeUpdateInput, responses=ThemeOutput)
    def partial_update(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        theme = self.get_object()
        data = validated(ThemeUpdateInput, request)
        theme = services.theme_update(theme=theme, actor=request.user, **data)
        return Response(render(ThemeOutput, theme, request))


# --- evidence --------------------------------------------------------------------------------


class EvidenceFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=EvidenceItem.Status.choices, help_text="Verification status; repeat for several."
    )
    marking = django_filters.MultipleChoiceFilter(choices=Marking.choices)
    source_reliability = django_filters.MultipleChoiceFilter(
        choices=EvidenceItem.Reliability.choices
    )
    published_on = django_filters.DateFromToRangeFilter(
        help_text="`published_on_after`, `published_on_before` (YYYY-MM-DD, inclusive)."
    )
    created_at = django_filters.IsoDateTimeFromToRangeFilter()

    class Meta:
        model = EvidenceItem
        fields = ["language", "information_credibility"]


@extend_schema(tags=["evidence"])
class EvidenceViewSet(ReadViewSet):
    """Sourced claims with their Admiralty rating and verification status."""

    serializer_class = EvidenceOutput
    filterset_class = EvidenceFilter
    search_fields = ["claim", "publisher", "excerpt"]
    ordering_fields = ["created_at", "updated_at", "publisher"]
    ordering = ("-created_at",)

    def get_queryset(self):
        return selectors.evidence_list(user=self.request.user)

    def _render(self, evidence: EvidenceItem, code: int = status.HTTP_200_OK) -> Response:
        # Re-read through the selector: the output names who changed the status.
        fresh = self.get_queryset().get(pk=evidence.pk)
        return Response(render(EvidenceOutput, fresh, self.request), status=code)

    @extend_schema(request=EvidenceCreateInput, responses={201: EvidenceOutput})
    def create(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        data = validated(EvidenceCreateInput, request)
        evidence = services.evidence_create(actor=request.user, **data)
        return self._render(evidence, status.HTTP_201_CREATED)

    @extend_schema(request=EvidenceUpdateInput, responses=EvidenceOutput)
    def partial_update(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        evidence = self.get_object()
        data = validated(EvidenceUpdateInput, request)
        return self._render(services.evidence_update(evidence=evidence, actor=request.user, **data))

    @extend_schema(
        operation_id="evidence_verify", request=EvidenceVerifyInput, responses=EvidenceOutput
    )
    @action(detail=True, methods=["post"])
    def verify(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        """Mark the evidence verified (reviewer or lead of its owner team)."""
        evidence = self.get_object()
        data = validated(EvidenceVerifyInput, request)
        return self._render(services.evidence_verify(evidence=evidence, actor=request.user, **data))

    @extend_schema(
        operation_id="evidence_dispute", request=EvidenceWithdrawInput, responses=EvidenceOutput
    )
    @action(detail=True, methods=["post"])
    def dispute(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        """Mark the evidence disputed: approved activities citing it are recalled."""
        evidence = self.get_object()
        data = validated(EvidenceWithdrawInput, request)
        return self._render(
            services.evidence_dispute(evidence=evidence, actor=request.user, **data)
        )

    @extend_schema(
        operation_id="evidence_retract", request=EvidenceWithdrawInput, responses=EvidenceOutput
    )
    @action(detail=True, methods=["post"])
    def retract(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        """Retract the evidence for good: approved activities citing it are recalled."""
        evidence = self.get_object()
        data = validated(EvidenceWithdrawInput, request)
        return self._render(
            services.evidence_retract(evidence=evidence, actor=request.user, **data)
        )

    @extend_schema(
        operation_id="evidence_import",
        request={"multipart/form-data": EvidenceImportInput},
        responses={201: EvidenceImportOutput},
        examples=[
            OpenApiExample(
                "Row-level errors",
                status_codes=["400"],
                response_only=True,
                value={
                    "type": "urn:candor:problem:invalid",
                    "title": "Invalid input",
                    "status": 400,
                    "detail": "2 problems with the input; see errors.",
                    "code": "invalid",
                    "errors": [
                        {
                            "code": "invalid",
                            "detail": "Enter a valid URL.",
                            "attr": "rows.3.source_url",
                            "pointer": "/rows/3/source_url",
                        },
                        {
                            "code": "invalid",
                            "detail": "Give a number from 1 to 6.",
                            "attr": "rows.5.information_credibility",
                            "pointer": "/rows/5/information_credibility",
                        },
                    ],
                },
            )
        ],
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser])
    def import_csv(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        """Import evidence items from a CSV file: every row or none; each problem names its
        row (the header is row 1) and column."""
        data = validated(EvidenceImportInput, request)
        items = services.evidence_import(
            actor=request.user, owner_team=data["owner_team"], content=data["file"]
        )
        fresh = list(self.get_queryset().filter(pk__in=[i.pk for i in items]).order_by("pk"))
        body = render(EvidenceImportOutput, {"created": len(fresh), "items": fresh}, request)
        return Response(body, status=status.HTTP_201_CREATED)


# --- messages --------------------------------------------------------------------------------


class MessageFilter(django_filters.FilterSet):
    theme = django_filters.UUIDFilter(field_name="theme__uuid")
    audience = django_filters.UUIDFilter(field_name="audience__uuid")
    marking = django_filters.MultipleChoiceFilter(choices=Marking.choices)

    class Meta:
        model = Message
        fields = ["language"]


@extend_schema(tags=["messages"])
class MessageViewSet(ReadViewSet):
    """Concrete texts for a theme, in one language, with the evidence each sentence cites."""

    serializer_class = MessageOutput
    filterset_class = MessageFilter
    search_fields = ["headline", "body"]
    ordering_fields = ["created_at", "updated_at", "headline"]
    ordering = ("-created_at",)

    def get_queryset(self):
        return selectors.message_list(user=self.request.user)

    def _render(self, message: Message, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=message.pk)
        return Response(render(MessageOutput, fresh, self.request), status=code)

    @extend_schema(request=MessageCreateInput, responses={201: MessageOutput})
    def create(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        data = validated(MessageCreateInput, request)
        citations = [(c["evidence"], c["sentence"]) for c in data.pop("citations", [])]
        message = services.message_create(actor=request.user, citations=citations, **data)
        return self._render(message, status.HTTP_201_CREATED)

    @extend_schema(request=MessageUpdateInput, responses=MessageOutput)
    def partial_update(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        """Edit the text: a new version is kept, and activities approved with the old text go
        back for review."""
        message = self.get_object()
        data = validated(MessageUpdateInput, request)
        return self._render(services.message_update(message=message, actor=request.user, **data))

    @extend_schema(
        operation_id="messages_citations_add", request=CitationInput, responses={201: MessageOutput}
    )
    @action(detail=True, methods=["post"])
    def citations(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        """Cite evidence for a sentence of the message."""
        message = self.get_object()
        data = validated(CitationInput, request)
        services.citation_add(message=message, actor=request.user, **data)
        return self._render(message, status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="messages_citations_destroy",
        parameters=[OpenApiParameter("evidence_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        request=None,
        responses={204: None},
    )
    @action(detail=True, methods=["delete"], url_path=r"citations/(?P<evidence_id>[^/]+)")
    def remove_citation(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        """Remove a citation; activities approved with it go back for review."""
        message = self.get_object()
        try:
            evidence_id = uuid.UUID(kwargs["evidence_id"])
        except ValueError as error:
            raise exceptions.NotFound() from error
        citation = next(
            (c for c in message.citations.all() if c.evidence.uuid == evidence_id), None
        )
        if citation is None:  # not cited, or cited evidence the caller may not see
            raise exceptions.NotFound()
        services.citation_remove(citation=citation, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
