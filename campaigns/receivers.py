"""Campaigns' answers to the lower apps' domain signals. They run inside the sender's transaction,
so the evidence change and the recall commit (or roll back) together."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from accounts.models import User
from audiences.signals import channel_changed
from campaigns import services
from messaging.signals import evidence_withdrawn, message_changed


@receiver(evidence_withdrawn, dispatch_uid="campaigns.recall_on_evidence_withdrawn")
def recall_on_evidence_withdrawn(sender: Any, *, evidence: Any, actor: User, reason: str, **_: Any):
    services.activity_recall_citing(evidence=evidence, actor=actor, reason=reason)


@receiver(message_changed, dispatch_uid="campaigns.recall_on_message_changed")
def recall_on_message_changed(sender: Any, *, message: Any, actor: User, changes: dict, **_: Any):
    services.activity_recall_using(message=message, actor=actor, changes=changes)


@receiver(channel_changed, dispatch_uid="campaigns.recall_on_channel_changed")
def recall_on_channel_changed(sender: Any, *, channel: Any, actor: User, changes: dict, **_: Any):
    services.activity_recall_on_channel(channel=channel, actor=actor, changes=changes)
