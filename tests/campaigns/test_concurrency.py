"""Race-free transitions on real PostgreSQL: real threads, each with its own connection."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection

from accounts.errors import Conflict, DomainError
from accounts.models import Role
from campaigns import services, verification
from campaigns.models import ActivityEvent, ApprovalDecision, OutreachActivity
from messaging import services as messaging
from tests.accounts.factories import member
from tests.conftest import in_days
from tests.messaging.factories import EvidenceFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

RACERS = 20
ROUNDS = 50


def race(calls: list[Callable[[], Any]]) -> Counter[str]:
    """Start every call at the same moment on its own thread and connection; count outcomes."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> str:
        try:
            barrier.wait(timeout=30)
            call()
            return "won"
        except Conflict:
            return "conflict"
        except DomainError as error:
            return f"refused: {error}"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return Counter(pool.map(run, calls))


def submitted_activity(world: Any, planner: Any, n: int) -> OutreachActivity:
    draft = services.activity_create(
        actor=planner,
        campaign=world.campaign,
        title=f"Race {n}",
        audience=world.audience,
        message=world.message,
        channel=world.channel,
        scheduled_local=in_days(5),
    )
    return services.activity_submit(activity=draft, actor=planner)


def test_twenty_racing_approvals_have_exactly_one_winner_every_round(world, planner) -> None:
    reviewers = [member(world.team, Role.REVIEWER) for _ in range(RACERS)]
    for n in range(ROUNDS):
        activity = submitted_activity(world, planner, n)
        outcome = race(
            [
                lambda r=r, a=activity: services.activity_approve(activity=a, actor=r)
                for r in reviewers
            ]
        )
        assert outcome == Counter(won=1, conflict=RACERS - 1), f"round {n}: {outcome}"
        activity.refresh_from_db()
        assert activity.current_step.order == 2
        assert activity.version == 3  # created 1, submitted 2, one approval 3
        assert ApprovalDecision.objects.filter(activity=activity).count() == 1
        assert activity.events.filter(kind=ActivityEvent.Kind.STEP_APPROVED).count() == 1


def test_approve_cancel_and_edit_racing_leave_one_consistent_result(world, planner) -> None:
    reviewer = member(world.team, Role.REVIEWER)
    for n in range(10):
        activity = submitted_activity(world, planner, n)
        outcome = race(
            [
                lambda a=activity: services.activity_approve(activity=a, actor=reviewer),
                lambda a=activity: services.activity_cancel(activity=a, actor=planner),
                lambda a=activity: services.activity_update(
                    activity=a, actor=planner, scheduled_local=in_days(6)
                ),
            ]
        )
        assert outcome["won"] == 1, f"round {n}: {outcome}"
        assert outcome["conflict"] == 2
        activity.refresh_from_db()
        assert activity.version == 3
        assert activity.events.count() == 3  # created, submitted, and the winner's
    assert [f.line() for f in verification.verify()] == []  # every history chain whole


def test_racing_status_changes_of_one_evidence_item_append_to_its_chain_in_turn(world) -> None:
    """Both changes win (no version check), one after the other under the item's row lock:
    the history chain stays a line, never a fork."""
    reviewer = member(world.team, Role.REVIEWER)
    for n in range(10):
        item = EvidenceFactory(owner_team=world.team)
        outcome = race(
            [
                lambda i=item: messaging.evidence_verify(evidence=i, actor=reviewer),
                lambda i=item: messaging.evidence_dispute(
                    evidence=i, actor=reviewer, reason="The source is contested"
                ),
            ]
        )
        assert outcome == Counter(won=2), f"round {n}: {outcome}"
        changes = list(item.status_changes.order_by("pk"))
        assert len(changes) == 2
        assert changes[0].prev_hash == ""
        assert changes[1].prev_hash == changes[0].hash
        assert changes[1].from_status == changes[0].to_status
