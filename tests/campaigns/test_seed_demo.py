"""The demo data: loads through the services, covers every state, tells a history that reads
true (every write at its own moment, in the order the lifecycle allows), fills the latest
period of its weekly report, and loads only once."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from accounts.models import User
from campaigns import selectors
from campaigns.demo import data, loader
from campaigns.models import (
    ActivityEvent,
    ActivityStatus,
    ApprovalDecision,
    Campaign,
    Dispatch,
    OutreachActivity,
    ReportSubscription,
)
from campaigns.reports.rendering import report_chart_png
from messaging.models import EvidenceItem

pytestmark = pytest.mark.django_db

S = ActivityStatus
Kind = ActivityEvent.Kind

# The lifecycle of DESIGN.md §3, written out independently of the services: event kind →
# the states it may leave and the state it reaches ("" for the same state).
LIFECYCLE: dict[str, tuple[set[str], str]] = {
    Kind.CREATED: ({""}, S.DRAFT),
    Kind.SUBMITTED: ({S.DRAFT, S.CHANGES_REQUESTED}, S.IN_REVIEW),
    Kind.STEP_APPROVED: ({S.IN_REVIEW}, S.IN_REVIEW),
    Kind.APPROVED: ({S.IN_REVIEW}, S.APPROVED),
    Kind.CHANGES_REQUESTED: ({S.IN_REVIEW}, S.CHANGES_REQUESTED),
    Kind.RECALLED: ({S.IN_REVIEW, S.APPROVED, S.FAILED}, S.CHANGES_REQUESTED),
    Kind.CANCELLED: ({S.DRAFT, S.IN_REVIEW, S.CHANGES_REQUESTED, S.APPROVED}, S.CANCELLED),
    Kind.DISPATCH_STARTED: ({S.APPROVED}, S.DISPATCHING),
    Kind.DISPATCHED: ({S.DISPATCHING}, S.DISPATCHED),
    Kind.FAILED: ({S.DISPATCHING}, S.FAILED),
    Kind.OUTCOME_RECORDED: ({S.DISPATCHED, S.COMPLETED}, S.COMPLETED),
}


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def history_problems(now: dt.datetime) -> list[str]:
    """Everything in the demo's history that does not read true at ``now``."""
    problems: list[str] = []
    for activity in OutreachActivity.objects.order_by("pk"):
        events = list(activity.events.order_by("at", "pk"))
        state = ""
        for event in events:
            allowed_from, reaches = LIFECYCLE[event.kind]
            if event.from_status != state or state not in allowed_from:
                problems.append(f"{activity}: {event.kind} from '{event.from_status}' at '{state}'")
            state = reaches
            if event.to_status != state:
                problems.append(f"{activity}: {event.kind} reached {event.to_status}")
            if event.at > now:
                problems.append(f"{activity}: {event.kind} in the future")
        if state != activity.status:
            problems.append(f"{activity}: the events end at {state}, it is {activity.status}")
        first = {}
        for event in events:
            first.setdefault(event.kind, event.at)
        if events and activity.created_at != first[Kind.CREATED]:
            problems.append(f"{activity}: created_at is not its creation event's")
        # Each step a person takes comes after the last, on a later moment; the dispatcher's
        # claim and send are one step (one moment), and the outcome comes after them.
        people = [Kind.CREATED, Kind.SUBMITTED, Kind.APPROVED, Kind.DISPATCH_STARTED]
        reached = [first[k] for k in people if k in first]
        if any(a >= b for a, b in itertools.pairwise(reached)):
            problems.append(f"{activity}: its steps are not one after another: {reached}")
        later = [first.get(k) for k in (Kind.DISPATCH_STARTED, Kind.DISPATCHED)]
        later += [first.get(Kind.OUTCOME_RECORDED)]
        if [at for at in later if at] != sorted(at for at in later if at):
            problems.append(f"{activity}: sent or given an outcome out of order: {later}")
        if activity.submitted_at and activity.submitted_at != first.get(Kind.SUBMITTED):
            problems.append(f"{activity}: submitted_at is not its submission's")
        if Kind.DISPATCH_STARTED in first:
            if first[Kind.DISPATCH_STARTED] < activity.scheduled_at:
                problems.append(f"{activity}: dispatched before it was due")
            if activity.claimed_at is None or activity.claimed_at > now:
                problems.append(f"{activity}: claimed at {activity.claimed_at}")
        for decision in activity.decisions.all():
            if not first[Kind.SUBMITTED] < decision.at <= now:
                problems.append(f"{activity}: a decision at {decision.at}")
        for attempt in activity.dispatches.all():
            if not first[Kind.DISPATCH_STARTED] <= attempt.started_at <= now:
                problems.append(f"{activity}: attempt {attempt.attempt} at {attempt.started_at}")
        outcome = getattr(activity, "outcome", None)
        if outcome is not None and outcome.recorded_at != first[Kind.OUTCOME_RECORDED]:
            problems.append(f"{activity}: its outcome is not its outcome event's")
    return problems


def test_the_demo_has_every_state_and_loads_only_once(client) -> None:
    first = seed()
    assert "Demo data loaded" in first
    statuses = Counter(OutreachActivity.objects.values_list("status", flat=True))
    assert set(statuses) == set(OutreachActivity.Status.values)
    assert set(EvidenceItem.objects.values_list("status", flat=True)) == set(
        EvidenceItem.Status.values
    )
    assert ActivityEvent.objects.filter(kind=ActivityEvent.Kind.RECALLED).exists()
    campaign = Campaign.objects.get()
    assert campaign.attributed_to
    counts = (OutreachActivity.objects.count(), ActivityEvent.objects.count(), User.objects.count())

    second = seed()
    assert "already there" in second
    assert counts == (
        OutreachActivity.objects.count(),
        ActivityEvent.objects.count(),
        User.objects.count(),
    )

    for username in ("planner", "reviewer", "approver", "lead", "partner_a", "partner_b", "admin"):
        assert client.login(username=username, password="candor-demo"), username


def test_the_demo_approvals_obey_four_eyes() -> None:
    seed()
    for activity in OutreachActivity.objects.exclude(approved_content_hash=""):
        approvers = set(activity.decisions.filter(verdict="approve").values_list("user", flat=True))
        assert activity.owner_id not in approvers
        assert activity.submitted_by_id not in approvers


def test_the_demo_history_follows_the_lifecycle_and_reads_true() -> None:
    seed()
    now = timezone.now()

    assert history_problems(now) == []
    # Written over weeks, as it happened, not all "today".
    events = ActivityEvent.objects.all()
    assert len({e.at.date() for e in events}) > 15
    assert events.order_by("at").first().at < now - dt.timedelta(days=10)
    recalled = OutreachActivity.objects.get(title="Op-ed placement in a Belgrade weekly")
    retracted = EvidenceItem.objects.get(status=EvidenceItem.Status.RETRACTED)
    [recall] = recalled.events.filter(kind=Kind.RECALLED)
    assert recall.at == retracted.status_changed_at
    assert recall.at > recalled.events.get(kind=Kind.APPROVED).at


def test_the_demo_writes_nothing_around_the_services() -> None:
    """Every decision, attempt and outcome has the event its service writes with it."""
    seed()
    for decision in ApprovalDecision.objects.all():
        assert decision.activity.events.filter(
            actor=decision.user,
            at=decision.at,
            kind__in=[Kind.STEP_APPROVED, Kind.APPROVED, Kind.CHANGES_REQUESTED],
        ).exists(), decision
    for attempt in Dispatch.objects.all():
        assert attempt.activity.events.filter(
            kind=Kind.DISPATCH_STARTED, at__lte=attempt.started_at
        ).exists(), attempt
    sent = Dispatch.objects.filter(result=Dispatch.Result.SENT)
    assert set(sent.values_list("activity", flat=True)) == set(
        ActivityEvent.objects.filter(kind=Kind.DISPATCHED).values_list("activity", flat=True)
    )
    failed = OutreachActivity.objects.get(status=S.FAILED)
    attempts = list(failed.dispatches.order_by("attempt"))
    assert len(attempts) > 1
    assert all(a.result == Dispatch.Result.FAILED and a.error for a in attempts)
    assert [a.started_at for a in attempts] == sorted({a.started_at for a in attempts})


def test_the_history_check_finds_what_was_written_around_the_services() -> None:
    """The check above can fail: a status written without its event, an event with no
    transition, a step out of its order."""
    seed()
    now = timezone.now()
    draft = OutreachActivity.objects.get(status=S.DRAFT)
    approved = OutreachActivity.objects.filter(status=S.APPROVED).first()
    OutreachActivity.objects.filter(pk=approved.pk).update(status=S.DISPATCHED)
    ActivityEvent.objects.create(
        activity=draft, kind=Kind.DISPATCHED, from_status=S.DISPATCHING, to_status=S.DISPATCHED
    )

    problems = history_problems(now - dt.timedelta(seconds=1))

    assert f"{approved}: the events end at approved, it is dispatched" in problems
    assert f"{draft}: dispatched from 'dispatching' at 'draft'" in problems
    assert f"{draft}: dispatched in the future" in problems


def test_the_demo_activity_in_dispatching_waits_for_its_officer_and_is_not_taken_for_stuck() -> (
    None
):
    from campaigns import services

    seed()
    waiting = OutreachActivity.objects.get(status=S.DISPATCHING)
    assert waiting.claimed_at is not None
    assert waiting.channel.kind == "manual"
    assert waiting.dispatches.get().result == Dispatch.Result.AWAITING_OFFICER

    claimed = services.dispatch_claim_due(now=timezone.now() + dt.timedelta(hours=1))

    assert claimed.stuck == []
    assert claimed.due == []


def recent_monday() -> dt.date:
    """A Monday at least a week back: the demo loaded on it lies wholly in the past."""
    day = timezone.now().date() - dt.timedelta(days=7)
    return day - dt.timedelta(days=day.weekday())


@pytest.mark.parametrize(
    "minutes", [1, -1], ids=["just-after-the-weekly-send", "just-before-the-weekly-send"]
)
def test_the_latest_period_of_the_weekly_report_has_dispatches_outcomes_and_a_chart(
    minutes: int,
) -> None:
    """Whatever the moment the demo is loaded at: just after the report's send time (the
    latest period just ended) or just before it (the latest period ended a week ago)."""
    zone = ZoneInfo(data.REPORT["timezone"])
    send = dt.datetime.combine(recent_monday(), data.REPORT["send_time"], tzinfo=zone)
    now = send + dt.timedelta(minutes=minutes)

    loader.load(password="candor-demo", now=now)

    assert history_problems(now) == []
    report = selectors.report_latest(subscription=ReportSubscription.objects.get(), now=now)
    assert report.period_end <= now < report.period_end + dt.timedelta(days=7)
    assert report.outcomes.dispatched >= 3
    assert report.outcomes.with_outcome == 3
    assert report.outcomes.reach > 0
    chart = report_chart_png(report)
    assert chart is not None
    assert chart.startswith(b"\x89PNG")


def test_the_demo_refuses_to_mix_into_half_of_itself() -> None:
    User.objects.create_user("planner", password="x")
    with pytest.raises(CommandError, match="refusing to mix"):
        seed()
    assert not Campaign.objects.exists()


@override_settings(SETTINGS_MODULE="config.settings.production")
def test_the_demo_is_refused_in_production() -> None:
    with pytest.raises(CommandError, match="refused in production"):
        seed()
    assert not Campaign.objects.exists()


def test_the_embedded_default_runs_the_demo_and_keeps_history_on_sqlite(sqlite_demo) -> None:
    """``make run``'s path: SQLite, no services. The domain's own history works without the
    PostgreSQL triggers."""
    assert "Demo data loaded" in sqlite_demo.first_seed
    assert "already there" in sqlite_demo("seed_demo")
    counts = (
        sqlite_demo(
            "shell",
            "-c",
            "from campaigns.models import ActivityEvent as E; "
            "print(E.objects.filter(kind='recalled').count(), E.objects.count())",
        )
        .splitlines()[-1]
        .split()
    )
    recalled, events = int(counts[0]), int(counts[1])
    assert recalled >= 1
    assert events > 30
    history = sqlite_demo(
        "shell",
        "-c",
        "from django.utils import timezone; "
        "from campaigns.models import OutreachActivity as A; "
        "from tests.campaigns.test_seed_demo import history_problems; "
        "print(len(set(A.objects.values_list('status', flat=True))), "
        "len(history_problems(timezone.now())))",
    )
    assert history.splitlines()[-1].split() == [str(len(S.values)), "0"]
    assert (sqlite_demo.var / "candor.sqlite3").exists()


SIGNED_IN_TOUR = """
from django.test import Client
from accounts.models import User
from accounts.services import token_create
from campaigns.models import Campaign
campaign = Campaign.objects.order_by("pk").first()
client = Client(SERVER_NAME="127.0.0.1")
assert client.login(username="lead", password="candor-demo")
for url in ("/", "/campaigns/", f"/campaigns/{campaign.uuid}/", "/coverage/", "/evidence/"):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
_, token = token_create(user=User.objects.get(username="lead"), name="tour")
api = Client(SERVER_NAME="127.0.0.1", headers={"Authorization": f"Token {token}"})
page = api.get("/api/v1/activities/", {"page_size": 200}).json()["results"]
first = api.get(f"/api/v1/activities/{page[0]['id']}/").json()
print(len(page), first == page[0])
"""


def test_the_embedded_default_serves_the_pages_and_the_api_list(sqlite_demo) -> None:
    """The SQLite paths of what PostgreSQL does differently: the session user loaded with their
    roles (StringAgg), the dashboard's ranked panels (window function), the campaign's labels
    (UNION ALL) and the API list from values() rows with no join-order hint."""
    listed, same = sqlite_demo("shell", "-c", SIGNED_IN_TOUR).splitlines()[-1].split()
    assert int(listed) > 10
    assert same == "True"


TRANSITIONS_TOUR = """
from accounts.errors import Conflict
from campaigns import services
from campaigns.models import ActivityStatus, ApprovalDecision, OutreachActivity
from campaigns.models import PendingNotification
from campaigns.selectors import people_with_role
activity = OutreachActivity.objects.filter(status=ActivityStatus.IN_REVIEW).first()
step = activity.current_step
this_round = activity.decisions.filter(review_round=activity.review_round)
done = set(this_round.values_list("user", flat=True))
actor = next(
    u for u in people_with_role(activity=activity, roles={step.required_role})
    if u.pk not in {activity.owner_id, activity.submitted_by_id, *done}
)
before = (ApprovalDecision.objects.count(), PendingNotification.objects.count())
after = services.activity_approve(activity=activity, actor=actor, comment="Checked on SQLite.")
stored = OutreachActivity.objects.get(pk=activity.pk)
moved = (stored.version == activity.version + 1, stored.current_step_id != step.pk)
counts = (ApprovalDecision.objects.count(), PendingNotification.objects.count())
written = (counts[0] - before[0], counts[1] - before[1])
try:
    services.activity_approve(activity=activity, actor=actor)
    stale = "accepted"
except Conflict:
    stale = "conflict"
print(*moved, *written, stale, stored.events.last().comment == "Checked on SQLite.")
"""


def test_the_embedded_default_runs_a_transition_read_and_written_without_postgresql(
    sqlite_demo,
) -> None:
    """A reviewer's transition on SQLite (where ``select_for_update`` locks nothing): the
    decision, the event and the outbox row written, a stale copy refused by the version."""
    out = sqlite_demo("shell", "-c", TRANSITIONS_TOUR).splitlines()[-1].split()
    assert out == ["True", "True", "1", "1", "conflict", "True"]
