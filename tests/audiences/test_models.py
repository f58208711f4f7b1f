"""Scheduling in the audience's local time, across daylight-saving changes."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.errors import RuleViolation
from tests.audiences.factories import seeded

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def test_nine_in_almaty_is_stored_in_utc_and_shown_back_as_nine() -> None:
    almaty = seeded("kazakhstan")
    stored = almaty.to_utc(dt.datetime(2027, 3, 10, 9, 0))
    assert stored.tzinfo is not None
    assert stored.utcoffset() == dt.timedelta(0)
    assert stored == dt.datetime(2027, 3, 10, 4, 0, tzinfo=UTC)  # Almaty is UTC+5
    assert almaty.to_local(stored).strftime("%Y-%m-%d %H:%M") == "2027-03-10 09:00"


def test_local_nine_keeps_its_meaning_across_the_chisinau_dst_change() -> None:
    moldova = seeded("moldova")
    # Clocks go forward on 2027-03-28 (UTC+2 → UTC+3).
    before = moldova.to_utc(dt.datetime(2027, 3, 27, 9, 0))
    after = moldova.to_utc(dt.datetime(2027, 3, 28, 9, 0))
    assert before == dt.datetime(2027, 3, 27, 7, 0, tzinfo=UTC)
    assert after == dt.datetime(2027, 3, 28, 6, 0, tzinfo=UTC)
    assert moldova.to_local(after).hour == 9


def test_a_time_that_does_not_exist_locally_is_refused() -> None:
    moldova = seeded("moldova")
    with pytest.raises(RuleViolation) as error:
        moldova.to_utc(dt.datetime(2027, 3, 28, 2, 30))  # skipped: 02:00 → 03:00
    assert error.value.field == "scheduled_at"
    assert "does not exist" in error.value.message


def test_an_ambiguous_local_time_means_its_first_occurrence() -> None:
    moldova = seeded("moldova")
    # Clocks go back on 2027-10-31 at 03:00 → 02:00; 02:30 happens twice (UTC+3, then UTC+2).
    first = moldova.to_utc(dt.datetime(2027, 10, 31, 2, 30))
    assert first == dt.datetime(2027, 10, 30, 23, 30, tzinfo=UTC)
