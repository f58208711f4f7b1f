"""The five steps every activity transition takes (STYLE.md §4), written once.

1. lock the row (``SELECT … FOR UPDATE``) and compare its version with the caller's copy;
2. check the transition table (here) and the rules (in the calling service);
3. write the fields, bumping ``version``;
4. record an ``ActivityEvent`` (who, when, from, to, comment, changed fields);
5. enqueue notifications after commit.

Two racing approvals of the same step both reach step 1; the database lets one through first.
It bumps the version and commits; the second then finds a version it did not load and gets
``Conflict`` (HTTP 409) instead of approving a state it never saw.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction

from accounts.audit import audit_context
from accounts.db import joins_as_written_in_transaction
from accounts.errors import Conflict, InvalidTransition
from campaigns.models import ActivityEvent, ActivityStatus, OutreachActivity

S = ActivityStatus

# action → the states it may start from. The target is decided by the service.
ALLOWED_FROM: dict[str, frozenset[str]] = {
    "edit": frozenset({S.DRAFT, S.CHANGES_REQUESTED, S.IN_REVIEW, S.APPROVED, S.FAILED}),
    "submit": frozenset({S.DRAFT, S.CHANGES_REQUESTED}),
    "approve": frozenset({S.IN_REVIEW}),
    "request_changes": frozenset({S.IN_REVIEW}),
    # Failed is included: a retry would otherwise send content whose evidence was withdrawn.
    "recall": frozenset({S.IN_REVIEW, S.APPROVED, S.FAILED}),
    "cancel": frozenset(
        {S.DRAFT, S.IN_REVIEW, S.CHANGES_REQUESTED, S.APPROVED, S.DISPATCHING, S.FAILED}
    ),
    "record_outcome": frozenset({S.DISPATCHED, S.COMPLETED}),
    "retry": frozenset({S.FAILED}),
    "mark_done": frozenset({S.DISPATCHING}),
}
TERMINAL = frozenset({S.DISPATCHED, S.COMPLETED, S.CANCELLED})
# Content in these states has been reviewed; changing it invalidates that review.
REVIEWED = frozenset({S.IN_REVIEW, S.APPROVED, S.FAILED})

_VERBS = {
    "edit": "edited",
    "submit": "submitted",
    "approve": "approved",
    "request_changes": "sent back for changes",
    "recall": "recalled",
    "cancel": "cancelled",
    "record_outcome": "given an outcome",
    "retry": "retried",
    "mark_done": "marked done",
}


def lock(activity: OutreachActivity) -> OutreachActivity:
    """Lock the activity's row and make sure nobody changed it since ``activity`` was read."""
    # Lock only the activity's row (OF self) but read what every rule needs in the same query.
    with joins_as_written_in_transaction():
        locked = (
            OutreachActivity.objects.select_for_update(of=("self",))
            .select_related("campaign", "current_step", "message", "audience", "segment", "channel")
            .get(pk=activity.pk)
        )
    if locked.version != activity.version:
        raise Conflict(
            f"Someone else changed this activity first (it is now {locked.get_status_display()}"
            f", version {locked.version}); reload it and try again."
        )
    return locked


def check(locked: OutreachActivity, action: str) -> None:
    """Refuse an action the activity's current state does not allow."""
    if locked.status not in ALLOWED_FROM[action]:
        raise InvalidTransition(
            f"A {locked.get_status_display().lower()} activity cannot be {_VERBS[action]}.",
            field="status",
        )


def write(locked: OutreachActivity, *fields: str) -> None:
    """Save the given fields with a new version."""
    locked.version += 1
    locked.save(update_fields=[*fields, "version", "updated_at"])


def record(
    locked: OutreachActivity,
    *,
    kind: str,
    actor: Any,
    from_status: str,
    comment: str = "",
    changes: dict[str, Any] | None = None,
    notify: bool = True,
) -> ActivityEvent:
    """Append the event to the activity's history and, after commit, tell whoever must know."""
    event = ActivityEvent.objects.create(
        activity=locked,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        from_status=from_status,
        to_status=locked.status,
        comment=comment,
        changes=changes or {},
    )
    if notify:
        from campaigns.tasks import notify_activity_event

        # robust: a broker that is down must not turn a committed transition into an error.
        transaction.on_commit(partial(notify_activity_event.delay, event.pk), robust=True)
    return event


def audited(actor: Any, action: str) -> Any:
    """The audit context for trigger-written history (PostgreSQL) within one transition."""
    # ``transition``, not ``action``: pghistory merges nested contexts, and a recall runs inside
    # the evidence service's context, whose ``action`` must survive.
    return audit_context(actor=getattr(actor, "pk", None), transition=f"activity_{action}")


atomic = transaction.atomic
