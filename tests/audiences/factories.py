from __future__ import annotations

import factory

from audiences.models import Audience, Channel, Segment
from tests.accounts.factories import TeamFactory


def seeded(slug: str) -> Audience:
    """One of the six audiences every installation has (loaded by migration)."""
    return Audience.objects.get(slug=slug)


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment

    audience = factory.LazyFunction(lambda: seeded("moldova"))
    name = factory.Sequence(lambda n: f"Segment {n}")


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel

    owner_team = factory.SubFactory(TeamFactory)
    kind = Channel.Kind.EMAIL
    name = factory.Sequence(lambda n: f"Channel {n}")
    email_recipients = factory.LazyFunction(lambda: ["press@candor.test"])
