"""The session backend loads a signed-in user and their team roles in one query."""

from __future__ import annotations

import pytest

from accounts.backends import UserAndRolesBackend
from accounts.models import Role
from accounts.permissions import team_roles
from tests.accounts.factories import MembershipFactory, TeamFactory, UserFactory, member

pytestmark = pytest.mark.django_db


def test_the_user_comes_with_their_roles_in_one_query(team, django_assert_num_queries) -> None:
    user = member(team, Role.REVIEWER)
    other = TeamFactory()
    MembershipFactory(user=user, team=other, role=Role.VIEWER)
    with django_assert_num_queries(1):
        loaded = UserAndRolesBackend().get_user(user.pk)
        roles = team_roles(loaded)
    assert loaded == user
    assert roles == {team.pk: Role.REVIEWER, other.pk: Role.VIEWER}


def test_a_user_without_a_team_has_no_roles_and_an_inactive_one_is_nobody() -> None:
    loner = UserFactory()
    assert team_roles(UserAndRolesBackend().get_user(loner.pk)) == {}
    loner.is_active = False
    loner.save()
    assert UserAndRolesBackend().get_user(loner.pk) is None
    assert UserAndRolesBackend().get_user(loner.pk + 1000) is None
