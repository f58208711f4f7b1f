"""How a reviewer's transition reaches the database (``campaigns/services/_transitions.py``):
one prepared read of the activity with its references and facts, then one conditional write
that applies only to the version read (benchmark P7)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import signals

from accounts.db import RowWithReferences
from accounts.errors import Conflict, InvalidTransition, NotPermitted
from accounts.permissions import team_roles
from campaigns import services
from campaigns.models import (
    ActivityEvent,
    ActivityStatus,
    ApprovalDecision,
    Campaign,
    OutreachActivity,
    PendingNotification,
)
from campaigns.services import _transitions as t
from tests.audiences.factories import SegmentFactory

pytestmark = pytest.mark.django_db
Kind = ActivityEvent.Kind


def written() -> tuple[int, int, int]:
    return (
        ApprovalDecision.objects.count(),
        ActivityEvent.objects.count(),
        PendingNotification.objects.count(),
    )


def test_an_approval_is_one_read_and_one_write(
    in_review, reviewer, approver, django_assert_num_queries
) -> None:
    for actor in (reviewer, approver):
        team_roles(actor)  # as a request's user has them (accounts.backends)
    with django_assert_num_queries(2):
        step_two = services.activity_approve(activity=in_review, actor=reviewer)
    with django_assert_num_queries(2) as captured:
        done = services.activity_approve(activity=step_two, actor=approver)
    assert done.status == ActivityStatus.APPROVED
    write = captured.captured_queries[-1]["sql"]
    # One statement: the context is set inside it, not sent by pghistory as one before it.
    assert "WITH moved AS (UPDATE" in write
    assert "SELECT set_config" not in write
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = {row[0] for row in cursor.fetchall()}
    assert any(sql.startswith("WITH moved AS (UPDATE") for sql in prepared)  # the write too
    stored = OutreachActivity.objects.get(pk=in_review.pk)
    assert (stored.version, stored.status) == (in_review.version + 2, ActivityStatus.APPROVED)
    assert stored.approved_content_hash == stored.content_hash()
    assert [e.kind for e in stored.events.order_by("pk")][-2:] == [
        Kind.STEP_APPROVED,
        Kind.APPROVED,
    ]
    step_event = stored.events.get(kind=Kind.STEP_APPROVED)
    assert step_event.changes["next_step"] == step_two.current_step.name
    assert step_event.to_status == ActivityStatus.IN_REVIEW
    # Each step's reviewers are told of the step it reached, whatever happened since.
    steps = dict(PendingNotification.objects.values_list("event__kind", "step__name"))
    assert steps[Kind.STEP_APPROVED] == step_two.current_step.name
    assert steps[Kind.APPROVED] is None


def test_a_write_made_for_a_version_that_moved_on_writes_nothing(in_review, reviewer, planner):
    current, _ = t.read(in_review)
    services.activity_update(activity=in_review, actor=planner, title="Renamed meanwhile")
    before = written()
    event = t.new_event(current, kind=Kind.STEP_APPROVED, actor=reviewer, from_status="in_review")
    decision = ApprovalDecision(
        activity=current,
        step=current.current_step,
        review_round=current.review_round,
        user=reviewer,
        verdict="approve",
    )
    with pytest.raises(Conflict, match="Someone else changed this activity first"):
        t.commit(current, ("step_since",), event, decision=decision, action="approve")
    assert written() == before  # no decision, no event, no outbox row
    assert OutreachActivity.objects.get(pk=in_review.pk).title == "Renamed meanwhile"


def test_a_step_decided_by_someone_else_first_is_a_conflict(in_review, reviewer, lead) -> None:
    """The database's own guard, should two decisions of one step ever reach it: the unique
    constraint, answered as a Conflict, with nothing of the transition written."""
    ApprovalDecision.objects.create(
        activity=in_review,
        step=in_review.current_step,
        review_round=in_review.review_round,
        user=lead,
        verdict="approve",
    )
    before = written()
    # (In the caller's transaction, as a view's: the refused statement rolls back with it.)
    with pytest.raises(Conflict, match="approved by someone else"), transaction.atomic():
        services.activity_approve(activity=in_review, actor=reviewer)
    assert written() == before
    stored = OutreachActivity.objects.get(pk=in_review.pk)
    assert (stored.version, stored.current_step_id) == (
        in_review.version,
        in_review.current_step_id,
    )


def test_a_stale_copy_is_refused_before_any_rule_runs(in_review, reviewer, planner) -> None:
    services.activity_update(activity=in_review, actor=planner, title="Renamed meanwhile")
    before = written()
    with pytest.raises(Conflict, match=r"it is now In review, version \d+"):
        services.activity_request_changes(activity=in_review, actor=reviewer, comment="Fix it.")
    assert written() == before


def test_the_prepared_read_gives_what_the_orm_gives(in_review, world) -> None:
    references = t.REFERENCES
    in_review.segment = SegmentFactory(audience=world.audience)
    in_review.save(update_fields=["segment"])
    statement = RowWithReferences(OutreachActivity, references, extra="t0.version * 10")
    for _ in range(2):
        read, extra = statement.get(in_review.pk)
    orm = OutreachActivity.objects.select_related(*references).get(pk=in_review.pk)
    assert extra == (orm.version * 10,)
    for obj, expected in [(read, orm), *((getattr(read, r), getattr(orm, r)) for r in references)]:
        assert type(obj) is type(expected)
        for field in expected._meta.concrete_fields:
            got, want = getattr(obj, field.attname), getattr(expected, field.attname)
            assert (got, type(got)) == (want, type(want)), (type(expected).__name__, field.name)
    for obj in (read, *(getattr(read, r) for r in references)):  # loaded, not new
        assert (obj._state.adding, obj._state.db) == (False, "default")
    assert read.audience.languages == orm.audience.languages  # JSON, decoded
    assert read.content_hash() == orm.content_hash()
    assert statement.get(0) == (None, ())
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("t0.version * 10" in sql for sql in prepared)  # planned once, then reused


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # closes the connection
def test_the_kept_cursor_follows_the_connection(in_review, reviewer) -> None:
    """The prepared statements' cursor is kept per connection: after a refused write, and on
    a new connection (Django closes old ones), reads and writes go on."""
    statement = RowWithReferences(OutreachActivity, ("campaign",))
    assert statement.get(in_review.pk)[0].pk == in_review.pk
    with pytest.raises(Conflict):  # a refused write on the kept cursor
        services.activity_approve(activity=_stale(in_review), actor=reviewer)
    assert statement.get(in_review.pk)[0].pk == in_review.pk
    connection.close()
    assert statement.get(in_review.pk)[0].campaign_id == in_review.campaign_id
    approved = services.activity_approve(activity=in_review, actor=reviewer)
    assert OutreachActivity.objects.get(pk=in_review.pk).version == approved.version


def _stale(activity: OutreachActivity) -> OutreachActivity:
    copy = OutreachActivity.objects.get(pk=activity.pk)
    copy.version -= 1
    return copy


def test_a_model_with_init_receivers_is_built_by_django(in_review) -> None:
    """The prepared read sets a fresh instance's attributes itself, except for a model whose
    ``post_init`` has receivers: those are built by ``Model.__init__``, which calls them."""
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    signals.post_init.connect(receiver, sender=Campaign)
    try:
        read, _ = RowWithReferences(OutreachActivity, ("campaign", "channel")).get(in_review.pk)
    finally:
        signals.post_init.disconnect(receiver, sender=Campaign)
    assert seen == [read.campaign]  # the campaign through Django, no one else
    assert read.campaign.name == in_review.campaign.name


def test_a_null_reference_reads_as_none(in_review) -> None:
    read, _ = RowWithReferences(OutreachActivity, ("segment", "current_step")).get(in_review.pk)
    assert read.segment is None
    assert read.segment_id is None
    assert read.current_step.pk == in_review.current_step_id


@pytest.mark.parametrize(
    ("fixture", "action"),
    [
        ("draft", "approve"),
        ("approved", "approve"),
        ("draft", "request_changes"),
        ("approved", "request_changes"),
        ("in_review", "submit"),
        ("approved", "submit"),
    ],
)
def test_a_reviewers_transition_from_the_wrong_state_writes_nothing(
    request, fixture, action, planner, reviewer
) -> None:
    actor = planner if action == "submit" else reviewer
    refused_writing_nothing(request.getfixturevalue(fixture), action, actor, InvalidTransition)


def refused_writing_nothing(
    activity: OutreachActivity, action: str, actor: Any, error: type[Exception]
) -> None:
    """``action`` by ``actor`` is refused with ``error``; no decision, event, outbox row or
    new version is written."""
    before, version = written(), OutreachActivity.objects.get(pk=activity.pk).version
    calls = {
        "approve": lambda: services.activity_approve(activity=activity, actor=actor),
        "request_changes": lambda: services.activity_request_changes(
            activity=activity, actor=actor, comment="Fix it."
        ),
        "submit": lambda: services.activity_submit(activity=activity, actor=actor),
    }
    with pytest.raises(error):
        calls[action]()
    assert written() == before
    assert OutreachActivity.objects.get(pk=activity.pk).version == version


@pytest.mark.parametrize(
    ("fixture", "action", "actor"),
    [
        ("draft", "submit", "outsider"),  # a planner of another team
        ("draft", "submit", "viewer"),  # this team, no planning role
        ("in_review", "request_changes", "outsider_reviewer"),
        ("in_review", "request_changes", "viewer"),
        ("in_review", "request_changes", "approver"),  # the first step is the reviewers'
    ],
)
def test_a_reviewers_transition_by_someone_without_the_role_writes_nothing(
    request, fixture, action, actor
) -> None:
    """The role is checked on the read, before the one write: refused, nothing written."""
    activity, person = request.getfixturevalue(fixture), request.getfixturevalue(actor)
    refused_writing_nothing(activity, action, person, NotPermitted)
