"""Hash chains: the one canonical form and link function that both writes and verifies them.

An append-only log (``ActivityEvent`` per activity, ``EvidenceStatusChange`` per evidence item)
is a chain: every entry stores ``prev_hash`` (the ``hash`` of the entry before it in the same
chain, ``GENESIS`` for the first) and ``hash = sha256(prev_hash + canonical(content))``. Someone
who rewrites an entry with the append-only trigger disabled must recompute every later hash of
the chain; the head hash that left the database (the report e-mail) then no longer matches.

Lives in ``accounts`` (the lowest app) because both ``messaging`` and ``campaigns`` chain their
logs with it; it knows nothing of either.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

GENESIS = ""  # the prev_hash of a chain's first entry


def canonical(content: dict[str, Any]) -> bytes:
    """The entry's content as bytes that do not depend on key order or whitespace."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def instant(at: datetime) -> str:
    """A timestamp in one form whatever the database returned it in (UTC, ISO 8601, µs)."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def link(prev_hash: str, content: dict[str, Any]) -> str:
    """The hash of an entry with ``content`` that follows the entry hashed ``prev_hash``."""
    return hashlib.sha256(prev_hash.encode() + canonical(content)).hexdigest()


def head_of(heads: Iterable[str]) -> str:
    """One hash standing for many chains' heads (sorted, so order of reading does not matter)."""
    return hashlib.sha256("\n".join(sorted(heads)).encode()).hexdigest()


def broken_links(entries: Iterable[tuple[str, str, str, dict[str, Any]]]) -> list[tuple[str, str]]:
    """Check one chain, given in order as (label, prev_hash, hash, content): the entries whose
    link is broken, as (label, what is wrong). Empty when the chain is whole."""
    found: list[tuple[str, str]] = []
    expected_prev = GENESIS
    for label, prev_hash, stored, content in entries:
        if prev_hash != expected_prev:
            found.append(
                (label, "does not follow the entry before it (an entry was removed or rewritten)")
            )
        if stored != link(prev_hash, content):
            found.append((label, "was changed after it was written (its hash does not match)"))
        expected_prev = stored
    return found
