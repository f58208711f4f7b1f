"""Report subscriptions: a manager's standing order for a report on a team or a campaign, on
a cadence, at a local time. Sending them is the report tick's business, not this module's."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from accounts.audit import audit_context
from accounts.errors import InvalidInput, NotPermitted, full_clean
from accounts.models import Membership, Team, User
from accounts.permissions import require
from campaigns.models import Campaign, ReportSubscription

Cadence = ReportSubscription.Cadence
_FIELDS = (
    "cadence",
    "weekday",
    "day_of_month",
    "send_time",
    "timezone",
    "recipients",
    "extra_addresses",
    "is_active",
)
MAX_ADDRESSES = 20


def _check(subscription: ReportSubscription, recipients: list[User]) -> None:
    """Every rule of a subscription's shape; all problems reported at once."""
    errors: dict[str, list[str]] = {}
    cadence = subscription.cadence
    if cadence not in Cadence.values:
        errors["cadence"] = [f"Choose one of {', '.join(Cadence.values)}."]
    if cadence == Cadence.WEEKLY:
        if subscription.weekday is None or not 0 <= subscription.weekday <= 6:
            errors["weekday"] = ["A weekly report needs a weekday, 0 (Monday) to 6 (Sunday)."]
    elif subscription.weekday is not None:
        errors["weekday"] = ["Only weekly reports have a weekday."]
    if cadence == Cadence.MONTHLY:
        if subscription.day_of_month is None or not 1 <= subscription.day_of_month <= 28:
            errors["day_of_month"] = ["A monthly report needs a day of the month, 1 to 28."]
    elif subscription.day_of_month is not None:
        errors["day_of_month"] = ["Only monthly reports have a day of the month."]
    addresses = subscription.extra_addresses
    bad = []
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            bad.append(address)
    if bad:
        errors["extra_addresses"] = [f"Not an e-mail address: {a}" for a in bad]
    elif len(addresses) > MAX_ADDRESSES:
        errors["extra_addresses"] = [f"Name at most {MAX_ADDRESSES} addresses."]
    scope_teams = subscription.access_team_ids()
    members = set(
        Membership.objects.filter(team_id__in=scope_teams, user__is_active=True).values_list(
            "user_id", flat=True
        )
    )
    if any(r.pk not in members for r in recipients):
        # The same answer as for someone who does not exist: no probing for colleagues.
        errors["recipients"] = ["Recipients must be members of the report's teams."]
    if not recipients and not addresses:
        errors["recipients"] = ["Name at least one recipient or address."]
    if errors:
        raise InvalidInput(errors)
    full_clean(subscription, exclude={"recipients"})


@transaction.atomic
def report_subscription_create(
    *,
    actor: User,
    cadence: str,
    send_time: time,
    timezone: str,
    team: Team | None = None,
    campaign: Campaign | None = None,
    weekday: int | None = None,
    day_of_month: int | None = None,
    recipients: Iterable[User] | None = None,
    extra_addresses: Iterable[str] = (),
    is_active: bool = True,
) -> ReportSubscription:
    """Subscribe to a report on one of the actor's teams or a campaign they may see; the
    recipients (the actor, if none is named) must belong to its teams."""
    if (team is None) == (campaign is None):
        raise InvalidInput({"team": ["Choose either a team or a campaign."]})
    require(actor, "campaigns.view", team or campaign)
    people = list(recipients) if recipients is not None else [actor]
    subscription = ReportSubscription(
        owner=actor,
        team=team,
        campaign=campaign,
        cadence=cadence,
        weekday=weekday,
        day_of_month=day_of_month,
        send_time=send_time,
        timezone=timezone,
        extra_addresses=list(extra_addresses),
        is_active=is_active,
    )
    _check(subscription, people)
    with audit_context(actor=actor.pk, action="report_subscription_create"):
        subscription.save()
        subscription.recipients.set(people)
    return subscription


@transaction.atomic
def report_subscription_update(
    *, subscription: ReportSubscription, actor: User, **changes: Any
) -> ReportSubscription:
    """Change one's own subscription: cadence, time, recipients, or pause it."""
    unknown = set(changes) - set(_FIELDS)
    if unknown:
        raise InvalidInput({name: ["This field cannot be changed."] for name in sorted(unknown)})
    locked = ReportSubscription.objects.select_for_update().get(pk=subscription.pk)
    if locked.owner_id != actor.pk:
        raise NotPermitted("You may change only your own report subscriptions.")
    require(actor, "campaigns.view", locked.campaign or locked.team)
    people = list(changes.pop("recipients", locked.recipients.all()))
    if "extra_addresses" in changes:
        changes["extra_addresses"] = list(changes["extra_addresses"])
    if "cadence" in changes:
        # Switching cadence drops the other cadences' day unless it is given again.
        changes.setdefault("weekday", None)
        changes.setdefault("day_of_month", None)
    for name, value in changes.items():
        setattr(locked, name, value)
    _check(locked, people)
    with audit_context(actor=actor.pk, action="report_subscription_update"):
        if changes:
            locked.save(update_fields=list(changes))
        locked.recipients.set(people)
    return locked
