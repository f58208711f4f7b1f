"""What every scenario shares: a fresh database, timing, and the printed table."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg


@dataclass
class Result:
    name: str
    ours: float
    baseline: float
    unit: str
    target: str
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.ours / self.baseline if self.baseline else float("inf")

    def line(self) -> str:
        return (
            f"| {self.name} | {self.ours:.4g} {self.unit} | {self.baseline:.4g} {self.unit} "
            f"| {self.ratio:.2f} | {self.target} | {self.note} |"
        )


HEADER = "| scenario | ours | baseline | ratio | target | notes |\n|---|---|---|---|---|---|"


def recreate_database(url: str) -> None:
    """Drop and create the benchmark database (it holds nothing but generated data)."""
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def per_call(fn: Callable[[], object], repeat: int) -> float:
    """Median seconds of ``repeat`` calls of ``fn`` (after one warm-up call)."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def machine() -> str:
    cpus = os.cpu_count()
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            mem = f"{int(f.readline().split()[1]) // 1024 // 1024} GiB"
    except OSError:
        pass
    with psycopg.connect(
        os.environ.get("CANDOR_BENCH_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    ) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    return (
        f"{platform.node()}: {cpus} cores, {mem}, {platform.platform()}, "
        f"Python {platform.python_version()}, PostgreSQL {pg}"
    )
