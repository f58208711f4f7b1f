"""The whole workflow in a real browser (Debian's Chromium driven by Playwright) against a live
server on PostgreSQL: plan, review, sign off, see it on the calendar, retract its evidence and
see it recalled. No console errors, no Content-Security-Policy violations."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from campaigns.models import ActivityStatus, OutreachActivity
from tests.conftest import in_days

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser_page(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Page, list[str]]]:
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
    # test itself between browser steps are still synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        yield page, problems
        browser.close()


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def sign_out(page: Page) -> None:
    page.click("text=Sign out")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_plan_review_sign_off_calendar_and_recall_in_the_browser(
    live_server: Any, browser_page: tuple[Page, list[str]], world, planner, reviewer, approver
) -> None:
    page, problems = browser_page
    base = live_server.url
    when = in_days(7, hour=9)

    sign_in(page, base, "planner")
    page.goto(f"{base}/campaigns/{world.campaign.uuid}/")
    page.click("text=New activity")
    page.fill("input[name=title]", "Editors' roundtable in Chișinău")
    page.select_option("select[name=audience]", str(world.audience.uuid))
    page.select_option("select[name=message]", str(world.message.uuid))
    page.select_option("select[name=channel]", str(world.channel.uuid))
    page.fill("input[name=scheduled_local]", when.strftime("%Y-%m-%dT%H:%M"))
    page.click("text=Save draft")
    expect(page.locator("#scheduled-local")).to_contain_text(f"{when.day} {when:%B %Y}, 09:00")
    page.click("button:has-text('Submit for review')")
    expect(page.locator("hgroup .status")).to_have_text("In review")
    sign_out(page)

    sign_in(page, base, "reviewer")
    page.click("text=Editors' roundtable in Chișinău")  # from "Waiting for my approval"
    page.click("button:has-text('Approve: Evidence review')")
    expect(page.locator("hgroup")).to_contain_text("waiting for Sign-off")
    sign_out(page)

    sign_in(page, base, "approver")
    page.click("text=Editors' roundtable in Chișinău")
    page.click("button:has-text('Approve: Sign-off')")
    expect(page.locator("hgroup .status")).to_have_text("Approved")
    page.goto(
        f"{base}/campaigns/{world.campaign.uuid}/calendar/?audience=moldova&month={when:%Y-%m}"
    )
    expect(page.locator("table.calendar a.status-approved")).to_contain_text(
        "09:00 Editors' roundtable"
    )
    sign_out(page)

    sign_in(page, base, "reviewer")
    page.goto(f"{base}/evidence/{world.evidence.uuid}/")
    page.click("text=Retract…")
    expect(page.locator("main")).to_contain_text("This recalls 1 activity")
    page.fill("textarea[name=reason]", "The publisher withdrew the report.")
    page.click("button:has-text('Retract')")
    expect(page.locator(".flash")).to_have_text("Evidence retracted.")
    activity = OutreachActivity.objects.get(title="Editors' roundtable in Chișinău")
    assert activity.status == ActivityStatus.CHANGES_REQUESTED
    page.goto(f"{base}/activities/{activity.uuid}/")
    expect(page.locator("hgroup .status")).to_have_text("Changes requested")
    expect(page.locator("table.history")).to_contain_text("Recalled (evidence withdrawn)")

    assert problems == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_finding_work_by_keyboard_under_the_strict_csp(
    live_server: Any, browser_page: tuple[Page, list[str]], world, draft, planner, reviewer
) -> None:
    from campaigns import services

    services.activity_submit(activity=draft, actor=planner)
    page, problems = browser_page
    base = live_server.url
    sign_in(page, base, "reviewer")
    page.get_by_role("link", name="Approvals").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Waiting for me")).to_be_visible()
    expect(page.locator("tbody")).to_contain_text(draft.title)
    expect(page.locator("tbody")).to_contain_text("waiting 0")  # "0 minutes"

    page.get_by_role("link", name="Activities", exact=True).focus()
    page.keyboard.press("Enter")
    page.get_by_label("Title contains").fill("no such title")
    page.keyboard.press("Enter")  # submits the GET form
    expect(page.locator("tbody")).to_contain_text("No activity matches.")
    assert "q=no+such+title" in page.url
    page.get_by_label("Title contains").fill("Editors")
    page.get_by_label("Scheduled to (UTC date, inclusive)").fill("2000-01-01")
    page.get_by_label("Scheduled from (UTC date)").fill("2000-01-02")
    page.get_by_label("Scheduled from (UTC date)").press("Enter")
    expect(page.locator("#id_scheduled_to-error")).to_have_text("The end is before the start.")
    expect(page.get_by_label("Title contains")).to_have_value("Editors")  # what was typed stays
    page.get_by_label("Scheduled to (UTC date, inclusive)").fill("")
    page.get_by_label("Scheduled from (UTC date)").fill("")
    page.get_by_role("button", name="Filter").press("Enter")
    expect(page.locator("tbody")).to_contain_text(draft.title)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").press("Enter")
    assert draft.title in download.value.path().read_text(encoding="utf-8")
    assert problems == []  # no console errors, no Content-Security-Policy violations
