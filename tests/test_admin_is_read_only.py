"""The admin is not a back door (DESIGN.md §8): every model the rules govern is read-only there,
or its saves go through the same services as the UI and the API. The walk covers every model
registered in the admin, so a model added later is checked too."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.db.models import Model
from django.forms.models import model_to_dict
from django.test import RequestFactory

from accounts.models import Membership
from audiences.models import Channel
from campaigns.models import ApprovalPolicy, ApprovalStep, Campaign, OutreachActivity
from messaging.models import Citation, EvidenceItem, Message

pytestmark = pytest.mark.django_db

# What the lifecycle rules, the four-eyes rule and the outbound policy govern.
GOVERNED: set[type[Model]] = {
    Campaign,
    OutreachActivity,
    Message,
    Citation,
    EvidenceItem,
    ApprovalStep,
    ApprovalPolicy,
    Membership,
    Channel,
}
# Saved through the services (tests/test_admin.py proves an edit sends an approved one back).
SERVICE_ROUTED: set[type[Model]] = {OutreachActivity}
# Values that would change a row of any governed model, were a save let through.
TAMPERING = {
    "name": "Changed in the admin",
    "title": "Changed in the admin",
    "headline": "Changed in the admin",
    "body": "Changed in the admin",
    "claim": "Changed in the admin",
    "sentence": "Changed in the admin",
    "role": "lead",
    "required_role": "viewer",
    "status": "retracted",
    "attributed_to": "Nobody",
    "config": "{}",
}


def registered() -> list[tuple[type[Model], admin.ModelAdmin]]:
    return [
        (m, admin.site.get_model_admin(m)) for m in apps.get_models() if admin.site.is_registered(m)
    ]


def url(model: type[Model], view: str, obj: Model | None = None) -> str:
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    return base + (f"{obj.pk}/{view}/" if obj is not None else f"{view}/")


@pytest.fixture
def everything(world, approved, planner) -> None:
    """One row of every governed model (and of most others): a campaign with its policy and
    steps, an approved activity, its message, citation, evidence, channel and memberships."""


def test_every_governed_model_has_a_row_to_walk(everything) -> None:
    empty = [m.__name__ for m in GOVERNED if not m.objects.exists()]
    assert empty == []
    assert all(admin.site.is_registered(m) for m in GOVERNED)


def test_no_governed_model_can_be_added_or_deleted_in_the_admin(
    client, admin_user, everything
) -> None:
    client.force_login(admin_user)
    for model in GOVERNED:
        obj = model.objects.first()
        if model not in SERVICE_ROUTED:  # an activity is drafted in the admin by activity_create
            assert client.get(url(model, "add")).status_code == 403, model.__name__
            assert client.post(url(model, "add"), TAMPERING).status_code == 403, model.__name__
        assert client.post(url(model, "delete", obj), {"post": "yes"}).status_code == 403
        assert model.objects.filter(pk=obj.pk).exists(), model.__name__


def test_a_governed_change_form_shows_no_save_and_refuses_a_posted_change(
    client, admin_user, everything
) -> None:
    client.force_login(admin_user)
    walked = []
    for model in GOVERNED - SERVICE_ROUTED:
        obj = model.objects.first()
        before = model_to_dict(obj)
        page = client.get(url(model, "change", obj))
        assert page.status_code == 200, model.__name__
        assert 'name="_save"' not in page.content.decode(), model.__name__
        assert client.post(url(model, "change", obj), TAMPERING).status_code == 403
        obj.refresh_from_db()
        assert model_to_dict(obj) == before, model.__name__
        walked.append(model)
    assert len(walked) == len(GOVERNED) - len(SERVICE_ROUTED)


def test_a_service_routed_admin_saves_only_through_a_service(admin_user) -> None:
    request: Any = RequestFactory().get("/")
    request.user = admin_user
    for model in SERVICE_ROUTED:
        model_admin = admin.site.get_model_admin(model)
        # save_model is overridden to call the services; the model's own save is never reached.
        assert type(model_admin).save_model is not admin.ModelAdmin.save_model
        assert not model_admin.has_delete_permission(request)


def test_every_inline_of_a_governed_model_is_read_only(admin_user, everything) -> None:
    request: Any = RequestFactory().get("/")
    request.user = admin_user
    checked = []
    for model, model_admin in registered():
        obj = model.objects.first()
        for inline in model_admin.get_inline_instances(request, obj):
            if inline.model not in GOVERNED:
                continue
            allowed = (
                inline.has_add_permission(request, obj),
                inline.has_change_permission(request, obj),
                inline.has_delete_permission(request, obj),
            )
            assert allowed == (False, False, False), (model.__name__, inline.model.__name__)
            checked.append(inline.model)
    # The team's memberships, the policy's steps and the message's citations.
    assert {Membership, ApprovalStep, Citation} <= set(checked)


def test_every_other_change_form_opens_for_a_superuser(client, admin_user, everything) -> None:
    client.force_login(admin_user)
    opened = 0
    for model, _ in registered():
        obj = model.objects.first()
        if obj is None:
            continue  # no row in this small world (a dispatch, a report run…)
        response = client.get(url(model, "change", obj))
        assert response.status_code == 200, model.__name__
        opened += 1
    assert opened >= len(GOVERNED) + 4
