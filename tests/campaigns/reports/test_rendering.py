"""A report as people read it: the e-mail's parts, the HTML and PDF downloads, and the
``send_reports`` command."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import replace
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from accounts.models import Team
from campaigns.models import ReportRun
from campaigns.reports.figures import report_build
from campaigns.reports.rendering import (
    report_csv,
    report_email,
    report_render_html,
    report_render_pdf,
)
from tests.campaigns.reports.report_data import EXPECTED, WEEK, Scene, subscribe

pytestmark = pytest.mark.django_db
NOW = WEEK.end + dt.timedelta(minutes=1)


@pytest.fixture
def subscription(team: Team, lead: Any, reviewer: Any) -> Any:
    Scene(team=team, owner=lead, period=WEEK).populate()
    return subscribe(
        owner=lead, team=team, recipients=(reviewer,), created_at=WEEK.start + dt.timedelta(days=1)
    )


@pytest.fixture
def report(subscription: Any) -> Any:
    return report_build(
        subscription=subscription, period_start=WEEK.start, period_end=WEEK.end, now=NOW
    )


def structure(part: Any) -> Any:
    """The MIME tree as nested (content type, [children]) tuples."""
    if part.is_multipart():
        return (part.get_content_type(), [structure(p) for p in part.iter_parts()])
    return part.get_content_type()


def parse(message: Any) -> Any:
    return message_from_bytes(message.message().as_bytes(), policy=default)


def test_the_email_has_text_and_html_the_chart_inline_and_the_csv_attached(report: Any) -> None:
    parsed = parse(report_email(report, ["lead@candor.test"]))
    assert structure(parsed) == (
        "multipart/mixed",
        [
            (
                "multipart/alternative",
                ["text/plain", ("multipart/related", ["text/html", "image/png"])],
            ),
            "text/csv",
        ],
    )
    text = parsed.get_body(preferencelist=("plain",)).get_content()
    html = parsed.get_body(preferencelist=("html",)).get_content()
    for body in (text, html):
        assert "Reach" in body
        assert "600" in body
        assert "+500" in body  # reach against the previous period
    # Inlined for mail clients; only @page (for the PDF), which cannot be inlined, stays.
    assert [block.strip()[:5] for block in re.findall(r"<style>(.*?)</style>", html, re.S)] == [
        "@page"
    ]
    assert '<h2 style="' in html
    [image] = [p for p in parsed.walk() if p.get_content_type() == "image/png"]
    cid = image["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html
    assert image.get_content().startswith(b"\x89PNG")
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_filename() == "candor-public-diplomacy-desk-2027-03-08.csv"
    rows = list(csv.DictReader(io.StringIO(attachment.get_content())))
    assert len(rows) == EXPECTED["csv_rows"]


def test_a_title_a_spreadsheet_would_run_is_quoted_in_the_csv(report: Any) -> None:
    rows = [list(r) for r in report.activity_rows]
    rows[0][2] = '=HYPERLINK("http://evil.example","x")'
    quoted = report_csv(replace(report, activity_rows=[tuple(r) for r in rows]))
    [first] = list(csv.DictReader(io.StringIO(quoted)))[:1]
    assert first["title"] == '\'=HYPERLINK("http://evil.example","x")'


def test_the_html_download_is_one_page_with_the_chart_inside(report: Any) -> None:
    html = report_render_html(report)
    assert html.count("data:image/png;base64,") == 1
    assert "cid:" not in html
    assert "Weekly report: Public Diplomacy Desk" in html
    assert re.search(r"Coverage gaps", html)


def test_the_pdf_download_has_the_report_in_it(report: Any) -> None:
    pdf = report_render_pdf(report)
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) >= 1
    assert "Weekly report: Public Diplomacy Desk" in text
    assert "Coverage gaps" in text


def test_an_empty_report_is_short_without_chart_or_csv(team: Team, lead: Any) -> None:
    subscription = subscribe(owner=lead, team=team)
    empty = report_build(
        subscription=subscription, period_start=WEEK.start, period_end=WEEK.end, now=NOW
    )
    parsed = parse(report_email(empty, [lead.email]))
    assert structure(parsed) == ("multipart/alternative", ["text/plain", "text/html"])
    assert parsed["Subject"].endswith(": nothing happened")
    assert "Nothing happened in this period" in parsed.get_body(("plain",)).get_content()
    assert report_render_pdf(empty).startswith(b"%PDF-")


def test_send_reports_sends_what_is_due_exactly_once(subscription: Any) -> None:
    out = io.StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("send_reports", "--now", NOW.isoformat(), stdout=out)
        call_command("send_reports", "--now", NOW.isoformat(), stdout=out)
    assert "1 report(s) sent." in out.getvalue()
    assert "0 report(s) sent." in out.getvalue()
    [message] = mail.outbox
    assert set(message.to) == {subscription.owner.email, "reviewer@candor.test"}
    assert ReportRun.objects.filter(subscription=subscription, sent_at__isnull=False).count() == 1


def test_send_reports_for_one_subscription_sends_a_copy_and_claims_nothing(
    subscription: Any,
) -> None:
    call_command(
        "send_reports", "--subscription", str(subscription.uuid), "--now", "2027-03-08T09:00+02:00"
    )
    [message] = mail.outbox
    assert "2027-03-01 08:00 – 2027-03-08 08:00" in message.subject
    assert not ReportRun.objects.exists()


def test_send_reports_dry_run_writes_the_email_to_a_file(subscription: Any, tmp_path: Path):
    path = tmp_path / "report.eml"
    call_command(
        "send_reports",
        "--subscription",
        str(subscription.uuid),
        "--now",
        "2027-03-08T06:30",
        "--dry-run",
        str(path),
    )
    parsed = message_from_bytes(path.read_bytes(), policy=default)
    assert parsed["Subject"].startswith("[Candor] Weekly report — Public Diplomacy Desk")
    assert structure(parsed)[0] == "multipart/mixed"
    assert mail.outbox == []
    assert not ReportRun.objects.exists()


def test_send_reports_dry_run_of_everything_due_writes_one_file_each(
    subscription: Any, team: Team, lead: Any, tmp_path: Path
) -> None:
    subscribe(owner=lead, team=team, created_at=WEEK.start + dt.timedelta(days=1))
    call_command("send_reports", "--now", NOW.isoformat(), "--dry-run", str(tmp_path))
    assert len(list(tmp_path.glob("*.eml"))) == 2
    with pytest.raises(CommandError, match="give --dry-run a directory"):
        call_command("send_reports", "--now", NOW.isoformat(), "--dry-run", str(tmp_path / "x"))
    assert mail.outbox == []
    assert not ReportRun.objects.exists()


def test_send_reports_refuses_an_unknown_subscription() -> None:
    with pytest.raises(CommandError, match="No report subscription"):
        call_command("send_reports", "--subscription", "not-a-uuid")


@pytest.mark.django_db(databases=[])
def test_a_report_on_the_demo_data_is_built_on_sqlite_too(sqlite_demo, tmp_path: Path) -> None:
    """``make run``'s path: SQLite, no services. Every report query also runs there."""
    manage = sqlite_demo
    subscription = manage(
        "shell",
        "-c",
        "import datetime as dt; from accounts.models import User; "
        "from campaigns.models import ReportSubscription as R; "
        "lead = User.objects.get(username='lead'); "
        "print(R.objects.create(owner=lead, team=lead.teams.get(), cadence='monthly', "
        "day_of_month=1, send_time=dt.time(8), timezone='Europe/Chisinau').uuid)",
    ).split()[-1]
    eml, now = tmp_path / "demo.eml", dt.datetime.now(dt.UTC).isoformat()
    manage("send_reports", "--subscription", subscription, "--now", now, "--dry-run", str(eml))
    parsed = message_from_bytes(eml.read_bytes(), policy=default)
    assert parsed["Subject"].startswith("[Candor] Monthly report — Public Diplomacy Desk")
    assert "Coverage gaps" in parsed.get_body(preferencelist=("html",)).get_content()


def test_the_email_carries_the_chain_head_of_its_scopes_histories(
    report: Any, subscription: Any
) -> None:
    """Managers keep a copy, outside the database, of the state of the history: one hash over
    the head of every activity's event chain in the scope; any new event changes it."""
    from accounts import chain
    from campaigns.models import ActivityEvent, OutreachActivity

    activities = OutreachActivity.objects.filter(campaign__owner_team=subscription.team)
    lasts = [a.events.order_by("pk").last() for a in activities]
    heads = [last.hash if last else chain.GENESIS for last in lasts]  # no event: an empty chain
    assert report.chain_head == chain.head_of(heads)
    parsed = parse(report_email(report, ["lead@candor.test"]))
    for part in ("plain", "html"):
        assert report.chain_head in parsed.get_body(preferencelist=(part,)).get_content()
    ActivityEvent.objects.create(activity=activities.first(), kind=ActivityEvent.Kind.REMINDED)
    later = report_build(
        subscription=subscription, period_start=WEEK.start, period_end=WEEK.end, now=NOW
    )
    assert later.chain_head != report.chain_head
