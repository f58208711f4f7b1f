"""Run the processes of a Procfile together, as ``make run`` does: one console, each line
prefixed with its process's name and also kept in ``<log dir>/<name>.log``.

A process that exits is said so in one line (its name, how it ended, where its log is) and
started again after a backoff (1 s, doubling up to 30 s) while the others keep going. A process
that exits ``--max-restarts`` times within ``--window`` seconds is given up on: one line says
so, everything stops and the exit status is 1. Ctrl-C (or SIGTERM) stops everything.

Standard library only, so it runs before anything is installed; usage:
``python scripts/supervise.py [--log-dir var/log] Procfile.dev``."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

COLOURS = ("36", "33", "35", "32", "34", "31")
_print_lock = threading.Lock()


def say(line: str) -> None:
    """One line of the supervisor's own, on the console."""
    with _print_lock:
        print(f"candor: {line}", flush=True)


@dataclass
class Process:
    name: str
    command: str
    log: Path
    colour: str
    width: int
    popen: subprocess.Popen[bytes] | None = None
    exits: deque[float] = field(default_factory=deque)
    restart_at: float | None = None

    def start(self) -> None:
        # Its own process group: a stop reaches a Celery worker's pool children too.
        # The command is the Procfile's, a shell line by design (variables like ${CANDOR_PORT}).
        self.popen = subprocess.Popen(  # noqa: S603
            ["/bin/bash", "-c", f"exec {self.command}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,
        )
        threading.Thread(target=self._relay, args=(self.popen.stdout,), daemon=True).start()

    def _relay(self, stream: IO[bytes] | None) -> None:
        """Copy the process's output to the console (prefixed) and to its log file."""
        assert stream is not None
        prefix = (
            f"\033[{self.colour}m{self.name:<{self.width}} |\033[0m "
            if _tty()
            else (f"{self.name:<{self.width}} | ")
        )
        with self.log.open("ab") as log:
            for raw in iter(stream.readline, b""):
                log.write(raw)
                log.flush()
                with _print_lock:
                    sys.stdout.write(prefix + raw.decode(errors="replace").rstrip("\n") + "\n")
                    sys.stdout.flush()

    def signal(self, signum: int, *, group_only: bool = False) -> None:
        """Signal the process's group; ``group_only``: the leader has exited, its group may
        live on (the group id is not reused while any member lives)."""
        if self.popen is not None and (group_only or self.popen.poll() is None):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.popen.pid, signum)


def _tty() -> bool:
    return sys.stdout.isatty()


def how_it_ended(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"


def read_procfile(path: Path) -> list[tuple[str, str]]:
    entries = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            entries.append((name.strip(), command.strip()))
    return entries


class Supervisor:
    def __init__(self, processes: list[Process], *, max_restarts: int, window: float) -> None:
        self.processes = processes
        self.max_restarts = max_restarts
        self.window = window
        self.stopping = False

    def stop(self, signum: int = 0, frame: object = None) -> None:
        self.stopping = True

    def run(self, backoff: float) -> int:
        for p in self.processes:
            p.start()
        status = 0
        while not self.stopping:
            time.sleep(0.1)
            now = time.monotonic()
            for p in self.processes:
                if p.restart_at is not None:
                    if now >= p.restart_at:
                        p.restart_at = None
                        p.start()
                        say(f"{p.name} started again")
                    continue
                returncode = p.popen.poll() if p.popen is not None else None
                if returncode is None:
                    continue
                # What it left behind (a Celery worker's pool children) goes with it.
                p.signal(signal.SIGKILL, group_only=True)
                p.exits.append(now)
                while p.exits and p.exits[0] < now - self.window:
                    p.exits.popleft()
                if len(p.exits) >= self.max_restarts:
                    say(
                        f"{p.name} {how_it_ended(returncode)}, {len(p.exits)} times within "
                        f"{self.window:g} s; stopping everything. Its log: {p.log}"
                    )
                    self.stopping, status = True, 1
                    break
                delay = min(30.0, backoff * 2 ** (len(p.exits) - 1))
                say(
                    f"{p.name} {how_it_ended(returncode)} (log: {p.log}); "
                    f"restarting it in {delay:g} s"
                )
                p.restart_at = now + delay
        self.shutdown()
        return status

    def shutdown(self, grace: float = 10.0) -> None:
        """SIGTERM to each process (a Celery worker then stops its pool itself: a warm
        shutdown), SIGKILL after ``grace`` seconds; then whatever is left in their groups."""
        say("stopping " + ", ".join(p.name for p in self.processes))
        for p in self.processes:
            if p.popen is not None and p.popen.poll() is None:
                p.popen.terminate()
        deadline = time.monotonic() + grace
        for p in self.processes:
            if p.popen is None:
                continue
            try:
                p.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.popen.kill()
                p.popen.wait()
            p.signal(signal.SIGKILL, group_only=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("procfile", type=Path)
    parser.add_argument("--log-dir", type=Path, default=Path("var/log"))
    parser.add_argument("--max-restarts", type=int, default=5)
    parser.add_argument("--window", type=float, default=60.0, help="seconds")
    parser.add_argument("--backoff", type=float, default=1.0, help="first delay, seconds")
    args = parser.parse_args(argv)
    args.log_dir.mkdir(parents=True, exist_ok=True)
    entries = read_procfile(args.procfile)
    width = max(len(name) for name, _ in entries)
    processes = [
        Process(name, command, args.log_dir / f"{name}.log", COLOURS[i % len(COLOURS)], width)
        for i, (name, command) in enumerate(entries)
    ]
    supervisor = Supervisor(processes, max_restarts=args.max_restarts, window=args.window)
    signal.signal(signal.SIGINT, supervisor.stop)
    signal.signal(signal.SIGTERM, supervisor.stop)
    say(f"logs in {args.log_dir}/: " + ", ".join(f"{p.name}.log" for p in processes))
    return supervisor.run(args.backoff)


if __name__ == "__main__":
    sys.exit(main())
