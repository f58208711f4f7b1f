"""The evidence library pages: full-text search, live results for htmx, verification."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from messaging.models import EvidenceItem
from tests.messaging.factories import CitationFactory, EvidenceFactory, MessageFactory

pytestmark = pytest.mark.django_db


def test_full_text_search_finds_words_in_any_order_and_ranks_claims_first(
    client, reviewer, team
) -> None:
    EvidenceFactory(owner_team=team, claim="Deliveries of air defence systems were halted.")
    EvidenceFactory(owner_team=team, claim="Unrelated", excerpt="halted deliveries mentioned")
    EvidenceFactory(owner_team=team, claim="Nothing to see here.")
    client.force_login(reviewer)
    page = client.get("/evidence/", {"q": "halted deliveries"}).content.decode()
    assert "Deliveries of air defence systems were halted." in page
    assert "Unrelated" in page
    assert "Nothing to see here." not in page
    assert page.index("Deliveries of air defence") < page.index("Unrelated")


def test_htmx_gets_only_the_results(client, reviewer, team) -> None:
    EvidenceFactory(owner_team=team, claim="Обещанная помощь так и не пришла.", language="ru")
    client.force_login(reviewer)
    response = client.get("/evidence/", {"q": "помощь"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results">')
    assert "<html" not in body
    assert "Обещанная помощь" in body


def test_filters_narrow_the_list(client, reviewer, team) -> None:
    EvidenceFactory(owner_team=team, claim="A verified item", verified=True)
    EvidenceFactory(owner_team=team, claim="An unverified item")
    client.force_login(reviewer)
    page = client.get("/evidence/", {"status": "verified"}).content.decode()
    assert "A verified item" in page
    assert "An unverified item" not in page
    assert client.get("/evidence/", {"status": "bogus"}).status_code == 200  # ignored, no 500


def test_another_teams_red_evidence_is_invisible(client, reviewer, other_team) -> None:
    secret = EvidenceFactory(owner_team=other_team, marking="red", claim="Secret red claim")
    client.force_login(reviewer)
    assert "Secret red claim" not in client.get("/evidence/").content.decode()
    assert client.get(f"/evidence/{secret.uuid}/").status_code == 404


def test_the_detail_hides_citations_in_messages_the_user_may_not_see(
    client, reviewer, team, other_team
) -> None:
    shared = EvidenceFactory(owner_team=team, marking="green", claim="A shared fact")
    CitationFactory(
        evidence=shared,
        message=MessageFactory(theme__owner_team=other_team, owner_team=other_team, marking="red"),
    )
    client.force_login(reviewer)
    page = client.get(f"/evidence/{shared.uuid}/").content.decode()
    assert "No message cites it." in page


def test_only_a_reviewer_gets_to_verify(client, planner, reviewer, team) -> None:
    item = EvidenceFactory(owner_team=team)
    client.force_login(planner)
    assert ">Verify</button>" not in client.get(f"/evidence/{item.uuid}/").content.decode()
    refused = client.post(f"/evidence/{item.uuid}/verify/", follow=True).content.decode()
    assert escape("You may not change the verification") in refused
    assert EvidenceItem.objects.get(pk=item.pk).status == "unverified"
    client.force_login(reviewer)
    client.post(f"/evidence/{item.uuid}/verify/")
    assert EvidenceItem.objects.get(pk=item.pk).status == "verified"
