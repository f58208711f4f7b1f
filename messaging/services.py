"""Every write to themes, evidence, messages and citations. Each service is atomic, checks the
actor's permission through ``accounts.permissions`` and raises typed domain errors."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.audit import audit_context
from accounts.db import save_values
from accounts.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    RuleViolation,
    full_clean,
)
from accounts.models import Marking, Team, User
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


def _require_team_role(actor: User, team: Team) -> None:
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
    actor: User,
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
    try:
        # A savepoint: a title taken a moment ago by another request is a conflict, not a 500.
        with audit_context(actor=actor.pk, action="theme_create"), transaction.atomic():
            theme.save()
    except IntegrityError as error:
        raise Conflict("Someone just gave a theme of your team this title.") from error
    return theme


@transaction.atomic
def evidence_create(
    *,
    actor: User,
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
    *, evidence: EvidenceItem, actor: User, status: str, reason: str
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
def evidence_verify(*, evidence: EvidenceItem, actor: User, reason: str = "") -> EvidenceItem:
    """Mark evidence verified (reviewer or lead of its owner team)."""
    return _evidence_set_status(
        evidence=evidence, actor=actor, status=Status.VERIFIED, reason=reason
    )


@transaction.atomic
def evidence_dispute(*, evidence: EvidenceItem, actor: User, reason: str) -> EvidenceItem:
    """Mark evidence disputed; approved activities citing it are recalled."""
    return _evidence_set_status(
        evidence=evidence, actor=actor, status=Status.DISPUTED, reason=reason
    )


@transaction.atomic
def evidence_retract(*, evidence: EvidenceItem, actor: User, reason: str) -> EvidenceItem:
    """Retract evidence for good; approved activities citing it are recalled."""
    return _evidence_set_status(
        evidence=evidence, actor=actor, status=Status.RETRACTED, reason=reason
    )


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


def library_share(*, item: LibraryItem, teams: Iterable[Team]) -> None:
    """Share an amber item with teams (the teams of a campaign that uses it). Idempotent."""
    missing = [t for t in teams if t.pk != item.owner_team_id]
    if missing:
        item.shared_with.add(*missing)


_THEME_FIELDS = ("title", "summary", "key_points", "tags", "marking")


@transaction.atomic
def theme_update(*, theme: Theme, actor: User, **changes: Any) -> Theme:
    """Edit a theme (planner, reviewer or lead of its owner team)."""
    unknown = set(changes) - set(_THEME_FIELDS)
    if unknown:
        raise InvalidInput({name: ["This field cannot be changed."] for name in sorted(unknown)})
    locked = Theme.objects.select_for_update().get(pk=theme.pk)
    require(actor, "messaging.edit", locked)
    for name in ("key_points", "tags"):
        if name in changes:
            changes[name] = list(changes[name])
    diff = {n: v for n, v in changes.items() if getattr(locked, n) != v}
    if not diff:
        return locked
    for name, value in diff.items():
        setattr(locked, name, value)
    full_clean(locked, exclude={"shared_with"})
    if (
        "title" in diff
        and Theme.objects.filter(owner_team_id=locked.owner_team_id, title=locked.title)
        .exclude(pk=locked.pk)
        .exists()
    ):
        raise InvalidInput({"title": ["Your team already has a theme with this title."]})
    try:
        # A savepoint: a title taken a moment ago by another request is a conflict, not a 500.
        with audit_context(actor=actor.pk, action="theme_update"), transaction.atomic():
            locked.save(update_fields=[*diff, "updated_at"])
    except IntegrityError as error:
        raise Conflict("Someone just gave a theme of your team this title.") from error
    return locked


# What a reviewer verified: changing any of it would leave a "verified" label on something
# nobody checked, under approvals that relied on it.
_EVIDENCE_CONTENT = (
    "claim",
    "source_url",
    "publisher",
    "published_on",
    "excerpt",
    "language",
    "source_reliability",
    "information_credibility",
)


@transaction.atomic
def evidence_update(*, evidence: EvidenceItem, actor: User, **changes: Any) -> EvidenceItem:
    """Correct an evidence item (planner, reviewer or lead of its owner team). Its content can
    change only while nobody vouches for it (unverified or disputed); verified evidence is
    disputed first, retracted evidence is final. The marking may change until retraction."""
    unknown = set(changes) - {*_EVIDENCE_CONTENT, "marking"}
    if unknown:
        raise InvalidInput({name: ["This field cannot be changed."] for name in sorted(unknown)})
    locked = EvidenceItem.objects.select_for_update().get(pk=evidence.pk)
    require(actor, "messaging.edit", locked)
    diff = {n: v for n, v in changes.items() if getattr(locked, n) != v}
    if not diff:
        return locked
    if locked.status == Status.RETRACTED:
        raise InvalidTransition("Retracted evidence cannot be changed.", field="status")
    if locked.status == Status.VERIFIED and set(diff) & set(_EVIDENCE_CONTENT):
        raise InvalidTransition(
            "Verified evidence cannot be edited: dispute it first (approvals relied on it), "
            "or record the corrected source as a new item.",
            field="status",
        )
    for name, value in diff.items():
        setattr(locked, name, value)
    full_clean(locked, exclude={"shared_with"})
    with audit_context(actor=actor.pk, action="evidence_update"):
        locked.save(update_fields=[*diff, "updated_at"])
    return locked


IMPORT_COLUMNS = (*_EVIDENCE_CONTENT, "marking")
_REQUIRED_COLUMNS = {"claim", "source_url", "publisher", "language", "source_reliability"}
_REQUIRED_COLUMNS |= {"information_credibility"}
IMPORT_MAX_ROWS = 1000
_IMPORT_FIELDS = {name: EvidenceItem._meta.get_field(name) for name in IMPORT_COLUMNS}


def _import_row(row: dict[str, str]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """One CSV row as ``evidence_create`` arguments, or its problems."""
    values: dict[str, Any] = {k: (row.get(k) or "").strip() for k in IMPORT_COLUMNS}
    errors: dict[str, list[str]] = {}
    for name in _REQUIRED_COLUMNS:
        if not values[name]:
            errors[name] = ["This column is required."]
    credibility = values["information_credibility"]
    if credibility:
        if credibility.isdigit():
            values["information_credibility"] = int(credibility)
        else:
            errors["information_credibility"] = ["Give a number from 1 to 6."]
    published = values.pop("published_on")
    if published:
        try:
            values["published_on"] = date.fromisoformat(published)
        except ValueError:
            errors["published_on"] = ["Give the date as YYYY-MM-DD."]
    if not values["marking"]:
        values.pop("marking")
    return values, errors


def _parse_import(content: str) -> list[dict[str, str]]:
    """The CSV's rows as dicts, after checking the file and its header."""
    if "\x00" in content:
        # PostgreSQL text cannot hold NUL; a file that has them is not CSV text anyway.
        raise InvalidInput({"file": ["Not a readable CSV file: it contains NUL bytes."]})
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
    try:
        header = [name.strip() for name in reader.fieldnames or []]
        reader.fieldnames = header
        rows = list(reader)
    except csv.Error as error:
        raise InvalidInput({"file": [f"Not a readable CSV file: {error}."]}) from error
    missing = sorted(_REQUIRED_COLUMNS - set(header))
    unknown = sorted(set(header) - set(IMPORT_COLUMNS))
    if missing or unknown or len(set(header)) != len(header):
        problems = [f"Missing column: {name}" for name in missing]
        problems += [f"Unknown column: {name}" for name in unknown]
        if len(set(header)) != len(header):
            problems.append("A column appears twice.")
        raise InvalidInput({"file": problems})
    if not rows:
        raise InvalidInput({"file": ["The file has a header but no rows."]})
    return rows


# Checked once for the whole file (the owner team), or needing no check (a fresh uuid4).
_NOT_IMPORTED = [f.name for f in EvidenceItem._meta.fields if f.name not in IMPORT_COLUMNS]


def _field_problems(item: EvidenceItem) -> dict[str, list[str]]:
    """What ``full_clean`` would say about an imported row, without its per-row queries: the
    model's own ``clean_fields`` (which also leaves the cleaned values on ``item``) and
    ``clean``, leaving out the fields that are not in the file."""
    try:
        item.clean_fields(exclude=_NOT_IMPORTED)
        item.clean()
    except ValidationError as error:
        return error.message_dict
    return {}


def _insert_evidence(items: list[EvidenceItem]) -> None:
    """Insert new evidence items in bulk (the audit triggers fire per row as for any insert).

    On PostgreSQL: ids from the table's own sequence, then one ``COPY`` (about ten times
    faster than INSERTs for 100k rows). Elsewhere (SQLite, no triggers): ``bulk_create``."""
    if connection.vendor != "postgresql":
        EvidenceItem.objects.bulk_create(items, batch_size=500)
        return
    table = EvidenceItem._meta.db_table
    fields = [f for f in EvidenceItem._meta.concrete_fields if not f.primary_key]
    with connection.cursor() as cursor:
        # Through Django's cursor, and not a bare SELECT (which pghistory's execute wrapper
        # skips): the wrapper sets the audit context for the rest of the transaction, where
        # the COPY's triggers read it.
        cursor.execute(
            "WITH ids AS (SELECT nextval(pg_get_serial_sequence(%s, 'id')) AS id "
            "FROM generate_series(1, %s)) SELECT id FROM ids",
            [table, len(items)],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        quote = connection.ops.quote_name
        # Concrete fields (the pk among them) always have a column; django-stubs types
        # ``Field.column`` optional for the non-concrete ones.
        columns = ", ".join(quote(f.column) for f in [EvidenceItem._meta.pk, *fields])  # type: ignore[arg-type]
        with cursor.cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
            for item, pk in zip(items, ids, strict=True):
                item.pk = pk
                # As Django's own INSERT sends them (timestamps filled in, values prepared).
                copy.write_row([pk, *save_values(item, fields, add=True)])
    for item in items:
        item._state.adding = False


@transaction.atomic
def evidence_import(
    *, actor: User, owner_team: Team, content: str, max_rows: int | None = IMPORT_MAX_ROWS
) -> list[EvidenceItem]:
    """Import evidence items from CSV text (a header row naming ``IMPORT_COLUMNS``): all rows or
    none. Every problem is reported with its row (as numbered in a spreadsheet, the header
    being row 1) and column, e.g. ``rows.3.source_url``.

    ``max_rows`` bounds what one web request (API or UI, whose preview lists every row) may
    import; ``manage.py import_evidence`` passes ``None`` for large files. Every row is checked
    first, as ``evidence_create`` would check it; only a file without problems is inserted, in
    bulk."""
    _require_team_role(actor, owner_team)
    rows = _parse_import(content)
    if max_rows is not None and len(rows) > max_rows:
        raise InvalidInput({"file": [f"Import at most {max_rows} rows at a time."]})
    errors: dict[str, list[str]] = {}
    items: list[EvidenceItem] = []
    for number, row in enumerate(rows, start=2):
        if None in row:  # more cells than columns
            errors[f"rows.{number}"] = ["The row has more cells than the header."]
            continue
        values, problems = _import_row(row)
        item = EvidenceItem(owner_team=owner_team, **values)
        problems = problems or _field_problems(item)
        for field, messages in problems.items():
            errors[f"rows.{number}.{field}"] = messages
        if not errors:
            items.append(item)
    if errors:
        raise InvalidInput(errors)
    with audit_context(actor=actor.pk, action="evidence_import"):
        _insert_evidence(items)
    return items


class _PreviewOnly(Exception):
    """Raised inside the preview's savepoint to roll back what the import wrote."""


def evidence_import_preview(*, actor: User, owner_team: Team, content: str) -> list[dict[str, str]]:
    """Run the import exactly as ``evidence_import`` would — same checks, same errors (raised as
    ``InvalidInput``) — then roll it back: what the rows would become, with nothing saved."""
    preview: list[dict[str, str]] = []
    try:
        with transaction.atomic():
            for item in evidence_import(actor=actor, owner_team=owner_team, content=content):
                preview.append(
                    {
                        "claim": item.claim,
                        "publisher": item.publisher,
                        "source_url": item.source_url,
                        "admiralty_code": item.admiralty_code,
                        "language": item.language,
                        "marking": item.marking,
                    }
                )
            raise _PreviewOnly
    except _PreviewOnly:
        pass
    return preview
