"""Signing in for a token, listing and revoking tokens, and the limits on failed logins."""

from __future__ import annotations

import base64
import datetime as dt
import random
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone
from rest_framework.settings import api_settings
from rest_framework.test import APIClient, APIRequestFactory

from accounts.models import ApiToken, Role
from accounts.services import token_create
from tests.accounts.factories import member
from tests.problems import field_errors, problem

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/token/"
TOKENS = "/api/v1/auth/tokens/"


def random_address() -> str:
    """A fresh client address: the login throttle and lockouts are per address."""
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


def test_it_issues_a_token_that_is_stored_only_as_a_digest(planner) -> None:
    response = APIClient().post(
        LOGIN, {"username": "planner", "password": "pw", "name": "newsroom sync"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    token = body["token"]
    row = ApiToken.objects.get(uuid=body["id"])
    assert (row.user, row.name) == (planner, "newsroom sync")
    assert token not in {row.digest, row.token_key}
    assert len(row.digest) == 128
    assert not ApiToken.objects.filter(digest=token).exists()
    expiry = dt.datetime.fromisoformat(body["expiry"])
    assert timezone.now() + dt.timedelta(days=6) < expiry < timezone.now() + dt.timedelta(days=8)

    me = APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["username"] == "planner"
    assert me.json()["memberships"][0]["role"] == Role.PLANNER
    planner.refresh_from_db()
    assert planner.last_login is not None


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(planner) -> None:
    wrong = APIClient().post(LOGIN, {"username": "planner", "password": "nope"})
    unknown = APIClient().post(LOGIN, {"username": "nobody", "password": "nope"})
    body = problem(wrong, 400)
    assert body["errors"][0]["code"] == "invalid_credentials"
    assert wrong.content == unknown.content


def test_a_deactivated_user_cannot_sign_in_and_their_tokens_stop_working(api, planner) -> None:
    client = api(planner)
    planner.is_active = False
    planner.save()
    assert APIClient().post(LOGIN, {"username": "planner", "password": "pw"}).status_code == 400
    assert problem(client.get("/api/v1/me/"), 401)["code"] == "authentication_failed"


def test_login_rejects_unknown_fields_and_wrong_types(planner) -> None:
    response = APIClient().post(
        LOGIN, {"username": "planner", "password": "pw", "remember_me": True}, format="json"
    )
    assert field_errors(response) == {"remember_me": ["unknown_field"]}
    response = APIClient().post(LOGIN, {"username": ["planner"], "password": 3}, format="json")
    assert set(field_errors(response)) == {"username", "password"}
    response = APIClient().post(LOGIN, "[1, 2]", content_type="application/json")
    assert problem(response, 400)["errors"][0]["attr"] == "non_field_errors"
    response = APIClient().post(LOGIN, "{not json", content_type="application/json")
    assert problem(response, 400)["code"] == "parse_error"


def test_every_other_endpoint_needs_a_token(planner) -> None:
    body = problem(APIClient().get("/api/v1/me/"), 401)
    assert body["code"] == "not_authenticated"
    response = APIClient(HTTP_AUTHORIZATION="Token " + "0" * 64).get("/api/v1/me/")
    assert problem(response, 401)["code"] == "authentication_failed"
    assert response["WWW-Authenticate"] == "Token"


def test_it_lists_only_the_callers_own_live_tokens(api, planner, reviewer) -> None:
    client = api(planner)
    api(planner)  # a second token of the planner's
    api(reviewer)
    expired = ApiToken.objects.create(user=planner, expiry=dt.timedelta(seconds=-1), name="old")
    response = client.get(TOKENS)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) == 2
    assert {r["name"] for r in rows} == {"tests"}
    assert sorted(r["current"] for r in rows) == [False, True]
    assert str(expired[0].uuid) not in response.content.decode()
    assert "digest" not in rows[0]
    assert "token" not in rows[0]


def test_a_revoked_token_stops_working_at_once(planner) -> None:
    created = APIClient().post(LOGIN, {"username": "planner", "password": "pw"}).json()
    client = APIClient(HTTP_AUTHORIZATION=f"Token {created['token']}")
    assert client.delete(f"{TOKENS}{created['id']}/").status_code == 204
    assert problem(client.get("/api/v1/me/"), 401)["code"] == "authentication_failed"
    assert not ApiToken.objects.filter(uuid=created["id"]).exists()


def test_another_users_token_cannot_be_revoked_and_looks_missing(api, planner, reviewer) -> None:
    api(reviewer)
    theirs = ApiToken.objects.get(user=reviewer)
    client = api(planner)
    foreign = client.delete(f"{TOKENS}{theirs.uuid}/")
    missing = client.delete(f"{TOKENS}00000000-0000-4000-8000-000000000000/")
    problem(foreign, 404)
    assert foreign.content == missing.content
    assert problem(client.delete(f"{TOKENS}not-a-uuid/"), 404) == missing.json()
    assert ApiToken.objects.filter(pk=theirs.pk).exists()


def test_an_expired_token_is_refused_and_deleted(planner) -> None:
    created = APIClient().post(LOGIN, {"username": "planner", "password": "pw"}).json()
    client = APIClient(HTTP_AUTHORIZATION=f"Token {created['token']}")
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        assert problem(client.get("/api/v1/me/"), 401)["code"] == "authentication_failed"
    assert not ApiToken.objects.filter(uuid=created["id"]).exists()


def test_a_request_is_authenticated_in_one_query_and_other_tokens_are_left_alone(
    planner, django_assert_num_queries
) -> None:
    from accounts.api.auth import TokenAuthentication

    _, token = token_create(user=planner)
    stale = ApiToken.objects.create(user=planner, expiry=dt.timedelta(seconds=-1), name="old")
    request = APIRequestFactory().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")
    with django_assert_num_queries(1):  # knox itself reads all the user's tokens as well
        user, _ = TokenAuthentication().authenticate(request)
    assert user == planner
    assert ApiToken.objects.filter(pk=stale[0].pk).exists()


def test_issuing_a_token_sweeps_the_users_expired_ones(planner, reviewer) -> None:
    stale = ApiToken.objects.create(user=planner, expiry=dt.timedelta(seconds=-1), name="old")
    theirs = ApiToken.objects.create(user=reviewer, expiry=dt.timedelta(seconds=-1), name="old")
    token_create(user=planner)
    assert not ApiToken.objects.filter(pk=stale[0].pk).exists()
    assert ApiToken.objects.filter(pk=theirs[0].pk).exists()


@override_settings(CANDOR_API_TOKENS_PER_USER=2)
def test_a_user_holds_a_bounded_number_of_live_tokens(planner) -> None:
    for _ in range(2):
        assert APIClient().post(LOGIN, {"username": "planner", "password": "pw"}).status_code == 201
    response = APIClient().post(LOGIN, {"username": "planner", "password": "pw"})
    assert problem(response, 422)["code"] == "token_limit"


def test_repeated_failed_logins_lock_the_username_at_that_address(settings, planner) -> None:
    address = random_address()
    client = APIClient(REMOTE_ADDR=address)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        problem(client.post(LOGIN, {"username": "planner", "password": "guess"}), 400)
    locked = client.post(LOGIN, {"username": "planner", "password": "guess"})
    assert problem(locked, 429)["code"] == "locked_out"
    assert int(locked["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    # Even the right password is refused now, from that address…
    problem(client.post(LOGIN, {"username": "planner", "password": "pw"}), 429)
    # …but not from another address, and not for another user.
    other = APIClient(REMOTE_ADDR=random_address())
    assert other.post(LOGIN, {"username": "planner", "password": "pw"}).status_code == 201
    member_elsewhere = member(planner.teams.first(), Role.VIEWER, username="colleague")
    assert (
        client.post(LOGIN, {"username": member_elsewhere.username, "password": "pw"}).status_code
        == 201
    )
    # The lock lifts after the cool-off.
    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME + dt.timedelta(seconds=5)):
        assert client.post(LOGIN, {"username": "planner", "password": "pw"}).status_code == 201


def test_the_login_is_throttled_per_address(settings, planner) -> None:
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "login": "3/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    address = random_address()
    try:
        client = APIClient(REMOTE_ADDR=address)
        for _ in range(3):
            assert client.post(LOGIN, {"username": "planner", "password": "pw"}).status_code == 201
        throttled = client.post(LOGIN, {"username": "planner", "password": "pw"})
        assert problem(throttled, 429)["code"] == "throttled"
        assert int(throttled["Retry-After"]) > 0
    finally:
        cache.delete(f"throttle_login_{address}")


def test_requests_are_throttled_per_token(settings, api, planner) -> None:
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "token": "2/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    first, second = api(planner), api(planner)
    assert first.get("/api/v1/me/").status_code == 200
    assert first.get("/api/v1/me/").status_code == 200
    assert problem(first.get("/api/v1/me/"), 429)["code"] == "throttled"
    assert second.get("/api/v1/me/").status_code == 200  # another token, its own allowance


def test_it_lists_the_callers_teams_with_their_members(api, planner, reviewer, outsider) -> None:
    response = api(planner).get("/api/v1/teams/")
    assert response.status_code == 200
    [team] = response.json()["results"]
    assert team["name"] == "Public Diplomacy Desk"
    assert {m["user"]["username"]: m["role"] for m in team["members"]} == {
        "planner": "planner",
        "reviewer": "reviewer",
    }
    assert "outsider" not in response.content.decode()


def test_token_pages_never_carry_a_digest(api, planner) -> None:
    client = api(planner)
    for _ in range(3):
        api(planner)
    digests = set(ApiToken.objects.values_list("digest", flat=True))
    page = client.get(TOKENS, {"page_size": 1})
    assert page.json()["next"]
    seen = []
    url = f"{TOKENS}?page_size=1"
    while url:
        response = client.get(url)
        decoded = base64.b64decode(
            parse_qs(urlsplit(url).query).get("cursor", [""])[0] + "=="
        ).decode(errors="ignore")
        assert not any(d in decoded or d[:15] in decoded for d in digests)
        seen += [row["id"] for row in response.json()["results"]]
        url = response.json()["next"]
    assert len(seen) == len(set(seen)) == 4
