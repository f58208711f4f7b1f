"""Issue #17: everything that matters is audited — inserts, updates and deletes, with the acting
user — at the cost of a statement, not of a row; and no audit row can be rewritten."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from accounts.audit import audit_context
from accounts.models import Membership, Role, Team
from audiences.models import Audience, BlackoutWindow, Channel, Segment
from campaigns.models import (
    ApprovalDecision,
    ApprovalPolicy,
    ApprovalStep,
    Campaign,
    Outcome,
    OutreachActivity,
    ReportSubscription,
)
from messaging.models import Citation, EvidenceItem, Message, Theme
from tests.accounts.factories import MembershipFactory, TeamFactory
from tests.audiences.factories import ChannelFactory, SegmentFactory
from tests.campaigns.factories import ActivityFactory, CampaignFactory
from tests.conftest import World
from tests.messaging.factories import (
    CitationFactory,
    EvidenceFactory,
    MessageFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db

Make = Callable[[World, Any], models.Model]
Change = Callable[[World], dict[str, Any]]


def _campaign_without_policy(world: World) -> Campaign:
    campaign = CampaignFactory(owner_team=world.team)
    ApprovalPolicy.objects.filter(campaign=campaign).delete()
    return campaign


def _policy(world: World, planner: Any) -> ApprovalPolicy:
    return ApprovalPolicy.objects.create(campaign=_campaign_without_policy(world))


# Each audited model: how to make a fresh row, and a change to one of its fields.
CASES: list[tuple[type[models.Model], Make, Change]] = [
    (Team, lambda world, planner: TeamFactory(), lambda world: {"name": "Renamed team"}),
    (
        Membership,
        lambda world, planner: MembershipFactory(team=world.team),
        lambda world: {"role": Role.REVIEWER},
    ),
    (
        Audience,
        lambda world, planner: Audience.objects.create(
            name="Audit audience", slug="audit-audience", timezone="UTC", languages=["en"]
        ),
        lambda world: {"description": "Changed"},
    ),
    (Segment, lambda world, planner: SegmentFactory(), lambda world: {"notes": "Changed"}),
    (
        Channel,
        lambda world, planner: ChannelFactory(owner_team=world.team),
        lambda world: {"name": "Renamed channel"},
    ),
    (
        BlackoutWindow,
        lambda world, planner: BlackoutWindow.objects.create(
            audience=world.audience,
            starts_at=timezone.now(),
            ends_at=timezone.now() + dt.timedelta(hours=2),
            reason="Election silence",
        ),
        lambda world: {"reason": "Mourning"},
    ),
    (
        Theme,
        lambda world, planner: ThemeFactory(owner_team=world.team),
        lambda world: {"summary": "Changed"},
    ),
    (
        EvidenceItem,
        lambda world, planner: EvidenceFactory(owner_team=world.team),
        lambda world: {"publisher": "Another publisher"},
    ),
    (
        Message,
        lambda world, planner: MessageFactory(theme=world.theme),
        lambda world: {"headline": "Changed"},
    ),
    (
        Citation,
        lambda world, planner: CitationFactory(
            message=world.message, evidence__owner_team=world.team
        ),
        lambda world: {"sentence": "Changed."},
    ),
    (
        Campaign,
        lambda world, planner: CampaignFactory(owner_team=world.team),
        lambda world: {"objective": "Changed"},
    ),
    (
        OutreachActivity,
        lambda world, planner: ActivityFactory(
            campaign=world.campaign, message=world.message, channel=world.channel, owner=planner
        ),
        lambda world: {"title": "Changed"},
    ),
    # A policy's only field is its campaign: it moves to another campaign.
    (ApprovalPolicy, _policy, lambda world: {"campaign": _campaign_without_policy(world)}),
    (
        ApprovalStep,
        lambda world, planner: ApprovalStep.objects.create(
            policy=world.campaign.approval_policy,
            order=9,
            name="Legal",
            kind=ApprovalStep.Kind.SIGN_OFF,
            required_role=Role.LEAD,
        ),
        lambda world: {"name": "Legal review"},
    ),
    (
        ReportSubscription,
        lambda world, planner: ReportSubscription.objects.create(
            owner=planner,
            team=world.team,
            cadence=ReportSubscription.Cadence.DAILY,
            send_time=dt.time(8),
            timezone="Europe/Chisinau",
        ),
        lambda world: {"is_active": False},
    ),
]

NAMES = [model.__name__ for model, _, _ in CASES]


def _event_model(model: type[models.Model]) -> type[models.Model]:
    return model.audit_trail.rel.related_model  # type: ignore[attr-defined]


@pytest.mark.parametrize(("model", "make", "change"), CASES, ids=NAMES)
def test_an_insert_an_update_and_a_delete_each_leave_an_audit_row_with_the_actor(
    model: type[models.Model], make: Make, change: Change, world: World, planner: Any
) -> None:
    with audit_context(actor=planner.pk, action="audit_coverage"):
        row = make(world, planner)
        pk = row.pk
        model.objects.filter(pk=pk).update(**change(world))  # type: ignore[attr-defined]
        model.objects.filter(pk=pk).delete()  # type: ignore[attr-defined]
    assert not model.objects.filter(pk=pk).exists()  # type: ignore[attr-defined]
    events = list(_event_model(model).objects.filter(pgh_obj_id=pk).order_by("pgh_id"))
    assert [event.pgh_label for event in events] == ["insert", "update", "delete"]
    for event in events:
        assert event.pgh_context.metadata["actor"] == planner.pk


@pytest.mark.parametrize(("model", "make"), [(m, make) for m, make, _ in CASES], ids=NAMES)
def test_the_database_refuses_to_rewrite_or_remove_an_audit_row(
    model: type[models.Model], make: Make, world: World, planner: Any
) -> None:
    row = make(world, planner)
    events = _event_model(model).objects.filter(pgh_obj_id=row.pk)
    assert events.count() == 1
    with pytest.raises(DatabaseError, match="append_only"), transaction.atomic():
        events.update(pgh_label="rewritten")
    with pytest.raises(DatabaseError, match="append_only"), transaction.atomic():
        events.delete()
    assert list(events.values_list("pgh_label", flat=True)) == ["insert"]


def test_every_listed_model_is_audited_and_nothing_audited_is_left_out_of_the_list() -> None:
    audited = {m for m in apps.get_models() if hasattr(m, "audit_trail")}
    listed = {m for m, _, _ in CASES}
    # Audited as well, and exercised by their own flows (tests/campaigns/test_audit.py).
    assert audited == listed | {ApprovalDecision, Outcome}


def _attach_context_calls() -> int:
    """How many times this transaction has called pghistory's context function (PostgreSQL's
    own per-function statistics, switched on for this transaction only)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(calls), 0) FROM pg_stat_xact_user_functions "
            "WHERE funcname = '_pgh_attach_context'"
        )
        return int(cursor.fetchone()[0])


def test_a_bulk_update_of_a_hundred_rows_costs_one_trigger_call_not_a_hundred(
    world: World, planner: Any
) -> None:
    activities = ActivityFactory.create_batch(
        100, campaign=world.campaign, message=world.message, channel=world.channel, owner=planner
    )
    ids = [activity.pk for activity in activities]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL track_functions = 'all'")
    before = _attach_context_calls()
    with audit_context(actor=planner.pk, action="bulk"):
        changed = OutreachActivity.objects.filter(pk__in=ids).update(title="Bulk-renamed")
    assert changed == 100
    assert _attach_context_calls() - before == 1
    Event = _event_model(OutreachActivity)
    rows = Event.objects.filter(pgh_obj_id__in=ids, pgh_label="update")
    assert rows.count() == 100
    assert rows.values("pgh_context_id").distinct().count() == 1
    assert rows.first().pgh_context.metadata == {"actor": planner.pk, "action": "bulk"}


def test_a_bulk_insert_and_delete_each_cost_one_trigger_call(team: Team, planner: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL track_functions = 'all'")
    before = _attach_context_calls()
    with audit_context(actor=planner.pk):
        themes = Theme.objects.bulk_create(
            [ThemeFactory.build(owner_team=team, title=f"Bulk {n}") for n in range(50)]
        )
        Theme.objects.filter(pk__in=[theme.pk for theme in themes]).delete()
    assert _attach_context_calls() - before == 2
    labels = _event_model(Theme).objects.filter(title__startswith="Bulk ")
    assert labels.filter(pgh_label="insert").count() == 50
    assert labels.filter(pgh_label="delete").count() == 50
