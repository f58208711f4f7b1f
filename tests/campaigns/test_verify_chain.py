# ruff: noqa: S608 - the cheats are raw SQL on purpose, on our own tables' names
"""``manage.py verify_chain`` finds every rewrite of the history made behind the services' back
(raw SQL with the append-only triggers off), names the activity and the broken link, and finds
nothing on data written through the services."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import io
import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.db import connection, models

from accounts import chain
from campaigns import verification
from campaigns.models import (
    ActivityEvent,
    ActivityStatus,
    ApprovalDecision,
    Dispatch,
    OutreachActivity,
)
from campaigns.services.dispatch import dispatch_claim_due
from campaigns.tasks import dispatch_activity
from messaging import services as messaging
from messaging.models import EvidenceStatusChange, status_change_chain_content

pytestmark = pytest.mark.django_db
Kind = ActivityEvent.Kind
event_chain = importlib.import_module("campaigns.migrations.0013_activity_event_chain")


def verify_chain(*args: str) -> tuple[int, str]:
    """Run the command: (exit status, what it printed)."""
    out = io.StringIO()
    try:
        call_command("verify_chain", *args, stdout=out)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue()
    return 0, out.getvalue()


@contextmanager
def triggers_off(model: type[models.Model]) -> Iterator[Any]:
    """A superuser's cursor on ``model``'s table with every trigger disabled (the append-only
    one included), put back afterwards."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        # The test's transaction holds deferred foreign-key checks, which ALTER TABLE refuses
        # to run past: check them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
        try:
            yield cursor
        finally:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER ALL")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@pytest.fixture
def sent(approved: OutreachActivity) -> OutreachActivity:
    """The approved activity, claimed when due and sent (e-mail) by the task, in-process."""
    at = approved.scheduled_at + dt.timedelta(seconds=1)
    with time_machine.travel(at, tick=False):
        dispatch_claim_due(now=at)
    assert dispatch_activity.apply(args=[approved.pk]).get() == "sent"
    return OutreachActivity.objects.get(pk=approved.pk)


def test_a_sent_activity_written_through_the_services_has_no_findings(sent) -> None:
    assert sent.status == ActivityStatus.DISPATCHED
    assert Dispatch.objects.filter(activity=sent, result=Dispatch.Result.SENT).exists()

    status, out = verify_chain()

    assert status == 0
    assert "No findings" in out


def test_every_event_follows_the_one_before_it_in_its_activitys_chain(sent) -> None:
    events = list(sent.events.order_by("pk"))
    assert [e.kind for e in events][-2:] == [Kind.DISPATCH_STARTED, Kind.DISPATCHED]
    assert events[0].prev_hash == chain.GENESIS
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    assert len({e.hash for e in events}) == len(events)


def test_a_rewritten_event_comment_is_found_with_its_activity_and_event(sent) -> None:
    submitted = sent.events.get(kind=Kind.SUBMITTED)
    with triggers_off(ActivityEvent) as cursor:
        cursor.execute(
            f"UPDATE {table(ActivityEvent)} SET comment = %s WHERE id = %s",
            ["Approved by the board", submitted.pk],
        )

    status, out = verify_chain()

    assert status == 1
    assert f"{sent.uuid} chain: event {submitted.pk} (submitted" in out
    assert "its hash does not match" in out
    assert "1 finding(s) in 1 activity" in out


def test_an_event_deleted_from_the_middle_breaks_the_link_and_leaves_a_gap(sent) -> None:
    events = list(sent.events.order_by("pk"))
    gone, after = events[3], events[4]  # approved, then dispatch started
    with triggers_off(ActivityEvent) as cursor:
        cursor.execute(f"DELETE FROM {table(ActivityEvent)} WHERE id = %s", [gone.pk])

    status, out = verify_chain()

    assert status == 1
    assert f"{sent.uuid} chain: event {after.pk} ({after.kind}" in out
    assert "does not follow the entry before it" in out
    assert f"{sent.uuid} transitions: event {after.pk}" in out
    assert "a gap in the history" in out


def test_an_approval_rewritten_to_the_owner_breaks_four_eyes(sent, planner) -> None:
    decision = ApprovalDecision.objects.filter(activity=sent).order_by("pk").last()
    with triggers_off(ApprovalDecision) as cursor:
        cursor.execute(
            f"UPDATE {table(ApprovalDecision)} SET user_id = %s WHERE id = %s",
            [planner.pk, decision.pk],
        )

    status, out = verify_chain()

    assert status == 1
    assert (
        f"{sent.uuid} four_eyes: user {planner.pk} approved {decision.step.name!r} in round 1, "
        "but drafted the activity" in out
    )
    assert f"{sent.uuid} roles: user {planner.pk}" in out  # a planner cannot sign off


def test_one_person_approving_both_steps_of_a_round_is_found(sent, reviewer) -> None:
    last = ApprovalDecision.objects.filter(activity=sent).order_by("pk").last()
    with triggers_off(ApprovalDecision) as cursor:
        cursor.execute(
            f"UPDATE {table(ApprovalDecision)} SET user_id = %s WHERE id = %s",
            [reviewer.pk, last.pk],
        )

    status, out = verify_chain()

    assert status == 1
    assert "a second step of that round" in out


def test_a_rewritten_evidence_status_change_breaks_the_evidence_chain(sent, world) -> None:
    change = EvidenceStatusChange.objects.get(evidence=world.evidence)
    with triggers_off(EvidenceStatusChange) as cursor:
        cursor.execute(
            f"UPDATE {table(EvidenceStatusChange)} SET reason = %s WHERE id = %s",
            ["Checked against three sources", change.pk],
        )

    status, out = verify_chain()

    assert status == 1
    assert (
        f"{sent.uuid} evidence_chain: evidence {world.evidence.uuid} change {change.pk} "
        "(unverified → verified) was changed after it was written" in out
    )


def test_evidence_verified_only_after_the_send_is_found_even_with_a_recomputed_hash(
    sent, world
) -> None:
    """A careful forger recomputes the hash of the moved entry: the chain holds, but the
    evidence was not verified when the activity went out."""
    change = EvidenceStatusChange.objects.get(evidence=world.evidence)
    send = Dispatch.objects.get(activity=sent)
    change.at = send.started_at + dt.timedelta(minutes=1)
    forged = chain.link(change.prev_hash, status_change_chain_content(change, world.evidence.uuid))
    with triggers_off(EvidenceStatusChange) as cursor:
        cursor.execute(
            f"UPDATE {table(EvidenceStatusChange)} SET at = %s, hash = %s WHERE id = %s",
            [change.at, forged, change.pk],
        )

    status, out = verify_chain()

    assert status == 1
    assert "evidence_chain" not in out
    assert (
        f"{sent.uuid} evidence: attempt 1 at {chain.instant(send.started_at)} cited evidence "
        f"{world.evidence.uuid}, which was unverified then" in out
    )


def test_evidence_changes_through_the_services_are_chained(world, reviewer) -> None:
    messaging.evidence_dispute(evidence=world.evidence, actor=reviewer, reason="Source withdrew")
    messaging.evidence_verify(evidence=world.evidence, actor=reviewer, reason="Re-confirmed")
    changes = list(world.evidence.status_changes.order_by("pk"))
    assert [(c.from_status, c.to_status) for c in changes] == [
        ("unverified", "verified"),  # the factory's, as the service would have written it
        ("verified", "disputed"),
        ("disputed", "verified"),
    ]
    assert [c.prev_hash for c in changes[1:]] == [c.hash for c in changes[:-1]]
    with pytest.raises(TypeError):
        changes[0].delete()


def test_the_json_output_lists_every_finding_for_machines(sent) -> None:
    submitted = sent.events.get(kind=Kind.SUBMITTED)
    with triggers_off(ActivityEvent) as cursor:
        cursor.execute(
            f"UPDATE {table(ActivityEvent)} SET actor_id = NULL WHERE id = %s", [submitted.pk]
        )

    status, out = verify_chain("--json")

    report = json.loads(out)
    assert status == 1
    assert report["activities_with_findings"] == 1
    [finding] = report["findings"]
    assert finding["activity"] == str(sent.uuid)
    assert finding["check"] == "chain"
    assert f"event {submitted.pk}" in finding["message"]


def test_the_json_output_of_clean_data_has_no_findings(sent) -> None:
    status, out = verify_chain("--json")
    assert status == 0
    assert json.loads(out)["findings"] == []


def test_the_backfill_chains_old_events_exactly_as_the_writers_do(sent, draft) -> None:
    written = dict(ActivityEvent.objects.values_list("pk", "hash"))
    with triggers_off(ActivityEvent) as cursor:
        cursor.execute(f"UPDATE {table(ActivityEvent)} SET prev_hash = '', hash = ''")
        assert verify_chain()[0] == 1

        event_chain.chain_existing_events(apps, None)  # as the migration: trigger removed

    assert dict(ActivityEvent.objects.values_list("pk", "hash")) == written
    assert verify_chain()[0] == 0


def test_the_event_backfill_runs_while_the_append_only_trigger_is_off() -> None:
    kinds = [type(op).__name__ for op in event_chain.Migration.operations]
    assert kinds.index("RemoveTrigger") < kinds.index("RunPython") < kinds.index("AddTrigger")


def test_the_demo_has_no_findings_on_postgresql() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    assert Dispatch.objects.filter(result=Dispatch.Result.SENT).exists()

    status, out = verify_chain()

    assert (status, out.splitlines()[-1]) == (
        0,
        "No findings: every chain is whole and every send accounted for.",
    )


def test_the_demo_has_no_findings_on_sqlite(sqlite_demo) -> None:
    assert "No findings" in sqlite_demo("verify_chain")  # and exit status 0 (else it fails)


def test_the_evidence_backfill_starts_each_chain_with_the_items_latest_change(sent, world):
    """Before the history existed only the latest change was kept, on the item itself."""
    status_changes = importlib.import_module("messaging.migrations.0002_evidence_status_change")
    with triggers_off(EvidenceStatusChange) as cursor:
        cursor.execute(f"DELETE FROM {table(EvidenceStatusChange)}")
    assert verify_chain()[0] == 1  # no history: the evidence was not verified when sent

    status_changes.record_current_statuses(apps, None)

    [change] = EvidenceStatusChange.objects.all()
    assert (change.evidence_id, change.from_status, change.to_status) == (
        world.evidence.pk,
        "unverified",
        "verified",
    )
    assert change.at == world.evidence.status_changed_at
    status, out = verify_chain()
    assert status == 0
    assert "No findings" in out


def test_a_sent_payload_is_on_record_and_carries_the_approved_hash(sent) -> None:
    send = Dispatch.objects.get(activity=sent, result=Dispatch.Result.SENT)
    assert send.payload
    assert verification.carried_hash(send.payload) == sent.approved_content_hash
    assert verification.check_payload(sent, [send]) == []


def test_a_rewritten_payload_is_found_with_its_attempt(sent) -> None:
    send = Dispatch.objects.get(activity=sent, result=Dispatch.Result.SENT)
    with triggers_off(Dispatch) as cursor:
        cursor.execute(
            f"UPDATE {table(Dispatch)} SET payload = replace(payload, %s, %s) WHERE id = %s",
            [sent.message.headline, "Something never approved", send.pk],
        )

    status, out = verify_chain()

    assert status == 1
    assert f"{sent.uuid} payload: attempt {send.attempt} payload does not hash" in out


def test_a_payload_rewritten_with_its_hash_still_shows_the_content_was_not_the_approved(
    sent,
) -> None:
    send = Dispatch.objects.get(activity=sent, result=Dispatch.Result.SENT)
    forged = send.payload.replace(sent.approved_content_hash, "f" * 64)
    assert forged != send.payload
    with triggers_off(Dispatch) as cursor:
        cursor.execute(
            f"UPDATE {table(Dispatch)} SET payload = %s, payload_hash = %s WHERE id = %s",
            [forged, hashlib.sha256(forged.encode()).hexdigest(), send.pk],
        )

    status, out = verify_chain()

    assert status == 1
    assert (
        f"sent content hashed ffffffffffff, approved was {sent.approved_content_hash[:12]}" in out
    )
