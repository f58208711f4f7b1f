"""Sending claimed activities: a batch at a time, every rule per activity.

A batch (``dispatch_batch.dispatch_send_batch``) is one attempt at each of its activities, in
three steps:

1. ``dispatch_prepare_batch`` locks the batch's rows (``FOR UPDATE OF`` the activities only, in
   key order) and re-checks each activity under its lock, as ``dispatch_prepare`` always did:
   cancelled or already sent → skipped; another live pending attempt → skipped; waiting for its
   officer → skipped; content differs from the approved hash → back to review; cited evidence
   no longer verified → recalled; inside a blackout window → back to ``approved`` (deferred).
   What may go out gets a ``pending`` Dispatch row (its worker's lease) with the next attempt
   number and the activity's idempotency key. All of it is set-based: one lock query, one read
   of the earlier attempts, one of the citations (the approved hash covers them), one INSERT
   of the new attempts, one UPDATE per kind of outcome.
2. Each activity is sent on its own (``channels.Session`` reuses one SMTP connection for the
   batch and the process's keep-alive HTTP connections); one send's error is that activity's
   alone.
3. ``dispatch_record_batch`` writes the outcomes of the answers received so far in one
   transaction (the batch calls it every ``CANDOR_DISPATCH_RECORD_EVERY_MS``): a bulk UPDATE
   of the attempts, one UPDATE per new status, one INSERT of the events, one INSERT of their
   notifications into the outbox, and the retries (transient errors, bounded, with backoff per
   activity) enqueued on commit. Recording them again is harmless: only an activity still
   ``dispatching`` changes state.

A batch costs the same dozen statements whatever its size (it was 12 per activity), plus one
record for each interval its sends take."""

from __future__ import annotations

from campaigns.services.dispatch_send.common import (
    Attempt,
    Kind,
    Outcome,
    Result,
    S,
    bulk_events,
    enqueue_batches,
    in_blackout,
    lease,
    longest_send,
    mark_claimed,
    notify_events,
    send_budget,
)
from campaigns.services.dispatch_send.prepare import dispatch_prepare, dispatch_prepare_batch
from campaigns.services.dispatch_send.record import (
    dispatch_record_batch,
    dispatch_record_failure,
    dispatch_record_success,
)

__all__ = [
    "Attempt",
    "Kind",
    "Outcome",
    "Result",
    "S",
    "bulk_events",
    "dispatch_prepare",
    "dispatch_prepare_batch",
    "dispatch_record_batch",
    "dispatch_record_failure",
    "dispatch_record_success",
    "enqueue_batches",
    "in_blackout",
    "lease",
    "longest_send",
    "mark_claimed",
    "notify_events",
    "send_budget",
]
