"""The isolation matrix, generated from the OpenAPI schema itself.

Every operation × {team A member, team B member, staff of neither team, deactivated user,
anonymous} × {own object, foreign object}:

- anonymous and deactivated callers get 401 (the login excepted);
- another team's object answers exactly like a nonexistent one: 404, byte for byte the same;
- a related object of another team in a request body answers exactly like a nonexistent one;
- no response to anyone contains the ids or names of the other team's objects and people;
- the owner team's member gets the expected success on their own object;
- nothing is ever a 5xx.

``OPERATIONS`` must name every operation of the schema: a new endpoint without a row here fails
``test_every_operation_in_the_schema_is_covered`` — write its row, don't skip it.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tests.api_world import BODY, UNCITED, TeamWorld, TwoTeams, local_in

pytestmark = pytest.mark.django_db

Body = Callable[[TeamWorld], dict[str, Any]]


@dataclass(frozen=True)
class Op:
    """How to call one operation as the owner team's member, and what they should get."""

    expect: int
    obj: str | None = None  # the object named by ``{id}``; None for collection operations
    body: Body | None = None
    sub: dict[str, str] = field(default_factory=dict)  # other path parameters → objects
    shared: bool = False  # reference data every signed-in user may read (audiences)
    public: bool = False  # answers without a token (the login)
    multipart: bool = False


def version(name: str, **extra: Any) -> Body:
    return lambda t: {"version": t.refresh(name).version, **extra}


def csv_file(t: TeamWorld) -> dict[str, Any]:
    content = (
        "claim,source_url,publisher,language,source_reliability,information_credibility\n"
        f"Imported claim ({t.key}),https://www.example.org/import,Example,en,C,3\n"
    )
    return {
        "owner_team": str(t.team.uuid),
        "file": SimpleUploadedFile("evidence.csv", content.encode(), "text/csv"),
    }


OPERATIONS: dict[str, Op] = {
    # accounts
    "auth_token_create": Op(
        201, public=True, body=lambda t: {"username": t.lead.username, "password": "pw"}
    ),
    "auth_tokens_list": Op(200),
    "auth_tokens_revoke": Op(204, obj="token"),
    "me_retrieve": Op(200),
    "teams_list": Op(200),
    # audiences
    "audiences_list": Op(200),
    "audiences_retrieve": Op(200, obj="audience", shared=True),
    "channels_list": Op(200),
    "channels_create": Op(
        201,
        body=lambda t: {
            "owner_team": str(t.team.uuid),
            "kind": "email",
            "name": "Diaspora newsletter",
            "email_recipients": ["diaspora@candor.test"],
        },
    ),
    "channels_retrieve": Op(200, obj="channel"),
    "channels_partial_update": Op(200, obj="channel", body=lambda t: {"name": "Renamed"}),
    # messaging
    "themes_list": Op(200),
    "themes_create": Op(
        201,
        body=lambda t: {
            "owner_team": str(t.team.uuid),
            "title": "Reliable allies",
            "summary": "Commitments kept, on time.",
        },
    ),
    "themes_retrieve": Op(200, obj="theme"),
    "themes_partial_update": Op(200, obj="theme", body=lambda t: {"summary": "Sharper."}),
    "evidence_list": Op(200),
    "evidence_create": Op(
        201,
        body=lambda t: {
            "owner_team": str(t.team.uuid),
            "claim": "Only 12% of the promised equipment arrived.",
            "source_url": "https://www.example.org/audit",
            "publisher": "Example Audit Office",
            "language": "en",
            "source_reliability": "A",
            "information_credibility": 2,
        },
    ),
    "evidence_retrieve": Op(200, obj="evidence"),
    "evidence_partial_update": Op(
        200, obj="fresh_evidence", body=lambda t: {"publisher": "Example Monitor"}
    ),
    "evidence_verify": Op(200, obj="fresh_evidence", body=lambda t: {}),
    "evidence_dispute": Op(200, obj="fresh_evidence", body=lambda t: {"reason": "One source."}),
    "evidence_retract": Op(200, obj="fresh_evidence", body=lambda t: {"reason": "Withdrawn."}),
    "evidence_import": Op(201, body=csv_file, multipart=True),
    "messages_list": Op(200),
    "messages_create": Op(
        201,
        body=lambda t: {
            "theme": str(t("theme").uuid),
            "language": "ro",
            "headline": "Un aliat lăsat singur",
            "body": BODY,
            "citations": [{"evidence": str(t("evidence").uuid), "sentence": UNCITED}],
        },
    ),
    "messages_retrieve": Op(200, obj="message"),
    "messages_partial_update": Op(200, obj="message", body=lambda t: {"headline": "Nou"}),
    "messages_citations_add": Op(
        201,
        obj="message",
        body=lambda t: {"evidence": str(t("fresh_evidence").uuid), "sentence": UNCITED},
    ),
    "messages_citations_destroy": Op(204, obj="message", sub={"evidence_id": "evidence"}),
    "messages_evidence_packet": Op(200, obj="message"),
    # campaigns
    "campaigns_list": Op(200),
    "campaigns_create": Op(
        201,
        body=lambda t: {
            "owner_team": str(t.team.uuid),
            "name": "A second campaign",
            "objective": "Reach students.",
            "starts_on": str(local_in(1).date()),
            "ends_on": str(local_in(60).date()),
            "attributed_to": "Ministry spokesperson",
            "audiences": [str(t("audience").uuid)],
            "themes": [str(t("theme").uuid)],
        },
    ),
    "campaigns_retrieve": Op(200, obj="campaign"),
    "campaigns_partial_update": Op(200, obj="campaign", body=lambda t: {"objective": "Sharper."}),
    "campaigns_set_status": Op(200, obj="campaign", body=lambda t: {"status": "active"}),
    "campaigns_schedule": Op(200, obj="campaign"),
    "activities_list": Op(200),
    "activities_create": Op(
        201,
        body=lambda t: {
            "campaign": str(t("campaign").uuid),
            "title": "Radio interview",
            "audience": str(t("audience").uuid),
            "message": str(t("message").uuid),
            "channel": str(t("channel").uuid),
            "scheduled_local": local_in(8).isoformat(),
        },
    ),
    "activities_retrieve": Op(200, obj="draft"),
    "activities_partial_update": Op(200, obj="draft", body=version("draft", title="Renamed")),
    "activities_submit": Op(200, obj="draft", body=version("draft")),
    "activities_approve": Op(200, obj="in_review", body=version("in_review")),
    "activities_request_changes": Op(
        200, obj="in_review", body=version("in_review", comment="Find a second source.")
    ),
    "activities_cancel": Op(200, obj="draft", body=version("draft")),
    "activities_outcome": Op(
        200, obj="dispatched", body=version("dispatched", reach=100, engagement=7)
    ),
    "activities_retry": Op(200, obj="failed", body=version("failed")),
    "activities_mark_done": Op(
        200, obj="awaiting_officer", body=version("awaiting_officer", note="Held as planned.")
    ),
    "activities_history": Op(200, obj="draft"),
    "activities_evidence_packet": Op(200, obj="draft"),
    "activities_export": Op(200),
    "report_subscriptions_list": Op(200),
    "report_subscriptions_create": Op(
        201,
        body=lambda t: {
            "team": str(t.team.uuid),
            "cadence": "daily",
            "send_time": "08:00",
            "timezone": "Europe/Minsk",
        },
    ),
    "report_subscriptions_retrieve": Op(200, obj="subscription"),
    "report_subscriptions_latest_html": Op(200, obj="subscription"),
    "report_subscriptions_latest_pdf": Op(200, obj="subscription"),
    "report_subscriptions_partial_update": Op(
        200, obj="subscription", body=lambda t: {"is_active": False}
    ),
}


def schema_operations() -> dict[str, tuple[str, str]]:
    """``{operationId: (method, path)}`` from the live schema."""
    schema = json.loads(APIClient().get("/api/schema/", {"format": "json"}).content)
    return {
        operation["operationId"]: (method.upper(), path)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    }


SCHEMA_OPERATIONS: dict[str, tuple[str, str]] = {}


def operation(operation_id: str) -> tuple[str, str]:
    if not SCHEMA_OPERATIONS:
        SCHEMA_OPERATIONS.update(schema_operations())
    return SCHEMA_OPERATIONS[operation_id]


def test_every_operation_in_the_schema_is_covered() -> None:
    assert set(schema_operations()) == set(OPERATIONS)


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _call(client: APIClient, method: str, url: str, body: dict | None, multipart: bool) -> Any:
    kwargs: dict[str, Any] = {}
    if body is not None:
        kwargs = {"data": body, "format": "multipart" if multipart else "json"}
    return getattr(client, method.lower())(url, **kwargs)


def _url(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)


def _without(body: dict[str, Any] | None, private: set[str]) -> dict[str, Any] | None:
    """``body`` with every private id replaced by an id that exists nowhere."""
    if body is None:
        return None
    fresh = {old: str(uuid.uuid4()) for old in private}

    def swap(value: Any) -> Any:
        if isinstance(value, str):
            return _UUID.sub(lambda m: fresh.get(m.group(0), m.group(0)), value)
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        return value

    return swap(body)


def _assert_no_leak(response: Any, other: TeamWorld, context: str) -> None:
    text = response.content.decode(errors="replace")
    leaked = {i for i in other.private_ids() if i in text}
    leaked |= {n for n in other.private_names() if re.search(rf"\b{re.escape(n)}\b", text)}
    assert not leaked, f"{context}: leaked {leaked}"


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_no_operation_leaks_across_teams(operation_id: str) -> None:
    op = OPERATIONS[operation_id]
    method, path = operation(operation_id)
    world = TwoTeams()
    a, b = world.a, world.b
    # Both teams hold one of everything the operation touches (and a message, a campaign and
    # an activity each, so lists have something to leak).
    for team in (a, b):
        for name in {op.obj, *op.sub.values(), "draft"} - {None}:
            team(name)  # type: ignore[arg-type]

    def ids_of(team: TeamWorld) -> dict[str, str]:
        names = {"id": op.obj, **op.sub}
        return {param: str(team(name).uuid) for param, name in names.items() if name}

    a_url, b_url = _url(path, ids_of(a)), _url(path, ids_of(b))
    missing_url = _url(path, {p: str(uuid.uuid4()) for p in re.findall(r"\{(\w+)\}", path)})

    def call(persona: str, url: str, body: dict | None) -> Any:
        response = _call(world.client(persona), method, url, body, op.multipart)
        assert response.status_code < 500, (persona, url, response.content[:300])
        if response.status_code >= 400:
            assert response["Content-Type"] == "application/problem+json"
        return response

    # 1. No token, or a deactivated user's token: 401 before anything else.
    for persona in ("anonymous", "deactivated"):
        response = call(persona, a_url, op.body(a) if op.body else None)
        if op.public:
            assert response.status_code == op.expect, (persona, response.content[:300])
        else:
            assert response.status_code == 401, (persona, response.content[:300])
            assert response.json()["code"] in ("not_authenticated", "authentication_failed")
        _assert_no_leak(response, a, f"{operation_id} as {persona}")

    # 2. Another team's object is exactly a missing one: B and staff elsewhere ask for A's,
    #    A asks for B's.
    if op.obj and not op.shared:
        for persona, url, owner in (
            ("member_b", a_url, a),
            ("staff", a_url, a),
            ("member_a", b_url, b),
        ):
            body = op.body(owner) if op.body else None
            foreign = call(persona, url, body)
            missing = call(persona, missing_url, body)
            assert foreign.status_code == 404, (persona, foreign.content[:300])
            assert foreign.content == missing.content, persona
            assert foreign["Content-Type"] == missing["Content-Type"]

    # 3. A collection write naming another team's objects is refused like one naming
    #    objects that do not exist (same status, same body).
    if not op.obj and op.body and not op.public:
        for persona, owner in (("member_b", a), ("staff", a)):
            refused = call(persona, path, op.body(owner))
            missing = call(persona, path, _without(op.body(owner), owner.private_ids()))
            assert refused.status_code in (400, 403, 404), (persona, refused.content[:300])
            assert (refused.status_code, refused.content) == (
                missing.status_code,
                missing.content,
            ), persona
            _assert_no_leak(refused, owner, f"{operation_id} as {persona}")
        reverse = call("member_a", path, op.body(b))
        assert reverse.status_code in (400, 403, 404), reverse.content[:300]

    # 4. Collection reads (lists, exports, me) show nobody anything of another team.
    if method == "GET" and not op.obj:
        for persona, other in (
            ("member_a", b),
            ("member_b", a),
            ("staff", a),
            ("staff", b),
        ):
            response = call(persona, path, None)
            assert response.status_code == op.expect, (persona, response.content[:300])
            _assert_no_leak(response, other, f"{operation_id} as {persona}")
    if op.shared:
        for persona in ("member_b", "staff"):
            assert call(persona, a_url, None).status_code == op.expect

    # 5. The owner team's member gets what they asked for (last: it may change things).
    response = call("member_a", a_url if op.obj else path, op.body(a) if op.body else None)
    assert response.status_code == op.expect, response.content[:500]
    _assert_no_leak(response, b, f"{operation_id} as member_a")
