"""Every page of the staff UI answers malformed path and query values with a page a person can
read (400, 404 or the page itself), never a server error. The URLs are read from the URL
configuration, so a page added later is walked too."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import UUIDConverter

pytestmark = pytest.mark.django_db

# Values a hand-edited URL or a stale link may carry, for every query parameter a page reads.
BAD_VALUES = [
    "not-a-uuid",
    "",
    "-1",
    "0",
    "99999999999999999999999",
    "2026-13-45",
    "2026-02",
    "abc-de",
    "%00",
    "' OR 1=1 --",
    "../../etc/passwd",
    str(uuid.uuid4()),
]
# Every query parameter the UI's views read (grep request.GET / request.POST in */views.py).
PARAMETERS = [
    "page",
    "audience",
    "month",
    "view",
    "day",
    "campaign",
    "message",
    "q",
    "status",
    "marking",
    "evidence",
    "sentence",
    "version",
    "channel",
    "owner",
    "scheduled_from",
    "scheduled_to",
    "sort",
    "name",
]
SKIPPED_PREFIXES = ("admin/", "api/", "^api/", "__", "static/", "media/")


def _ui_patterns(
    resolver: URLResolver | None = None, prefix: str = ""
) -> Iterator[tuple[str, Any]]:
    """(route, pattern) for every UI URL, with its route prefix."""
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(SKIPPED_PREFIXES):
            continue
        if isinstance(entry, URLResolver):
            yield from _ui_patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def _paths(route: str, pattern: URLPattern, objects: dict[str, str]) -> list[str]:
    """The route with its converters filled by a real object's id, by an unknown id, and (for
    slugs) by a nonsense word."""
    converters = getattr(pattern.pattern, "converters", {})
    if not converters:
        return ["/" + route.lstrip("^").rstrip("$")]
    filled: list[str] = []
    for value in (objects.get(route.split("/")[0], str(uuid.uuid4())), str(uuid.uuid4())):
        path = route
        for name, converter in converters.items():
            kind = "uuid" if isinstance(converter, UUIDConverter) else "slug"
            word = value if kind == "uuid" else "no-such-action"
            path = path.replace(f"<{kind}:{name}>", word)
        filled.append("/" + path)
    return filled


def test_no_ui_page_answers_malformed_input_with_a_server_error(
    client, world, approved, lead
) -> None:
    client.force_login(lead)
    client.raise_request_exception = False
    objects = {
        "campaigns": str(world.campaign.uuid),
        "activities": str(approved.uuid),
        "evidence": str(world.evidence.uuid),
        "messages": str(approved.message.uuid),
    }
    failures: list[str] = []
    walked = 0

    def walk(method: Any, path: str, data: dict[str, str]) -> None:
        nonlocal walked
        response = method(path, data)
        walked += 1
        # /health/ answers 503 when a part is down: that is its answer, not an error.
        if response.status_code >= 500 and not (path == "/health/" and response.status_code == 503):
            failures.append(f"{method.__name__.upper()} {path} {data!r}")
        if path == "/accounts/logout/":  # the walk goes on signed in
            client.force_login(lead)

    for route, pattern in _ui_patterns():
        for path in _paths(route, pattern, objects):
            for value in BAD_VALUES:  # every parameter at once, read or posted
                walk(client.get, path, dict.fromkeys(PARAMETERS, value))
                walk(client.post, path, dict.fromkeys(PARAMETERS, value))
            for name in PARAMETERS:  # each alone, so none hides another's refusal
                for value in BAD_VALUES[:4]:
                    walk(client.get, path, {name: value})
    assert walked > 1000
    assert client.get("/").status_code == 200  # still signed in: the pages were really walked
    assert not failures, "\n".join(failures[:40])


def test_a_malformed_campaign_filter_on_the_coverage_page_is_a_not_found(client, lead) -> None:
    client.force_login(lead)
    response = client.get("/coverage/?campaign=not-a-uuid")
    assert response.status_code == 404


def test_a_malformed_message_in_the_evidence_picker_shows_no_message(client, lead) -> None:
    client.force_login(lead)
    response = client.get("/messages/citations/?message=bogus")
    assert response.status_code == 200


def test_a_missing_page_is_the_sites_own_not_found_page(client, lead) -> None:
    client.force_login(lead)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "There is nothing here that you may see" in response.content.decode()
    assert 'href="#main"' in response.content.decode()  # the site's layout, with its skip link


def test_a_server_error_answers_with_a_page_that_needs_nothing_from_the_request(rf) -> None:
    from django.views.defaults import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "Candor could not finish this request" in response.content.decode()
