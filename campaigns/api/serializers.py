"""Input and output shapes of the campaigns API: campaigns, activities and their workflow,
history, outcomes, evidence packets and report subscriptions."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.api.serializers import TeamRef, UserRef
from accounts.selectors import colleague_list, own_team_list
from audiences.api.serializers import AudienceRef, ChannelRef, SegmentRef
from audiences.models import Segment
from audiences.selectors import audience_list, channel_list
from campaigns.models import (
    ActivityEvent,
    ActivityStatus,
    ApprovalStep,
    Campaign,
    OutreachActivity,
    ReportSubscription,
)
from campaigns.selectors import campaign_list
from config.api.fields import (
    AwareDateTimeField,
    LocalTimeField,
    NaiveDateTimeField,
    ScopedRelatedField,
)
from config.api.serializers import InputSerializer
from messaging.api.serializers import EvidenceOutput, MessageRef, ThemeRef
from messaging.models import EvidenceItem
from messaging.selectors import message_list, theme_list

# --- campaigns -------------------------------------------------------------------------------


class CampaignRef(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    name = serializers.CharField()


class CampaignOutput(CampaignRef):
    objective = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    status = serializers.ChoiceField(choices=Campaign.Status.choices)
    attributed_to = serializers.CharField(help_text="The public speaker of every activity.")
    owner_team = TeamRef()
    collaborating_teams = TeamRef(many=True)
    audiences = AudienceRef(many=True)
    themes = ThemeRef(many=True)
    created_at = serializers.DateTimeField()


def _audience_field(**kwargs: Any) -> ScopedRelatedField:
    return ScopedRelatedField(scope=lambda user: audience_list(), noun="audience", **kwargs)


def _theme_field(**kwargs: Any) -> ScopedRelatedField:
    return ScopedRelatedField(scope=lambda user: theme_list(user=user), noun="theme", **kwargs)


class CampaignUpdateInput(InputSerializer):
    name = serializers.CharField(max_length=200, required=False)
    objective = serializers.CharField(max_length=10000, required=False)
    starts_on = serializers.DateField(required=False)
    ends_on = serializers.DateField(required=False)
    attributed_to = serializers.CharField(
        max_length=200,
        required=False,
        help_text="Changing the speaker sends reviewed activities back for review.",
    )
    audiences = serializers.ListField(child=_audience_field(), required=False, max_length=50)
    themes = serializers.ListField(child=_theme_field(), required=False, max_length=100)


class CampaignCreateInput(CampaignUpdateInput):
    owner_team = ScopedRelatedField(scope=lambda user: own_team_list(user=user), noun="team")
    name = serializers.CharField(max_length=200)
    objective = serializers.CharField(max_length=10000)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    attributed_to = serializers.CharField(
        max_length=200, help_text="The public speaker: who is named as the source. Required."
    )
    audiences = serializers.ListField(child=_audience_field(), max_length=50, allow_empty=False)
    collaborating_teams = serializers.ListField(
        child=ScopedRelatedField(scope=lambda user: own_team_list(user=user), noun="team"),
        required=False,
        max_length=20,
        help_text="Other teams of yours that work on the campaign.",
    )


class CampaignStatusInput(InputSerializer):
    status = serializers.ChoiceField(choices=Campaign.Status.choices)


# --- activities ------------------------------------------------------------------------------


class StepOutput(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=ApprovalStep.Kind.choices)
    required_role = serializers.CharField()


class OutcomeOutput(serializers.Serializer):
    reach = serializers.IntegerField()
    engagement = serializers.IntegerField()
    pickups = serializers.ListField(child=serializers.URLField())
    notes = serializers.CharField()
    recorded_by = UserRef()
    recorded_at = serializers.DateTimeField()


class EvidenceSummaryOutput(serializers.Serializer):
    """What backs the activity's message, counted over its citations."""

    cited = serializers.IntegerField(source="evidence_cited", help_text="Evidence items cited.")
    verified = serializers.IntegerField(source="evidence_verified")
    withdrawn = serializers.IntegerField(
        source="evidence_withdrawn",
        help_text="Disputed or retracted: the activity cannot be submitted while above 0.",
    )


class ActivityOutput(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=ActivityStatus.choices)
    version = serializers.IntegerField(
        help_text="Send it back with every change: a stale version is refused (409)."
    )
    campaign = CampaignRef()
    audience = AudienceRef()
    segment = SegmentRef(allow_null=True)
    message = MessageRef()
    evidence = EvidenceSummaryOutput(source="*")
    channel = ChannelRef()
    scheduled_at = serializers.DateTimeField(help_text="UTC.")
    scheduled_local = serializers.SerializerMethodField(
        help_text="The audience's wall-clock time, in `timezone`."
    )
    timezone = serializers.CharField(source="audience.timezone")
    owner = UserRef()
    review_round = serializers.IntegerField()
    current_step = StepOutput(allow_null=True)
    submitted_by = UserRef(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    approved_at = serializers.DateTimeField(allow_null=True)
    approved_content_hash = serializers.CharField()
    outcome = OutcomeOutput(allow_null=True, help_text="Recorded after dispatch.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_scheduled_local(self, activity: OutreachActivity) -> str:
        zone = activity.audience.zone
        return activity.scheduled_at.astimezone(zone).replace(tzinfo=None).isoformat()


class ActivityUpdateInput(InputSerializer):
    version = serializers.IntegerField(
        min_value=1, help_text="The version you are changing (from the last response)."
    )
    title = serializers.CharField(max_length=200, required=False)
    audience = _audience_field(required=False)
    segment = ScopedRelatedField(
        scope=lambda user: Segment.objects.all(),
        noun="segment",
        required=False,
        allow_null=True,
    )
    message = ScopedRelatedField(
        scope=lambda user: message_list(user=user), noun="message", required=False
    )
    channel = ScopedRelatedField(
        scope=lambda user: channel_list(user=user), noun="channel", required=False
    )
    scheduled_at = AwareDateTimeField(required=False, help_text="An instant, e.g. …T06:00:00Z.")
    scheduled_local = NaiveDateTimeField(
        required=False,
        help_text="The audience's wall-clock time, without offset, e.g. 2026-06-01T09:00.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "scheduled_at" in attrs and "scheduled_local" in attrs:
            raise serializers.ValidationError(
                {"scheduled_local": ["Give the time either in UTC or in local time, not both."]}
            )
        return attrs


class ActivityCreateInput(ActivityUpdateInput):
    version = None  # type: ignore[assignment]
    campaign = ScopedRelatedField(scope=lambda user: campaign_list(user=user), noun="campaign")
    title = serializers.CharField(max_length=200)
    audience = _audience_field()
    message = ScopedRelatedField(scope=lambda user: message_list(user=user), noun="message")
    channel = ScopedRelatedField(scope=lambda user: channel_list(user=user), noun="channel")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if "scheduled_at" not in attrs and "scheduled_local" not in attrs:
            raise serializers.ValidationError(
                {"scheduled_local": ["Give the time, in local time or in UTC (scheduled_at)."]}
            )
        return attrs


class VersionInput(InputSerializer):
    version = serializers.IntegerField(
        min_value=1, help_text="The version you saw: a stale one is refused (409)."
    )


class ApproveInput(VersionInput):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class RequestChangesInput(VersionInput):
    comment = serializers.CharField(max_length=5000, help_text="What must change.")


class CancelInput(VersionInput):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class MarkDoneInput(VersionInput):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class OutcomeInput(VersionInput):
    reach = serializers.IntegerField(min_value=0, max_value=2_000_000_000)
    engagement = serializers.IntegerField(min_value=0, max_value=2_000_000_000)
    pickups = serializers.ListField(
        child=serializers.CharField(max_length=500), required=False, default=list, max_length=200
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)


class EventOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ActivityEvent.Kind.choices)
    actor = UserRef(allow_null=True)
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    comment = serializers.CharField()
    changes = serializers.JSONField()
    at = serializers.DateTimeField()


# --- evidence packet -------------------------------------------------------------------------


class ApprovedEvidenceOutput(serializers.Serializer):
    """The evidence item as it stood when the activity was approved."""

    evidence = serializers.UUIDField()
    claim = serializers.CharField()
    source_url = serializers.CharField()
    publisher = serializers.CharField()
    published_on = serializers.DateField(allow_null=True)
    admiralty_code = serializers.CharField()
    status = serializers.ChoiceField(choices=EvidenceItem.Status.choices)
    status_changed_by = serializers.CharField(allow_null=True)
    status_changed_at = serializers.DateTimeField(allow_null=True)


class PacketClaimOutput(serializers.Serializer):
    sentence = serializers.CharField(help_text="The claim as the message makes it.")
    evidence = EvidenceOutput(help_text="The evidence item as it is now.")
    approved = ApprovedEvidenceOutput(
        allow_null=True,
        default=None,
        help_text="An approved or sent activity's packet: the item as it was approved "
        "(its rating and verification then). Null in a message's packet.",
    )


class PacketApprovalOutput(serializers.Serializer):
    activity = serializers.UUIDField(source="activity.uuid")
    activity_title = serializers.CharField(source="activity.title")
    step = serializers.CharField(source="step.name")
    step_kind = serializers.ChoiceField(source="step.kind", choices=ApprovalStep.Kind.choices)
    review_round = serializers.IntegerField()
    by = UserRef(source="user")
    at = serializers.DateTimeField()
    comment = serializers.CharField()


class EvidencePacketOutput(serializers.Serializer):
    message = MessageRef()
    claims = PacketClaimOutput(source="citations", many=True)
    restricted_citations = serializers.IntegerField(
        help_text="Citations of evidence you may not see (TLP), counted but not shown."
    )
    approvals = PacketApprovalOutput(many=True)
    as_approved = serializers.BooleanField(
        default=False,
        help_text="The claims are those the activity was approved (and sent) with, not the "
        "message's current citations.",
    )


# --- report subscriptions --------------------------------------------------------------------


class SubscriptionOutput(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    team = TeamRef(allow_null=True)
    campaign = CampaignRef(allow_null=True)
    cadence = serializers.ChoiceField(choices=ReportSubscription.Cadence.choices)
    weekday = serializers.IntegerField(allow_null=True, help_text="0 = Monday.")
    day_of_month = serializers.IntegerField(allow_null=True)
    send_time = LocalTimeField(help_text="Local time in `timezone`, e.g. 08:00.")
    timezone = serializers.CharField()
    recipients = UserRef(many=True)
    extra_addresses = serializers.ListField(child=serializers.EmailField())
    is_active = serializers.BooleanField()
    last_sent_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class SubscriptionUpdateInput(InputSerializer):
    cadence = serializers.ChoiceField(choices=ReportSubscription.Cadence.choices, required=False)
    weekday = serializers.IntegerField(min_value=0, max_value=6, required=False, allow_null=True)
    day_of_month = serializers.IntegerField(
        min_value=1, max_value=28, required=False, allow_null=True
    )
    send_time = LocalTimeField(required=False, help_text="Local time, e.g. 08:00.")
    timezone = serializers.CharField(
        max_length=64, required=False, help_text="IANA zone, e.g. Europe/Minsk."
    )
    recipients = serializers.ListField(
        child=ScopedRelatedField(scope=lambda user: colleague_list(user=user), noun="colleague"),
        required=False,
        max_length=50,
    )
    extra_addresses = serializers.ListField(
        child=serializers.CharField(max_length=254), required=False, max_length=20
    )
    is_active = serializers.BooleanField(required=False)


class SubscriptionCreateInput(SubscriptionUpdateInput):
    team = ScopedRelatedField(
        scope=lambda user: own_team_list(user=user), noun="team", required=False
    )
    campaign = ScopedRelatedField(
        scope=lambda user: campaign_list(user=user), noun="campaign", required=False
    )
    cadence = serializers.ChoiceField(choices=ReportSubscription.Cadence.choices)
    send_time = LocalTimeField(help_text="Local time, e.g. 08:00.")
    timezone = serializers.CharField(max_length=64, help_text="IANA zone, e.g. Europe/Minsk.")
