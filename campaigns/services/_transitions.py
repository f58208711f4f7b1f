"""The five steps every activity transition takes (STYLE.md §4), written once.

1. ``lock`` the row (``SELECT … FOR UPDATE``) and compare its version with the caller's copy;
2. ``check`` the transition table (here) and the rules (in the calling service);
3. ``write`` the fields, bumping ``version``;
4. ``record`` an ``ActivityEvent`` (who, when, from, to, comment, changed fields);
5. queue the notification in the outbox (``record``), in the same transaction.

Two racing transitions of the same activity both reach step 1; the database lets one through
first. It bumps the version and commits; the second then reads a version its caller did not
load and gets ``Conflict`` (HTTP 409) instead of acting on a state it never saw.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from django.db import transaction

from accounts.audit import audit_context
from accounts.errors import Conflict, InvalidTransition
from accounts.models import User
from campaigns.models import (
    ActivityEvent,
    ActivityStatus,
    OutreachActivity,
    PendingNotification,
)

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
# What sending an activity back for review sets: the step it was at and its approval are gone
# (approved means frozen: what changed after review is reviewed again). Written once, for the
# edit, the recalls and the dispatch batch alike.
SENT_BACK: dict[str, Any] = {
    "status": S.CHANGES_REQUESTED,
    "current_step": None,
    "approved_content_hash": "",
    "approved_at": None,
}

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


# What every rule of a transition may read besides the activity's row.
REFERENCES = ("campaign", "current_step", "message", "audience", "segment", "channel")


def lock(activity: OutreachActivity) -> OutreachActivity:
    """Lock the activity's row, read with what every rule needs, and make sure nobody changed it
    since ``activity`` was read: ``Conflict`` otherwise (also if it was deleted)."""
    # Lock only the activity's row (OF self): a transition changes nothing it refers to.
    locked = (
        OutreachActivity.objects.select_for_update(of=("self",))
        .select_related(*REFERENCES)
        .filter(pk=activity.pk)
        .first()
    )
    if locked is None or locked.version != activity.version:
        raise _conflict(locked)
    return locked


def check(locked: OutreachActivity, action: str) -> None:
    """Refuse an action the activity's current state does not allow."""
    if locked.status not in ALLOWED_FROM[action]:
        raise InvalidTransition(
            f"A {locked.get_status_display().lower()} activity cannot be {_VERBS[action]}.",
            field="status",
        )


def send_back(locked: OutreachActivity) -> list[str]:
    """Set ``SENT_BACK`` on the activity; the fields to write."""
    for name, value in SENT_BACK.items():
        setattr(locked, name, value)
    return list(SENT_BACK)


def write(locked: OutreachActivity, *fields: str) -> None:
    """Save the given fields with a new version."""
    locked.version += 1
    locked.save(update_fields=[*fields, "version", "updated_at"])


def _conflict(now: OutreachActivity | None) -> Conflict:
    state = f"it is now {now.get_status_display()}, version {now.version}" if now else "deleted"
    return Conflict(f"Someone else changed this activity first ({state}); reload it and try again.")


def new_event(
    locked: OutreachActivity,
    *,
    kind: str,
    actor: User,
    from_status: str,
    comment: str = "",
    changes: dict[str, Any] | None = None,
) -> ActivityEvent:
    """The event of a transition (unsaved): who, from which status to the activity's own."""
    return ActivityEvent(
        activity=locked,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        from_status=from_status,
        to_status=locked.status,
        comment=comment,
        changes=changes or {},
    )


def record(locked: OutreachActivity, *, notify: bool = True, **details: Any) -> ActivityEvent:
    """Append the event (``details``: as ``new_event`` takes them) to the activity's history
    and, in the outbox, tell whoever must know."""
    saved = new_event(locked, **details)  # kind, actor, from_status, comment, changes
    saved.save(force_insert=True)
    if notify:  # the outbox, in this transaction (see services/notifications)
        PendingNotification.objects.create(event=saved, step_id=locked.current_step_id)
    return saved


def audited(actor: User, action: str) -> AbstractContextManager[Any]:
    """The audit context for trigger-written history (PostgreSQL) within one transition."""
    # ``transition``, not ``action``: pghistory merges nested contexts, and a recall runs inside
    # the evidence service's context, whose ``action`` must survive.
    return audit_context(actor=getattr(actor, "pk", None), transition=f"activity_{action}")


atomic = transaction.atomic
