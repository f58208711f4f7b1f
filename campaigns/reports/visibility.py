"""Who sees a report, and what they may see in it.

Every query starts from ``Campaign.objects.visible_to(owner)`` /
``OutreachActivity.objects.visible_to(owner)``, narrowed to the scope (a team's campaigns —
owned or collaborated on — or one campaign). The report goes to the owner, to each listed
recipient who may see the scope themselves (anyone else is left out and logged), and to the
``extra_addresses`` (people outside Candor to whom the owner forwards their own view). Library
items — evidence and themes, which carry TLP markings — appear only if *every* user recipient
may see them (``EvidenceItem.objects.visible_to`` of each), so nobody reads a restricted item
through someone else's report.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q, QuerySet

from accounts.permissions import may
from campaigns.models import Campaign, ReportSubscription

logger = logging.getLogger(__name__)


def report_scope(subscription: ReportSubscription) -> Any:
    """What the report is about: its campaign, or its team."""
    return subscription.campaign if subscription.campaign_id else subscription.team


def report_owner_may_see(*, subscription: ReportSubscription) -> bool:
    """Whether the owner (whose visibility the report has) may still see the scope."""
    return may(subscription.owner, "campaigns.view", report_scope(subscription))


def report_viewers(*, subscription: ReportSubscription) -> list[Any]:
    """The owner and every active recipient who may see the subscription's scope; nobody if
    the owner may not."""
    if not report_owner_may_see(subscription=subscription):
        return []
    scope = report_scope(subscription)
    viewers = [subscription.owner]
    for user in subscription.recipients.filter(is_active=True).order_by("pk"):
        if user.pk == subscription.owner_id:
            continue
        if may(user, "campaigns.view", scope):
            viewers.append(user)
        else:
            logger.warning(
                "Report %s: recipient %s may not see %s and is left out.",
                subscription.uuid,
                user.username,
                scope,
            )
    return viewers


def report_recipients(*, subscription: ReportSubscription) -> list[str]:
    """Addresses the report goes to: the owner and the recipients who may see the scope, then
    the extra addresses; each once. Empty if the owner may no longer see the scope."""
    viewers = report_viewers(subscription=subscription)
    if not viewers:
        return []
    addresses = [u.email for u in viewers if u.email]
    for address in subscription.extra_addresses:
        try:
            validate_email(address)
        except ValidationError:
            # Refused here rather than by the mail server, where it would fail the whole send
            # (and its retries) for every recipient.
            logger.warning("Report %s: %r is not an e-mail address.", subscription.uuid, address)
            continue
        addresses.append(address)
    return list(dict.fromkeys(addresses))


def visible_library(model: Any, viewers: Sequence[Any]) -> QuerySet:
    """Library items (TLP-marked) that every viewer may see."""
    if not viewers:
        return model.objects.none()
    items = model.objects.visible_to(viewers[0])
    for user in viewers[1:]:
        items = items.filter(pk__in=model.objects.visible_to(user).values("pk"))
    return items


def scope_campaigns(subscription: ReportSubscription) -> QuerySet[Campaign]:
    """The owner's visible campaigns within the scope: one campaign, or every campaign the
    team owns or collaborates on."""
    visible = Campaign.objects.visible_to(subscription.owner)
    if subscription.campaign_id:
        return visible.filter(pk=subscription.campaign_id)
    assert subscription.team_id is not None, "a check constraint: a team when no campaign"
    shared = Campaign.collaborating_teams.through.objects.filter(team_id=subscription.team_id)
    return visible.filter(
        Q(owner_team_id=subscription.team_id) | Q(pk__in=shared.values("campaign_id"))
    )
