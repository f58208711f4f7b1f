"""The scenarios of issue #7, each against its baseline on the same data in the same run."""

from __future__ import annotations

import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench import world as w
from bench.harness import Result, per_call
from campaigns.models import OutreachActivity


def p7_approve_transition(scale: float) -> Result:
    """Approve through the API ÷ GET of the same activity through the API, interleaved (the
    GET, then the approval, of each activity in turn; medians), so both see the same machine.
    An approval is a person's click: the target guards against an unreasonable transition
    (a lock, the rules, the writes and their audit rows on top of what a read costs), not a
    race for microseconds."""
    from accounts.services import token_create

    world = w.build("p7")
    count = max(50, int(300 * scale))
    activities = w.in_sign_off(world, count + 2)
    _, token = token_create(user=world.approver, name="bench")
    client = Client(headers={"Authorization": f"Token {token}"})

    def url(activity: OutreachActivity) -> str:
        return f"/api/v1/activities/{activity.uuid}/"

    def approve(activity: OutreachActivity) -> None:
        body = {"version": activity.version}
        response = client.post(f"{url(activity)}approve/", body, content_type="application/json")
        assert response.status_code == 200, response.content

    def read(activity: OutreachActivity) -> None:
        assert client.get(url(activity)).status_code == 200

    warm = activities.pop()
    read(warm)
    approve(warm)
    counted = activities.pop()
    with CaptureQueriesContext(connection) as reads:  # counted apart: logging costs time
        read(counted)
    with CaptureQueriesContext(connection) as writes:
        approve(counted)
    # Taken now: the requests below reset the connection's query log.
    statements = (len(writes.captured_queries), len(reads.captured_queries))

    ours_samples, raw_samples = [], []
    for activity in activities:
        start = time.perf_counter()
        read(activity)
        raw_samples.append(time.perf_counter() - start)
        start = time.perf_counter()
        approve(activity)
        ours_samples.append(time.perf_counter() - start)
    assert OutreachActivity.objects.filter(
        pk__in=[a.pk for a in activities], status="approved", events__kind="approved"
    ).count() == len(activities)
    return Result(
        "P7 approve through the API ÷ GET of the same activity",
        statistics.median(ours_samples) * 1000,
        statistics.median(raw_samples) * 1000,
        "ms",
        "≤ 3",
        f"{statements[0]} SQL statements per approval request, "
        f"{statements[1]} per GET; medians of {len(activities)} each, "
        "interleaved; token auth, last step (content hash, decision, event, outbox, audit rows)",
    )


UI_PAGES = {
    "dashboard": lambda world: "/",
    "campaign list": lambda world: "/campaigns/",
    "campaign detail": lambda world: f"/campaigns/{world.campaign.uuid}/",
    "calendar": lambda world: f"/campaigns/{world.campaign.uuid}/calendar/",
    "coverage": lambda world: "/coverage/",
    "evidence list": lambda world: "/evidence/",
    "reports": lambda world: "/reports/",
    "activity list": lambda world: "/activities/",
    "activity list filtered": lambda world: (
        f"/activities/?q=bulk&status=approved&status=in_review"
        f"&campaign={world.campaign.uuid}&sort=-updated"
    ),
    "activity CSV": lambda world: "/activities/export.csv?q=review",
    "approval queue": lambda world: "/approvals/",
}


def p2_ui_queries(scale: float) -> list[Result]:
    """SQL queries per UI page with 500 activities (and 500 in review) ÷ with 10 (and 10)."""
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
    w.bulk_in_review(world, 10)  # what the reviewer's approval queue lists
    small = count_queries()
    w.bulk_activities(world, 490)
    w.bulk_in_review(world, 490)
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
