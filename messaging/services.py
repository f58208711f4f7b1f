"""Every write to themes, evidence, messages and citations. Each service is atomic, checks the
actor's permission through ``accounts.permissions`` and raises typed domain errors."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_context
from accounts.errors import InvalidInput, InvalidTransition, RuleViolation, full_clean
from accounts.models import Marking, Team
from accounts.permissions import require
from audiences.models import Audience
from messaging.models import Citation, EvidenceItem, LibraryItem, Message, MessageRevision, Theme
from messaging.signals import evidence_withdrawn, message_changed

Status = EvidenceItem.Status

# Which verification status may follow which. Retracted is final: a retracted source is gone.
EVIDENCE_TRANSITIONS: dict[str, set[str]] = {
    Status.UNVERIFIED: {Status.VERIFIED, Status.DISPUTED, Status.RETRACTED},
    Status.VERIFIED: {Status.DISPUTED, Status.RETRACTED},
    Status.DISPUTED: {Status.VERIFIED, Status.RETRACTED},
    Status.RETRACTED: set(),
}


def _require_team_role(actor: Any, team: Team) -> None:
    require(actor, "messaging.edit", _OwnedBy(team))


class _OwnedBy:
    """Stands for a not-yet-created item owned by ``team`` in a permission check."""

    def __init__(self, team: Team) -> None:
        self.owner_team_id = team.pk

    def access_team_ids(self) -> set[int]:
        return {self.owner_team_id}


@transaction.atomic
def theme_create(
    *,
    actor: Any,
    owner_team: Team,
    title: str,
    summary: str,
    key_points: Sequence[str] = (),
    tags: Sequence[str] = (),
    marking: str = Marking.AMBER,
) -> Theme:
    """Create a theme owned by one of the actor's teams."""
    _require_team_role(actor, owner_team)
    theme = Theme(
        owner_team=owner_team,
        title=title,
        summary=summary,
        key_points=list(key_points),
        tags=list(tags),
        marking=marking,
    )
    full_clean(theme, exclude={"shared_with"})
    if Theme.objects.filter(owner_team=owner_team, title=title).exists():
        raise InvalidInput({"title": ["Your team already has a theme with this title."]})
    with audit_context(actor=actor.pk, action="theme_create"):
        theme.save()
    return theme


@transaction.atomic
def evidence_create(
    *,
    actor: Any,
    owner_team: Team,
    claim: str,
    source_url: str,
    publisher: str,
    language: str,
    source_reliability: str,
    information_credibility: int,
    published_on: date | None = None,
    excerpt: str = "",
    marking: str = Marking.AMBER,
) -> EvidenceItem:
    """Record a sourced claim, unverified until a reviewer verifies it."""
    _require_team_role(actor, owner_team)
    evidence = EvidenceItem(
        owner_team=owner_team,
        claim=claim,
        source_url=source_url,
        publisher=publisher,
        language=language,
        source_reliability=source_reliability,
        information_credibility=information_credibility,
        published_on=published_on,
        excerpt=excerpt,
        marking=marking,
    )
    full_clean(evidence, exclude={"shared_with"})
    with audit_context(actor=actor.pk, action="evidence_create"):
        evidence.save()
    return evidence


def _evidence_set_status(
    *, evidence: EvidenceItem, actor: Any, status: str, reason: str
) -> EvidenceItem:
    require(actor, "messaging.verify", evidence)
    if status in EvidenceItem.WITHDRAWN and not reason.strip():
        raise InvalidInput({"reason": ["Say why the evidence is " + status + "."]})
    locked = EvidenceItem.objects.select_for_update().get(pk=evidence.pk)
    if status not in EVIDENCE_TRANSITIONS[locked.status]:
        raise InvalidTransition(
            f"Evidence that is {locked.status} cannot become {status}.", field="status"
        )
    was_withdrawn = locked.is_withdrawn
    locked.status = status
    locked.status_changed_by = actor
    locked.status_changed_at = timezone.now()
    locked.status_reason = reason
    with audit_context(actor=actor.pk, action=f"evidence_{status}", reason=reason):
        locked.save(
            update_fields=[
                "status",
                "status_changed_by",
                "status_changed_at",
                "status_reason",
                "updated_at",
            ]
        )
        if locked.is_withdrawn and not was_withdrawn:
            # Receivers (campaigns) recall what cited it, in this same transaction.
            evidence_withdrawn.send(
                sender=EvidenceItem, evidence=locked, actor=actor, reason=reason
            )
    return locked


@transaction.atomic
def evidence_verify(*, evidence: EvidenceItem, actor: Any, reason: str = "") -> EvidenceItem:
    """Mark evidence verified (reviewer or lead of its owner team)."""
    return _evidence_set_status(
        evidence=evidence, actor=actor, status=Status.VERIFIED, reason=reason
    )


@transaction.atomic
def evidence_dispute(*, evidence: EvidenceItem, actor: Any, reason: str) -> EvidenceItem:
    """Mark evidence disputed; approved activities citing it are recalled."""
    return _evidence_set_status(
        evidence=evidence, actor=actor, status=Status.DISPUTED, reason=reason
    )


@transaction.atomic
def evidence_retract(*, evidence: EvidenceItem, actor: Any, reason: str) -> EvidenceItem:
    """Retract evidence for good; approved activities citing it are recalled."""
    return _evidence_set_status(
        evidence=evidence, actor=actor, status=Status.RETRACTED, reason=reason
    )


@transaction.atomic
def message_create(
    *,
    actor: Any,
    theme: Theme,
    language: str,
    headline: str,
    body: str,
    call_to_action: str = "",
    audience: Audience | None = None,
    owner_team: Team | None = None,
    marking: str | None = None,
    citations: Iterable[tuple[EvidenceItem, str]] = (),
) -> Message:
    """Write a message for a theme, with the evidence that backs its sentences."""
    owner_team = owner_team or theme.owner_team
    _require_team_role(actor, owner_team)
    require(actor, "messaging.view", theme)
    message = Message(
        owner_team=owner_team,
        theme=theme,
        language=language,
        audience=audience,
        headline=headline,
        body=body,
        call_to_action=call_to_action,
        marking=marking or theme.marking,
    )
    full_clean(message, exclude={"shared_with"})
    if audience is not None and language not in audience.languages:
        raise InvalidInput(
            {"language": [f"{audience} is reached in {', '.join(audience.languages)}."]}
        )
    with audit_context(actor=actor.pk, action="message_create"):
        message.save()
        _revision(message, actor)
        for evidence, sentence in citations:
            _cite(message=message, evidence=evidence, sentence=sentence, actor=actor)
    return message


_TEXT_FIELDS = ("headline", "body", "call_to_action")


@transaction.atomic
def message_update(*, message: Message, actor: Any, **changes: str) -> Message:
    """Edit a message's text: a new version is kept, and activities approved with the old text
    go back for review."""
    unknown = set(changes) - set(_TEXT_FIELDS)
    if unknown:
        raise InvalidInput({name: ["This field cannot be changed here."] for name in unknown})
    locked = Message.objects.select_for_update().get(pk=message.pk)
    require(actor, "messaging.edit", locked)
    diff = {
        name: [getattr(locked, name), value]
        for name, value in changes.items()
        if getattr(locked, name) != value
    }
    if not diff:
        return locked
    for name, (_, value) in diff.items():
        setattr(locked, name, value)
    full_clean(locked, exclude={"shared_with"})
    locked.version += 1
    with audit_context(actor=actor.pk, action="message_update"):
        locked.save(update_fields=[*diff, "version", "updated_at"])
        _revision(locked, actor)
        message_changed.send(sender=Message, message=locked, actor=actor, changes=diff)
    return locked


def _revision(message: Message, actor: Any) -> None:
    MessageRevision.objects.create(
        message=message,
        version=message.version,
        headline=message.headline,
        body=message.body,
        call_to_action=message.call_to_action,
        edited_by=actor,
    )


def _cite(*, message: Message, evidence: EvidenceItem, sentence: str, actor: Any) -> Citation:
    # Read the evidence afresh under a row lock: a caller's copy may predate a retraction, and
    # a retraction racing with this citation must wait for it (then recall what it backs).
    evidence = EvidenceItem.objects.select_for_update().get(pk=evidence.pk)
    require(actor, "messaging.view", evidence)
    if not sentence.strip():
        raise InvalidInput({"sentence": ["Quote the sentence this evidence backs."]})
    if sentence.strip() not in f"{message.headline}\n{message.body}\n{message.call_to_action}":
        raise InvalidInput({"sentence": ["The sentence must appear in the message text."]})
    if evidence.status == Status.RETRACTED:
        raise RuleViolation("Retracted evidence cannot be cited.", field="evidence")
    if Citation.objects.filter(message=message, evidence=evidence).exists():
        raise InvalidInput({"evidence": ["The message already cites this evidence."]})
    return Citation.objects.create(message=message, evidence=evidence, sentence=sentence.strip())


@transaction.atomic
def citation_add(
    *, message: Message, evidence: EvidenceItem, sentence: str, actor: Any
) -> Citation:
    """Cite evidence for a sentence of the message (evidence the actor may see, not retracted)."""
    locked = Message.objects.select_for_update().get(pk=message.pk)
    require(actor, "messaging.edit", locked)
    with audit_context(actor=actor.pk, action="citation_add"):
        citation = _cite(message=locked, evidence=evidence, sentence=sentence, actor=actor)
        message_changed.send(
            sender=Message,
            message=locked,
            actor=actor,
            changes={"citations": [None, str(evidence.uuid)]},
        )
    return citation


@transaction.atomic
def citation_remove(*, citation: Citation, actor: Any) -> None:
    """Remove a citation; activities approved with it go back for review."""
    message = Message.objects.select_for_update().get(pk=citation.message_id)
    require(actor, "messaging.edit", message)
    evidence_uuid = str(citation.evidence.uuid)
    with audit_context(actor=actor.pk, action="citation_remove"):
        citation.delete()
        message_changed.send(
            sender=Message,
            message=message,
            actor=actor,
            changes={"citations": [evidence_uuid, None]},
        )


def library_share(*, item: LibraryItem, teams: Iterable[Team]) -> None:
    """Share an amber item with teams (the teams of a campaign that uses it). Idempotent."""
    missing = [t for t in teams if t.pk != item.owner_team_id]
    if missing:
        item.shared_with.add(*missing)
