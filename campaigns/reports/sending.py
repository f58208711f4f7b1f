"""Scheduled reporting e-mails: send each period of each subscription exactly once.

The pieces: ``periods`` says which periods are due (local calendar, DST-safe); ``figures`` says
what a report contains (``report_build``, SQL aggregates, the owner's visibility);
``rendering`` turns it into an e-mail, HTML or PDF. This module claims and sends.

**Exactly once.** ``report_send_due`` claims a period by INSERTing its ``ReportRun`` row; the
unique ``(subscription, period_start)`` constraint lets exactly one inserter through, and only
the inserter sends. Two schedulers running by mistake, a task redelivered by the broker, or a
tick overlapping the previous one all try to insert the same row; all but one get an
``IntegrityError`` (inside a savepoint) and move on. A period missed while nothing was running
is found by the next tick — its send time has passed and it has no run — and sent, marked
``late``.

**A crash between claim and send** leaves a run with ``sent_at IS NULL``. A run in that state
for longer than ``CANDOR_REPORT_LEASE_SECONDS`` is taken as lost and re-claimed by a later tick
with a compare-and-swap ``UPDATE … WHERE sent_at IS NULL AND started_at < lease`` (one winner),
which sends it. The lease (15 minutes) is far longer than the report tick's hard time limit
(5 minutes), so by the time a run looks lost its sender has finished or been killed: in the
normal case nothing is sent twice. The one window left is a sender that dies after the SMTP
server accepted the message and before ``sent_at`` was committed; the re-send then carries the
same ``Message-ID`` (one per subscription and period), so mail systems and clients that
de-duplicate drop it. A send that fails (SMTP down) is retried the same way, after the lease.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from campaigns.models import ReportRun, ReportSubscription
from campaigns.reports.figures import report_build
from campaigns.reports.periods import Period, report_periods_due
from campaigns.reports.rendering import report_email
from campaigns.reports.visibility import report_owner_may_see, report_recipients

logger = logging.getLogger(__name__)


def _lease() -> timedelta:
    return timedelta(seconds=settings.CANDOR_REPORT_LEASE_SECONDS)


def _is_late(period_end: datetime, now: datetime) -> bool:
    return (now - period_end).total_seconds() > settings.CANDOR_REPORT_LATE_AFTER_SECONDS


@transaction.atomic
def report_run_claim(
    *, subscription: ReportSubscription, period: Period, now: datetime
) -> ReportRun | None:
    """Claim a period by inserting its run; ``None`` if someone else already has it.

    The unique constraint decides: of any number of concurrent claimers one INSERT succeeds;
    the others wait for it to commit and then fail, and the savepoint keeps their transaction
    usable."""
    try:
        with transaction.atomic():
            return ReportRun.objects.create(
                subscription=subscription,
                period_start=period.start,
                period_end=period.end,
                late=_is_late(period.end, now),
            )
    except IntegrityError:
        logger.debug("Report %s, period %s: claimed by someone else.", subscription.uuid, period)
        return None


def report_run_reclaim(*, run: ReportRun, now: datetime) -> bool:
    """Take over a run claimed longer than the lease ago and never marked sent (its sender
    crashed, or its send failed). A compare-and-swap: of several schedulers, exactly one gets
    ``True``.

    The lease is measured on the clock that wrote ``started_at`` (the real one); ``now`` only
    says which periods are due and whether this one is late."""
    clock = timezone.now()
    taken = ReportRun.objects.filter(
        pk=run.pk, sent_at__isnull=True, started_at__lt=clock - _lease()
    ).update(started_at=clock, late=_is_late(run.period_end, now))
    return taken == 1


def _stale_runs(now: datetime) -> QuerySet[ReportRun]:
    return (
        ReportRun.objects.filter(
            sent_at__isnull=True,
            started_at__lt=timezone.now() - _lease(),
            period_end__gt=now - timedelta(days=settings.CANDOR_REPORT_CATCH_UP_DAYS),
            subscription__is_active=True,
        )
        .select_related("subscription__owner", "subscription__team", "subscription__campaign")
        .order_by("period_end", "pk")
    )


def report_message_id(*, run: ReportRun) -> str:
    """The same for every attempt at one period: a re-send after a crash is recognisable."""
    return f"<report.{run.subscription.uuid.hex}.{run.period_start:%Y%m%dT%H%M%SZ}@candor>"


def report_run_send(*, run: ReportRun, now: datetime) -> bool:
    """Build the claimed period's report, send it, then mark the run sent. Returns whether an
    e-mail went out: an empty period with ``CANDOR_REPORT_SEND_EMPTY`` off, or nobody left who
    may receive it, completes the run without one."""
    subscription = run.subscription
    recipients = report_recipients(subscription=subscription)
    sent = False
    if recipients:
        report = report_build(
            subscription=subscription,
            period_start=run.period_start,
            period_end=run.period_end,
            now=now,
            late=run.late,
        )
        if not report.is_empty or settings.CANDOR_REPORT_SEND_EMPTY:
            report_email(report, recipients, message_id=report_message_id(run=run)).send()
            sent = True
    else:
        logger.warning("Report %s has nobody who may receive it; not sent.", subscription.uuid)
    report_run_mark_sent(run=run)
    return sent


@transaction.atomic
def report_run_mark_sent(*, run: ReportRun) -> ReportRun:
    """Record that the period is done; the subscription's ``last_sent_at`` follows."""
    sent_at = timezone.now()
    ReportRun.objects.filter(pk=run.pk, sent_at__isnull=True).update(sent_at=sent_at)
    ReportSubscription.objects.filter(pk=run.subscription_id).update(last_sent_at=sent_at)
    run.sent_at = sent_at
    return run


def _deliver(run: ReportRun, now: datetime) -> bool:
    """Send a claimed run; whether it is now complete."""
    try:
        report_run_send(run=run, now=now)
    except SoftTimeLimitExceeded:
        raise  # the task is out of time: stop, the runs left are found by the next tick
    except Exception:
        # One subscription's failure (SMTP down, a bug) must not stop the others. The run
        # stays claimed and unsent: a tick after the lease sends it.
        logger.exception("Report run %s failed; it is retried after the lease.", run.pk)
        return False
    return True


def report_send_due(*, now: datetime | None = None) -> list[ReportRun]:
    """Send every due period of every active subscription exactly once (and any claimed run
    whose sender was lost); return the runs this call completed.

    Deliberately not one transaction: each claim commits before its e-mail is sent, so a
    concurrent scheduler sees it, and the run is marked sent after the SMTP server took it."""
    now = now or timezone.now()
    done: list[ReportRun] = []
    subscriptions = (
        ReportSubscription.objects.filter(is_active=True)
        .select_related("owner", "team", "campaign")
        .order_by("pk")
    )
    for subscription in subscriptions:
        if not report_owner_may_see(subscription=subscription):
            # Claiming would record periods nobody can read; they are sent (late) if the
            # owner regains access within the catch-up window.
            logger.warning("Report %s: its owner may not see its scope.", subscription.uuid)
            continue
        for period in report_periods_due(subscription=subscription, now=now):
            run = report_run_claim(subscription=subscription, period=period, now=now)
            if run is not None and _deliver(run, now):
                done.append(run)
    for run in _stale_runs(now):
        if report_run_reclaim(run=run, now=now):
            logger.warning("Report run %s was claimed but never sent; sending it.", run.pk)
            run.refresh_from_db(fields=["late", "started_at"])
            if _deliver(run, now):
                done.append(run)
    return done
