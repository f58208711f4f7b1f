"""The CSV import of evidence: every row checked as the model checks it, then all rows or none."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from accounts.audit import audit_context
from accounts.db import save_values
from accounts.errors import (
    InvalidInput,
)
from accounts.models import Team, User
from messaging.models import (
    EvidenceItem,
)
from messaging.services.evidence import _EVIDENCE_CONTENT
from messaging.services.library import _require_team_role

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
    """Insert new evidence items in bulk (the statement-level audit trigger fires once for the
    whole ``COPY``, writing one audit row per item under one context).

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
