"""A report sent by the real stack: two Celery workers and two Celery beats (a scheduler run
twice by mistake) as separate processes, a Redis of the test's own and a real SMTP sink. The
e-mail is read back with Python's ``email`` package. Nothing is mocked."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from campaigns.models import ReportRun, ReportSubscription
from campaigns.reports.periods import report_periods_due
from tests.campaigns.real_parts import Celery, PrivateRedis, SmtpSink, running, wait_until
from tests.campaigns.reports.report_data import EXPECTED, Scene, subscribe

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
ZONE = "Europe/Chisinau"


def reports(sink: SmtpSink) -> list[tuple[list[str], Any]]:
    return [(rcpt, m) for rcpt, m in sink.messages if m["X-Candor-Report"]]


def test_a_due_report_reaches_smtp_once_with_its_parts_and_figures(
    team: Any, lead: Any, reviewer: Any
) -> None:
    # A daily report whose send time passed a minute ago, made just before that: exactly one
    # period is due, whatever DST did in the last day.
    now = timezone.now()
    send_at = (now - dt.timedelta(minutes=1)).astimezone(ZoneInfo(ZONE))
    subscription = subscribe(
        owner=lead,
        team=team,
        cadence=ReportSubscription.Cadence.DAILY,
        send_time=send_at.time().replace(second=0, microsecond=0),
        timezone=ZONE,
        recipients=(reviewer,),
        extra_addresses=("board@ministry.example.org",),
        created_at=now - dt.timedelta(minutes=5),
    )
    [period] = report_periods_due(subscription=subscription, now=now)
    scene = Scene(team=team, owner=lead, period=period)
    scene.populate()

    redis, sink = PrivateRedis(), SmtpSink()
    mail_env = {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(sink.port),
        "CANDOR_REPORT_TICK_SECONDS": "0.5",
    }
    first = Celery(broker=redis.url, env=mail_env)
    second = Celery(broker=redis.url, env=mail_env)
    with running(sink, redis, first, second):
        redis.start()
        first.start()
        second.start()
        wait_until(lambda: reports(sink), 90, lambda: first.log() + second.log())
        time.sleep(3)  # a dozen more ticks from each scheduler: nothing more may come
        assert len(reports(sink)) == 1, first.log() + second.log()

    [(rcpt, message)] = reports(sink)
    assert sorted(rcpt) == sorted([lead.email, reviewer.email, "board@ministry.example.org"])
    assert message["Subject"].startswith(f"[Candor] Daily report — {team.name}, ")
    assert ZONE in message["Subject"]
    assert message["X-Candor-Report"] == str(subscription.uuid)

    # multipart/mixed ⊃ multipart/alternative (text, multipart/related (html, png)) + text/csv
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    plain, related = alternative.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html, image = related.iter_parts()
    assert (html.get_content_type(), image.get_content_type()) == ("text/html", "image/png")
    assert attachment.get_content_type() == "text/csv"
    assert attachment.get_content_disposition() == "attachment"

    text, page = plain.get_content(), html.get_content()
    assert f"Dispatched:         {EXPECTED['dispatched']}" in text
    assert f"Reach:              {EXPECTED['reach']} (+500 on the previous period)" in text
    assert f"Engagement:         {EXPECTED['engagement']} (+50 on the previous period)" in text
    assert f"Awaiting approval:  {EXPECTED['waiting']}" in text
    assert f"Due next period:    {EXPECTED['due_next']}" in text
    assert "HTTP 503 from partner.example.org" in text
    assert "3 of 4 audience × theme pairs" in text
    assert f"/campaigns/{scene.campaign.uuid}/" in text
    for figure in ("600", "+500", "HTTP 503 from partner.example.org", "3 of 4"):
        assert figure in page
    assert f"/campaigns/{scene.campaign.uuid}/" in page

    cid = image["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in page
    assert image.get_content_disposition() == "inline"
    assert image.get_content()[:8] == b"\x89PNG\r\n\x1a\n"

    rows = list(csv.DictReader(io.StringIO(attachment.get_content())))
    assert len(rows) == EXPECTED["csv_rows"]
    in_period = {str(a.uuid) for a in scene.campaign.activities.all()} & {r["id"] for r in rows}
    assert len(in_period) == EXPECTED["csv_rows"]
    dispatched = [r for r in rows if r["dispatched_local"]]
    assert len(dispatched) == EXPECTED["dispatched"]
    assert sum(int(r["reach"] or 0) for r in dispatched) == EXPECTED["reach"]
    offset = period.end.astimezone(ZoneInfo(ZONE)).isoformat()[-6:]
    assert all(r["scheduled_local"].endswith(offset) for r in rows)

    [run] = ReportRun.objects.filter(subscription=subscription)
    assert (run.period_start, run.period_end, run.late) == (period.start, period.end, False)
    assert run.sent_at is not None
    subscription.refresh_from_db()
    assert subscription.last_sent_at == run.sent_at
