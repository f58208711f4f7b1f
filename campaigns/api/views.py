"""Campaigns API: campaigns, outreach activities and their approval workflow (each action
returns the new state), history, CSV export, a campaign's iCalendar schedule and a message's
evidence packet (report subscriptions: ``campaigns.api.subscriptions``).

Every view loads through a scoped selector (another team's object is a 404, exactly like a
missing one), checks the input with one serializer, calls one service and renders the result.
"""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.db import joins_as_written
from accounts.http import AuthenticatedRequest
from campaigns import exports, selectors, services
from campaigns.api.serializers import (
    ActivityCreateInput,
    ActivityOutput,
    ActivityUpdateInput,
    ApproveInput,
    CampaignCreateInput,
    CampaignOutput,
    CampaignStatusInput,
    CampaignUpdateInput,
    CancelInput,
    EventOutput,
    EvidencePacketOutput,
    MarkDoneInput,
    OutcomeInput,
    RequestChangesInput,
    VersionInput,
)
from campaigns.models import ActivityStatus, Campaign, OutreachActivity
from config.api.filters import boolean_filter
from config.api.renderers import CalendarRenderer, CSVRenderer
from config.api.serializers import render, validated
from config.api.viewsets import ReadViewSet
from messaging.selectors import message_list

# --- campaigns -------------------------------------------------------------------------------


class CampaignFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Campaign.Status.choices)
    audience = django_filters.UUIDFilter(field_name="audiences__uuid")
    starts_on = django_filters.DateFromToRangeFilter(
        help_text="`starts_on_after`, `starts_on_before` (YYYY-MM-DD, inclusive)."
    )
    ends_on = django_filters.DateFromToRangeFilter(
        help_text="`ends_on_after`, `ends_on_before` (YYYY-MM-DD, inclusive)."
    )

    class Meta:
        model = Campaign
        fields: list[str] = []


@extend_schema(tags=["campaigns"])
class CampaignViewSet(ReadViewSet):
    """Campaigns your teams own or collaborate on. Every campaign names its public speaker."""

    serializer_class = CampaignOutput
    filterset_class = CampaignFilter
    search_fields = ["name", "objective"]
    ordering_fields = ["starts_on", "ends_on", "name", "created_at"]
    ordering = ("-starts_on",)

    def get_queryset(self):
        return selectors.campaign_list(user=self.request.user).prefetch_related(
            "collaborating_teams", "audiences", "themes"
        )

    def _render(self, campaign: Campaign, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=campaign.pk)
        return Response(render(CampaignOutput, fresh, self.request), status=code)

    @extend_schema(request=CampaignCreateInput, responses={201: CampaignOutput})
    def create(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        """Start a campaign with the default approval policy (evidence review, sign-off)."""
        data = validated(CampaignCreateInput, request)
        campaign = services.campaign_create(actor=request.user, **data)
        return self._render(campaign, status.HTTP_201_CREATED)

    @extend_schema(request=CampaignUpdateInput, responses=CampaignOutput)
    def partial_update(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        """Change the campaign's framing (planner or lead of its owner team)."""
        campaign = self.get_object()
        data = validated(CampaignUpdateInput, request)
        return self._render(services.campaign_update(campaign=campaign, actor=request.user, **data))

    @extend_schema(
        operation_id="campaigns_set_status", request=CampaignStatusInput, responses=CampaignOutput
    )
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        """Move the campaign from planning to active to closed (a lead's decision)."""
        campaign = self.get_object()
        data = validated(CampaignStatusInput, request)
        campaign = services.campaign_set_status(campaign=campaign, actor=request.user, **data)
        return self._render(campaign)

    @extend_schema(
        operation_id="campaigns_schedule",
        responses={(200, "text/calendar"): OpenApiResponse(OpenApiTypes.STR)},
        description="The campaign's activities as an iCalendar feed, at each audience's local "
        "time (with VTIMEZONE definitions).",
    )
    @action(detail=True, methods=["get"], renderer_classes=[CalendarRenderer])
    def schedule(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        campaign = self.get_object()
        activities = selectors.activity_list(user=request.user).filter(campaign=campaign)
        body = exports.schedule_ics(campaign, activities.order_by("scheduled_at", "pk"))
        response = Response(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="campaign-{campaign.uuid}.ics"'
        return response


# --- activities ------------------------------------------------------------------------------


class ActivityFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=ActivityStatus.choices, help_text="Repeat for several: status=draft&status=…"
    )
    campaign = django_filters.UUIDFilter(field_name="campaign__uuid")
    audience = django_filters.UUIDFilter(field_name="audience__uuid")
    channel = django_filters.UUIDFilter(field_name="channel__uuid")
    message = django_filters.UUIDFilter(field_name="message__uuid")
    scheduled_at = django_filters.IsoDateTimeFromToRangeFilter(
        help_text="`scheduled_at_after`, `scheduled_at_before`: ISO 8601 instants."
    )
    mine = boolean_filter(method="filter_mine", help_text="Only those you own (or not).")

    class Meta:
        model = OutreachActivity
        fields: list[str] = []

    def filter_mine(self, queryset: Any, name: str, value: bool | None) -> Any:
        if value is None:
            return queryset
        user = self.request.user
        return queryset.filter(owner=user) if value else queryset.exclude(owner=user)


def _columns(relation: str, *fields: str) -> list[str]:
    return [relation, *(f"{relation}__{field}" for field in fields)]


_PERSON = ("uuid", "username", "first_name", "last_name")
# The columns ``ActivityOutput`` shows. A page of whole rows carried every column of ten tables
# (the people's password hashes, the message's body, the campaign's objective), twice the data
# and the model fields Django fills, for nothing the output shows. A field shown but not read
# here would cost a query a row: tests/test_api_query_counts.py counts them.
_SHOWN = [
    *("uuid", "title", "status", "version", "scheduled_at", "review_round", "submitted_at"),
    *("approved_at", "approved_content_hash", "created_at", "updated_at"),
    *_columns("campaign", "uuid", "name"),
    *_columns("audience", "uuid", "name", "timezone"),
    *_columns("segment", "uuid", "name"),
    *_columns("message", "uuid", "headline", "language"),
    *_columns("channel", "uuid", "name", "kind"),
    *_columns("owner", *_PERSON),
    *_columns("current_step", "name", "kind", "required_role"),
    *_columns("submitted_by", *_PERSON),
    *_columns("outcome", "reach", "engagement", "pickups", "notes", "recorded_at"),
    *_columns("outcome__recorded_by", *_PERSON),
]

_VERSION_EXAMPLE = OpenApiExample("Version seen", request_only=True, value={"version": 3})


@extend_schema(tags=["activities"])
class ActivityViewSet(ReadViewSet):
    """Outreach activities of your teams' campaigns, and their approval workflow. Every change
    names the `version` it was made against: if someone acted first, it is refused (409)."""

    serializer_class = ActivityOutput
    filterset_class = ActivityFilter
    search_fields = ["title"]
    ordering_fields = ["scheduled_at", "created_at", "updated_at", "title", "status"]
    ordering = ("scheduled_at",)

    def _activities(self):
        return selectors.activity_list(user=self.request.user).select_related(
            "submitted_by", "outcome", "outcome__recorded_by"
        )

    def _shown(self):
        """The activities as ``ActivityOutput`` shows them: with the evidence counts (three
        subqueries a row), and of the activity and each reference only the columns shown."""
        activities = selectors.with_evidence_summary(self._activities())
        return activities.only(*_SHOWN)

    def get_queryset(self):
        # What the output shows only where it is shown: not for the CSV export, nor for the
        # read a write action starts with (the service gets whole rows).
        if self.action in ("list", "retrieve"):
            return self._shown()
        return self._activities()

    # An activity is read with ten references joined by primary key. PostgreSQL searches the
    # join orders of such a query exhaustively: measured on the benchmark's data, the page's
    # query took 130 ms planned freely and 40 ms planned in the order Django writes the joins
    # (EXPLAIN ANALYZE: planning 70-90 ms against 1.4 ms), one activity 27 ms against 4 ms
    # (docs/benchmarks.md, P1). So these reads, and no other query, are planned as written:
    # the list page, the one activity of a detail or an action, the response after an action.

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with joins_as_written():
            return super().list(request, *args, **kwargs)

    def get_object(self) -> OutreachActivity:
        with joins_as_written():
            return super().get_object()

    def _load(self, request: Request, serializer: type[VersionInput | ActivityUpdateInput]):
        """The activity (404 first: a foreign one never gets further), the checked input, and
        the version the caller acted on, which the service compares under its row lock."""
        activity = self.get_object()
        data = validated(serializer, request)
        activity.version = data.pop("version")
        return activity, data

    def _render(self, activity: OutreachActivity, code: int = status.HTTP_200_OK) -> Response:
        with joins_as_written():
            fresh = self._shown().get(pk=activity.pk)
        return Response(render(ActivityOutput, fresh, self.request), status=code)

    @extend_schema(request=ActivityCreateInput, responses={201: ActivityOutput})
    def create(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        """Draft an activity; give the time in the audience's local time or in UTC."""
        data = validated(ActivityCreateInput, request)
        activity = services.activity_create(actor=request.user, **data)
        return self._render(activity, status.HTTP_201_CREATED)

    @extend_schema(request=ActivityUpdateInput, responses=ActivityOutput)
    def partial_update(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        """Edit an activity. Changing what goes out after review (audience, segment, message,
        channel, time) sends it back to `changes_requested`: approved means frozen."""
        activity, data = self._load(request, ActivityUpdateInput)
        return self._render(services.activity_update(activity=activity, actor=request.user, **data))

    @extend_schema(
        operation_id="activities_submit",
        request=VersionInput,
        responses=ActivityOutput,
        examples=[_VERSION_EXAMPLE],
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        """Send for review. Refused (422) unless the message cites evidence, none withdrawn."""
        activity, _ = self._load(request, VersionInput)
        return self._render(services.activity_submit(activity=activity, actor=request.user))

    @extend_schema(
        operation_id="activities_approve", request=ApproveInput, responses=ActivityOutput
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        """Approve the current step. Four eyes: never your own work, never two steps of one
        round; the evidence review needs every cited item verified."""
        activity, data = self._load(request, ApproveInput)
        return self._render(
            services.activity_approve(activity=activity, actor=request.user, **data)
        )

    @extend_schema(
        operation_id="activities_request_changes",
        request=RequestChangesInput,
        responses=ActivityOutput,
    )
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        """Send an activity in review back to its owner, saying what must change."""
        activity, data = self._load(request, RequestChangesInput)
        return self._render(
            services.activity_request_changes(activity=activity, actor=request.user, **data)
        )

    @extend_schema(operation_id="activities_cancel", request=CancelInput, responses=ActivityOutput)
    @action(detail=True, methods=["post"])
    def cancel(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        """Cancel an activity that has not gone out; it will never be dispatched."""
        activity, data = self._load(request, CancelInput)
        return self._render(services.activity_cancel(activity=activity, actor=request.user, **data))

    @extend_schema(
        operation_id="activities_outcome", request=OutcomeInput, responses=ActivityOutput
    )
    @action(detail=True, methods=["post"])
    def outcome(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        """Record (or correct) what a dispatched activity achieved; it becomes `completed`."""
        activity, data = self._load(request, OutcomeInput)
        services.activity_record_outcome(activity=activity, actor=request.user, **data)
        return self._render(activity)

    @extend_schema(operation_id="activities_retry", request=VersionInput, responses=ActivityOutput)
    @action(detail=True, methods=["post"])
    def retry(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        """Send a failed activity again: back to `approved`, picked up by the next dispatch
        tick. Refused (422) if what would go out differs from what was approved, or its
        evidence is no longer verified."""
        activity, _ = self._load(request, VersionInput)
        return self._render(services.activity_retry(activity=activity, actor=request.user))

    @extend_schema(
        operation_id="activities_mark_done", request=MarkDoneInput, responses=ActivityOutput
    )
    @action(detail=True, methods=["post"], url_path="mark-done")
    def mark_done(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        """The responsible officer (or a planner) reports a manual activity carried out."""
        activity, data = self._load(request, MarkDoneInput)
        return self._render(
            services.activity_mark_done(activity=activity, actor=request.user, **data)
        )

    @extend_schema(operation_id="activities_history", responses=EventOutput(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Every transition and edit, oldest first: who, when, from, to, what changed."""
        events = selectors.activity_history(activity=self.get_object())
        return Response(EventOutput(events, many=True, context={"request": request}).data)

    @extend_schema(
        operation_id="activities_export",
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR)},
        description="The activities (with the list's filters) as CSV, times in each audience's "
        "local time and in UTC.",
    )
    @action(detail=False, methods=["get"], renderer_classes=[CSVRenderer], pagination_class=None)
    def export(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        activities = self.filter_queryset(self.get_queryset())
        response = Response(exports.activities_csv(activities), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="activities.csv"'
        return response


# --- a message's evidence packet -------------------------------------------------------------


@extend_schema(tags=["messages"])
class EvidencePacketViewSet(viewsets.GenericViewSet):
    """Served by campaigns: the packet joins messaging's evidence with the approvals."""

    request: AuthenticatedRequest  # DRF's default IsAuthenticated let it in

    lookup_field = "uuid"
    lookup_url_kwarg = "id"
    filter_backends: list[Any] = []
    pagination_class = None

    def get_queryset(self):
        return message_list(user=self.request.user)

    @extend_schema(operation_id="messages_evidence_packet", responses=EvidencePacketOutput)
    def retrieve(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        """Claims → cited evidence → Admiralty rating, verification (who, when, why) → the
        approvals of activities sending the message (who, which step, when)."""
        packet = selectors.evidence_packet(message=self.get_object(), user=request.user)
        return Response(render(EvidencePacketOutput, packet, request))
