"""Input and output shapes of the messaging API: themes, evidence, messages, citations."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.api.serializers import TeamRef, UserRef
from accounts.models import Marking
from accounts.selectors import own_team_list
from audiences.api.serializers import AudienceRef
from audiences.selectors import audience_list
from config.api.fields import ScopedRelatedField
from config.api.serializers import InputSerializer
from messaging.models import EvidenceItem, Message
from messaging.selectors import evidence_list, theme_list

# --- output ----------------------------------------------------------------------------------


class ThemeRef(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    title = serializers.CharField()


class ThemeOutput(ThemeRef):
    summary = serializers.CharField()
    key_points = serializers.ListField(child=serializers.CharField())
    tags = serializers.ListField(child=serializers.CharField())
    marking = serializers.ChoiceField(choices=Marking.choices)
    owner_team = TeamRef()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class VerificationOutput(serializers.Serializer):
    """Who last changed the item's verification status, when and why."""

    status = serializers.ChoiceField(choices=EvidenceItem.Status.choices)
    by = UserRef(source="status_changed_by", allow_null=True)
    at = serializers.DateTimeField(source="status_changed_at", allow_null=True)
    reason = serializers.CharField(source="status_reason")


class EvidenceRef(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    claim = serializers.CharField()
    admiralty_code = serializers.CharField(help_text="Source reliability A–F + credibility 1–6.")
    status = serializers.ChoiceField(choices=EvidenceItem.Status.choices)


class EvidenceOutput(EvidenceRef):
    source_url = serializers.URLField()
    publisher = serializers.CharField()
    published_on = serializers.DateField(allow_null=True)
    excerpt = serializers.CharField()
    language = serializers.CharField()
    source_reliability = serializers.ChoiceField(choices=EvidenceItem.Reliability.choices)
    information_credibility = serializers.ChoiceField(choices=EvidenceItem.Credibility.choices)
    verification = VerificationOutput(source="*")
    marking = serializers.ChoiceField(choices=Marking.choices)
    owner_team = TeamRef()
    snapshot_hash = serializers.CharField()
    snapshot_fetched_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class CitationOutput(serializers.Serializer):
    evidence = EvidenceRef()
    sentence = serializers.CharField()


class MessageRef(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    headline = serializers.CharField()
    language = serializers.CharField()


class MessageOutput(MessageRef):
    theme = ThemeRef()
    audience = AudienceRef(allow_null=True)
    body = serializers.CharField()
    call_to_action = serializers.CharField()
    version = serializers.IntegerField()
    marking = serializers.ChoiceField(choices=Marking.choices)
    owner_team = TeamRef()
    citations = CitationOutput(many=True)
    restricted_citations = serializers.SerializerMethodField(
        help_text="Citations of evidence you may not see (TLP), counted but not shown."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_restricted_citations(self, message: Message) -> int:
        total = getattr(message, "citation_total", None)
        if total is None:
            return 0
        return total - len(message.citations.all())


class EvidenceImportOutput(serializers.Serializer):
    created = serializers.IntegerField()
    items = EvidenceOutput(many=True)


# --- input -----------------------------------------------------------------------------------


def _own_team_field(**kwargs: Any) -> ScopedRelatedField:
    return ScopedRelatedField(scope=lambda user: own_team_list(user=user), noun="team", **kwargs)


class ThemeUpdateInput(InputSerializer):
    title = serializers.CharField(max_length=200, required=False)
    summary = serializers.CharField(required=False, max_length=10000)
    key_points = serializers.ListField(
        child=serializers.CharField(max_length=500), required=False, max_length=50
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=50
    )
    marking = serializers.ChoiceField(choices=Marking.choices, required=False)


class ThemeCreateInput(ThemeUpdateInput):
    owner_team = _own_team_field()
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(max_length=10000)


class EvidenceUpdateInput(InputSerializer):
    claim = serializers.CharField(required=False, max_length=10000)
    source_url = serializers.CharField(required=False, max_length=500)
    publisher = serializers.CharField(required=False, max_length=200)
    published_on = serializers.DateField(required=False, allow_null=True)
    excerpt = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    language = serializers.CharField(required=False, max_length=16)
    source_reliability = serializers.ChoiceField(
        choices=EvidenceItem.Reliability.choices, required=False
    )
    information_credibility = serializers.IntegerField(
        min_value=1, max_value=6, required=False, help_text="1 (confirmed) to 6 (cannot judge)."
    )
    marking = serializers.ChoiceField(choices=Marking.choices, required=False)


class EvidenceCreateInput(EvidenceUpdateInput):
    owner_team = _own_team_field()
    claim = serializers.CharField(max_length=10000)
    source_url = serializers.CharField(max_length=500)
    publisher = serializers.CharField(max_length=200)
    language = serializers.CharField(max_length=16, help_text="BCP 47, e.g. en, ru, sr-Latn.")
    source_reliability = serializers.ChoiceField(choices=EvidenceItem.Reliability.choices)
    information_credibility = serializers.IntegerField(
        min_value=1, max_value=6, help_text="1 (confirmed) to 6 (cannot judge)."
    )


class EvidenceVerifyInput(InputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class EvidenceWithdrawInput(InputSerializer):
    reason = serializers.CharField(max_length=2000, help_text="Why; the activities' owners see it.")


class EvidenceImportInput(InputSerializer):
    owner_team = _own_team_field()
    file = serializers.FileField(
        help_text="UTF-8 CSV with a header row: claim, source_url, publisher, published_on, "
        "excerpt, language, source_reliability, information_credibility, marking."
    )

    MAX_BYTES = 2 * 1024 * 1024

    def validate_file(self, upload: Any) -> str:
        if upload.size > self.MAX_BYTES:
            raise serializers.ValidationError("Import at most 2 MB at a time.")
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError as error:
            raise serializers.ValidationError("The file must be UTF-8 text.") from error


class CitationInput(InputSerializer):
    evidence = ScopedRelatedField(scope=lambda user: evidence_list(user=user), noun="evidence")
    sentence = serializers.CharField(
        max_length=5000, help_text="The sentence of the message this evidence backs, verbatim."
    )


class MessageUpdateInput(InputSerializer):
    headline = serializers.CharField(max_length=200, required=False)
    body = serializers.CharField(max_length=20000, required=False)
    call_to_action = serializers.CharField(max_length=300, required=False, allow_blank=True)


class MessageCreateInput(MessageUpdateInput):
    theme = ScopedRelatedField(scope=lambda user: theme_list(user=user), noun="theme")
    language = serializers.CharField(max_length=16, help_text="BCP 47, e.g. ro, sr-Latn.")
    headline = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=20000)
    audience = ScopedRelatedField(
        scope=lambda user: audience_list(), noun="audience", required=False, allow_null=True
    )
    owner_team = _own_team_field(required=False, help_text="Defaults to the theme's team.")
    marking = serializers.ChoiceField(
        choices=Marking.choices, required=False, help_text="Defaults to the theme's marking."
    )
    # DRF hands ``max_length`` to the ListSerializer that ``many=True`` builds; the stubs'
    # BaseSerializer.__init__ does not list ListSerializer's own arguments.
    citations = CitationInput(many=True, required=False, max_length=100)  # type: ignore[call-arg]
