"""Writing outreach activities: create, edit, cancel, record an outcome, and the recalls that
follow withdrawn evidence or a changed message."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.db.models import Q
from django.utils import timezone

from accounts.errors import InvalidInput, RuleViolation
from accounts.models import User
from accounts.permissions import may, require
from audiences.models import Audience, Channel, Segment
from campaigns.models import (
    ActivityEvent,
    ActivityStatus,
    Campaign,
    Outcome,
    OutreachActivity,
)
from campaigns.services import _transitions as t
from messaging.models import EvidenceItem, Message
from messaging.services import library_share

S = ActivityStatus
Kind = ActivityEvent.Kind

DISPATCHABLE_FIELDS = ("audience", "segment", "message", "channel", "scheduled_at")
EDITABLE_FIELDS = ("title", *DISPATCHABLE_FIELDS)


def _resolve_time(
    audience: Audience, scheduled_at: datetime | None, local: datetime | None
) -> datetime:
    if (scheduled_at is None) == (local is None):
        raise InvalidInput({"scheduled_at": ["Give the time either in UTC or in local time."]})
    if local is None:
        assert scheduled_at is not None  # the check above: exactly one of the two was given
        return scheduled_at
    try:
        return audience.to_utc(local)
    except RuleViolation as error:  # name the field the caller actually gave
        raise InvalidInput({"scheduled_local": [error.message]}) from error


def _validate(
    *,
    actor: User,
    campaign: Campaign,
    audience: Audience,
    segment: Segment | None,
    message: Message,
    channel: Channel,
    scheduled_at: datetime,
    check_time: bool = True,
) -> None:
    """Every field-level rule of an activity; all problems reported at once. The time must lie
    ahead when it is set (``check_time``); other edits may be made after it has passed."""
    errors: dict[str, list[str]] = {}
    audience_ids = {a.pk for a in campaign.audiences.all()}
    if audience.pk not in audience_ids:
        errors["audience"] = [f"{audience} is not an audience of campaign {campaign}."]
    if segment is not None and segment.audience_id != audience.pk:
        errors["segment"] = [f"{segment.name} is a segment of another audience."]
    if not may(actor, "messaging.view", message):
        errors["message"] = ["No such message."]  # the same answer as for a missing one
    else:
        if not campaign.themes.filter(pk=message.theme_id).exists():
            errors["message"] = ["The message's theme is not a theme of this campaign."]
        elif message.language not in audience.languages:
            errors["message"] = [
                f"The message is in {message.language}; {audience} is reached in "
                f"{', '.join(audience.languages)}."
            ]
        elif message.audience_id not in (None, audience.pk):
            errors["message"] = [f"The message was written for {message.audience}."]
    if channel.owner_team_id not in campaign.access_team_ids() or not may(
        actor, "audiences.use_channel", channel
    ):
        errors["channel"] = ["No such channel."]
    elif not channel.is_active:
        errors["channel"] = [f"{channel.name} is switched off."]
    if check_time and scheduled_at <= timezone.now():
        errors["scheduled_at"] = ["The scheduled time has passed; choose a time in the future."]
    else:
        local_day = audience.to_local(scheduled_at).date()
        if not campaign.starts_on <= local_day <= campaign.ends_on:
            errors["scheduled_at"] = [
                f"The campaign runs from {campaign.starts_on} to {campaign.ends_on} "
                f"(local date {local_day} in {audience.timezone})."
            ]
    if errors:
        raise InvalidInput(errors)


def _share_library(activity: OutreachActivity) -> None:
    """The campaign's teams may see the message, its theme and the evidence it cites (TLP
    amber: the teams of campaigns that use an item)."""
    teams = [*activity.campaign.collaborating_teams.all(), activity.campaign.owner_team]
    message = activity.message
    library_share(item=message, teams=teams)
    library_share(item=message.theme, teams=teams)
    for evidence in EvidenceItem.objects.filter(citations__message=message):
        library_share(item=evidence, teams=teams)


@t.atomic
def activity_create(
    *,
    actor: User,
    campaign: Campaign,
    title: str,
    audience: Audience,
    message: Message,
    channel: Channel,
    scheduled_at: datetime | None = None,
    scheduled_local: datetime | None = None,
    segment: Segment | None = None,
) -> OutreachActivity:
    """Draft an activity; the time may be given in UTC or as the audience's wall-clock time."""
    require(actor, "campaigns.plan", campaign)
    if campaign.status == Campaign.Status.CLOSED:
        raise RuleViolation("The campaign is closed.", field="campaign")
    if not title.strip():
        raise InvalidInput({"title": ["Give the activity a title."]})
    when = _resolve_time(audience, scheduled_at, scheduled_local)
    _validate(
        actor=actor,
        campaign=campaign,
        audience=audience,
        segment=segment,
        message=message,
        channel=channel,
        scheduled_at=when,
    )
    with t.audited(actor, "create"):
        activity = OutreachActivity.objects.create(
            campaign=campaign,
            title=title.strip(),
            audience=audience,
            segment=segment,
            message=message,
            channel=channel,
            scheduled_at=when,
            owner=actor,
        )
        _share_library(activity)
        t.record(activity, kind=Kind.CREATED, actor=actor, from_status="", notify=False)
    return activity


def _describe(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "uuid"):
        return {"id": str(value.uuid), "name": str(value)}
    return value


@t.atomic
def activity_update(*, activity: OutreachActivity, actor: User, **changes: Any) -> OutreachActivity:
    """Edit an activity. A change to what goes out (audience, segment, message, channel, time)
    after review sends it back to ``changes_requested``: approved means frozen."""
    unknown = set(changes) - {*EDITABLE_FIELDS, "scheduled_local"}
    if unknown:
        raise InvalidInput({name: ["This field cannot be changed."] for name in sorted(unknown)})
    locked = t.lock(activity)
    require(actor, "campaigns.plan", locked)
    t.check(locked, "edit")
    audience = changes.get("audience", locked.audience)
    if "scheduled_local" in changes or "scheduled_at" in changes:
        changes["scheduled_at"] = _resolve_time(
            audience, changes.get("scheduled_at"), changes.pop("scheduled_local", None)
        )
    diff = {
        name: [_describe(getattr(locked, name)), _describe(value)]
        for name, value in changes.items()
        if getattr(locked, name) != value
    }
    if not diff:
        return locked
    for name in diff:
        setattr(locked, name, changes[name])
    if "title" in diff and not locked.title.strip():
        raise InvalidInput({"title": ["Give the activity a title."]})
    _validate(
        actor=actor,
        campaign=locked.campaign,
        audience=locked.audience,
        segment=locked.segment,
        message=locked.message,
        channel=locked.channel,
        scheduled_at=locked.scheduled_at,
        check_time="scheduled_at" in diff,
    )
    from_status = locked.status
    fields = list(diff)
    if from_status in t.REVIEWED and set(diff) & set(DISPATCHABLE_FIELDS):
        fields += t.send_back(locked)
    with t.audited(actor, "edit"):
        t.write(locked, *fields)
        if "message" in diff:
            _share_library(locked)
        t.record(
            locked,
            kind=Kind.EDITED,
            actor=actor,
            from_status=from_status,
            changes=diff,
            notify=locked.status != from_status,
        )
    return locked


@t.atomic
def activity_cancel(
    *, activity: OutreachActivity, actor: User, reason: str = ""
) -> OutreachActivity:
    """Cancel an activity that has not gone out; it will never be dispatched."""
    from campaigns.services.dispatch import cancel_guard

    locked = t.lock(activity)
    require(actor, "campaigns.plan", locked)
    t.check(locked, "cancel")
    cancel_guard(locked)
    from_status = locked.status
    locked.status = S.CANCELLED
    locked.current_step = None
    with t.audited(actor, "cancel"):
        t.write(locked, "status", "current_step")
        t.record(locked, kind=Kind.CANCELLED, actor=actor, from_status=from_status, comment=reason)
    return locked


def _valid_url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


@t.atomic
def activity_record_outcome(
    *,
    activity: OutreachActivity,
    actor: User,
    reach: int,
    engagement: int,
    pickups: Iterable[str] = (),
    notes: str = "",
) -> Outcome:
    """Record (or correct) what a dispatched activity achieved; it becomes ``completed``."""
    locked = t.lock(activity)
    require(actor, "campaigns.plan", locked)
    t.check(locked, "record_outcome")
    pickups = list(pickups)
    errors: dict[str, list[str]] = {}
    if reach < 0:
        errors["reach"] = ["Reach cannot be negative."]
    if engagement < 0:
        errors["engagement"] = ["Engagement cannot be negative."]
    elif engagement > reach:
        errors["engagement"] = ["Engagement cannot exceed reach."]
    bad = [p for p in pickups if not _valid_url(p)]
    if bad:
        errors["pickups"] = [f"Not an http(s) URL: {p}" for p in bad]
    if errors:
        raise InvalidInput(errors)
    from_status = locked.status
    with t.audited(actor, "record_outcome"):
        outcome, _ = Outcome.objects.update_or_create(
            activity=locked,
            defaults={
                "reach": reach,
                "engagement": engagement,
                "pickups": pickups,
                "notes": notes,
                "recorded_by": actor,
            },
        )
        locked.status = S.COMPLETED
        t.write(locked, "status")
        t.record(
            locked,
            kind=Kind.OUTCOME_RECORDED,
            actor=actor,
            from_status=from_status,
            changes={"reach": reach, "engagement": engagement, "pickups": pickups},
            notify=False,
        )
    return outcome


def _send_back(
    activities: Iterable[OutreachActivity], *, kind: str, actor: User, comment: str, changes: dict
) -> list[OutreachActivity]:
    sent_back = []
    for locked in activities:
        from_status = locked.status
        t.write(locked, *t.send_back(locked))
        t.record(
            locked,
            kind=kind,
            actor=actor,
            from_status=from_status,
            comment=comment,
            changes=changes,
        )
        sent_back.append(locked)
    return sent_back


def _recall(
    scope: Q, *, kind: str, actor: User, comment: str, changes: dict[str, Any]
) -> list[OutreachActivity]:
    """Send every reviewed, not yet dispatched activity in ``scope`` back for review. One lock
    order for everyone (by pk), and only the activity rows are locked: no deadlock between two
    recalls, nor with a service holding a message or citation row."""
    candidates = (
        OutreachActivity.objects.filter(scope, status__in=t.ALLOWED_FROM["recall"])
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    with t.audited(actor, "recall"):
        return _send_back(candidates, kind=kind, actor=actor, comment=comment, changes=changes)


@t.atomic
def activity_recall_citing(
    *, evidence: EvidenceItem, actor: User, reason: str
) -> list[OutreachActivity]:
    """Retraction recall: every reviewed, not yet dispatched activity whose message cites the
    evidence goes back to ``changes_requested`` and its owner is told."""
    return _recall(
        Q(message__citations__evidence_id=evidence.pk),
        kind=Kind.RECALLED,
        actor=actor,
        comment=f"Evidence {evidence.get_status_display().lower()}: {reason}",
        changes={"evidence": {"id": str(evidence.uuid), "status": evidence.status}},
    )


@t.atomic
def activity_recall_using(
    *, message: Message, actor: User, changes: dict[str, Any]
) -> list[OutreachActivity]:
    """A message changed after review: activities sending it go back for review."""
    return _recall(
        Q(message=message),
        kind=Kind.EDITED,
        actor=actor,
        comment=f"The message changed (now version {message.version}).",
        changes={"message": changes},
    )


@t.atomic
def activity_recall_in_campaign(
    *, campaign: Campaign, actor: User, changes: dict[str, Any]
) -> list[OutreachActivity]:
    """The campaign's speaker changed after review: its reviewed activities go back, since the
    approved content names the speaker (``attributed_to`` is part of the approved hash)."""
    return _recall(
        Q(campaign=campaign),
        kind=Kind.EDITED,
        actor=actor,
        comment="The campaign's speaker (attributed to) changed.",
        changes={"campaign": changes},
    )


@t.atomic
def activity_recall_on_channel(
    *, channel: Channel, actor: User, changes: dict[str, Any]
) -> list[OutreachActivity]:
    """A channel's destination changed after review: activities sending through it go back."""
    return _recall(
        Q(channel=channel),
        kind=Kind.EDITED,
        actor=actor,
        comment=f"The channel {channel.name} now delivers elsewhere.",
        changes={"channel": changes},
    )
