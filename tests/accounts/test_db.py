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


def test_inside_a_transaction_the_hint_is_set_back_only_for_someone_elses() -> None:
    from django.db import transaction

    from accounts.db import joins_as_written_in_transaction

    with transaction.atomic():  # a savepoint here: the test's transaction is someone else's
        with joins_as_written_in_transaction():
            assert _join_collapse_limit() == "1"
        assert _join_collapse_limit() == "8"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # as test_concurrency
def test_in_a_transaction_of_its_own_the_hint_lasts_until_commit() -> None:
    from django.db import transaction

    from accounts.db import joins_as_written_in_transaction

    with transaction.atomic():
        with joins_as_written_in_transaction():
            assert _join_collapse_limit() == "1"
        assert _join_collapse_limit() == "1"  # no statement spent undoing it
    assert _join_collapse_limit() == "8"
