"""Evidence verification, messages with versions, citations: the rules and their refusals."""

from __future__ import annotations

import pytest

from accounts.errors import InvalidInput, InvalidTransition, NotPermitted, RuleViolation
from messaging import services
from messaging.models import EvidenceItem, MessageRevision
from tests.messaging.factories import EvidenceFactory, MessageFactory, ThemeFactory

pytestmark = pytest.mark.django_db


def new_evidence(actor, team, **overrides):
    fields = {
        "actor": actor,
        "owner_team": team,
        "claim": "Only 12% of the promised equipment arrived by June.",
        "source_url": "https://www.example.org/audit-2026",
        "publisher": "Example Audit Office",
        "language": "en",
        "source_reliability": "A",
        "information_credibility": 2,
    }
    return services.evidence_create(**(fields | overrides))


def test_new_evidence_is_unverified_and_carries_its_admiralty_code(planner, team) -> None:
    evidence = new_evidence(planner, team)
    assert evidence.status == EvidenceItem.Status.UNVERIFIED
    assert evidence.admiralty_code == "A2"


def test_bad_ratings_and_urls_are_refused_field_by_field(planner, team) -> None:
    with pytest.raises(InvalidInput) as error:
        new_evidence(
            planner,
            team,
            source_reliability="G",
            information_credibility=7,
            source_url="not a url",
            language="Russian",
        )
    assert set(error.value.errors) == {
        "source_reliability",
        "information_credibility",
        "source_url",
        "language",
    }
    assert not EvidenceItem.objects.exists()


def test_a_reviewer_verifies_and_who_when_why_is_kept(planner, reviewer, team) -> None:
    evidence = new_evidence(planner, team)
    verified = services.evidence_verify(evidence=evidence, actor=reviewer, reason="Checked")
    assert verified.status == "verified"
    assert verified.status_changed_by == reviewer
    assert verified.status_changed_at is not None
    assert verified.status_reason == "Checked"


def test_a_planner_or_another_teams_reviewer_cannot_verify(
    planner, outsider_reviewer, team
) -> None:
    evidence = new_evidence(planner, team)
    for actor in (planner, outsider_reviewer):
        with pytest.raises(NotPermitted):
            services.evidence_verify(evidence=evidence, actor=actor)


def test_dispute_and_retract_need_a_reason(planner, reviewer, team) -> None:
    evidence = new_evidence(planner, team)
    with pytest.raises(InvalidInput) as error:
        services.evidence_retract(evidence=evidence, actor=reviewer, reason=" ")
    assert "reason" in error.value.errors


def test_retracted_is_final(planner, reviewer, team) -> None:
    evidence = new_evidence(planner, team)
    retracted = services.evidence_retract(evidence=evidence, actor=reviewer, reason="Fabricated")
    with pytest.raises(InvalidTransition):
        services.evidence_verify(evidence=retracted, actor=reviewer)


def test_disputed_evidence_can_be_verified_again(planner, reviewer, team) -> None:
    evidence = new_evidence(planner, team)
    disputed = services.evidence_dispute(evidence=evidence, actor=reviewer, reason="Contested")
    assert services.evidence_verify(evidence=disputed, actor=reviewer).status == "verified"


def test_a_message_edit_keeps_every_version(planner, team) -> None:
    theme = ThemeFactory(owner_team=team)
    message = services.message_create(
        actor=planner, theme=theme, language="ru", headline="Обещания", body="Помощь не пришла."
    )
    edited = services.message_update(message=message, actor=planner, body="Помощь так и не пришла.")
    assert edited.version == 2
    assert list(MessageRevision.objects.filter(message=message).values_list("version", "body")) == [
        (2, "Помощь так и не пришла."),
        (1, "Помощь не пришла."),
    ]


def test_a_message_edit_refuses_unknown_fields(planner, team) -> None:
    message = MessageFactory(theme__owner_team=team, owner_team=team)
    with pytest.raises(InvalidInput) as error:
        services.message_update(message=message, actor=planner, owner_team=None)
    assert "owner_team" in error.value.errors


def test_a_citation_must_quote_a_sentence_of_the_message(planner, team) -> None:
    message = MessageFactory(theme__owner_team=team, owner_team=team)
    evidence = EvidenceFactory(owner_team=team, verified=True)
    with pytest.raises(InvalidInput) as error:
        services.citation_add(
            message=message, evidence=evidence, sentence="Words never written.", actor=planner
        )
    assert "must appear in the message" in error.value.errors["sentence"][0]


def test_retracted_evidence_cannot_be_cited(planner, reviewer, team) -> None:
    message = MessageFactory(theme__owner_team=team, owner_team=team)
    evidence = EvidenceFactory(owner_team=team)
    services.evidence_retract(evidence=evidence, actor=reviewer, reason="Fabricated")
    with pytest.raises(RuleViolation):
        services.citation_add(
            message=message,
            evidence=evidence,
            sentence="Aliatul nu a primit sprijinul promis.",
            actor=planner,
        )


def test_another_teams_red_evidence_cannot_be_cited(planner, other_team, team) -> None:
    message = MessageFactory(theme__owner_team=team, owner_team=team)
    secret = EvidenceFactory(owner_team=other_team, marking="red", verified=True)
    with pytest.raises(NotPermitted):
        services.citation_add(
            message=message,
            evidence=secret,
            sentence="Aliatul nu a primit sprijinul promis.",
            actor=planner,
        )


def test_a_message_for_an_audience_must_be_in_one_of_its_languages(planner, team) -> None:
    from tests.audiences.factories import seeded

    theme = ThemeFactory(owner_team=team)
    with pytest.raises(InvalidInput) as error:
        services.message_create(
            actor=planner,
            theme=theme,
            language="es",
            headline="Promesas",
            body="La ayuda no llegó.",
            audience=seeded("kazakhstan"),
        )
    assert error.value.errors["language"] == ["Kazakhstan is reached in kk, ru."]
