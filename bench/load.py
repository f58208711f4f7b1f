"""P3: requests per second of the API list under gunicorn, loaded by wrk on the other core,
against the raw ``values()`` view under the same server, on the same data."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench import world as w
from bench.harness import Result

ROOT = Path(__file__).resolve().parents[1]
SECONDS = 5  # per wrk run
ROUNDS = 3  # interleaved runs of each side; the median counts


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pinned(core: int, command: list[str]) -> list[str]:
    """``command`` on one core, when the machine has two or more (taskset)."""
    if (os.cpu_count() or 1) > 1 and shutil.which("taskset"):
        return ["taskset", "-c", str(core), *command]
    return command


def _wait_for(url: str, headers: dict[str, str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer {url} within {timeout} s")


def _requests_per_second(url: str, token: str) -> float:
    out = subprocess.run(
        _pinned(
            1,
            ["wrk", "-t1", "-c4", f"-d{SECONDS}s", "-H", f"Authorization: Token {token}", url],
        ),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        raise RuntimeError(f"{url}: {non_2xx.group(1)} failed responses under load\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def p3_requests_per_second(scale: float) -> Result:
    """One sync gunicorn worker pinned to core 0 (as production runs it, settings aside:
    DEBUG off, persistent connections), wrk pinned to core 1, 4 connections."""
    from accounts.services import token_create

    if not shutil.which("wrk"):
        raise RuntimeError("P3 needs wrk (Debian: apt-get install wrk; make bench installs it)")
    world = w.build("p3")
    w.bulk_activities(world, max(500, int(1000 * scale)))
    _, token = token_create(user=world.reviewer, name="bench-p3")
    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.bench"}
    server = subprocess.Popen(
        _pinned(
            0,
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--log-level",
                "warning",
            ],
        ),
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    ours_url = f"http://127.0.0.1:{port}/api/v1/activities/?page_size=50"
    raw_url = f"http://127.0.0.1:{port}/bench/raw/activities/"
    try:
        for url in (ours_url, raw_url):
            _wait_for(url, {"Authorization": f"Token {token}"})
        ours, raw = [], []
        for _ in range(ROUNDS):
            ours.append(_requests_per_second(ours_url, token))
            raw.append(_requests_per_second(raw_url, token))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return Result(
        "P3 API list under gunicorn (requests/s, higher is better)",
        sorted(ours)[len(ours) // 2],
        sorted(raw)[len(raw) // 2],
        "req/s",
        "≥ 0.75",
        f"1 sync worker on core 0, wrk -c4 on core 1, {ROUNDS}×{SECONDS} s interleaved, median",
    )
