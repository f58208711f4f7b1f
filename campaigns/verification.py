"""Re-checking the accountability chain from the database alone (``manage.py verify_chain``).

Each check is a small function over one activity's rows that returns findings; ``verify``
reads the rows a chunk of activities at a time (a fixed handful of queries per chunk) and runs
every check. Nothing here writes, and nothing is PostgreSQL-only: it runs on SQLite too.

What the checks can and cannot see:
- A rewritten, inserted or deleted entry breaks its chain (``chain``, ``evidence_chain``),
  unless the forger also recomputed every later hash: then only the head hash that left the
  database (the weekly report e-mail's "chain head") tells.
- Roles are checked against today's memberships: memberships keep no history of their own, so
  an approver who has since left the team is reported although they held the role then.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.db.models import Prefetch

from accounts import chain
from accounts.permissions import may
from campaigns.channels import CONTENT_HASH_HEADER
from campaigns.models import (
    ActivityEvent,
    ActivityStatus,
    ApprovalDecision,
    Dispatch,
    OutreachActivity,
    chain_head,
    event_chain_content,
)
from campaigns.services._transitions import ALLOWED_FROM
from messaging.models import (
    Citation,
    EvidenceItem,
    EvidenceStatusChange,
    status_change_chain_content,
)

S = ActivityStatus
Kind = ActivityEvent.Kind
CHUNK = 500
# A send that reached its receiver (or its officer, for a manual channel).
SENT = (Dispatch.Result.SENT, Dispatch.Result.AWAITING_OFFICER)

# Event kind → the states it may follow: the services' transition table (ALLOWED_FROM), plus
# what the dispatcher does on its own (claim, defer, refuse, record a send's end).
KIND_FROM: dict[str, frozenset[str]] = {
    Kind.CREATED: frozenset({""}),
    Kind.EDITED: ALLOWED_FROM["edit"],
    Kind.SUBMITTED: ALLOWED_FROM["submit"],
    Kind.STEP_APPROVED: ALLOWED_FROM["approve"],
    Kind.APPROVED: ALLOWED_FROM["approve"],
    Kind.CHANGES_REQUESTED: ALLOWED_FROM["request_changes"] | {S.DISPATCHING},
    Kind.RECALLED: ALLOWED_FROM["recall"] | {S.DISPATCHING},
    Kind.CANCELLED: ALLOWED_FROM["cancel"],
    Kind.DISPATCH_STARTED: frozenset({S.APPROVED}),
    Kind.DISPATCHED: ALLOWED_FROM["mark_done"],
    Kind.FAILED: frozenset({S.DISPATCHING}),
    Kind.RETRIED: ALLOWED_FROM["retry"],
    Kind.DEFERRED: frozenset({S.APPROVED, S.DISPATCHING}),
    Kind.OUTCOME_RECORDED: ALLOWED_FROM["record_outcome"],
    Kind.REMINDED: frozenset({S.IN_REVIEW}),
}


@dataclass(frozen=True)
class Finding:
    """One thing the database does not account for: which activity, which check, what."""

    activity: str  # the activity's public id
    check: str
    message: str

    def line(self) -> str:
        return f"{self.activity} {self.check}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _event_label(event: ActivityEvent) -> str:
    return f"event {event.pk} ({event.kind} at {chain.instant(event.at)})"


def check_chain(activity: OutreachActivity, events: list[ActivityEvent]) -> list[Finding]:
    """Every event's hash covers its content and follows the event before it."""
    entries = (
        (_event_label(e), e.prev_hash, e.hash, event_chain_content(e, activity.uuid))
        for e in events
    )
    return [
        Finding(str(activity.uuid), "chain", f"{label} {problem}")
        for label, problem in chain.broken_links(entries)
    ]


def check_transitions(activity: OutreachActivity, events: list[ActivityEvent]) -> list[Finding]:
    """The events follow the transition table with no gap: each starts where the one before it
    ended, from a state its kind may follow, and the last ends at the activity's status."""
    found: list[str] = []
    previous = ""
    for index, event in enumerate(events):
        label = _event_label(event)
        if event.from_status != previous:
            found.append(
                f"{label} starts at {event.from_status!r}, the event before ended at "
                f"{previous!r} (a gap in the history)"
            )
        if event.from_status not in KIND_FROM.get(event.kind, frozenset()):
            found.append(f"{label} is not a transition from {event.from_status!r}")
        if (index == 0) != (event.kind == Kind.CREATED):
            found.append(f"{label}: the history must start with its creation, and only there")
        previous = event.to_status
    if previous != activity.status:
        found.append(f"the events end at {previous!r}, the activity is {activity.status!r}")
    return [Finding(str(activity.uuid), "transitions", message) for message in found]


def carried_hash(payload: str) -> str:
    """The content hash a kept payload carried: the webhook body's ``content_hash``, or the
    e-mail's (and the officer notice's) content-hash header."""
    try:
        sent = json.loads(payload)
    except ValueError:
        return ""
    if not isinstance(sent, dict):
        return ""
    headers = sent.get("headers")
    if not isinstance(headers, dict):
        headers = {}
    return str(sent.get("content_hash") or headers.get(CONTENT_HASH_HEADER, ""))


def check_payload(activity: OutreachActivity, sends: list[Dispatch]) -> list[Finding]:
    """What each send went out with is on record, hashes to its kept hash, and carried the
    approved content hash."""
    found = []
    for send in sends:

        def finding(message: str, send: Dispatch = send) -> Finding:
            return Finding(str(activity.uuid), "payload", f"attempt {send.attempt} {message}")

        if not send.payload:
            found.append(finding("has no payload on record"))
        elif hashlib.sha256(send.payload.encode()).hexdigest() != send.payload_hash:
            found.append(finding("payload does not hash to its kept hash: it was rewritten"))
        elif (carried := carried_hash(send.payload)) != activity.approved_content_hash:
            found.append(
                finding(
                    f"sent content hashed {carried[:12] or '(none)'}, approved was "
                    f"{activity.approved_content_hash[:12] or '(none)'}"
                )
            )
    return found


def status_at(history: list[EvidenceStatusChange], moment: datetime) -> str:
    """An evidence item's status at ``moment``, from its history (unverified before any)."""
    status: str = EvidenceItem.Status.UNVERIFIED
    for change in history:
        if change.at > moment:
            break
        status = change.to_status
    return str(status)


def check_evidence_at_send(
    activity: OutreachActivity,
    sends: list[Dispatch],
    cited: list[EvidenceItem],
    history: dict[int, list[EvidenceStatusChange]],
) -> list[Finding]:
    """Every cited item was verified when each send started (the send's own check, under the
    activity's lock), by its status history."""
    found = []
    for send in sends:
        for item in cited:
            status = status_at(history.get(item.pk, []), send.started_at)
            if status != EvidenceItem.Status.VERIFIED:
                found.append(
                    Finding(
                        str(activity.uuid),
                        "evidence",
                        f"attempt {send.attempt} at {chain.instant(send.started_at)} cited "
                        f"evidence {item.uuid}, which was {status} then",
                    )
                )
    return found


def check_evidence_chain(
    activity: OutreachActivity,
    cited: list[EvidenceItem],
    history: dict[int, list[EvidenceStatusChange]],
) -> list[Finding]:
    """Each cited item's status history is an unbroken chain."""
    found = []
    for item in cited:
        entries = (
            (
                f"evidence {item.uuid} change {c.pk} ({c.from_status} → {c.to_status})",
                c.prev_hash,
                c.hash,
                status_change_chain_content(c, item.uuid),
            )
            for c in history.get(item.pk, [])
        )
        found += [
            Finding(str(activity.uuid), "evidence_chain", f"{label} {problem}")
            for label, problem in chain.broken_links(entries)
        ]
    return found


def check_four_eyes(
    activity: OutreachActivity, events: list[ActivityEvent], decisions: list[ApprovalDecision]
) -> list[Finding]:
    """No approver drafted the activity or submitted the round they approved, and nobody
    approved two steps of one round."""
    # Round n began with the n-th submission (``activity_submit`` counts rounds up by one).
    submitters = [e.actor_id for e in events if e.kind == Kind.SUBMITTED]
    found = []
    seen: set[tuple[int, int]] = set()
    for decision in decisions:
        if decision.verdict != ApprovalDecision.Verdict.APPROVE:
            continue
        who = f"user {decision.user_id} approved {decision.step.name!r} in round "
        who += str(decision.review_round)
        submitter = (
            submitters[decision.review_round - 1]
            if 0 < decision.review_round <= len(submitters)
            else None
        )
        if decision.user_id == activity.owner_id:
            found.append(f"{who}, but drafted the activity")
        elif decision.user_id == submitter:
            found.append(f"{who}, but submitted that round")
        if (decision.review_round, decision.user_id) in seen:
            found.append(f"{who}, a second step of that round")
        seen.add((decision.review_round, decision.user_id))
    return [Finding(str(activity.uuid), "four_eyes", message) for message in found]


def check_roles(activity: OutreachActivity, decisions: list[ApprovalDecision]) -> list[Finding]:
    """Each approver holds the step's role (today: memberships keep no history)."""
    return [
        Finding(
            str(activity.uuid),
            "roles",
            f"user {d.user_id} approved {d.step.name!r} in round {d.review_round} without the "
            f"{d.step.required_role} role (as of today's memberships)",
        )
        for d in decisions
        if d.verdict == ApprovalDecision.Verdict.APPROVE
        and not may(d.user, d.step.permission, activity)
    ]


def _chunks(activities: Iterable[OutreachActivity]) -> Iterator[list[OutreachActivity]]:
    chunk: list[OutreachActivity] = []
    for activity in activities:
        chunk.append(activity)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _cited(chunk: list[OutreachActivity]) -> dict[int, list[EvidenceItem]]:
    """Message → the evidence items it cites, for a chunk of activities; one query."""
    cited: dict[int, list[EvidenceItem]] = defaultdict(list)
    for citation in (
        Citation.objects.filter(message_id__in={a.message_id for a in chunk})
        .select_related("evidence")
        .order_by("message_id", "evidence_id")
    ):
        cited[citation.message_id].append(citation.evidence)
    return cited


def _histories(items: Iterable[EvidenceItem]) -> dict[int, list[EvidenceStatusChange]]:
    """Evidence item → its status changes in chain order; one query."""
    history: dict[int, list[EvidenceStatusChange]] = defaultdict(list)
    for change in EvidenceStatusChange.objects.filter(
        evidence_id__in={i.pk for i in items}
    ).order_by("evidence_id", "pk"):
        history[change.evidence_id].append(change)
    return history


def verify(activities: Iterable[OutreachActivity] | None = None) -> Iterator[Finding]:
    """Every finding about ``activities`` (all of them by default): the chain and transitions of
    each; for each one sent, the payloads, the evidence at the moment of sending and its
    history, four eyes and the approvers' roles."""
    if activities is None:
        activities = (
            OutreachActivity.objects.select_related("campaign", "owner")
            .prefetch_related(
                Prefetch("events", queryset=ActivityEvent.objects.order_by("pk")),
                Prefetch(
                    "decisions",
                    queryset=ApprovalDecision.objects.select_related("step", "user").order_by("pk"),
                ),
                Prefetch("dispatches", queryset=Dispatch.objects.order_by("attempt")),
            )
            .order_by("pk")
            .iterator(chunk_size=CHUNK)
        )
    for chunk in _chunks(activities):
        cited = _cited(chunk)
        history = _histories(item for items in cited.values() for item in items)
        for activity in chunk:
            events = list(activity.events.all())
            yield from check_chain(activity, events)
            yield from check_transitions(activity, events)
            sends = [d for d in activity.dispatches.all() if d.result in SENT]
            if not sends:
                continue
            decisions = list(activity.decisions.all())
            items = cited.get(activity.message_id, [])
            yield from check_payload(activity, sends)
            yield from check_evidence_at_send(activity, sends, items, history)
            yield from check_evidence_chain(activity, items, history)
            yield from check_four_eyes(activity, events, decisions)
            yield from check_roles(activity, decisions)


def chain_heads(activities: Any) -> str:
    """One hash over the heads of the event chains of ``activities`` (a queryset of them): what
    the report e-mail carries, so that its readers hold the history's state outside the
    database. One query, one value per activity."""
    return chain.head_of(activities.annotate(head=chain_head()).values_list("head", flat=True))
