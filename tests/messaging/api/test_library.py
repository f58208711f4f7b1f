"""Themes, evidence and messages through the API: TLP scoping, the verification workflow, the
CSV import, citations, and a message's evidence packet."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Marking, Role
from campaigns.models import ActivityStatus
from messaging.models import EvidenceItem
from tests.accounts.factories import member
from tests.messaging.factories import CitationFactory, EvidenceFactory, ThemeFactory
from tests.problems import field_errors, problem

pytestmark = pytest.mark.django_db

HEADER = "claim,source_url,publisher,language,source_reliability,information_credibility"


# --- TLP -----------------------------------------------------------------------------------


def test_markings_decide_who_sees_library_items(api, team, other_team, outsider) -> None:
    items = {m: ThemeFactory(owner_team=team, marking=m, title=m) for m in Marking.values}
    client = api(outsider)
    titles = {t["title"] for t in client.get("/api/v1/themes/").json()["results"]}
    assert titles == {"clear", "green"}
    problem(client.get(f"/api/v1/themes/{items['red'].uuid}/"), 404)
    problem(client.get(f"/api/v1/themes/{items['amber'].uuid}/"), 404)
    loner = member(ThemeFactory().owner_team, Role.VIEWER)  # a team of its own, nothing shared
    assert {t["title"] for t in api(loner).get("/api/v1/themes/").json()["results"]} >= {
        "clear",
        "green",
    }


def test_a_green_item_is_seen_but_not_edited_by_another_team(api, team, outsider) -> None:
    theme = ThemeFactory(owner_team=team, marking=Marking.GREEN)
    response = api(outsider).patch(f"/api/v1/themes/{theme.uuid}/", {"summary": "Ours now."})
    assert problem(response, 403)["code"] == "not_permitted"


def test_a_theme_is_created_for_one_of_ones_own_teams(api, team, other_team, planner) -> None:
    client = api(planner)
    created = client.post(
        "/api/v1/themes/",
        {
            "owner_team": str(team.uuid),
            "title": "Allies",
            "summary": "Kept promises.",
            "key_points": ["Deliveries, not declarations."],
            "tags": ["C00156"],
        },
    )
    assert created.status_code == 201, created.content
    assert created.json()["marking"] == "amber"
    foreign = client.post(
        "/api/v1/themes/", {"owner_team": str(other_team.uuid), "title": "X", "summary": "Y"}
    )
    assert field_errors(foreign) == {"owner_team": ["does_not_exist"]}
    assert foreign.json()["errors"][0]["detail"] == "No such team."
    duplicate = client.post(
        "/api/v1/themes/", {"owner_team": str(team.uuid), "title": "Allies", "summary": "Again."}
    )
    assert field_errors(duplicate) == {"title": ["invalid"]}


# --- evidence ------------------------------------------------------------------------------


def test_evidence_is_created_unverified_with_its_admiralty_code(api, team, planner) -> None:
    response = api(planner).post(
        "/api/v1/evidence/",
        {
            "owner_team": str(team.uuid),
            "claim": "Only 12% of the promised equipment arrived.",
            "source_url": "https://www.example.org/audit",
            "publisher": "Example Audit Office",
            "published_on": "2026-03-01",
            "language": "en",
            "source_reliability": "A",
            "information_credibility": 2,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["admiralty_code"]) == ("unverified", "A2")
    assert body["verification"] == {"status": "unverified", "by": None, "at": None, "reason": ""}


def test_evidence_input_is_checked_field_by_field(api, team, planner) -> None:
    response = api(planner).post(
        "/api/v1/evidence/",
        {
            "owner_team": str(team.uuid),
            "claim": "",
            "source_url": "not a url",
            "publisher": "X",
            "language": "Russian",
            "source_reliability": "G",
            "information_credibility": 9,
        },
    )
    assert field_errors(response) == {
        "claim": ["blank"],
        "source_reliability": ["invalid_choice"],
        "information_credibility": ["max_value"],
    }
    response = api(planner).post(
        "/api/v1/evidence/",
        {
            "owner_team": str(team.uuid),
            "claim": "A claim.",
            "source_url": "not a url",
            "publisher": "X",
            "language": "Russian",
            "source_reliability": "B",
            "information_credibility": 2,
        },
    )
    assert set(field_errors(response)) == {"source_url", "language"}


def test_only_reviewers_verify_and_withdrawing_needs_a_reason(
    api, team, planner, reviewer, approved
) -> None:
    evidence = EvidenceFactory(owner_team=team)
    url = f"/api/v1/evidence/{evidence.uuid}/"
    assert problem(api(planner).post(f"{url}verify/", {}), 403)["code"] == "not_permitted"
    verified = api(reviewer).post(f"{url}verify/", {"reason": "Checked the archive."})
    assert verified.json()["verification"]["by"]["username"] == "reviewer"
    assert field_errors(api(reviewer).post(f"{url}dispute/", {})) == {"reason": ["required"]}
    assert field_errors(api(reviewer).post(f"{url}dispute/", {"reason": " "})) == {
        "reason": ["blank"]
    }
    retracted = api(reviewer).post(f"{url}retract/", {"reason": "Withdrawn by the publisher."})
    assert retracted.json()["status"] == "retracted"
    again = api(reviewer).post(f"{url}verify/", {})
    assert problem(again, 409)["detail"] == "Evidence that is retracted cannot become verified."


def test_disputing_cited_evidence_recalls_approved_activities(api, approved, reviewer, world):
    response = api(reviewer).post(
        f"/api/v1/evidence/{world.evidence.uuid}/dispute/", {"reason": "One anonymous source."}
    )
    assert response.json()["status"] == "disputed"
    approved.refresh_from_db()
    assert approved.status == ActivityStatus.CHANGES_REQUESTED


def test_verified_evidence_cannot_be_rewritten(api, world, planner) -> None:
    response = api(planner).patch(
        f"/api/v1/evidence/{world.evidence.uuid}/", {"claim": "Something stronger."}
    )
    assert problem(response, 409)["detail"].startswith("Verified evidence cannot be edited")


def test_evidence_filters_by_verification_status_and_search(api, team, planner) -> None:
    EvidenceFactory(owner_team=team, claim="Promised jets never came.", verified=True)
    EvidenceFactory(owner_team=team, claim="Ammunition arrived late.")
    client = api(planner)

    def claims(**params):
        return [e["claim"] for e in client.get("/api/v1/evidence/", params).json()["results"]]

    assert claims(status="verified") == ["Promised jets never came."]
    assert claims(search="ammunition") == ["Ammunition arrived late."]
    assert len(claims(source_reliability=["B", "C"])) == 2
    assert field_errors(client.get("/api/v1/evidence/", {"status": "true"})) == {
        "status": ["invalid_choice"]
    }


def test_a_csv_import_is_all_or_nothing_with_row_errors(api, team, planner) -> None:
    client = api(planner)
    rows = [
        HEADER,
        "One,https://www.example.org/1,Example,en,A,1",
        "Two,nope,Example,en,A,1",
        "Three,https://www.example.org/3,Example,en,B,8",
    ]
    upload = SimpleUploadedFile("e.csv", "\n".join(rows).encode(), "text/csv")
    response = client.post(
        "/api/v1/evidence/import/",
        {"owner_team": str(team.uuid), "file": upload},
        format="multipart",
    )
    body = problem(response, 400)
    assert [(e["attr"], e["pointer"]) for e in body["errors"]] == [
        ("rows.3.source_url", "/rows/3/source_url"),
        ("rows.4.information_credibility", "/rows/4/information_credibility"),
    ]
    assert not EvidenceItem.objects.exists()
    upload = SimpleUploadedFile("e.csv", "\n".join(rows[:2]).encode(), "text/csv")
    response = client.post(
        "/api/v1/evidence/import/",
        {"owner_team": str(team.uuid), "file": upload},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["created"] == 1


def test_an_import_that_is_not_utf8_csv_is_refused(api, team, planner) -> None:
    upload = SimpleUploadedFile("e.csv", "claim\nÎn".encode("utf-16"), "text/csv")
    response = api(planner).post(
        "/api/v1/evidence/import/",
        {"owner_team": str(team.uuid), "file": upload},
        format="multipart",
    )
    assert field_errors(response) == {"file": ["invalid"]}
    json_body = api(planner).post("/api/v1/evidence/import/", {"owner_team": str(team.uuid)})
    assert problem(json_body, 415)["code"] == "unsupported_media_type"


# --- messages ------------------------------------------------------------------------------


def test_a_message_is_written_with_citations(api, world, planner) -> None:
    response = api(planner).post(
        "/api/v1/messages/",
        {
            "theme": str(world.theme.uuid),
            "language": "ro",
            "headline": "Un aliat lăsat singur",
            "body": "Aliatul nu a primit sprijinul promis. Restul e tăcere.",
            "audience": str(world.audience.uuid),
            "citations": [
                {
                    "evidence": str(world.evidence.uuid),
                    "sentence": "Aliatul nu a primit sprijinul promis.",
                }
            ],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["citations"][0]["evidence"]["admiralty_code"] == "B2"
    assert (body["version"], body["restricted_citations"]) == (1, 0)


def test_a_citation_must_quote_the_message_and_cite_usable_evidence(
    api, world, planner, reviewer, team
) -> None:
    client = api(planner)
    url = f"/api/v1/messages/{world.message.uuid}/citations/"
    other = EvidenceFactory(owner_team=team)
    misquoted = client.post(url, {"evidence": str(other.uuid), "sentence": "Never said."})
    assert field_errors(misquoted) == {"sentence": ["invalid"]}
    api(reviewer).post(f"/api/v1/evidence/{other.uuid}/retract/", {"reason": "Fake."})
    retracted = client.post(
        url, {"evidence": str(other.uuid), "sentence": "Rapoartele independente o confirmă."}
    )
    assert problem(retracted, 422)["detail"] == "Retracted evidence cannot be cited."
    nested = client.post(
        "/api/v1/messages/",
        {
            "theme": str(world.theme.uuid),
            "language": "ro",
            "headline": "H",
            "body": "B.",
            "citations": [{"evidence": "nope", "sentence": "B.", "weight": 3}],
        },
    )
    assert field_errors(nested) == {
        "citations.0.evidence": ["invalid"],
        "citations.0.weight": ["unknown_field"],
    }


def test_editing_the_text_or_removing_a_citation_unfreezes_approvals(
    api, approved, planner, world
) -> None:
    client = api(planner)
    url = f"/api/v1/messages/{world.message.uuid}/"
    edited = client.patch(url, {"headline": "Promisiuni încălcate"})
    assert edited.json()["version"] == 2
    approved.refresh_from_db()
    assert approved.status == ActivityStatus.CHANGES_REQUESTED
    removed = client.delete(f"{url}citations/{world.evidence.uuid}/")
    assert removed.status_code == 204
    assert client.get(url).json()["citations"] == []
    assert problem(client.delete(f"{url}citations/{world.evidence.uuid}/"), 404)


def test_the_evidence_packet_traces_claims_to_sources_and_approvals(
    api, approved, planner, world, team
) -> None:
    hidden = EvidenceFactory(marking=Marking.RED)  # another team's red item it also cites
    CitationFactory(
        message=world.message, evidence=hidden, sentence="Rapoartele independente o confirmă."
    )
    response = api(planner).get(f"/api/v1/messages/{world.message.uuid}/evidence-packet/")
    assert response.status_code == 200
    packet = response.json()
    [claim] = packet["claims"]
    assert claim["sentence"] == "Aliatul nu a primit sprijinul promis."
    evidence = claim["evidence"]
    assert (evidence["id"], evidence["admiralty_code"], evidence["status"]) == (
        str(world.evidence.uuid),
        "B2",
        "verified",
    )
    assert evidence["verification"]["at"] is not None
    assert packet["restricted_citations"] == 1
    assert hidden.claim not in response.content.decode()
    assert [(a["step_kind"], a["by"]["username"]) for a in packet["approvals"]] == [
        ("evidence_review", "reviewer"),
        ("sign_off", "approver"),
    ]
    assert packet["approvals"][0]["activity"] == str(approved.uuid)
