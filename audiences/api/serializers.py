"""Input and output shapes of the audiences API."""

from __future__ import annotations

from rest_framework import serializers

from accounts.api.serializers import TeamRef, UserRef
from accounts.selectors import colleague_list, own_team_list
from audiences.models import Channel
from config.api.fields import ScopedRelatedField
from config.api.serializers import InputSerializer


class AudienceRef(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    name = serializers.CharField()
    timezone = serializers.CharField()


class SegmentRef(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    name = serializers.CharField()


class ChannelRef(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Channel.Kind.choices)


class CountryOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class SegmentOutput(SegmentRef):
    notes = serializers.CharField()


class AudienceOutput(AudienceRef):
    slug = serializers.CharField()
    countries = CountryOutput(many=True)
    languages = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField()
    segments = SegmentOutput(many=True)


class ChannelOutput(ChannelRef):
    owner_team = TeamRef()
    email_recipients = serializers.ListField(child=serializers.EmailField())
    webhook_url = serializers.CharField()
    has_webhook_secret = serializers.SerializerMethodField()
    officer = UserRef(allow_null=True)
    is_active = serializers.BooleanField()

    def get_has_webhook_secret(self, channel: Channel) -> bool:
        return bool(channel.webhook_secret)


class ChannelUpdateInput(InputSerializer):
    kind = serializers.ChoiceField(choices=Channel.Kind.choices, required=False)
    name = serializers.CharField(max_length=120, required=False)
    email_recipients = serializers.ListField(
        child=serializers.CharField(max_length=254), required=False, max_length=200
    )
    webhook_url = serializers.CharField(max_length=200, required=False, allow_blank=True)
    webhook_secret = serializers.CharField(
        max_length=128,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="Signs every delivery (HMAC-SHA256). Never shown again.",
    )
    officer = ScopedRelatedField(
        scope=lambda user: colleague_list(user=user),
        noun="colleague",
        required=False,
        allow_null=True,
        help_text="Who carries out manual activities: a member of the channel's team.",
    )
    is_active = serializers.BooleanField(required=False)


class ChannelCreateInput(ChannelUpdateInput):
    owner_team = ScopedRelatedField(scope=lambda user: own_team_list(user=user), noun="team")
    kind = serializers.ChoiceField(choices=Channel.Kind.choices)
    name = serializers.CharField(max_length=120)
