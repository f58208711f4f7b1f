"""``python -m bench [--only P1,P7] [--scale 0.1]``: run the benchmarks, one line each.

Every scenario sizes its data as its default (the issue's figure: 10k activities for P4, 1M
for P5, 100k rows for P6) times ``--scale``."""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", help="comma-separated scenario ids, e.g. P2,P7")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiplies every scenario's default data size"
    )
    args = parser.parse_args()

    import django
    from django.conf import settings

    from bench.harness import HEADER, machine, recreate_database

    url = os.environ.get(
        "CANDOR_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/candor_bench"
    )
    recreate_database(url)
    django.setup()
    import redis

    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # the bench's own Redis database
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import importlib

    # Scenario id → "module:function"; a module is imported only when its scenario runs.
    plan = {
        "P1": "bench.scenarios:p1_api_list",
        "P2": "bench.scenarios:p2_ui_queries",
        "P2API": "bench.scenarios:p2_api_queries",
        "P3": "bench.load:p3_requests_per_second",
        # Before the scenarios that load millions of rows (and set autovacuum going).
        "P7": "bench.scenarios:p7_approve_transition",
        "P4": "bench.dispatch:p4_dispatch_lag",
        "P4B": "bench.dispatch:p4b_drain_time",
        "P5": "bench.scale:p5_weekly_report",
        "P6": "bench.scale:p6_csv_import",
        # Faults at volume (issue #13): only when asked for (--only F1,F2), never by default.
        "F1": "bench.faults:f1_faults_at_volume",
        "F2": "bench.faults:f2_database_restarts",
    }
    wanted = {s.strip().upper() for s in args.only.split(",")} if args.only else set(plan)
    if not args.only:
        wanted -= {"F1", "F2"}
    print(f"Machine: {machine()}")
    print(f"Database: {settings.DATABASES['default']['NAME']}, scale {args.scale}\n")
    print(HEADER)
    started = time.perf_counter()
    for key, scenario in plan.items():
        if key not in wanted:
            continue
        module, function = scenario.split(":")
        results = getattr(importlib.import_module(module), function)(args.scale)
        for result in results if isinstance(results, list) else [results]:
            print(result.line(), flush=True)
    print(f"\nTotal time: {time.perf_counter() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
