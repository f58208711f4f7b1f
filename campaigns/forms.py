"""Staff UI forms. They only shape input: every rule is checked by the services."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.permissions import team_ids
from audiences.models import Audience, Channel, Segment
from campaigns.models import Campaign
from messaging.models import Message


class WallClockField(forms.DateTimeField):
    """A date and time with no zone: the audience's wall clock, which the service applies.
    (Django's field would read it as UTC, the site's zone.)"""

    def to_python(self, value: Any) -> Any:
        result = super().to_python(value)
        return result.replace(tzinfo=None) if result is not None else None


class ActivityForm(forms.Form):
    """Draft or edit an activity; the time is the audience's wall-clock time."""

    title = forms.CharField(max_length=200)
    audience = forms.ModelChoiceField(queryset=Audience.objects.none(), to_field_name="uuid")
    segment = forms.ModelChoiceField(
        queryset=Segment.objects.none(), to_field_name="uuid", required=False
    )
    message = forms.ModelChoiceField(queryset=Message.objects.none(), to_field_name="uuid")
    channel = forms.ModelChoiceField(queryset=Channel.objects.none(), to_field_name="uuid")
    scheduled_local = WallClockField(
        label="Local date and time",
        help_text="In the audience's time zone.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def __init__(self, *args: Any, campaign: Campaign, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        audiences = campaign.audiences.order_by("name")
        self.fields["audience"].queryset = audiences
        self.fields["audience"].label_from_instance = lambda a: f"{a.name} ({a.timezone})"
        self.fields["segment"].queryset = Segment.objects.filter(audience__in=audiences)
        self.fields["message"].queryset = (
            Message.objects.visible_to(user)
            .filter(theme__in=campaign.themes.all())
            .select_related("theme")
        )
        self.fields["message"].label_from_instance = lambda m: (
            f"{m.theme.title} — {m.headline} [{m.language}]"
        )
        self.fields["channel"].queryset = Channel.objects.filter(
            owner_team__in=campaign.access_team_ids() & team_ids(user), is_active=True
        )


class OutcomeForm(forms.Form):
    reach = forms.IntegerField(min_value=0)
    engagement = forms.IntegerField(min_value=0)
    pickups = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="One URL per line: where it was picked up.",
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def clean_pickups(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["pickups"].splitlines() if line.strip()]


class CommentForm(forms.Form):
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
