"""One send task's work: prepare a batch, send each activity, record the answers as they come.

``dispatch_send_batch`` prepares the batch under its locks (``dispatch_prepare_batch``: a
``pending`` Dispatch row, the worker's lease, per activity that may go out), sends each, and
records the answers received so far every ``CANDOR_DISPATCH_RECORD_EVERY_MS``
(``dispatch_record_batch``, one short transaction each).

Why not once at the end: a batch used to send all its activities before it recorded any
answer, so a PostgreSQL restart during a batch lost every answer of it, and the tick re-sent the
whole batch once the lease had passed (200 webhook activities, ten fast restarts: 375 receipts).

When the database goes away while answers wait, the broken connection is discarded and the
record tried again with backoff until shortly before the attempts' lease runs out: a fast
restart takes a second or two, and then nothing is sent twice. If it stays away longer, the
batch stops sending: what it did not start stays ``pending`` and the tick redoes it after the
lease (never sent, so never sent twice); the answers it could not record are lost, and those
activities are sent again with the same idempotency key. One outage thus re-sends at most the
answers of one interval and the send in flight.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections
from django.utils import timezone

from campaigns import channels
from campaigns.models import Dispatch
from campaigns.services.dispatch_send import (
    Attempt,
    Outcome,
    dispatch_prepare_batch,
    dispatch_record_batch,
    lease,
    send_budget,
)

logger = logging.getLogger(__name__)

# What a lost or refused database connection raises (psycopg's errors, as Django wraps them).
CONNECTION_ERRORS = (OperationalError, InterfaceError)
NOT_RECORDED = "sent, answer not recorded (database unavailable): sent again after the lease"
NOT_SENT = "not sent (database unavailable): sent after the lease"


def _outcome(attempt: Attempt, session: channels.Session) -> Outcome:
    """Send one prepared activity; its error is its own (classified, never raised)."""
    assert attempt.activity is not None
    assert attempt.dispatch is not None
    try:
        response = session.send(
            attempt.activity, attempt.dispatch.idempotency_key, attempt.dispatch
        )
    except channels.PermanentError as error:
        return Outcome(attempt.dispatch, error=str(error), final=True)
    except Exception as error:  # transient, or a bug: both get the bounded retries
        logger.warning("Sending activity %s failed: %r", attempt.activity.pk, error)
        message = str(error) if isinstance(error, channels.TransientError) else repr(error)
        if attempt.number > settings.CANDOR_DISPATCH_MAX_RETRIES:
            return Outcome(attempt.dispatch, error=message, final=True)
        backoff = settings.CANDOR_DISPATCH_RETRY_BACKOFF * 2 ** (attempt.number - 1)
        return Outcome(attempt.dispatch, error=message, retry_in=backoff)
    return Outcome(attempt.dispatch, response=response)


class Recorder:
    """The answers of a batch not yet recorded. ``add`` records them every
    ``CANDOR_DISPATCH_RECORD_EVERY_MS`` (0: each as it comes); ``flush`` records what is left.
    ``lost`` once a record was given up: the database stayed away until the lease ran short."""

    def __init__(self, done: dict[int, str], started_at: datetime) -> None:
        self.done = done
        self.waiting: list[Outcome] = []
        self.since = 0.0
        self.lost = False
        # Past this a late record could overwrite an attempt the tick has taken as lost and
        # redone; stop trying a tenth of the lease before.
        self.give_up_at = started_at + lease() * 0.9

    def add(self, outcome: Outcome) -> None:
        if not self.waiting:
            self.since = time.monotonic()
        self.waiting.append(outcome)
        if (time.monotonic() - self.since) * 1000 >= settings.CANDOR_DISPATCH_RECORD_EVERY_MS:
            self.flush()

    def flush(self, unsent: Sequence[Dispatch] = ()) -> None:
        """Record the waiting answers (and withdraw ``unsent``) in one transaction, trying
        again over a fresh connection while the database is away and the lease allows."""
        if not self.waiting and not unsent:
            return
        pause = 0.1
        while True:
            try:
                self.done.update(dispatch_record_batch(outcomes=self.waiting, unsent=unsent))
                self.waiting = []
                return
            except CONNECTION_ERRORS as error:
                # A connection that broke inside the transaction is closed by its rollback; one
                # that broke between statements is dropped here (the health check fails), so
                # the next try connects afresh.
                close_old_connections()
                if timezone.now().timestamp() + pause >= self.give_up_at.timestamp():
                    logger.error(
                        "Giving up recording %d answers (%r): their activities are sent again "
                        "after the lease",
                        len(self.waiting),
                        error,
                    )
                    for outcome in self.waiting:
                        self.done[outcome.dispatch.activity_id] = NOT_RECORDED
                    for dispatch in unsent:
                        self.done[dispatch.activity_id] = NOT_SENT
                    self.waiting = []
                    self.lost = True
                    return
                logger.warning(
                    "Recording %d answers failed (%r); trying again in %.1f s",
                    len(self.waiting),
                    error,
                    pause,
                )
                time.sleep(pause)
                pause = min(pause * 2, 2.0)


def dispatch_send_batch(*, activity_ids: Sequence[int], claim: bool = False) -> dict[int, str]:
    """One attempt at each activity of a batch: prepare under the locks, send each over reused
    connections, record the answers as they come (see the module's docstring). Returns
    activity → what happened ("sent", "failed", "retry in 2 s", or why it was not sent)."""
    activity_ids = list(dict.fromkeys(activity_ids))  # an id given twice is sent once
    attempts = dispatch_prepare_batch(activity_ids=activity_ids, claim=claim)
    done = {a_id: a.reason for a_id, a in zip(activity_ids, attempts, strict=True)}
    ready = [(a, a.dispatch) for a in attempts if a.dispatch is not None]
    if not ready:
        return done
    recorder = Recorder(done, ready[0][1].started_at)
    deadline = time.monotonic() + send_budget()
    with channels.Session() as session:
        for n, (attempt, _) in enumerate(ready):
            if recorder.lost:  # the database is away: send nothing whose answer would be lost
                done.update((d.activity_id, NOT_SENT) for _, d in ready[n:])
                return done
            if time.monotonic() > deadline:
                recorder.flush(unsent=[d for _, d in ready[n:]])
                return done
            recorder.add(_outcome(attempt, session))
    recorder.flush()
    return done
