"""``python -m bench [--only P7] [--size N]``: run the benchmarks and print one line each."""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", help="comma-separated scenario ids, e.g. P2,P7")
    parser.add_argument("--size", type=int, default=1000, help="scale of generated data")
    args = parser.parse_args()

    import django
    from django.conf import settings

    from bench.harness import HEADER, machine, recreate_database

    url = os.environ.get(
        "CANDOR_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/candor_bench"
    )
    recreate_database(url)
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from bench import scenarios

    plan = {
        "P1": scenarios.p1_api_list,
        "P2": scenarios.p2_ui_queries,
        "P2API": scenarios.p2_api_queries,
        "P7": scenarios.p7_approve_transition,
    }
    wanted = {s.strip().upper() for s in args.only.split(",")} if args.only else set(plan)
    print(f"Machine: {machine()}")
    print(f"Database: {settings.DATABASES['default']['NAME']}, size {args.size}\n")
    print(HEADER)
    started = time.perf_counter()
    for key, scenario in plan.items():
        if key not in wanted:
            continue
        results = scenario(args.size)
        for result in results if isinstance(results, list) else [results]:
            print(result.line(), flush=True)
    print(f"\nTotal time: {time.perf_counter() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
