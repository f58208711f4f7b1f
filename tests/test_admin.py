"""Every model is in the admin; audit tables are read-only there; activity edits in the admin
go through the lifecycle services."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.utils.html import escape

from accounts.models import Role
from accounts.services import STAFF_GROUP, staff_group_ensure
from campaigns.models import ActivityEvent, ActivityStatus, OutreachActivity
from tests.accounts.factories import MembershipFactory

pytestmark = pytest.mark.django_db

OUR_APPS = ("accounts", "audiences", "messaging", "campaigns")


def our_models():
    return [
        m
        for m in apps.get_models()
        if m._meta.app_label in OUR_APPS
        and not m._meta.auto_created
        and not m.__name__.endswith("Event")
    ] + [ActivityEvent]


def test_every_domain_model_is_registered() -> None:
    missing = [m.__name__ for m in our_models() if not admin.site.is_registered(m)]
    assert missing == []


def test_every_admin_list_opens_for_a_superuser(client, admin_user, approved) -> None:
    client.force_login(admin_user)
    for model in our_models():
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        response = client.get(url)
        assert response.status_code == 200, url


@pytest.mark.parametrize(
    "model", ["activityevent", "approvaldecision", "messagerevision", "evidencestatuschange"]
)
def test_audit_tables_cannot_be_changed_in_the_admin(client, admin_user, model, approved) -> None:
    client.force_login(admin_user)
    app = "messaging" if model in {"messagerevision", "evidencestatuschange"} else "campaigns"
    response = client.get(f"/admin/{app}/{model}/add/")
    assert response.status_code == 403


def test_an_admin_edit_of_an_approved_activity_sends_it_back(client, admin_user, approved):
    MembershipFactory(user=admin_user, team=approved.campaign.owner_team, role=Role.LEAD)
    client.force_login(admin_user)
    local = approved.scheduled_local.replace(tzinfo=None)
    new_time = approved.scheduled_at.replace(hour=(approved.scheduled_at.hour + 1) % 24)
    response = client.post(
        f"/admin/campaigns/outreachactivity/{approved.pk}/change/",
        {
            "title": approved.title,
            "audience": approved.audience_id,
            "segment": "",
            "message": approved.message_id,
            "channel": approved.channel_id,
            "scheduled_at_0": new_time.strftime("%Y-%m-%d"),
            "scheduled_at_1": new_time.strftime("%H:%M:%S"),
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    approved.refresh_from_db()
    assert local != approved.scheduled_local.replace(tzinfo=None)
    assert approved.status == ActivityStatus.CHANGES_REQUESTED
    edit = approved.events.last()
    assert (edit.kind, edit.actor) == ("edited", admin_user)


def test_an_admin_without_a_team_role_cannot_drive_the_workflow(client, admin_user, draft):
    client.force_login(admin_user)
    response = client.post(
        "/admin/campaigns/outreachactivity/",
        {"action": "submit", "_selected_action": [draft.pk]},
        follow=True,
    )
    assert "You may not plan activities here" in response.content.decode()
    assert OutreachActivity.objects.get(pk=draft.pk).status == ActivityStatus.DRAFT


def test_an_admin_submit_action_obeys_the_evidence_gate(client, admin_user, draft, world) -> None:
    MembershipFactory(user=admin_user, team=world.team, role=Role.LEAD)
    world.evidence.status = "disputed"
    world.evidence.save()
    client.force_login(admin_user)
    response = client.post(
        "/admin/campaigns/outreachactivity/",
        {"action": "submit", "_selected_action": [draft.pk]},
        follow=True,
    )
    assert "cites withdrawn evidence" in response.content.decode()
    assert OutreachActivity.objects.get(pk=draft.pk).status == ActivityStatus.DRAFT


def test_a_staff_member_sees_only_their_teams_rows_in_the_admin(client, approved, outsider):
    staff_group_ensure()
    outsider.is_staff = True
    outsider.save()
    outsider.groups.add(Group.objects.get(name=STAFF_GROUP))
    client.force_login(outsider)
    listing = client.get("/admin/campaigns/outreachactivity/")
    assert listing.status_code == 200
    assert escape(approved.title) not in listing.content.decode()
    assert client.get(f"/admin/campaigns/outreachactivity/{approved.pk}/change/").status_code in (
        302,
        404,
    )
    events = client.get("/admin/campaigns/activityevent/").content.decode()
    assert escape(approved.title) not in events
    outbox = client.get("/admin/campaigns/pendingnotification/")
    assert outbox.status_code == 200
    assert escape(approved.title) not in outbox.content.decode()


def test_a_staff_member_of_the_team_sees_its_rows(client, approved, planner):
    staff_group_ensure()
    planner.is_staff = True
    planner.save()
    planner.groups.add(Group.objects.get(name=STAFF_GROUP))
    client.force_login(planner)
    listing = client.get("/admin/campaigns/outreachactivity/").content.decode()
    assert escape(approved.title) in listing
    # The approval's notifications wait in the outbox, listed by their event.
    outbox = client.get("/admin/campaigns/pendingnotification/").content.decode()
    assert escape(approved.title) in outbox


def test_the_sign_in_page_locks_out_after_repeated_failures_with_429(client, planner) -> None:
    for _ in range(4):
        response = client.post("/accounts/login/", {"username": "planner", "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    fifth = client.post("/accounts/login/", {"username": "planner", "password": "wrong"})
    assert fifth.status_code == 429
    locked = client.post("/accounts/login/", {"username": "planner", "password": "pw"})
    assert locked.status_code == 429
    assert not client.get("/").wsgi_request.user.is_authenticated
