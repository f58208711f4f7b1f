"""When reports go out: local send times across timezones and DST changes, exactly once per
period with several schedulers and after a crash, and missed periods sent late."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection

from accounts.models import Team
from campaigns.models import ReportRun, ReportSubscription
from campaigns.reports.periods import Period, report_periods_due, shift
from campaigns.reports.sending import report_message_id, report_run_claim
from campaigns.services import report_send_due
from tests.campaigns.real_parts import free_port
from tests.campaigns.reports.report_data import subscribe

UTC = dt.UTC
Cadence = ReportSubscription.Cadence


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def send_due(now: dt.datetime) -> list[ReportRun]:
    """The report tick at ``now``, with the clock there too (timestamps agree with it)."""
    with time_machine.travel(now, tick=False):
        return report_send_due(now=now)


def subjects() -> list[str]:
    return [m.subject for m in mail.outbox]


# --- Local send times ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone", "utc_hour"),
    [("Asia/Almaty", 3), ("America/Sao_Paulo", 11)],  # UTC+5 and UTC−3, no DST in either
)
def test_a_weekly_report_at_eight_goes_out_at_eight_local_on_its_weekday(
    team: Team, lead: Any, zone: str, utc_hour: int
) -> None:
    subscription = subscribe(
        owner=lead, team=team, weekday=0, timezone=zone, created_at=at(2027, 3, 2)
    )
    monday = at(2027, 3, 8, utc_hour)  # 8 March 2027 is a Monday
    assert report_periods_due(subscription=subscription, now=monday - dt.timedelta(seconds=1)) == []
    [period] = report_periods_due(subscription=subscription, now=monday)
    assert period == Period(start=at(2027, 3, 1, utc_hour), end=monday)
    local = period.end.astimezone(ZoneInfo(zone))
    assert (local.weekday(), local.hour, local.minute) == (0, 8, 0)
    # A week later, the next one; nothing in between.
    assert report_periods_due(subscription=subscription, now=monday + dt.timedelta(days=6)) == [
        period
    ]
    send_due(monday + dt.timedelta(seconds=30))
    assert report_periods_due(subscription=subscription, now=monday + dt.timedelta(days=6)) == []
    [following] = report_periods_due(subscription=subscription, now=monday + dt.timedelta(days=7))
    assert following == Period(start=monday, end=monday + dt.timedelta(days=7))
    [sent] = mail.outbox
    assert sent.to == [lead.email]
    assert "2027-03-01 08:00 – 2027-03-08 08:00" in sent.subject
    assert zone in sent.subject


@pytest.mark.django_db
def test_a_daily_report_goes_out_at_eight_local_on_both_sides_of_the_clock_change(
    team: Team, lead: Any
) -> None:
    """Chișinău moves its clocks from 02:00 to 03:00 on Sunday 28 March 2027 (UTC+2 → UTC+3)."""
    subscribe(
        owner=lead,
        team=team,
        cadence=Cadence.DAILY,
        timezone="Europe/Chisinau",
        created_at=at(2027, 3, 26, 12),
    )
    saturday, sunday = at(2027, 3, 27, 6), at(2027, 3, 28, 5)  # 08:00 EET, 08:00 EEST
    assert send_due(saturday - dt.timedelta(seconds=30)) == []
    [first] = send_due(saturday + dt.timedelta(seconds=30))
    assert (first.period_start, first.period_end) == (at(2027, 3, 26, 6), saturday)
    assert send_due(sunday - dt.timedelta(seconds=30)) == []
    [second] = send_due(sunday + dt.timedelta(seconds=30))
    assert (second.period_start, second.period_end) == (saturday, sunday)
    assert second.period_end - second.period_start == dt.timedelta(hours=23)
    assert not first.late
    assert not second.late
    assert [s.split(", ", 1)[1] for s in subjects()] == [
        "2027-03-26 08:00 – 2027-03-27 08:00 (Europe/Chisinau): nothing happened",
        "2027-03-27 08:00 – 2027-03-28 08:00 (Europe/Chisinau): nothing happened",
    ]


def test_a_send_time_the_clock_skips_goes_out_when_the_gap_ends_and_a_repeated_one_once() -> None:
    from campaigns.reports.periods import _at_local

    zone = ZoneInfo("Europe/Chisinau")
    # 02:30 does not exist on 28 March 2027: it goes out at 03:30 local, 00:30 UTC.
    skipped = _at_local(dt.date(2027, 3, 28), dt.time(2, 30), zone)
    assert skipped == at(2027, 3, 28, 0, 30)
    assert skipped.astimezone(zone).strftime("%H:%M %Z") == "03:30 EEST"
    # 02:30 happens twice on 31 October 2027 (03:00 EEST → 02:00 EET): the first one.
    repeated = _at_local(dt.date(2027, 10, 31), dt.time(2, 30), zone)
    assert repeated == at(2027, 10, 30, 23, 30)
    # A month back from 29 March keeps the wall-clock time across the change.
    assert shift(at(2027, 3, 29, 5), cadence=Cadence.MONTHLY, zone=zone, n=-1) == at(2027, 2, 28, 6)


@pytest.mark.django_db
def test_a_monthly_report_covers_the_month_since_its_last_day(team: Team, lead: Any) -> None:
    subscription = subscribe(
        owner=lead,
        team=team,
        cadence=Cadence.MONTHLY,
        day_of_month=1,
        timezone="Europe/Chisinau",
        created_at=at(2027, 2, 10),
    )
    [period] = report_periods_due(subscription=subscription, now=at(2027, 3, 1, 6))
    assert period == Period(start=at(2027, 2, 1, 6), end=at(2027, 3, 1, 6))


# --- Exactly once -------------------------------------------------------------------------------


def schedulers_at_once(now: dt.datetime, count: int) -> list[list[ReportRun]]:
    """``count`` report ticks at the same moment, each in its own thread and connection."""
    barrier = threading.Barrier(count)
    results: list[list[ReportRun]] = [[] for _ in range(count)]
    errors: list[BaseException] = []

    def tick(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[n] = report_send_due(now=now)
        except BaseException as error:  # surfaced in the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=tick, args=(n,)) for n in range(count)]
    with time_machine.travel(now, tick=False):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_several_schedulers_at_once_send_each_period_exactly_once(team: Team, lead: Any) -> None:
    subscriptions = [
        subscribe(
            owner=lead,
            team=team,
            cadence=Cadence.DAILY,
            send_time=dt.time(8, minute),
            created_at=at(2027, 3, 1, 12),
        )
        for minute in (0, 15, 30)
    ]
    # A period claimed by a scheduler that then died: every tick sees it lost at once.
    with time_machine.travel(at(2027, 3, 1, 6, 30), tick=False):
        crashed = report_run_claim(
            subscription=subscriptions[0],
            period=Period(at(2027, 3, 1, 6), at(2027, 3, 2, 6)),
            now=at(2027, 3, 2, 6),
        )
    for day in range(2, 7):  # five days, four schedulers ticking together each morning
        results = schedulers_at_once(at(2027, 3, day, 7), count=4)
        claimed = [run.pk for runs in results for run in runs]
        assert len(claimed) == len(set(claimed))
    runs = ReportRun.objects.all()
    assert runs.count() == 3 * 5
    assert not runs.filter(sent_at__isnull=True).exists()
    ids = [m.extra_headers["Message-ID"] for m in mail.outbox]
    assert len(ids) == len(set(ids)) == 15, subjects()
    assert report_message_id(run=ReportRun.objects.get(pk=crashed.pk)) in ids


@pytest.mark.django_db
def test_a_period_claimed_but_never_sent_is_sent_once_after_the_lease(
    team: Team, lead: Any
) -> None:
    subscription = subscribe(
        owner=lead, team=team, cadence=Cadence.DAILY, created_at=at(2027, 3, 1, 12)
    )
    due = at(2027, 3, 2, 6)  # 08:00 EET
    [period] = report_periods_due(subscription=subscription, now=due)
    with time_machine.travel(due, tick=False):
        run = report_run_claim(subscription=subscription, period=period, now=due)
    # …and the scheduler died before sending. While its lease runs, nobody touches the run.
    lease = dt.timedelta(seconds=settings.CANDOR_REPORT_LEASE_SECONDS)
    assert send_due(due + lease - dt.timedelta(seconds=5)) == []
    assert mail.outbox == []
    [retried] = send_due(due + lease + dt.timedelta(seconds=5))
    assert retried.pk == run.pk
    assert retried.late  # sent 15 minutes after its time
    assert send_due(due + lease + dt.timedelta(minutes=1)) == []
    [message] = mail.outbox
    assert message.extra_headers["Message-ID"] == report_message_id(run=run)
    run.refresh_from_db()
    assert run.sent_at is not None


@pytest.mark.django_db
def test_a_send_the_mail_server_refused_is_retried_after_the_lease(
    team: Team, lead: Any, settings
) -> None:
    subscription = subscribe(
        owner=lead, team=team, cadence=Cadence.DAILY, created_at=at(2027, 3, 1, 12)
    )
    due = at(2027, 3, 2, 6)
    settings.MAILERS = {  # a real SMTP client against a port nobody listens on
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 2},
        }
    }
    assert send_due(due + dt.timedelta(seconds=5)) == []
    [run] = subscription.runs.all()
    assert run.sent_at is None
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    lease = dt.timedelta(seconds=settings.CANDOR_REPORT_LEASE_SECONDS)
    assert [r.pk for r in send_due(due + lease + dt.timedelta(seconds=10))] == [run.pk]
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_periods_missed_while_the_scheduler_was_down_are_sent_late(team: Team, lead: Any) -> None:
    subscribe(owner=lead, team=team, cadence=Cadence.DAILY, created_at=at(2027, 3, 1, 12))
    [on_time] = send_due(at(2027, 3, 2, 6, 0, 30))
    # The scheduler is down from Tuesday morning to Thursday noon.
    missed = send_due(at(2027, 3, 4, 10))
    assert [(r.period_end, r.late) for r in missed] == [
        (at(2027, 3, 3, 6), True),
        (at(2027, 3, 4, 6), True),
    ]
    assert not on_time.late
    assert [s.endswith("(late): nothing happened") for s in subjects()] == [False, True, True]
    assert "It comes late because" in mail.outbox[1].body
    assert send_due(at(2027, 3, 4, 10, 1)) == []


@pytest.mark.django_db
def test_missed_periods_are_caught_up_only_within_the_window(
    team: Team, lead: Any, settings
) -> None:
    settings.CANDOR_REPORT_CATCH_UP_DAYS = 3
    subscribe(owner=lead, team=team, cadence=Cadence.DAILY, created_at=at(2027, 3, 1, 12))
    sent = send_due(at(2027, 3, 20, 7))
    assert [r.period_end.day for r in sent] == [18, 19, 20]


@pytest.mark.django_db
def test_a_changed_schedule_does_not_resend_history(team: Team, lead: Any) -> None:
    subscription = subscribe(
        owner=lead, team=team, cadence=Cadence.DAILY, created_at=at(2027, 3, 1)
    )
    assert len(send_due(at(2027, 3, 2, 7))) == 2  # the periods ending on the 1st and the 2nd
    # Now weekly, on Mondays at 09:00. Monday the 1st at 09:00 is after the subscription was
    # made but before the last period sent: it is not due; the 8th is.
    ReportSubscription.objects.filter(pk=subscription.pk).update(
        cadence=Cadence.WEEKLY, weekday=0, send_time=dt.time(9, 0)
    )
    [weekly] = send_due(at(2027, 3, 8, 7, 1))
    assert (weekly.period_start, weekly.period_end) == (at(2027, 3, 1, 7), at(2027, 3, 8, 7))
    assert subscription.runs.count() == 3


@pytest.mark.django_db
def test_an_empty_period_sends_a_short_report_unless_switched_off(
    team: Team, lead: Any, settings
) -> None:
    subscribe(owner=lead, team=team, cadence=Cadence.DAILY, created_at=at(2027, 3, 1, 12))
    send_due(at(2027, 3, 2, 7))
    [short] = mail.outbox
    assert short.subject.endswith(": nothing happened")
    assert "Nothing happened in this period" in short.body
    assert short.attachments == []
    settings.CANDOR_REPORT_SEND_EMPTY = False
    [quiet] = send_due(at(2027, 3, 3, 7))
    assert quiet.sent_at is not None  # the period is done, without an e-mail
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_an_owner_who_lost_access_claims_nothing(team: Team, lead: Any) -> None:
    subscription = subscribe(
        owner=lead, team=team, cadence=Cadence.DAILY, created_at=at(2027, 3, 1, 12)
    )
    lead.memberships.all().delete()
    assert send_due(at(2027, 3, 2, 7)) == []
    assert not subscription.runs.exists()
    assert mail.outbox == []
