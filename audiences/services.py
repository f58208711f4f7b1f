"""Every write to a team's channels. Audiences, countries and segments are reference data
loaded by migration; channels are a team's own, managed by its leads."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from accounts.audit import audit_context
from accounts.errors import Conflict, InvalidInput, full_clean
from accounts.models import Membership, Team, User
from accounts.permissions import require
from audiences.models import Channel
from audiences.signals import channel_changed
from config import outbound

_FIELDS = (
    "kind",
    "name",
    "email_recipients",
    "webhook_url",
    "webhook_secret",
    "officer",
    "is_active",
)
# What decides where content goes (see ``Channel.dispatch_identity``).
_DESTINATION = ("kind", "email_recipients", "webhook_url", "officer")
_MIN_SECRET = 16


@contextmanager
def _same_name_race() -> Iterator[None]:
    """Two requests naming a channel alike at once: the unique index decides, in a savepoint,
    and the loser hears so (409) instead of a server error."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as error:
        raise Conflict("Someone just gave a channel of your team this name.") from error


def _check(channel: Channel, *, new_destination: bool = True) -> None:
    """Every rule of a channel's shape; all problems reported at once. A webhook URL given
    anew must point where the outbound policy lets Candor connect (checked again at every
    send); one kept as it was is not looked up, so a channel whose URL the policy has since
    come to refuse can still be renamed or switched off."""
    errors: dict[str, list[str]] = {}
    if not channel.name.strip():
        errors["name"] = ["Give the channel a name."]
    if channel.kind not in Channel.Kind.values:
        errors["kind"] = [f"Choose one of {', '.join(Channel.Kind.values)}."]
    recipients = channel.email_recipients
    if channel.kind == Channel.Kind.EMAIL:
        if not recipients:
            errors["email_recipients"] = ["An e-mail channel needs at least one recipient."]
        else:
            bad = []
            for address in recipients:
                try:
                    validate_email(address)
                except ValidationError:
                    bad.append(address)
            if bad:
                errors["email_recipients"] = [f"Not an e-mail address: {a}" for a in bad]
            elif len(set(recipients)) != len(recipients):
                errors["email_recipients"] = ["Each address may appear only once."]
    elif recipients:
        errors["email_recipients"] = ["Only e-mail channels have recipients."]
    if channel.kind == Channel.Kind.WEBHOOK:
        if not channel.webhook_url:
            errors["webhook_url"] = ["A webhook channel needs a URL."]
        elif new_destination:
            try:
                outbound.check_url(channel.webhook_url)
            except outbound.OutboundRefused as refused:
                errors["webhook_url"] = [f"The URL {refused.reason}."]
        if len(channel.webhook_secret) < _MIN_SECRET:
            errors["webhook_secret"] = [
                f"A webhook channel needs a secret of at least {_MIN_SECRET} characters "
                "(it signs every delivery)."
            ]
    else:
        if channel.webhook_url:
            errors["webhook_url"] = ["Only webhook channels have a URL."]
        if channel.webhook_secret:
            errors["webhook_secret"] = ["Only webhook channels have a secret."]
    if channel.kind == Channel.Kind.MANUAL:
        if channel.officer_id is None:
            errors["officer"] = ["A manual channel needs a responsible officer."]
        elif not Membership.objects.filter(
            user_id=channel.officer_id, team_id=channel.owner_team_id, user__is_active=True
        ).exists():
            errors["officer"] = ["The officer must be an active member of the channel's team."]
    elif channel.officer_id is not None:
        errors["officer"] = ["Only manual channels have an officer."]
    if (
        channel.name.strip()
        and Channel.objects.filter(owner_team_id=channel.owner_team_id, name=channel.name.strip())
        .exclude(pk=channel.pk)
        .exists()
    ):
        errors["name"] = ["Your team already has a channel with this name."]
    if errors:
        raise InvalidInput(errors)
    full_clean(channel)


@transaction.atomic
def channel_create(
    *,
    actor: User,
    owner_team: Team,
    kind: str,
    name: str,
    email_recipients: Sequence[str] = (),
    webhook_url: str = "",
    webhook_secret: str = "",
    officer: User | None = None,
    is_active: bool = True,
) -> Channel:
    """Add a channel to one of the actor's teams (its lead)."""
    require(actor, "audiences.manage_channel", owner_team)
    channel = Channel(
        owner_team=owner_team,
        kind=kind,
        name=name.strip(),
        email_recipients=list(email_recipients),
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        officer=officer,
        is_active=is_active,
    )
    _check(channel)
    with audit_context(actor=actor.pk, action="channel_create"), _same_name_race():
        channel.save()
    return channel


def _describe(name: str, value: Any) -> Any:
    if name == "webhook_secret":
        return "(changed)"
    if isinstance(value, User):
        return value.username
    return value


@transaction.atomic
def channel_update(*, channel: Channel, actor: User, **changes: Any) -> Channel:
    """Change a channel (its team's lead). If where it delivers changes, activities approved
    for the old destination go back for review (``channel_changed``)."""
    unknown = set(changes) - set(_FIELDS)
    if unknown:
        raise InvalidInput({name: ["This field cannot be changed."] for name in sorted(unknown)})
    locked = Channel.objects.select_for_update().get(pk=channel.pk)
    require(actor, "audiences.manage_channel", locked)
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    if "email_recipients" in changes:
        changes["email_recipients"] = list(changes["email_recipients"])
    diff = {
        name: [_describe(name, getattr(locked, name)), _describe(name, value)]
        for name, value in changes.items()
        if getattr(locked, name) != value
    }
    if not diff:
        return locked
    for name in diff:
        setattr(locked, name, changes[name])
    _check(locked, new_destination=bool({"kind", "webhook_url"} & set(diff)))
    with audit_context(actor=actor.pk, action="channel_update"):
        with _same_name_race():
            locked.save(update_fields=list(diff))
        moved = {name: value for name, value in diff.items() if name in _DESTINATION}
        if moved:
            channel_changed.send(sender=Channel, channel=locked, actor=actor, changes=moved)
    return locked
