"""Import a large CSV of evidence items (the web import stops at ``IMPORT_MAX_ROWS`` rows).

import_evidence FILE --team SLUG --actor USERNAME

The same service, checks and all-or-nothing rule as the web import, without its row limit: a
100k-row file is checked in seconds and inserted in one transaction, or nothing is imported
and every problem is listed as ``rows.N.column: message``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.errors import DomainError, InvalidInput
from accounts.models import Team, User
from messaging.services import evidence_import


class Command(BaseCommand):
    help = "Import evidence items from a CSV file: every row or none, no row limit."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="CSV with a header row naming the columns")
        parser.add_argument("--team", required=True, help="the owner team's slug")
        parser.add_argument("--actor", required=True, help="username of who imports them")

    def handle(self, *args: Any, **options: Any) -> None:
        team = Team.objects.filter(slug=options["team"]).first()
        actor = User.objects.filter(username=options["actor"], is_active=True).first()
        if team is None or actor is None:
            raise CommandError("No such team or active user.")
        try:
            content = options["file"].read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {options['file']}: {error}") from error
        try:
            items = evidence_import(actor=actor, owner_team=team, content=content, max_rows=None)
        except InvalidInput as error:
            for where, messages in error.errors.items():
                for message in messages:
                    self.stderr.write(f"{where}: {message}")
            raise CommandError("Nothing imported.") from error
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"Imported {len(items)} evidence items into {team}, unverified.")
