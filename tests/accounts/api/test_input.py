"""The input rules every endpoint shares (``config.api.serializers.InputSerializer``): unknown
fields are refused, and JSON values, list items included, must have the declared type."""

from __future__ import annotations

import pytest

from tests.messaging.factories import ThemeFactory
from tests.problems import field_errors

pytestmark = pytest.mark.django_db


def test_json_list_items_must_have_the_declared_type_too(api, team, planner) -> None:
    theme = ThemeFactory(owner_team=team)
    response = api(planner).patch(
        f"/api/v1/themes/{theme.uuid}/", {"tags": ["C00030", 0, True], "key_points": "one"}
    )
    assert field_errors(response) == {
        "tags.1": ["invalid_type"],
        "tags.2": ["invalid_type"],
        "key_points": ["not_a_list"],
    }
