"""The embedded broker, made race-free, and the broker check ``/health/`` uses.

kombu's filesystem transport (checked against kombu 5.7.0) writes a message in ``_put`` by
creating the file in the queue folder, then locking and writing it; ``_get`` lists the folder,
moves a file out and reads it without taking that lock. A reader that polls while a writer is
between ``open`` and ``write`` takes an empty or half-written file, ``json.loads`` fails and the
Celery worker dies with ``JSONDecodeError`` (kombu issue 1551, open). With Candor's ticks this
took a ``make run`` worker down within minutes.

``AtomicFilesystemTransport`` changes only the write: the message is written and fsynced in a
staging folder beside the queue folder (same filesystem), then renamed into the queue folder.
``rename`` is atomic on POSIX, so a reader sees either no file or the whole file. The file name
is kombu's own (``<monotonic ms>_<uuid>.<queue>.msg``): the reader sorts by it and filters by
the queue name in it. Overriding ``_put`` subclasses a transport the way kombu documents
(a transport class named by import path through ``broker_transport``); should kombu change what
``_put`` must do, ``tests/test_broker.py`` (a burst read by a tight concurrent reader) fails.

Wiring only: this module imports no Candor app.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

# The kombu release whose ``_put``/``_get`` contract this module was checked against.
CHECKED_AGAINST_KOMBU = "5.7.0"


class AtomicFilesystemChannel(filesystem.Channel):
    """kombu's filesystem channel whose messages appear in the queue folder complete."""

    @property
    def staging_folder(self) -> str:
        """Where messages are written before they are renamed into the queue folder: the
        ``staging_folder`` transport option, else ``staging`` beside the queue folder."""
        folder = self.transport_options.get("staging_folder") or os.path.join(
            os.path.dirname(os.path.abspath(self.data_folder_out)), "staging"
        )
        os.makedirs(folder, exist_ok=True)
        return folder

    # The signature of the filesystem channel's own ``_put``, which kombu's typed base
    # ``AbstractChannel`` declares with the argument named ``message``.
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Put ``payload`` onto ``queue``: written and fsynced aside, then renamed in."""
        # kombu's own name: readers order messages by it and pick their queue's from it.
        name = f"{round(time.monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        staged = os.path.join(self.staging_folder, name)
        try:
            with open(staged, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
                f.flush()
                os.fsync(f.fileno())
            os.replace(staged, os.path.join(self.data_folder_out, name))
        except OSError as exc:
            Path(staged).unlink(missing_ok=True)
            raise ChannelError(f"Cannot add file {name!r} to directory") from exc


class AtomicFilesystemTransport(filesystem.Transport):
    """The filesystem transport with :class:`AtomicFilesystemChannel` (no server needed)."""

    Channel = AtomicFilesystemChannel


def broker_check(url: str, *, transport_options: dict[str, Any], timeout: float) -> str | None:
    """``None`` when the broker at ``url`` answers within ``timeout`` seconds, else a short
    reason naming no host, user or password. Redis: a PING; the filesystem broker: its queue
    folder is there and writable; any other broker: a kombu connection is established."""
    scheme = url.partition("://")[0]
    if scheme in {"redis", "rediss"}:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            client.ping()
        except redis.RedisError as exc:
            return f"no answer to PING ({type(exc).__name__})"
        finally:
            client.close()
        return None
    if scheme == "filesystem":
        folder = transport_options.get("data_folder_in", "data_in")
        if not os.path.isdir(folder) or not os.access(folder, os.W_OK | os.X_OK):
            return "the queue folder is missing or not writable"
        return None
    from kombu import Connection

    with Connection(url, connect_timeout=timeout, transport_options=transport_options) as conn:
        try:
            conn.ensure_connection(max_retries=1, timeout=timeout)
        except Exception as exc:  # any failure to connect means "down"
            return f"no connection ({type(exc).__name__})"
    return None
