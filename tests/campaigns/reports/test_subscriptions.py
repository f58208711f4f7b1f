"""Report subscriptions: on a team of one's own or a visible campaign, on a cadence whose day
is given, to recipients of the report's teams."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.errors import InvalidInput, NotPermitted
from campaigns import services
from campaigns.models import ReportSubscription

pytestmark = pytest.mark.django_db

Cadence = ReportSubscription.Cadence


def subscribe(actor, **fields):
    defaults = {"cadence": Cadence.DAILY, "send_time": dt.time(8), "timezone": "Europe/Minsk"}
    return services.report_subscription_create(actor=actor, **(defaults | fields))


def test_a_member_subscribes_to_their_team_and_receives_it_themselves(team, lead) -> None:
    subscription = subscribe(lead, team=team)
    assert (subscription.owner, list(subscription.recipients.all())) == (lead, [lead])


def test_a_campaign_report_goes_to_people_of_the_campaign(world, lead, reviewer) -> None:
    subscription = subscribe(
        lead,
        campaign=world.campaign,
        cadence=Cadence.WEEKLY,
        weekday=0,
        recipients=[lead, reviewer],
        extra_addresses=["board@candor.test"],
    )
    assert set(subscription.recipients.all()) == {lead, reviewer}


def test_outsiders_cannot_subscribe_or_send_reports_to_strangers(world, lead, outsider, team):
    with pytest.raises(NotPermitted):
        subscribe(outsider, campaign=world.campaign)
    with pytest.raises(NotPermitted):
        subscribe(outsider, team=team)
    with pytest.raises(InvalidInput) as error:
        subscribe(lead, team=team, recipients=[outsider])
    assert error.value.errors == {
        "recipients": ["Recipients must be members of the report's teams."]
    }


def test_the_scope_and_the_cadence_day_are_checked(team, lead, world) -> None:
    with pytest.raises(InvalidInput) as error:
        subscribe(lead, team=team, campaign=world.campaign)
    assert set(error.value.errors) == {"team"}
    with pytest.raises(InvalidInput) as error:
        subscribe(lead, team=team, cadence=Cadence.WEEKLY)
    assert set(error.value.errors) == {"weekday"}
    with pytest.raises(InvalidInput) as error:
        subscribe(lead, team=team, cadence=Cadence.MONTHLY, day_of_month=31, weekday=2)
    assert set(error.value.errors) == {"day_of_month", "weekday"}
    with pytest.raises(InvalidInput) as error:
        subscribe(lead, team=team, timezone="Mars/Olympus", extra_addresses=["nope"])
    assert set(error.value.errors) == {"extra_addresses"}
    with pytest.raises(InvalidInput) as error:
        subscribe(lead, team=team, timezone="Mars/Olympus")
    assert set(error.value.errors) == {"timezone"}
    with pytest.raises(InvalidInput) as error:
        subscribe(lead, team=team, recipients=[])
    assert set(error.value.errors) == {"recipients"}


def test_the_owner_pauses_or_reschedules_their_subscription(team, lead, planner) -> None:
    subscription = subscribe(lead, team=team)
    changed = services.report_subscription_update(
        subscription=subscription,
        actor=lead,
        cadence=Cadence.MONTHLY,
        day_of_month=1,
        is_active=False,
        recipients=[lead, planner],
    )
    assert (changed.cadence, changed.day_of_month, changed.is_active) == ("monthly", 1, False)
    assert set(changed.recipients.all()) == {lead, planner}
    with pytest.raises(NotPermitted):
        services.report_subscription_update(
            subscription=subscription, actor=planner, is_active=True
        )
    with pytest.raises(InvalidInput):
        services.report_subscription_update(subscription=subscription, actor=lead, team=None)
