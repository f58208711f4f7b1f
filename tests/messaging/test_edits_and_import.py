"""Editing themes and evidence, and importing evidence from CSV (all rows or none)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from accounts.errors import InvalidInput, InvalidTransition, NotPermitted
from accounts.models import Marking
from messaging import services
from messaging.models import EvidenceItem
from tests.messaging.factories import EvidenceFactory, ThemeFactory

pytestmark = pytest.mark.django_db

HEADER = (
    "claim,source_url,publisher,published_on,language,source_reliability,information_credibility"
)


def test_a_theme_is_edited_by_its_owner_team(team, planner, outsider) -> None:
    theme = ThemeFactory(owner_team=team, marking=Marking.GREEN)
    edited = services.theme_update(
        theme=theme, actor=planner, summary="Sharper.", tags=["C00030"], marking=Marking.AMBER
    )
    assert (edited.summary, edited.tags, edited.marking) == ("Sharper.", ["C00030"], "amber")
    with pytest.raises(NotPermitted):
        services.theme_update(theme=theme, actor=outsider, summary="Ours now.")


def test_a_theme_title_stays_unique_and_fields_stay_valid(team, planner) -> None:
    ThemeFactory(owner_team=team, title="Taken")
    theme = ThemeFactory(owner_team=team)
    with pytest.raises(InvalidInput) as error:
        services.theme_update(theme=theme, actor=planner, title="Taken")
    assert error.value.errors == {"title": ["Your team already has a theme with this title."]}
    with pytest.raises(InvalidInput) as error:
        services.theme_update(theme=theme, actor=planner, marking="purple")
    assert set(error.value.errors) == {"marking"}
    with pytest.raises(InvalidInput):
        services.theme_update(theme=theme, actor=planner, owner_team=None)


def test_unverified_evidence_can_be_corrected(team, planner) -> None:
    evidence = EvidenceFactory(owner_team=team)
    edited = services.evidence_update(
        evidence=evidence, actor=planner, publisher="Example Monitor", information_credibility=3
    )
    assert (edited.publisher, edited.admiralty_code) == ("Example Monitor", "B3")


def test_verified_evidence_is_frozen_until_disputed(team, planner, reviewer) -> None:
    evidence = EvidenceFactory(owner_team=team, verified=True)
    with pytest.raises(InvalidTransition) as error:
        services.evidence_update(evidence=evidence, actor=planner, claim="Something else.")
    assert "dispute it first" in error.value.message
    # The marking is who may see it, not what was verified: it may still change.
    services.evidence_update(evidence=evidence, actor=planner, marking=Marking.RED)
    disputed = services.evidence_dispute(evidence=evidence, actor=reviewer, reason="One source.")
    corrected = services.evidence_update(evidence=disputed, actor=planner, claim="Narrower.")
    assert (corrected.claim, corrected.status) == ("Narrower.", "disputed")


def test_retracted_evidence_is_final(team, planner, reviewer) -> None:
    evidence = services.evidence_retract(
        evidence=EvidenceFactory(owner_team=team), actor=reviewer, reason="Fabricated."
    )
    with pytest.raises(InvalidTransition):
        services.evidence_update(evidence=evidence, actor=planner, marking=Marking.RED)


def test_evidence_edits_are_checked_like_new_evidence(team, planner, outsider) -> None:
    evidence = EvidenceFactory(owner_team=team)
    with pytest.raises(InvalidInput) as error:
        services.evidence_update(
            evidence=evidence, actor=planner, source_url="nope", source_reliability="G"
        )
    assert set(error.value.errors) == {"source_url", "source_reliability"}
    with pytest.raises(NotPermitted):
        services.evidence_update(evidence=evidence, actor=outsider, publisher="X")


def test_a_csv_import_creates_every_row(team, planner) -> None:
    content = "\n".join(
        [
            HEADER + ",marking",
            "Claim one,https://www.example.org/1,Example,2026-03-01,en,A,1,green",
            'Claim "two",https://www.example.org/2,Example,,ru,C,3,',
        ]
    )
    items = services.evidence_import(actor=planner, owner_team=team, content=content)
    assert [(i.claim, i.admiralty_code, i.marking) for i in items] == [
        ("Claim one", "A1", "green"),
        ('Claim "two"', "C3", "amber"),
    ]
    assert all(i.status == EvidenceItem.Status.UNVERIFIED for i in items)


def test_a_csv_import_with_one_bad_row_imports_nothing_and_names_every_problem(
    team, planner
) -> None:
    content = "\n".join(
        [
            HEADER,
            "Good,https://www.example.org/1,Example,2026-03-01,en,A,1",
            "Bad URL,not a url,Example,2026-03-01,en,A,1",
            "Bad rating,https://www.example.org/3,Example,03/01/2026,en,Z,seven",
            ",https://www.example.org/4,Example,,en,B,2",
        ]
    )
    with pytest.raises(InvalidInput) as error:
        services.evidence_import(actor=planner, owner_team=team, content=content)
    assert error.value.errors == {
        "rows.3.source_url": ["Enter a valid URL."],
        "rows.4.information_credibility": ["Give a number from 1 to 6."],
        "rows.4.published_on": ["Give the date as YYYY-MM-DD."],
        "rows.5.claim": ["This column is required."],
    }
    assert not EvidenceItem.objects.exists()


def test_a_csv_import_checks_the_columns_and_the_file(team, planner, outsider) -> None:
    cases = {
        "claim,source_url\nx,y": "Missing column: information_credibility",
        HEADER + ",colour\n": "Unknown column: colour",
        HEADER + "\n": "The file has a header but no rows.",
        "": "Missing column: claim",
    }
    for content, message in cases.items():
        with pytest.raises(InvalidInput) as error:
            services.evidence_import(actor=planner, owner_team=team, content=content)
        assert message in error.value.errors["file"], (content, error.value.errors)
    with pytest.raises(InvalidInput) as error:
        services.evidence_import(
            actor=planner, owner_team=team, content=HEADER + "\na,b\x00c,d,e,f,g,h"
        )
    assert error.value.errors["file"][0].startswith("Not a readable CSV file")
    too_many = HEADER + "\na,b,c,d,e,f,g,h,i\n"
    with pytest.raises(InvalidInput) as error:
        services.evidence_import(actor=planner, owner_team=team, content=too_many)
    assert error.value.errors == {"rows.2": ["The row has more cells than the header."]}
    with pytest.raises(NotPermitted):
        services.evidence_import(actor=outsider, owner_team=team, content=HEADER + "\n")


def _rows(count: int, *, bad_at: int | None = None) -> str:
    """A CSV of ``count`` good rows; row ``bad_at`` (numbered as in a spreadsheet) has no URL."""
    lines = [HEADER]
    for number in range(2, count + 2):
        url = "not a url" if number == bad_at else f"https://www.example.org/{number}"
        lines.append(f"Claim {number},{url},Example,2026-03-01,en,B,2")
    return "\n".join(lines)


def test_a_web_import_stops_at_the_row_limit(team, planner) -> None:
    with pytest.raises(InvalidInput) as error:
        services.evidence_import(
            actor=planner, owner_team=team, content=_rows(services.IMPORT_MAX_ROWS + 1)
        )
    assert error.value.errors == {
        "file": [f"Import at most {services.IMPORT_MAX_ROWS} rows at a time."]
    }


def test_a_large_import_is_inserted_in_bulk_with_its_audit_rows(
    team, planner, django_assert_max_num_queries
) -> None:
    count = services.IMPORT_MAX_ROWS + 500
    # A fixed number of statements, whatever the row count (it was several per row).
    with django_assert_max_num_queries(12):
        items = services.evidence_import(
            actor=planner, owner_team=team, content=_rows(count), max_rows=None
        )
    stored = dict(EvidenceItem.objects.values_list("pk", "claim"))
    assert {i.pk: i.claim for i in items} == stored
    assert len(stored) == count
    assert items[0].uuid != items[1].uuid
    events = EvidenceItem.audit_trail.rel.related_model.objects.filter(pgh_label="insert")
    assert events.count() == count
    context = events.select_related("pgh_context").first().pgh_context
    assert context.metadata["actor"] == planner.pk
    assert context.metadata["action"] == "evidence_import"


def test_a_large_import_with_one_bad_row_imports_nothing(team, planner) -> None:
    count = services.IMPORT_MAX_ROWS + 500
    with pytest.raises(InvalidInput) as error:
        services.evidence_import(
            actor=planner, owner_team=team, content=_rows(count, bad_at=count), max_rows=None
        )
    assert error.value.errors == {f"rows.{count}.source_url": ["Enter a valid URL."]}
    assert not EvidenceItem.objects.exists()


def test_the_import_command_imports_a_file_or_lists_its_problems(team, planner, tmp_path) -> None:
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(_rows(1200), encoding="utf-8")
    bad.write_text(_rows(3, bad_at=3), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    options = {"team": team.slug, "actor": planner.username, "stdout": out, "stderr": err}
    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("import_evidence", str(bad), **options)
    assert "rows.3.source_url: Enter a valid URL." in err.getvalue()
    assert not EvidenceItem.objects.exists()
    call_command("import_evidence", str(good), **options)
    assert "Imported 1200 evidence items" in out.getvalue()
    assert EvidenceItem.objects.filter(owner_team=team).count() == 1200
    with pytest.raises(CommandError, match="No such team"):
        call_command("import_evidence", str(good), team="nope", actor=planner.username)
