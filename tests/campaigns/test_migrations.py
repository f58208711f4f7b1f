"""Data migrations do what they say on data that predates them."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
import time_machine
from django.apps import apps
from django.utils import timezone

from campaigns import services
from campaigns.models import ActivityEvent, ActivityStatus, OutreachActivity
from tests.campaigns.factories import ActivityFactory

pytestmark = pytest.mark.django_db

step_since = importlib.import_module("campaigns.migrations.0007_activity_step_since")


def test_step_since_is_filled_from_the_latest_submission_or_step_approval(
    draft, reviewer, world, planner
) -> None:
    now = timezone.now().replace(microsecond=0)
    with time_machine.travel(now - dt.timedelta(hours=10), tick=False):
        submitted = services.activity_submit(activity=draft, actor=planner)
    with time_machine.travel(now - dt.timedelta(hours=5), tick=False):
        step_two = services.activity_approve(activity=submitted, actor=reviewer)
    sent_back = ActivityFactory(
        campaign=world.campaign, owner=planner, status=ActivityStatus.CHANGES_REQUESTED
    )
    ActivityEvent.objects.create(activity=sent_back, kind=ActivityEvent.Kind.SUBMITTED)
    OutreachActivity.objects.update(step_since=None)  # as before the column existed

    step_since.step_since_from_events(apps, None)

    assert OutreachActivity.objects.get(pk=step_two.pk).step_since == now - dt.timedelta(hours=5)
    assert OutreachActivity.objects.get(pk=sent_back.pk).step_since is None  # not in review


def test_the_step_since_backfill_runs_while_the_audit_triggers_are_off() -> None:
    """A backfill is nobody's change: it runs after the triggers are removed and before they
    come back, so it writes no audit row (one per activity in review, with no context)."""
    kinds = [type(op).__name__ for op in step_since.Migration.operations]
    backfill = kinds.index("RunPython")
    assert max(i for i, k in enumerate(kinds) if k == "RemoveTrigger") < backfill
    assert backfill < min(i for i, k in enumerate(kinds) if k == "AddTrigger")
