"""API tokens: issued to active users only, bounded per user, revoked only by their owner."""

from __future__ import annotations

import pytest
from django.test import override_settings

from accounts.errors import NotPermitted, RuleViolation
from accounts.models import ApiToken
from accounts.services import token_create, token_revoke

pytestmark = pytest.mark.django_db


def test_a_token_is_returned_once_and_stored_as_a_digest(planner) -> None:
    row, token = token_create(user=planner, name=" sync ")
    assert row.name == "sync"
    assert len(token) == 64
    assert token[:15] == row.token_key
    assert token != row.digest


def test_a_deactivated_user_gets_no_token(planner) -> None:
    planner.is_active = False
    with pytest.raises(NotPermitted):
        token_create(user=planner)


@override_settings(CANDOR_API_TOKENS_PER_USER=1)
def test_the_number_of_live_tokens_is_bounded(planner) -> None:
    token_create(user=planner)
    with pytest.raises(RuleViolation):
        token_create(user=planner)


def test_only_the_owner_revokes_a_token(planner, reviewer) -> None:
    row, _ = token_create(user=planner)
    with pytest.raises(NotPermitted):
        token_revoke(token=row, actor=reviewer)
    token_revoke(token=row, actor=planner)
    assert not ApiToken.objects.exists()
