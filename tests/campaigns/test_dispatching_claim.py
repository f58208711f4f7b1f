"""An activity in ``dispatching`` always has its claim time: the database refuses one without
(the tick finds stuck sends by it), and the migration that says so first gives one to every
activity that had none."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction

from campaigns import services
from campaigns.models import ActivityStatus, OutreachActivity

pytestmark = pytest.mark.django_db

S = ActivityStatus
migration = importlib.import_module("campaigns.migrations.0011_activity_dispatching_has_claim")
CONSTRAINT = "activity_dispatching_has_claim"


def constraint() -> object:
    return next(c for c in OutreachActivity._meta.constraints if c.name == CONSTRAINT)


def test_the_database_refuses_an_activity_dispatching_with_no_claim_time(approved) -> None:
    with pytest.raises(IntegrityError, match=CONSTRAINT), transaction.atomic():
        OutreachActivity.objects.filter(pk=approved.pk).update(status=S.DISPATCHING)
    assert OutreachActivity.objects.get(pk=approved.pk).status == S.APPROVED


def test_the_database_refuses_to_clear_the_claim_time_of_an_activity_dispatching(
    approved,
) -> None:
    due = approved.scheduled_at + dt.timedelta(seconds=1)
    [attempt] = services.dispatch_prepare_batch(activity_ids=[approved.pk], claim=True, now=due)
    assert attempt.dispatch is not None

    with pytest.raises(IntegrityError, match=CONSTRAINT), transaction.atomic():
        OutreachActivity.objects.filter(pk=approved.pk).update(claimed_at=None)
    claimed = OutreachActivity.objects.get(pk=approved.pk)
    assert claimed.status == S.DISPATCHING
    assert claimed.claimed_at is not None


def test_the_migration_gives_an_activity_dispatching_with_no_claim_time_its_last_change(
    approved,
) -> None:
    """As the old demo left one: the backfill runs before the constraint is added (here: with
    the constraint taken away for the test's transaction, as before the migration)."""
    connection.check_constraints()  # the fixture's deferred checks first: then the ALTER TABLE
    with connection.schema_editor() as editor:
        editor.remove_constraint(OutreachActivity, constraint())
    OutreachActivity.objects.filter(pk=approved.pk).update(status=S.DISPATCHING)
    stale = OutreachActivity.objects.get(pk=approved.pk)
    assert stale.claimed_at is None

    migration.claimed_when_last_changed(apps, None)

    fixed = OutreachActivity.objects.get(pk=approved.pk)
    assert fixed.claimed_at == stale.updated_at
    connection.check_constraints()
    with connection.schema_editor() as editor:
        editor.add_constraint(OutreachActivity, constraint())  # every row satisfies it now


def test_the_backfill_runs_while_the_audit_trigger_is_off() -> None:
    """A backfill is nobody's change: it writes no audit row."""
    kinds = [type(op).__name__ for op in migration.Migration.operations]
    assert kinds == ["RemoveTrigger", "RunPython", "AddTrigger", "AddConstraint"]
