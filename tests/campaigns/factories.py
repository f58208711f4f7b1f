from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from campaigns.models import Campaign, OutreachActivity
from campaigns.services.campaigns import DEFAULT_STEPS
from tests.accounts.factories import TeamFactory, UserFactory
from tests.audiences.factories import ChannelFactory, seeded
from tests.messaging.factories import MessageFactory


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Campaign {n}")
    objective = "Explain, with sources, that the ally was left without the promised support."
    starts_on = factory.LazyFunction(lambda: timezone.now().date() - dt.timedelta(days=10))
    ends_on = factory.LazyFunction(lambda: timezone.now().date() + dt.timedelta(days=90))
    owner_team = factory.SubFactory(TeamFactory)
    attributed_to = "Ministry of Foreign Affairs, official spokesperson"
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def with_policy(self, create: bool, extracted: object, **kwargs: object) -> None:
        """Every campaign gets the default policy, as ``campaign_create`` would give it."""
        if not create:
            return
        from campaigns.models import ApprovalPolicy, ApprovalStep

        policy = ApprovalPolicy.objects.create(campaign=self)
        for order, (name, kind, role) in enumerate(DEFAULT_STEPS, start=1):
            ApprovalStep.objects.create(
                policy=policy, order=order, name=name, kind=kind, required_role=role
            )


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutreachActivity

    campaign = factory.SubFactory(CampaignFactory)
    title = factory.Sequence(lambda n: f"Activity {n}")
    audience = factory.LazyFunction(lambda: seeded("moldova"))
    message = factory.SubFactory(MessageFactory)
    channel = factory.SubFactory(ChannelFactory)
    scheduled_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=3))
    owner = factory.SubFactory(UserFactory)
