"""Input and output shapes of the accounts API: login, tokens, who am I, my teams."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import ApiToken, Role, Team, User
from config.api.serializers import InputSerializer


class LoginInput(InputSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=1024, trim_whitespace=False)
    name = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="What the token is for, e.g. `newsroom integration`; shown in the list.",
    )


class TokenOutput(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    name = serializers.CharField()
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True)
    current = serializers.SerializerMethodField(help_text="Whether this request used it.")

    def get_current(self, token: ApiToken) -> bool:
        used = getattr(self.context["request"], "auth", None)
        return getattr(used, "pk", None) == token.pk


class TokenCreatedOutput(serializers.Serializer):
    id = serializers.UUIDField(source="row.uuid")
    name = serializers.CharField(source="row.name")
    token = serializers.CharField(
        help_text="Send as `Authorization: Token <token>`. Shown only now: store it safely."
    )
    created = serializers.DateTimeField(source="row.created")
    expiry = serializers.DateTimeField(source="row.expiry", allow_null=True)


class TeamRef(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Team.Kind.choices)


class UserRef(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user: User) -> str:
        return user.get_full_name() or user.username


class MembershipOutput(serializers.Serializer):
    team = TeamRef()
    role = serializers.ChoiceField(choices=Role.choices)


class MeOutput(UserRef):
    email = serializers.EmailField()
    timezone = serializers.CharField()
    memberships = serializers.SerializerMethodField()

    @extend_schema_field(MembershipOutput(many=True))
    def get_memberships(self, user: User) -> list[dict[str, Any]]:
        # ``many=True`` makes a ListSerializer, whose data is a list; the stubs type the
        # constructor's result as the Serializer itself.
        return MembershipOutput(self.context["memberships"], many=True).data  # type: ignore[return-value]


class MemberOutput(serializers.Serializer):
    user = UserRef()
    role = serializers.ChoiceField(choices=Role.choices)


class TeamOutput(TeamRef):
    members = MemberOutput(source="memberships", many=True)
