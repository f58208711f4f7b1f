"""The demo data: loads through the services, covers every state, and loads only once."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from accounts.models import User
from campaigns.models import ActivityEvent, Campaign, OutreachActivity
from messaging.models import EvidenceItem

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


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
