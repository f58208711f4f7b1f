"""``manage.py verify_chain``: re-check the accountability chain from the database alone.

One line per finding and a summary (``--json``: one JSON document); exit status 1 on any
finding. The checks are in ``campaigns.verification``.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from campaigns import verification


class Command(BaseCommand):
    help = (
        "Check every activity's hash-chained history and, for each one sent, its payloads, the "
        "evidence at the moment of sending, four eyes and the approvers' roles. Exits 1 on any "
        "finding."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="One JSON document for machines.")

    def handle(self, *args: Any, **options: Any) -> None:
        findings = []
        for finding in verification.verify():
            findings.append(finding)
            if not options["json"]:
                self.stdout.write(finding.line())
        notes = ["roles checked against today's memberships (they keep no history)"]
        activities = {f.activity for f in findings}
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "findings": [f.as_dict() for f in findings],
                        "activities_with_findings": len(activities),
                        "notes": notes,
                    },
                    indent=2,
                )
            )
        else:
            for note in notes:
                self.stdout.write(f"note: {note}")
            self.stdout.write(
                f"{len(findings)} finding(s) in {len(activities)} activit"
                f"{'y' if len(activities) == 1 else 'ies'}"
                if findings
                else "No findings: every chain is whole and every send accounted for."
            )
        if findings:
            sys.exit(1)
