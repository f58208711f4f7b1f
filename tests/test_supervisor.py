"""``make run``'s supervisor (scripts/supervise.py) with tiny stand-in processes: a process that
dies is named, with its log, and restarted while the others keep going; one that keeps dying
stops everything with one clear line; Ctrl-C stops everything."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.campaigns.real_parts import ROOT, wait_until

# Prints its pid, then lives until stopped.
STEADY = f"{sys.executable} -c \"import os, time; print('up', os.getpid()); time.sleep(600)\""
# Stands in for a Celery worker: a main process with a child of its own; prints both pids.
PARENT = (
    f'{sys.executable} -c "import os, subprocess, sys, time; '
    f"c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); "
    f"print('up', os.getpid(), flush=True); print('child', c.pid, flush=True); "
    f'time.sleep(600)"'
)


class Run:
    def __init__(self, tmp: Path, procfile: str, *args: str) -> None:
        (tmp / "Procfile").write_text(procfile)
        self.logs = tmp / "log"
        self.out = tmp / "console.txt"
        command = [sys.executable, "scripts/supervise.py", "--log-dir", str(self.logs), *args]
        self.popen = subprocess.Popen(
            [*command, str(tmp / "Procfile")],
            cwd=ROOT,
            stdout=self.out.open("wb"),
            stderr=subprocess.STDOUT,
        )

    def console(self) -> str:
        return self.out.read_text(errors="replace")

    def pids(self, name: str) -> list[int]:
        return [int(pid) for pid in re.findall(rf"^{name}\s*\| up (\d+)$", self.console(), re.M)]

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()


@pytest.fixture
def supervise(tmp_path: Path) -> Iterator[type[Run]]:
    runs: list[Run] = []

    def start(procfile: str, *args: str) -> Run:
        run = Run(tmp_path, procfile, *args)
        runs.append(run)
        return run

    yield start  # type: ignore[misc]
    for run in runs:
        run.stop()


def alive(pid: int) -> bool:
    """Running (a zombie that no one has reaped yet counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_killed_process_is_named_with_its_log_and_restarted_while_the_others_go_on(
    supervise,
) -> None:
    run = supervise(f"web: {STEADY}\nworker: {STEADY}\n", "--backoff", "0.2")
    wait_until(lambda: run.pids("web") and run.pids("worker"), 20, run.console)
    web, worker = run.pids("web")[0], run.pids("worker")[0]

    os.kill(worker, signal.SIGKILL)
    wait_until(lambda: len(run.pids("worker")) == 2, 20, run.console)

    assert f"candor: worker was killed by SIGKILL (log: {run.logs}/worker.log); " in run.console()
    assert "restarting it in 0.2 s" in run.console()
    assert alive(run.pids("worker")[1])
    assert run.pids("web") == [web]  # untouched
    assert alive(web)
    assert (run.logs / "worker.log").read_text().count("up ") == 2


def test_a_process_that_keeps_dying_stops_everything_with_one_line(supervise) -> None:
    run = supervise(
        f"web: {STEADY}\nbeat: /bin/sh -c 'echo broken; exit 3'\n",
        "--backoff",
        "0.1",
        "--max-restarts",
        "3",
    )
    wait_until(lambda: run.popen.poll() is not None, 30, run.console)
    web = run.pids("web")[0]

    assert run.popen.returncode == 1
    assert (
        f"candor: beat exited with code 3, 3 times within 60 s; stopping everything. "
        f"Its log: {run.logs}/beat.log"
    ) in run.console()
    assert run.console().count("candor: beat exited with code 3 (log:") == 2  # then restarted
    wait_until(lambda: not alive(web), 10, "the web process to be stopped")
    assert (run.logs / "beat.log").read_text().count("broken") == 3


def test_ctrl_c_stops_every_process_and_its_children(supervise) -> None:
    run = supervise(f"web: {STEADY}\nworker: {PARENT}\n")
    wait_until(lambda: "child " in run.console() and run.pids("web"), 20, run.console)
    child = int(re.search(r"child (\d+)", run.console()).group(1))  # type: ignore[union-attr]
    pids = [run.pids("web")[0], run.pids("worker")[0], child]

    run.popen.send_signal(signal.SIGINT)
    run.popen.wait(timeout=20)

    assert run.popen.returncode == 0
    assert "candor: stopping web, worker" in run.console()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in pids if alive(pid)]


def test_what_a_killed_process_leaves_behind_goes_with_it(supervise) -> None:
    run = supervise(f"worker: {PARENT}\n", "--backoff", "5")
    wait_until(lambda: "child " in run.console(), 20, run.console)
    child = int(re.search(r"child (\d+)", run.console()).group(1))  # type: ignore[union-attr]

    os.kill(run.pids("worker")[0], signal.SIGKILL)  # the pool child is orphaned

    wait_until(lambda: not alive(child), 10, "the orphaned child to be stopped")
