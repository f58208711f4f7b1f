"""The join-order hint (``accounts.db``) holds for the queries inside it and leaks nowhere."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.db import joins_as_written

pytestmark = pytest.mark.django_db


def _join_collapse_limit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW join_collapse_limit")
        return cursor.fetchone()[0]


def test_the_join_order_hint_holds_inside_and_is_undone_after() -> None:
    assert _join_collapse_limit() == "8"
    with joins_as_written():
        assert _join_collapse_limit() == "1"
    assert _join_collapse_limit() == "8"
    with pytest.raises(ZeroDivisionError), joins_as_written():
        1 / 0  # noqa: B018
    assert _join_collapse_limit() == "8"


def test_inside_a_callers_transaction_the_hint_is_set_back_on_the_way_out() -> None:
    from django.db import transaction

    with transaction.atomic():  # the caller's: it goes on after the hinted queries
        with joins_as_written():
            assert _join_collapse_limit() == "1"
        assert _join_collapse_limit() == "8"
