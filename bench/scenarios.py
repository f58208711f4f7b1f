"""The scenarios of issue #7, each against its baseline on the same data in the same run."""

from __future__ import annotations

import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench import world as w
from bench.harness import Result, per_call
from campaigns import services
from campaigns.models import OutreachActivity


def _raw_approve(activity: OutreachActivity) -> None:
    """The baseline: one conditional UPDATE, committing itself as ours does (no BEGIN, no
    COMMIT round trips: until session 3 it ran in a transaction of its own, ~0.3 ms more)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE campaigns_outreachactivity SET status = 'approved', "
            "version = version + 1, approved_content_hash = %s "
            "WHERE id = %s AND version = %s AND status = 'in_review'",
            ["0" * 64, activity.pk, activity.version],
        )
        assert cursor.rowcount == 1


def p7_approve_transition(scale: float) -> Result:
    """One approve transition with its audit rows ÷ one raw conditional UPDATE, interleaved
    (one of each in turn, medians), so both see the same machine."""
    world = w.build("p7")
    count = max(50, int(300 * scale))  # pairs: the medians of fewer moved by ±10% run to run
    ours_rows = w.in_sign_off(world, count)
    raw_rows = w.in_sign_off(world, count)
    approver = w.fresh(world.approver)
    # Warm-up: a connection prepares its statements on first use.
    services.activity_approve(activity=ours_rows.pop(), actor=approver)
    _raw_approve(raw_rows.pop())

    with CaptureQueriesContext(connection) as queries:  # counted apart: logging costs time
        services.activity_approve(activity=ours_rows.pop(), actor=approver)
    _raw_approve(raw_rows.pop())
    statements = len(queries.captured_queries)

    ours_samples, raw_samples = [], []
    for ours_row, raw_row in zip(ours_rows, raw_rows, strict=True):
        start = time.perf_counter()
        services.activity_approve(activity=ours_row, actor=approver)
        ours_samples.append(time.perf_counter() - start)
        start = time.perf_counter()
        _raw_approve(raw_row)
        raw_samples.append(time.perf_counter() - start)
    assert OutreachActivity.objects.filter(
        pk__in=[a.pk for a in ours_rows], status="approved", events__kind="approved"
    ).count() == len(ours_rows)
    return Result(
        "P7 approve transition (+ audit rows)",
        statistics.median(ours_samples) * 1000,
        statistics.median(raw_samples) * 1000,
        "ms",
        "≤ 3",
        f"{statements} SQL statements per approval (a prepared read, one "
        f"write); medians of {len(ours_rows)} each, interleaved; audit rows, decision, event and "
        "the notification's outbox row are written by the one statement",
    )


UI_PAGES = {
    "dashboard": lambda world: "/",
    "campaign list": lambda world: "/campaigns/",
    "campaign detail": lambda world: f"/campaigns/{world.campaign.uuid}/",
    "calendar": lambda world: f"/campaigns/{world.campaign.uuid}/calendar/",
    "coverage": lambda world: "/coverage/",
    "evidence list": lambda world: "/evidence/",
    "reports": lambda world: "/reports/",
}


def p2_ui_queries(scale: float) -> list[Result]:
    """SQL queries per UI page with 500 activities ÷ with 10."""
    world = w.build("p2ui")
    client = Client()
    client.force_login(world.reviewer)

    def count_queries() -> dict[str, int]:
        counts = {}
        for name, url in UI_PAGES.items():
            client.get(url(world))
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url(world))
            assert response.status_code == 200, (name, response.status_code)
            counts[name] = len(queries.captured_queries)
        return counts

    w.bulk_activities(world, 10)
    small = count_queries()
    w.bulk_activities(world, 490)
    large = count_queries()
    return [
        Result(
            f"P2 UI {name}: queries at 500 ÷ 10 rows",
            large[name],
            small[name],
            "queries",
            "= 1.0, ≤ 6",
            "",
        )
        for name in UI_PAGES
    ]


def p1_api_list(scale: float) -> Result:
    """API list, page of 50, team-scoped with nested summaries ÷ a raw values() view."""
    from accounts.services import token_create

    world = w.build("p1")
    w.bulk_activities(world, max(500, int(1000 * scale)))
    _, token = token_create(user=world.reviewer, name="bench")
    client = Client(headers={"Authorization": f"Token {token}"})
    ours_url = "/api/v1/activities/?page_size=50"
    raw_url = "/bench/raw/activities/"
    assert len(client.get(ours_url).json()["results"]) == 50
    assert len(client.get(raw_url).json()["results"]) == 50
    repeat = 40
    # Interleaved, so both see the same machine state.
    ours_samples, raw_samples = [], []
    for _ in range(repeat):
        ours_samples.append(per_call(lambda: client.get(ours_url), 1))
        raw_samples.append(per_call(lambda: client.get(raw_url), 1))
    ours, raw = statistics.median(ours_samples), statistics.median(raw_samples)
    with CaptureQueriesContext(connection) as queries:
        client.get(ours_url)
    return Result(
        "P1 API list, page 50 (activities)",
        ours * 1000,
        raw * 1000,
        "ms",
        "≤ 1.6",
        f"median of {repeat} interleaved; {len(queries.captured_queries)} queries per page",
    )


API_LISTS = [
    "/api/v1/campaigns/",
    "/api/v1/activities/",
    "/api/v1/themes/",
    "/api/v1/evidence/",
    "/api/v1/messages/",
    "/api/v1/audiences/",
    "/api/v1/channels/",
    "/api/v1/report-subscriptions/",
    "/api/v1/auth/tokens/",
    "/api/v1/teams/",
]


def p2_api_queries(scale: float) -> list[Result]:
    """SQL queries per API list page at page_size=200 ÷ page_size=1 (the API caps pages at
    200), on 1000 activities; and page 1000 ÷ page 1 of the activities."""
    from accounts.services import token_create

    world = w.build("p2api")
    w.bulk_activities(world, 1000)
    _, token = token_create(user=world.reviewer, name="bench")
    client = Client(headers={"Authorization": f"Token {token}"})
    results = []
    for url in API_LISTS:
        counts = []
        for page_size in (1, 200):
            client.get(f"{url}?page_size={page_size}")
            with CaptureQueriesContext(connection) as queries:
                response = client.get(f"{url}?page_size={page_size}")
            assert response.status_code == 200, (url, response.status_code)
            counts.append(len(queries.captured_queries))
        results.append(
            Result(
                f"P2 API {url}: queries at 200 ÷ 1 per page",
                counts[1],
                counts[0],
                "queries",
                "= 1.0, ≤ 6",
                "",
            )
        )
    results.append(_deep_page(client))
    return results


def _deep_page(client: Client) -> Result:
    """The issue's literal reading: page 1000 ÷ page 1, following the cursor (page size 1)."""
    url = "/api/v1/activities/?page_size=1"
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url).json()
    first = len(queries.captured_queries)
    for _ in range(998):
        page = client.get(page["next"]).json()
    with CaptureQueriesContext(connection) as queries:
        page = client.get(page["next"]).json()
    assert len(page["results"]) == 1
    return Result(
        "P2 API /api/v1/activities/: queries at page 1000 ÷ page 1 (cursor, page size 1)",
        len(queries.captured_queries),
        first,
        "queries",
        "= 1.0, ≤ 6",
        "",
    )
