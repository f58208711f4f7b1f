"""Schemathesis against /api/schema/, in-process (the WSGI app, real PostgreSQL and Redis),
with a team member's token: no 5xx, every response conforms to the schema (status, content
type, headers, body), and authentication is never ignored (each authenticated success is
replayed without the token and with a wrong one, and must be refused).

Bounded for CI: a fixed number of examples per operation and a fixed seed. For a longer run:
``CANDOR_SCHEMATHESIS_EXAMPLES=200 pytest tests/test_api_schemathesis.py``.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.services import token_create
from tests.api_world import TeamWorld

EXAMPLES = int(os.environ.get("CANDOR_SCHEMATHESIS_EXAMPLES", "5"))
SEED = int(os.environ.get("CANDOR_SCHEMATHESIS_SEED", "20261127"))

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
]

# Which of the team's objects a path's ``{id}`` may name (the rest get generated ids: 404s).
OBJECTS = {
    "/api/v1/activities/": ["draft", "in_review", "dispatched"],
    "/api/v1/campaigns/": ["campaign"],
    "/api/v1/evidence/": ["evidence", "fresh_evidence"],
    "/api/v1/messages/": ["message"],
    "/api/v1/themes/": ["theme"],
    "/api/v1/channels/": ["channel"],
    "/api/v1/audiences/": ["audience"],
    "/api/v1/report-subscriptions/": ["subscription"],
}


@pytest.fixture
def in_process(db: Any) -> Iterator[None]:
    """Serve requests on the test's own connection and transaction, as Django's test client
    does: a WSGI request otherwise closes "old" connections when it starts and ends."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def team(in_process: None) -> TeamWorld:
    # One team is enough here: keeping teams apart is the isolation matrix's job.
    world = TeamWorld("A")
    for name in {n for names in OBJECTS.values() for n in names}:
        world(name)
    return world


# Loaded at import, not through ``schemathesis.pytest.from_fixture``: its lazy loader reads
# ``Function._nodeid``, which pytest 9 no longer has. Generating the schema needs no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
# The token is ours to send (below), not Schemathesis' to generate or to leave out: leaving it
# out is ``ignored_auth``'s job, which replays every success without it and with a wrong one.
schema.config.generation.update(
    modes=["positive", "negative"], max_examples=EXAMPLES, with_security_parameters=False
)


def _point_at_real_objects(case: Any, team: TeamWorld) -> None:
    """Half the cases (chosen by a stable hash) name one of the team's own objects instead of a
    generated id, so the operations run against real rows, not only 404s."""
    if "id" not in (case.path_parameters or {}):
        return
    for prefix, names in OBJECTS.items():
        if case.operation.path.startswith(prefix):
            key = zlib.crc32(repr(sorted(case.path_parameters.items())).encode())
            if key % 2 == 0:
                case.path_parameters["id"] = str(team(names[key // 2 % len(names)]).uuid)
            return


@schema.parametrize()
@hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=False,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)
@hypothesis.seed(SEED)
@pytest.mark.django_db
def test_the_api_keeps_its_schema_and_never_fails(case: Any, team: TeamWorld) -> None:
    if not hasattr(team, "_token"):
        team._token = token_create(user=team.lead, name="schemathesis")[1]  # type: ignore[attr-defined]
    _point_at_real_objects(case, team)
    case.call_and_validate(
        headers={"Authorization": f"Token {team._token}"},  # type: ignore[attr-defined]
        checks=CHECKS,
    )
