"""Real parts for dispatch tests: a private Redis server, a private PostgreSQL cluster, an HTTP
receiver, an SMTP sink, and a Celery worker + beat running as separate processes against the
test database.

Nothing here is mocked; everything listens on 127.0.0.1 and stops by itself at test end."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
from aiosmtpd.controller import Controller
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    """The URL of the database this process is connected to, for processes it starts."""
    database = connection.settings_dict
    return f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"


def wait_until(
    condition: Callable[[], bool], timeout: float, what: str | Callable[[], str]
) -> None:
    """Poll ``condition``; on timeout fail with ``what`` (or what it returns, e.g. a log)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    detail = what() if callable(what) else what
    raise AssertionError(f"timed out after {timeout}s waiting; {detail}")


class PrivateRedis:
    """A redis-server of the test's own, so it can be restarted without touching anyone else's."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, 10, "redis-server to start")

    def _answers(self) -> bool:
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s,
        ):
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
        return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own (``initdb`` in a temporary folder, a free port),
    so it can be restarted without touching the machine's shared server and whoever uses it.
    PostgreSQL refuses to run as root: as root, its commands run as the ``postgres`` user."""

    def __init__(self, name: str = "candor") -> None:
        self.port = free_port()
        self.name = name
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        self.bin = Path(found[-1] if found else shutil.which("pg_ctl") or "pg_ctl").parent
        self.tmp = Path(tempfile.mkdtemp(prefix="candor-pg-"))
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.tmp, self.user)
        self.data = self.tmp / "data"
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{self.name}"

    def _pg(self, *args: str) -> None:
        subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            cwd=self.tmp,
            user=self.user,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def start(self) -> None:
        """Create the cluster and its database, and apply every migration to it."""
        self._pg("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        # Durability is not under test (a fast shutdown checkpoints anyway): no fsync.
        options = (
            f"-p {self.port} -k {self.tmp} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off -c max_connections=60"
        )
        self._pg("pg_ctl", "-D", str(self.data), "-o", options, "-l", "server.log", "-w", "start")
        admin = self.url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env={**os.environ, **self.env},
            check=True,
        )

    @property
    def env(self) -> dict[str, str]:
        """The environment of a process that uses this cluster with the test settings."""
        return {"DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": self.url}

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: every session is ended, open transactions roll back."""
        self._pg("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "restart")
        self.restarts += 1

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.tmp, ignore_errors=True)

    def log(self) -> str:
        path = self.tmp / "server.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


@dataclass
class Receipt:
    key: str
    headers: dict[str, str]
    body: bytes
    at: datetime

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """A partner's webhook endpoint: records every POST, answers with ``statuses`` in turn
    (the last one repeats), after ``delay`` seconds (and ``on_receipt``, a fault to inject)."""

    statuses: list[int] = field(default_factory=lambda: [200])
    delay: float = 0.0
    on_receipt: Callable[[int], None] | None = None  # called with the count, before answering
    receipts: list[Receipt] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                time.sleep(receiver.delay)
                with receiver.lock:
                    receiver.receipts.append(
                        Receipt(
                            key=self.headers.get("Candor-Idempotency-Key", ""),
                            headers=dict(self.headers.items()),
                            body=body,
                            at=datetime.now(UTC),
                        )
                    )
                    n = len(receiver.receipts)
                    status = receiver.statuses[min(n, len(receiver.statuses)) - 1]
                if receiver.on_receipt is not None:
                    receiver.on_receipt(n)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hooks/candor"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SmtpSink:
    """A real SMTP server (aiosmtpd) keeping every message it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                sink.messages.append(
                    (list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=default))
                )
                return "250 Message accepted for delivery"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=free_port())
        self.controller.start()

    @property
    def port(self) -> int:
        return self.controller.port

    def stop(self) -> None:
        self.controller.stop()


class Celery:
    """``celery worker`` and ``celery beat`` as real processes on the test database."""

    def __init__(
        self,
        *,
        broker: str,
        env: dict[str, str] | None = None,
        worker_args: tuple[str, ...] = ("--concurrency=2",),
    ) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="candor-celery-"))
        self.worker_args = worker_args
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url(),
            "REDIS_URL": broker,
            "CANDOR_DISPATCH_TICK_SECONDS": "0.5",
            "CANDOR_NOTIFY_TICK_SECONDS": "0.5",
            "CANDOR_DISPATCH_LEASE_SECONDS": "3",
            "CANDOR_DISPATCH_RETRY_BACKOFF": "0.2",
            "CANDOR_VAR_DIR": str(self.tmp),
            **(env or {}),
        }
        self.worker: subprocess.Popen[bytes] | None = None
        self.beat: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    def _spawn(self, *args: str, log: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *args],
            cwd=ROOT,
            env=self.env,
            stdout=open(self.tmp / log, "ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a kill reaches the pool children
        )

    def start_worker(self) -> None:
        self.worker = self._spawn(
            "worker",
            "--loglevel=INFO",
            *self.worker_args,
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            log="worker.log",
        )

    def start_beat(self) -> None:
        self.beat = self._spawn(
            "beat", "--loglevel=INFO", f"--schedule={self.tmp / 'beat-schedule'}", log="beat.log"
        )

    def start(self) -> None:
        self.start_worker()
        self.start_beat()

    def kill_worker(self) -> None:
        """SIGKILL the worker's whole process group: main process and pool children."""
        if self.worker is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.worker.pid, signal.SIGKILL)
            self.worker.wait(timeout=10)
            self.worker = None
            self.restarts += 1

    def stop(self) -> None:
        self.kill_worker()
        if self.beat is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.beat.pid, signal.SIGKILL)
            self.beat.wait(timeout=10)
            self.beat = None

    def log(self) -> str:
        return "".join(
            p.read_text(errors="replace")[-4000:] for p in sorted(self.tmp.glob("*.log"))
        )


@contextlib.contextmanager
def running(*parts: Any) -> Iterator[None]:
    try:
        yield
    finally:
        for part in reversed(parts):
            part.stop()
