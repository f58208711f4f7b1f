"""The scenarios of issue #7, each against its baseline on the same data in the same run."""

from __future__ import annotations

import time

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench import world as w
from bench.harness import Result
from campaigns import services


def p7_approve_transition(size: int) -> Result:
    """One approve transition with its audit rows ÷ one raw conditional UPDATE."""
    world = w.build("p7")
    count = max(20, size // 10)
    ours_rows = w.in_sign_off(world, count)
    raw_rows = w.in_sign_off(world, count)
    approver = w.fresh(world.approver)

    start = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        for activity in ours_rows:
            services.activity_approve(activity=activity, actor=approver)
    ours = (time.perf_counter() - start) / count
    per_transition = len(queries.captured_queries) / count

    start = time.perf_counter()
    for activity in raw_rows:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE campaigns_outreachactivity SET status = 'approved', "
                "version = version + 1, approved_content_hash = %s "
                "WHERE id = %s AND version = %s AND status = 'in_review'",
                ["0" * 64, activity.pk, activity.version],
            )
            assert cursor.rowcount == 1
    raw = (time.perf_counter() - start) / count
    return Result(
        "P7 approve transition (+ audit rows)",
        ours * 1000,
        raw * 1000,
        "ms",
        "≤ 3",
        f"{per_transition:.0f} SQL statements per approval, {count} approvals each",
    )


UI_PAGES = {
    "dashboard": lambda world: "/",
    "campaign list": lambda world: "/campaigns/",
    "campaign detail": lambda world: f"/campaigns/{world.campaign.uuid}/",
    "calendar": lambda world: f"/campaigns/{world.campaign.uuid}/calendar/",
    "coverage": lambda world: "/coverage/",
    "evidence list": lambda world: "/evidence/",
}


def p2_ui_queries(size: int) -> list[Result]:
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
