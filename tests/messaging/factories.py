from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from accounts.models import Marking
from messaging.models import Citation, EvidenceItem, EvidenceStatusChange, Message, Theme
from tests.accounts.factories import TeamFactory, UserFactory


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme

    owner_team = factory.SubFactory(TeamFactory)
    title = factory.Sequence(lambda n: f"Theme {n}")
    summary = "The ally was promised support and did not receive it."
    marking = Marking.AMBER


class EvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EvidenceItem
        skip_postgeneration_save = True  # the hook below saves what it writes itself

    owner_team = factory.SubFactory(TeamFactory)
    claim = factory.Sequence(lambda n: f"Promised deliveries fell short, record {n}.")
    source_url = factory.Sequence(lambda n: f"https://www.example.org/reports/{n}")
    publisher = "Example Institute"
    published_on = dt.date(2026, 3, 1)
    language = "en"
    source_reliability = "B"
    information_credibility = 2
    marking = Marking.AMBER

    class Params:
        verified = factory.Trait(
            status=EvidenceItem.Status.VERIFIED,
            status_changed_by=factory.SubFactory(UserFactory),
            status_changed_at=factory.LazyFunction(timezone.now),
        )

    @factory.post_generation
    def status_history(self, create: bool, extracted: object, **kwargs: object) -> None:
        """As the evidence services would have: the change to a status other than unverified
        is in the item's history (``manage.py verify_chain`` reads it)."""
        if create and self.status != EvidenceItem.Status.UNVERIFIED:
            EvidenceStatusChange.objects.create(
                evidence=self,
                from_status=EvidenceItem.Status.UNVERIFIED,
                to_status=self.status,
                actor=self.status_changed_by,
                reason=self.status_reason,
                at=self.status_changed_at,
            )


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    theme = factory.SubFactory(ThemeFactory)
    owner_team = factory.SelfAttribute("theme.owner_team")
    marking = Marking.AMBER
    language = "ro"
    headline = "Promisiunile nu au fost respectate"
    body = "Aliatul nu a primit sprijinul promis. Rapoartele independente o confirmă."


class CitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Citation

    message = factory.SubFactory(MessageFactory)
    evidence = factory.SubFactory(EvidenceFactory, verified=True)
    sentence = "Aliatul nu a primit sprijinul promis."
