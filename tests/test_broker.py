"""The embedded broker under a burst: a writer process puts messages while this process reads
them as fast as it can, the way a Celery worker polls the filesystem transport.

kombu's own filesystem transport hands the reader half-written files (kombu issue 1551): the
message is lost and a Celery worker dies of the ``JSONDecodeError``. Ours loses none. The
first test is the reproduction; should kombu fix the race it fails, and config/broker.py can
go. The second fails if kombu changes what ``_put`` must do in a way our override misses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from queue import Empty

from kombu import Connection

from config.broker import AtomicFilesystemTransport, broker_check

ROOT = Path(__file__).resolve().parents[1]
STOCK = "kombu.transport.filesystem:Transport"
OURS = "config.broker:AtomicFilesystemTransport"

WRITER = """
import sys
from kombu import Connection
transport, folder, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
options = {"data_folder_in": folder + "/queue", "data_folder_out": folder + "/queue",
           "control_folder": folder + "/control"}
with Connection("filesystem://", transport=transport, transport_options=options) as connection:
    queue = connection.SimpleQueue("burst")
    for i in range(n):
        queue.put({"i": i, "body": "x" * 2000})  # about a dispatch task's size
"""


@dataclass
class Burst:
    sent: int
    received: set[int]
    unreadable: int

    @property
    def lost(self) -> int:
        return self.sent - len(self.received)


def burst(transport: str, folder: Path, n: int, *, timeout: float = 120) -> Burst:
    """``n`` messages put by another process through ``transport`` and read here meanwhile."""
    for sub in ("queue", "control"):
        (folder / sub).mkdir(parents=True)
    options = {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "control_folder": str(folder / "control"),
    }
    received: set[int] = set()
    unreadable = 0
    with Connection("filesystem://", transport=transport, transport_options=options) as conn:
        queue = conn.SimpleQueue("burst")
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, transport, str(folder), str(n)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                try:
                    message = queue.get_nowait()
                except Empty:
                    if writer.poll() is not None and not os.listdir(folder / "queue"):
                        break
                    continue
                except json.JSONDecodeError:  # what killed the make-run worker
                    unreadable += 1
                    continue
                received.add(message.payload["i"])
                message.ack()
            else:
                raise AssertionError(f"the burst of {n} did not finish in {timeout}s")
        finally:
            writer.kill()
            writer.wait()
        assert writer.returncode == 0
    return Burst(sent=n, received=received, unreadable=unreadable)


def test_kombus_filesystem_transport_loses_half_written_messages_to_a_tight_reader(
    tmp_path: Path,
) -> None:
    # Measured here: 25 of 1,000 and 345 of 5,000 read half-written (2 cores, ext4). A race
    # shows at random: up to five bursts (a loaded machine once gave a clean one), not more.
    for attempt in range(5):
        result = burst(STOCK, tmp_path / f"burst-{attempt}", 1000)
        if result.unreadable:
            break
    assert result.unreadable >= 1
    assert result.lost == result.unreadable


def test_our_transport_delivers_every_message_of_a_burst_whole(tmp_path: Path) -> None:
    result = burst(OURS, tmp_path, 1500)
    assert (result.lost, result.unreadable) == (0, 0)
    assert not os.listdir(tmp_path / "staging")  # nothing left behind half-way


def test_a_message_that_cannot_be_written_is_refused_and_leaves_no_staged_file(
    tmp_path: Path,
) -> None:
    from kombu.exceptions import ChannelError

    options = {
        "data_folder_in": str(tmp_path / "queue"),
        "data_folder_out": str(tmp_path / "missing"),  # the rename has nowhere to go
        "control_folder": str(tmp_path / "control"),
    }
    (tmp_path / "queue").mkdir()
    (tmp_path / "control").mkdir()
    with Connection(transport=AtomicFilesystemTransport, transport_options=options) as conn:
        queue = conn.SimpleQueue("q")
        try:
            queue.put({"a": 1})
        except ChannelError:
            pass
        else:
            raise AssertionError("a message that could not be queued was accepted")
    assert not os.listdir(tmp_path / "staging")


def test_the_embedded_settings_name_our_transport() -> None:
    code = (
        "import django; django.setup(); from config.celery import app; "
        "print(type(app.connection_for_write().transport).__name__)"
    )
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings.local"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.strip() == "AtomicFilesystemTransport", result.stderr[-2000:]


def test_the_broker_check_names_no_host_or_password_when_redis_does_not_answer() -> None:
    from tests.campaigns.real_parts import free_port

    url = f"redis://:s3cret@127.0.0.1:{free_port()}/0"
    reason = broker_check(url, transport_options={}, timeout=0.5)
    assert reason is not None
    assert "s3cret" not in reason
    assert "127.0.0.1" not in reason


def test_the_broker_check_finds_a_missing_queue_folder(tmp_path: Path) -> None:
    options = {"data_folder_in": str(tmp_path / "queue")}
    assert broker_check("filesystem://", transport_options=options, timeout=0.5) is not None
    (tmp_path / "queue").mkdir()
    assert broker_check("filesystem://", transport_options=options, timeout=0.5) is None
