"""Staff UI forms. They only shape input: every rule is checked by the services."""

from __future__ import annotations

import calendar
from typing import Any, cast

from django import forms

from accounts.models import Team, User
from accounts.permissions import team_ids
from audiences.models import Audience, Channel, Segment
from campaigns.models import Campaign, ReportSubscription
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

    def __init__(self, *args: Any, campaign: Campaign, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The fields given querysets here are ModelChoiceFields; ``self.fields`` holds any Field.
        fields = cast(dict[str, forms.ModelChoiceField], self.fields)
        audiences = campaign.audiences.order_by("name")
        fields["audience"].queryset = audiences
        # An instance's own label function, which ModelChoiceField calls with the object alone;
        # mypy reads an assignment to a method as replacing the method for every instance.
        fields["audience"].label_from_instance = lambda obj: f"{obj.name} ({obj.timezone})"  # type: ignore[method-assign]
        fields["segment"].queryset = Segment.objects.filter(audience__in=audiences)
        fields["message"].queryset = (
            Message.objects.visible_to(user)
            .filter(theme__in=campaign.themes.all())
            .select_related("theme")
        )
        fields["message"].label_from_instance = lambda obj: (  # type: ignore[method-assign]
            f"{obj.theme.title} — {obj.headline} [{obj.language}]"
        )
        fields["channel"].queryset = Channel.objects.filter(
            owner_team__in=campaign.access_team_ids() & team_ids(user), is_active=True
        )


class SubscriptionForm(forms.Form):
    """Subscribe to a report; the schedule's rules are the service's."""

    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.none(), to_field_name="uuid", required=False
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), to_field_name="uuid", required=False
    )
    cadence = forms.ChoiceField(choices=ReportSubscription.Cadence.choices)
    weekday = forms.TypedChoiceField(
        choices=[("", "—"), *((i, calendar.day_name[i]) for i in range(7))],
        coerce=int,
        empty_value=None,
        required=False,
        help_text="For a weekly report.",
    )
    day_of_month = forms.IntegerField(
        min_value=1, max_value=28, required=False, help_text="For a monthly report (1–28)."
    )
    send_time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))
    timezone = forms.CharField(max_length=64, help_text="IANA zone, e.g. Europe/Minsk.")

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The fields given querysets here are ModelChoiceFields; ``self.fields`` holds any Field.
        fields = cast(dict[str, forms.ModelChoiceField], self.fields)
        fields["campaign"].queryset = Campaign.objects.visible_to(user)
        fields["team"].queryset = Team.objects.filter(pk__in=team_ids(user))
        self.initial.setdefault("timezone", getattr(user, "timezone", "UTC"))


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


class SavedFilterForm(forms.Form):
    name = forms.CharField(max_length=100, label="Save these filters as")
