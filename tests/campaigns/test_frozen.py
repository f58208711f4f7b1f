"""The accountability chain, first links: frozen means everything that goes out (citations
included), what was approved stays what is shown, each send records what it sent, and a recall
has no holes (manual activities waiting for their officer included)."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.core import mail

from accounts.errors import InvalidTransition, RuleViolation
from audiences.models import Channel
from campaigns import services
from campaigns.models import ActivityEvent, ActivityStatus, Dispatch, OutreachActivity
from campaigns.tasks import dispatch_activity
from messaging import services as messaging
from messaging.models import Citation, EvidenceItem, Message
from tests.audiences.factories import ChannelFactory, SegmentFactory, seeded
from tests.campaigns.real_parts import HttpReceiver, SmtpSink
from tests.campaigns.test_dispatch import claim, due_now, hook, rehashed
from tests.conftest import SENT_BACK_STATE, email_of, sent_back
from tests.messaging.factories import EvidenceFactory

pytestmark = pytest.mark.django_db
S = ActivityStatus
Kind = ActivityEvent.Kind
migration = importlib.import_module(
    "campaigns.migrations.0012_frozen_citations_and_dispatch_payload"
)


def _message(a: OutreachActivity, **fields: Any) -> None:
    Message.objects.filter(pk=a.message_id).update(**fields)


def _segment(a: OutreachActivity) -> None:
    OutreachActivity.objects.filter(pk=a.pk).update(segment=SegmentFactory(audience=a.audience))


def _add_citation(a: OutreachActivity) -> None:
    Citation.objects.create(
        message_id=a.message_id,
        evidence=EvidenceFactory(owner_team=a.campaign.owner_team, verified=True),
        sentence="Aliatul nu a primit sprijinul promis.",
    )


def _swap_evidence(a: OutreachActivity) -> None:
    other = EvidenceFactory(owner_team=a.campaign.owner_team, verified=True)
    Citation.objects.filter(message_id=a.message_id).update(evidence=other)


# Each changes one thing that goes out, outside the services (as a bug, the admin or SQL
# would): what dispatch re-checks against the approved hash.
CHANGES: dict[str, Callable[[OutreachActivity], None]] = {
    "headline": lambda a: _message(a, headline="Another headline"),
    "body": lambda a: _message(a, body="Another body. Aliatul nu a primit sprijinul promis."),
    "call to action": lambda a: _message(a, call_to_action="Write to us."),
    "language": lambda a: _message(a, language="ru"),
    "audience": lambda a: OutreachActivity.objects.filter(pk=a.pk).update(
        audience=seeded("belarus")
    ),
    "segment": _segment,
    "channel destination": lambda a: Channel.objects.filter(pk=a.channel_id).update(
        email_recipients=["elsewhere@candor.test"]
    ),
    "time": lambda a: OutreachActivity.objects.filter(pk=a.pk).update(
        scheduled_at=a.scheduled_at + dt.timedelta(minutes=5)
    ),
    "speaker": lambda a: a.campaign.__class__.objects.filter(pk=a.campaign_id).update(
        attributed_to="Someone else"
    ),
    "citation added": _add_citation,
    "citation removed": lambda a: Citation.objects.filter(message_id=a.message_id).delete(),
    "citation sentence changed": lambda a: Citation.objects.filter(message_id=a.message_id).update(
        sentence="Aliatul"
    ),
    "citation evidence swapped": _swap_evidence,
}


@pytest.mark.parametrize("change", CHANGES)
def test_any_change_to_what_goes_out_after_approval_sends_the_activity_back(
    approved, change
) -> None:
    before = OutreachActivity.objects.get(pk=approved.pk)
    assert before.content_hash() == before.approved_content_hash
    CHANGES[change](approved)
    after = OutreachActivity.objects.get(pk=approved.pk)
    assert after.content_hash() != after.approved_content_hash
    claim(due_now(after))
    attempt = services.dispatch_prepare(activity_id=approved.pk, now=due_now(after))
    assert attempt.reason == "content differs from the approved content"
    assert sent_back(after) == SENT_BACK_STATE
    assert not Dispatch.objects.filter(activity=approved).exists()


def test_a_citation_added_through_the_services_sends_reviewed_activities_back(
    approved, world, planner
) -> None:
    fresh = EvidenceFactory(owner_team=world.team, verified=True)
    messaging.citation_add(
        message=world.message, evidence=fresh, sentence=world.message.body[:20], actor=planner
    )
    assert sent_back(approved) == SENT_BACK_STATE
    assert approved.events.last().changes["message"]["citations"] == [None, str(fresh.uuid)]


def test_a_citation_removed_through_the_services_sends_reviewed_activities_back(
    approved, world, planner
) -> None:
    messaging.citation_remove(citation=world.message.citations.get(), actor=planner)
    assert sent_back(approved) == SENT_BACK_STATE
    assert approved.events.last().changes["message"]["citations"] == [
        str(world.evidence.uuid),
        None,
    ]


def test_the_final_approval_freezes_the_citations_as_they_stood(approved, world) -> None:
    [frozen] = approved.approved_citations
    assert frozen["sentence"] == world.message.citations.get().sentence
    assert frozen["evidence"] == str(world.evidence.uuid)
    assert frozen["claim"] == world.evidence.claim
    assert frozen["admiralty_code"] == world.evidence.admiralty_code
    assert frozen["status"] == EvidenceItem.Status.VERIFIED
    cited = [(frozen["sentence"], frozen["evidence"])]
    assert approved.approved_content_hash == approved.content_hash(cited=cited)


# --- what was approved stays what is shown ------------------------------------------------------


def test_a_sent_activitys_packet_shows_the_claims_it_was_approved_with(
    approved, world, planner, reviewer, api, client
) -> None:
    OutreachActivity.objects.filter(pk=approved.pk).update(status=S.DISPATCHED)
    later = EvidenceFactory(owner_team=world.team, verified=True, claim="A later claim.")
    messaging.citation_add(
        message=world.message, evidence=later, sentence=world.message.body[:20], actor=planner
    )
    messaging.evidence_dispute(evidence=world.evidence, actor=reviewer, reason="Source moved.")

    packet = api(planner).get(f"/api/v1/activities/{approved.uuid}/evidence-packet/").json()
    assert packet["as_approved"] is True
    [claim_] = packet["claims"]
    assert claim_["evidence"]["id"] == str(world.evidence.uuid)
    assert claim_["approved"]["status"] == "verified"  # as it was approved
    assert claim_["evidence"]["verification"]["status"] == "disputed"  # as it is now
    # The message's own packet shows what it cites now.
    now = api(planner).get(f"/api/v1/messages/{world.message.uuid}/evidence-packet/").json()
    assert len(now["claims"]) == 2
    assert {c["approved"] for c in now["claims"]} == {None}
    assert now["as_approved"] is False

    client.force_login(planner)
    page = client.get(f"/activities/{approved.uuid}/").content.decode()
    assert "A later claim." not in page
    assert "As approved" in page
    assert "now Disputed" in page


def test_a_draft_packet_shows_the_current_citations(draft, planner, api) -> None:
    packet = api(planner).get(f"/api/v1/activities/{draft.uuid}/evidence-packet/").json()
    assert packet["as_approved"] is False
    assert len(packet["claims"]) == 1
    assert packet["claims"][0]["approved"] is None


def test_a_snapshot_hides_evidence_marked_beyond_the_viewer(approved, world, outsider, api):
    world.campaign.collaborating_teams.add(outsider.teams.get())
    EvidenceItem.objects.filter(pk=world.evidence.pk).update(marking="red")
    packet = api(outsider).get(f"/api/v1/activities/{approved.uuid}/evidence-packet/").json()
    assert packet["as_approved"] is True
    assert packet["claims"] == []
    assert packet["restricted_citations"] == 1
    assert world.evidence.claim not in json.dumps(packet)


# --- each send records what it sent ------------------------------------------------------------


def test_a_webhook_carries_the_approved_hash_and_its_dispatch_keeps_the_exact_body(
    approved, world
) -> None:
    receiver = HttpReceiver()
    try:
        activity = rehashed(approved, channel=hook(world, receiver))
        claim(due_now(activity))
        assert dispatch_activity.apply(args=[activity.pk]).get() == "sent"
    finally:
        receiver.stop()
    [receipt] = receiver.receipts
    assert receipt.json["content_hash"] == activity.approved_content_hash
    sent = Dispatch.objects.get(activity=activity)
    assert sent.payload.encode() == receipt.body
    assert sent.payload_hash == hashlib.sha256(receipt.body).hexdigest()


def _smtp(port: int) -> dict[str, object]:
    backend = "django.core.mail.backends.smtp.EmailBackend"
    return {"default": {"BACKEND": backend, "OPTIONS": {"host": "127.0.0.1", "port": port}}}


def test_an_email_carries_the_approved_hash_and_its_dispatch_keeps_what_was_sent(
    approved, settings
) -> None:
    sink = SmtpSink()
    try:
        settings.MAILERS = _smtp(sink.port)
        claim(due_now(approved))
        assert dispatch_activity.apply(args=[approved.pk]).get() == "sent"
    finally:
        sink.stop()
    [(recipients, received)] = sink.messages
    # 64 hex digits after the header's name pass 78 characters: the header is folded (RFC
    # 5322), and unfolded it is the hash.
    assert received["X-Candor-Content-Hash"].strip() == approved.approved_content_hash
    sent = Dispatch.objects.get(activity=approved)
    kept = json.loads(sent.payload)
    assert sent.payload_hash == hashlib.sha256(sent.payload.encode()).hexdigest()
    assert kept["headers"]["X-Candor-Content-Hash"] == approved.approved_content_hash
    assert kept["headers"]["Message-ID"] == received["Message-ID"]
    assert kept["to"] == recipients
    assert kept["subject"] == received["Subject"]
    # SMTP carries lines ended by CRLF; the text is the same.
    assert kept["body"] == received.get_body(("plain",)).get_content().replace("\r\n", "\n")


def test_a_failed_send_keeps_what_it_tried_to_send(approved, world) -> None:
    receiver = HttpReceiver(statuses=[410])
    try:
        activity = rehashed(approved, channel=hook(world, receiver))
        claim(due_now(activity))
        dispatch_activity.apply(args=[activity.pk]).get()
    finally:
        receiver.stop()
    failed = Dispatch.objects.get(activity=activity)
    assert failed.result == Dispatch.Result.FAILED
    assert failed.payload.encode() == receiver.receipts[0].body


# --- recall has no holes -----------------------------------------------------------------------


@pytest.fixture
def waiting(approved, world, lead) -> OutreachActivity:
    """A manual activity whose officer (lead) was told to carry it out."""
    manual = ChannelFactory(
        owner_team=world.team, kind=Channel.Kind.MANUAL, email_recipients=[], officer=lead
    )
    activity = rehashed(approved, channel=manual)
    claim(due_now(activity))
    assert dispatch_activity.apply(args=[activity.pk]).get() == "sent"
    mail.outbox.clear()
    waiting = OutreachActivity.objects.get(pk=activity.pk)
    assert waiting.status == S.DISPATCHING
    return waiting


def test_the_officers_notice_carries_the_approved_hash_and_is_kept(waiting, lead) -> None:
    notice = Dispatch.objects.get(activity=waiting)
    assert notice.result == Dispatch.Result.AWAITING_OFFICER
    kept = json.loads(notice.payload)
    assert kept["to"] == [lead.email]
    assert kept["headers"]["X-Candor-Content-Hash"] == waiting.approved_content_hash


@pytest.mark.parametrize("withdraw", [messaging.evidence_retract, messaging.evidence_dispute])
def test_withdrawn_evidence_recalls_a_manual_activity_waiting_for_its_officer(
    waiting, world, reviewer, lead, planner, withdraw
) -> None:
    withdraw(evidence=world.evidence, actor=reviewer, reason="The source withdrew it.")
    recalled = OutreachActivity.objects.get(pk=waiting.pk)
    assert sent_back(recalled) == SENT_BACK_STATE
    event = recalled.events.get(kind=Kind.RECALLED)
    assert (event.kind, event.from_status) == (Kind.RECALLED, S.DISPATCHING)
    notice = Dispatch.objects.get(activity=waiting)
    assert notice.result == Dispatch.Result.FAILED
    assert "Recalled before it was carried out" in notice.error
    services.notifications_send_pending()
    told = email_of(event)
    assert sorted(told.to) == sorted([lead.email, planner.email])  # the officer and the owner
    with pytest.raises(InvalidTransition):
        services.activity_mark_done(activity=recalled, actor=lead)


def test_a_changed_message_recalls_a_manual_activity_waiting_for_its_officer(
    waiting, world, planner, lead
) -> None:
    messaging.message_update(message=world.message, actor=planner, headline="Reworded")
    assert sent_back(waiting) == SENT_BACK_STATE
    event = waiting.events.get(kind=Kind.EDITED, from_status=S.DISPATCHING)
    services.notifications_send_pending()
    assert lead.email in email_of(event).to


def test_mark_done_refuses_content_changed_outside_the_workflow(waiting, lead) -> None:
    _message(waiting, headline="Changed in the database")
    with pytest.raises(RuleViolation) as refused:
        services.activity_mark_done(activity=waiting, actor=lead)
    assert refused.value.code == "content_changed"
    still = OutreachActivity.objects.get(pk=waiting.pk)
    assert still.status == S.DISPATCHING
    assert Dispatch.objects.get(activity=waiting).result == Dispatch.Result.AWAITING_OFFICER


def test_mark_done_refuses_evidence_withdrawn_outside_the_workflow(waiting, world, lead) -> None:
    EvidenceItem.objects.filter(pk=world.evidence.pk).update(status="retracted")
    with pytest.raises(RuleViolation) as refused:
        services.activity_mark_done(activity=waiting, actor=lead)
    assert refused.value.code == "evidence_unverified"
    assert OutreachActivity.objects.get(pk=waiting.pk).status == S.DISPATCHING


def test_mark_done_records_an_unchanged_activity(waiting, lead) -> None:
    done = services.activity_mark_done(activity=waiting, actor=lead, note="Held")
    assert done.status == S.DISPATCHED


def test_a_notice_recorded_after_its_recall_leaves_nothing_waiting_for_the_officer(
    approved, world, lead, reviewer, approver, planner
) -> None:
    manual = ChannelFactory(
        owner_team=world.team, kind=Channel.Kind.MANUAL, email_recipients=[], officer=lead
    )
    activity = rehashed(approved, channel=manual)
    claim(due_now(activity))
    attempt = services.dispatch_prepare(activity_id=activity.pk, now=due_now(activity))
    # The notice is on its way when the evidence is retracted.
    messaging.evidence_dispute(evidence=world.evidence, actor=reviewer, reason="Doubtful.")
    assert OutreachActivity.objects.get(pk=activity.pk).status == S.CHANGES_REQUESTED
    services.dispatch_record_success(dispatch=attempt.dispatch, response="officer notified")
    notice = Dispatch.objects.get(pk=attempt.dispatch.pk)
    assert notice.result == Dispatch.Result.FAILED
    assert "Recalled while the officer was being notified" in notice.error
    assert OutreachActivity.objects.get(pk=activity.pk).status == S.CHANGES_REQUESTED


# --- hashes approved before the citations were covered ------------------------------------------


def _old_hash(activity: OutreachActivity) -> str:
    a = OutreachActivity.objects.select_related(
        "message", "audience", "segment", "channel", "campaign"
    ).get(pk=activity.pk)
    return migration._hash(migration._old_payload(a))


def test_the_migration_rehashes_only_what_is_unchanged_since_approval(
    approved, world, planner, reviewer, approver
) -> None:
    # As the previous version left them: the old formula's hash, no snapshot.
    OutreachActivity.objects.filter(pk=approved.pk).update(
        approved_content_hash=_old_hash(approved), approved_citations=[]
    )
    migration.rehash_unchanged(apps, None)
    kept = OutreachActivity.objects.get(pk=approved.pk)
    assert kept.approved_content_hash == kept.content_hash()
    assert [c["evidence"] for c in kept.approved_citations] == [str(world.evidence.uuid)]


def test_the_migration_leaves_changed_content_to_be_reviewed_again(approved) -> None:
    old = _old_hash(approved)
    OutreachActivity.objects.filter(pk=approved.pk).update(
        approved_content_hash=old, approved_citations=[]
    )
    _message(approved, body="Changed after approval. Aliatul nu a primit sprijinul promis.")
    migration.rehash_unchanged(apps, None)
    assert OutreachActivity.objects.get(pk=approved.pk).approved_content_hash == old


def test_the_migration_leaves_a_citation_added_after_approval_to_be_reviewed_again(
    approved,
) -> None:
    old = _old_hash(approved)
    OutreachActivity.objects.filter(pk=approved.pk).update(
        approved_content_hash=old, approved_citations=[]
    )
    _add_citation(approved)  # the old hash does not see it; the citation's history does
    migration.rehash_unchanged(apps, None)
    assert OutreachActivity.objects.get(pk=approved.pk).approved_content_hash == old


def test_the_retraction_preview_lists_a_manual_activity_waiting_for_its_officer(
    client, waiting, world, reviewer
) -> None:
    client.force_login(reviewer)
    preview = client.get(f"/evidence/{world.evidence.uuid}/retract/confirm/").content.decode()
    assert "This recalls 1 activity" in preview
