"""Messages and their citations: every edit a new version, every change to what goes out sent back
for review."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from accounts.audit import audit_context
from accounts.errors import (
    InvalidInput,
    RuleViolation,
    full_clean,
)
from accounts.models import Team, User
from accounts.permissions import require
from audiences.models import Audience
from messaging.models import (
    Citation,
    EvidenceItem,
    Message,
    MessageRevision,
    Theme,
)
from messaging.services.evidence import Status
from messaging.services.library import _require_team_role
from messaging.signals import message_changed


@transaction.atomic
def message_create(
    *,
    actor: User,
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
def message_update(*, message: Message, actor: User, **changes: str) -> Message:
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


def _revision(message: Message, actor: User) -> None:
    MessageRevision.objects.create(
        message=message,
        version=message.version,
        headline=message.headline,
        body=message.body,
        call_to_action=message.call_to_action,
        edited_by=actor,
    )


def _cite(*, message: Message, evidence: EvidenceItem, sentence: str, actor: User) -> Citation:
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
    *, message: Message, evidence: EvidenceItem, sentence: str, actor: User
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
def citation_remove(*, citation: Citation, actor: User) -> None:
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
