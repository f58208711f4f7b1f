"""Who may do what: roles per team, and TLP 2.0 markings on library items."""

from __future__ import annotations

import pytest

from accounts.models import Marking, Role
from accounts.permissions import may
from messaging.models import EvidenceItem
from tests.accounts.factories import TeamFactory, UserFactory, member
from tests.messaging.factories import EvidenceFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "plan", "review", "sign_off"),
    [
        (Role.VIEWER, False, False, False),
        (Role.PLANNER, True, False, False),
        (Role.REVIEWER, False, True, False),
        (Role.APPROVER, False, False, True),
        (Role.LEAD, True, True, True),
    ],
)
def test_each_role_grants_its_actions_on_its_teams_campaigns(
    world, role, plan, review, sign_off
) -> None:
    user = member(world.team, role)
    assert user.has_perm("campaigns.view", world.campaign)
    assert user.has_perm("campaigns.plan", world.campaign) is plan
    assert user.has_perm("campaigns.review", world.campaign) is review
    assert user.has_perm("campaigns.sign_off", world.campaign) is sign_off


def test_an_outsider_has_no_permission_until_the_team_collaborates(world, outsider) -> None:
    assert not outsider.has_perm("campaigns.view", world.campaign)
    assert not outsider.has_perm("campaigns.plan", world.campaign)
    world.campaign.collaborating_teams.add(outsider.teams.get())
    fresh = type(outsider).objects.get(pk=outsider.pk)  # roles are cached per user object
    world.campaign._collaborator_ids = None
    assert fresh.has_perm("campaigns.plan", world.campaign)


def test_a_deactivated_member_may_do_nothing(world, planner) -> None:
    planner.is_active = False
    planner.save()
    assert not planner.has_perm("campaigns.view", world.campaign)


@pytest.mark.parametrize(
    ("marking", "owner", "sharee", "other_team_member", "teamless"),
    [
        (Marking.CLEAR, True, True, True, True),
        (Marking.GREEN, True, True, True, False),
        (Marking.AMBER, True, True, False, False),
        (Marking.RED, True, False, False, False),
    ],
)
def test_tlp_markings_decide_who_sees_evidence(
    marking, owner, sharee, other_team_member, teamless
) -> None:
    owner_team, shared_team, third_team = TeamFactory(), TeamFactory(), TeamFactory()
    item = EvidenceFactory(owner_team=owner_team, marking=marking)
    item.shared_with.add(shared_team)
    people = {
        "owner": member(owner_team, Role.VIEWER),
        "sharee": member(shared_team, Role.VIEWER),
        "other_team_member": member(third_team, Role.VIEWER),
        "teamless": UserFactory(),
    }
    expected = {
        "owner": owner,
        "sharee": sharee,
        "other_team_member": other_team_member,
        "teamless": teamless,
    }
    for name, person in people.items():
        # The predicate and the queryset filter must agree, person by person.
        assert person.has_perm("messaging.view", item) is expected[name], name
        visible = EvidenceItem.objects.visible_to(person).filter(pk=item.pk).exists()
        assert visible is expected[name], name


def test_a_collaborating_team_plans_but_never_reviews_signs_off_or_manages(world) -> None:
    partner_team = TeamFactory()
    world.campaign.collaborating_teams.add(partner_team)
    partner_lead = member(partner_team, Role.LEAD)
    assert may(partner_lead, "campaigns.view", world.campaign)
    assert may(partner_lead, "campaigns.plan", world.campaign)
    for perm in ("campaigns.review", "campaigns.sign_off", "campaigns.manage"):
        assert not may(partner_lead, perm, world.campaign), perm


def test_a_superuser_without_a_team_sees_no_teams_work(world, admin_user) -> None:
    from campaigns.models import Campaign

    assert not Campaign.objects.visible_to(admin_user).exists()
    assert not EvidenceItem.objects.visible_to(admin_user).filter(marking=Marking.RED).exists()
