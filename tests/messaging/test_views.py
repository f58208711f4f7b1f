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


CSV_HEADER = "claim,source_url,publisher,language,source_reliability,information_credibility\n"


def test_an_import_is_previewed_then_saved_all_at_once(client, planner, team) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    good = CSV_HEADER + (
        "Deliveries stopped in May.,https://www.example.org/a,Example,en,B,2\n"
        "Промисы не выполнены.,https://www.example.org/b,Пример,ru,C,3\n"
    )
    client.force_login(planner)
    preview = client.post(
        "/evidence/import/",
        {"team": team.uuid, "file": SimpleUploadedFile("e.csv", good.encode(), "text/csv")},
    ).content.decode()
    assert "2 items will be imported" in preview
    assert "Промисы не выполнены." in preview
    assert not EvidenceItem.objects.exists()  # a preview saves nothing
    done = client.post("/evidence/import/", {"team": team.uuid, "content": good, "confirm": "1"})
    assert done.status_code == 302
    assert EvidenceItem.objects.filter(owner_team=team, status="unverified").count() == 2


def test_an_import_with_a_bad_row_shows_every_row_error_and_saves_nothing(
    client, planner, team
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = CSV_HEADER + (
        "Fine row.,https://www.example.org/a,Example,en,B,2\nBad row.,not-a-url,Example,en,Z,9\n"
    )
    client.force_login(planner)
    page = client.post(
        "/evidence/import/",
        {"team": team.uuid, "file": SimpleUploadedFile("e.csv", bad.encode(), "text/csv")},
    ).content.decode()
    assert "Nothing was imported" in page
    assert "rows.3.source_url" in page
    assert "rows.3.source_reliability" in page
    assert "rows.2" not in page
    confirmed = client.post(
        "/evidence/import/", {"team": team.uuid, "content": bad, "confirm": "1"}
    )
    assert confirmed.status_code == 200
    assert not EvidenceItem.objects.exists()


def test_an_import_into_another_team_is_refused(client, planner, other_team) -> None:
    client.force_login(planner)
    page = client.post(
        "/evidence/import/", {"team": other_team.uuid, "content": CSV_HEADER + "x,y,z,en,A,1\n"}
    ).content.decode()
    assert "Choose one of your teams." in page
    assert not EvidenceItem.objects.exists()


def test_the_evidence_picker_shows_a_messages_citations_and_cites_more(
    client, planner, team, world
) -> None:
    extra = EvidenceFactory(owner_team=team, claim="A second source", verified=True)
    client.force_login(planner)
    panel = client.get(
        "/messages/citations/", {"message": world.message.uuid}, headers={"HX-Request": "true"}
    ).content.decode()
    assert escape(world.evidence.claim) in panel
    assert "A second source" in panel  # offered for citing
    refused = client.post(
        f"/messages/{world.message.uuid}/cite/",
        {"evidence": extra.uuid, "sentence": "Words the message never says."},
    ).content.decode()
    assert "The sentence must appear in the message text." in refused
    cited = client.post(
        f"/messages/{world.message.uuid}/cite/",
        {"evidence": extra.uuid, "sentence": "Rapoartele independente o confirmă."},
    ).content.decode()
    assert "Cited." in cited
    assert world.message.citations.filter(evidence=extra).exists()


def test_the_evidence_picker_knows_nothing_of_another_teams_red_message(
    client, outsider, team
) -> None:
    secret = MessageFactory(theme__owner_team=team, owner_team=team, marking="red")
    client.force_login(outsider)
    panel = client.get("/messages/citations/", {"message": secret.uuid}).content.decode()
    assert escape(secret.headline) not in panel
    assert client.post(f"/messages/{secret.uuid}/cite/", {}).status_code == 404


def test_the_page_links_of_a_filtered_list_keep_every_filter(client, reviewer, team) -> None:
    # The shared page links kept only the search text: page 2 of "verified, rated B" was page 2
    # of everything.
    EvidenceFactory.create_batch(26, owner_team=team, verified=True)
    EvidenceFactory(owner_team=team, claim="An unverified item")
    client.force_login(reviewer)
    page = client.get("/evidence/", {"status": "verified", "reliability": "B"}).content.decode()
    assert 'href="?status=verified&amp;reliability=B&amp;page=2"' in page
    second = client.get("/evidence/", {"status": "verified", "reliability": "B", "page": 2})
    assert "An unverified item" not in second.content.decode()
