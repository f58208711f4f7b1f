"""Send reporting e-mails on demand.

send_reports                          send every due period now, exactly once (what the
                                      report tick does; for installations without beat)
send_reports --subscription UUID      send that subscription's latest period now, as an
                                      extra copy: nothing is claimed, the schedule is untouched
--now 2027-03-29T08:00+03:00          pretend it is then (ISO 8601; no offset means UTC)
--dry-run PATH                        write the e-mail(s) as .eml instead of sending; PATH is
                                      a file for one e-mail, a directory for several
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from campaigns.models import ReportSubscription
from campaigns.reports.figures import report_build
from campaigns.reports.periods import Period, report_periods_between, report_periods_due
from campaigns.reports.rendering import report_email
from campaigns.reports.visibility import report_owner_may_see, report_recipients
from campaigns.services import report_send_due


def _moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--now: not an ISO 8601 date and time: {value}") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = "Build and send reporting e-mails now (or write them to a file with --dry-run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--subscription", help="the subscription's id (UUID)")
        parser.add_argument("--now", help="the moment to act at, ISO 8601 (default: now)")
        parser.add_argument("--dry-run", metavar="PATH", help="write .eml file(s), send nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        now = _moment(options["now"]) if options["now"] else timezone.now()
        dry_run = Path(options["dry_run"]) if options["dry_run"] else None
        if options["subscription"]:
            subscription = self._subscription(options["subscription"])
            period = self._latest_period(subscription, now)
            if period is None:
                raise CommandError(f"{subscription} has no period ending before {now}.")
            self._send_copies([(subscription, period)], now, dry_run)
        elif dry_run is not None:
            pending = [
                (subscription, period)
                for subscription in ReportSubscription.objects.filter(is_active=True)
                .select_related("owner", "team", "campaign")
                .order_by("pk")
                if report_owner_may_see(subscription=subscription)
                for period in report_periods_due(subscription=subscription, now=now)
            ]
            self._send_copies(pending, now, dry_run)
        else:
            runs = report_send_due(now=now)
            for run in runs:
                self.stdout.write(
                    f"Sent {run.subscription} for {run.period_start:%Y-%m-%d %H:%M} – "
                    f"{run.period_end:%Y-%m-%d %H:%M} UTC{' (late)' if run.late else ''}."
                )
            self.stdout.write(f"{len(runs)} report(s) sent.")

    def _subscription(self, value: str) -> ReportSubscription:
        try:
            return ReportSubscription.objects.select_related("owner", "team", "campaign").get(
                uuid=value
            )
        except (ReportSubscription.DoesNotExist, ValidationError) as error:
            raise CommandError(f"No report subscription {value}.") from error

    def _latest_period(self, subscription: ReportSubscription, now: datetime) -> Period | None:
        """The most recent period whose send time is at or before ``now``."""
        periods = report_periods_between(
            subscription=subscription, after=now - timedelta(days=32), until=now
        )
        return periods[-1] if periods else None

    def _send_copies(
        self,
        pending: list[tuple[ReportSubscription, Period]],
        now: datetime,
        dry_run: Path | None,
    ) -> None:
        if dry_run is not None and len(pending) > 1 and not dry_run.is_dir():
            raise CommandError(f"{len(pending)} reports are due; give --dry-run a directory.")
        for subscription, period in pending:
            to = report_recipients(subscription=subscription)
            if not to:
                self.stderr.write(f"{subscription}: nobody may receive it; skipped.")
                continue
            report = report_build(
                subscription=subscription,
                period_start=period.start,
                period_end=period.end,
                now=now,
            )
            message = report_email(report, to)
            label = f"{subscription} for {report.period_label}"
            if dry_run is None:
                message.send()
                self.stdout.write(f"Sent {label} to {', '.join(to)}.")
                continue
            path = dry_run
            if dry_run.is_dir():
                path = dry_run / f"{subscription.uuid}-{period.end:%Y%m%dT%H%MZ}.eml"
            path.write_bytes(message.message().as_bytes())
            self.stdout.write(f"Wrote {label} to {path}.")
        if not pending:
            self.stdout.write("No report is due.")
