"""Telling people about activity events, from the outbox.

A transition writes its ``ActivityEvent`` and, when someone must hear of it, a
``PendingNotification`` row in the same transaction (``_transitions.record``). The notify tick
sends what is pending and deletes each row once its e-mail went out. So a notification is
never lost to a broker that was down at commit, never sent for a transition that rolled back,
and costs the transition no round trip to the broker."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction

from campaigns import emails
from campaigns.models import ActivityEvent, PendingNotification
from campaigns.selectors import Reviewers, notification_recipients

logger = logging.getLogger(__name__)


def _send(
    recipients: list[str], events: list[ActivityEvent], mailer: BaseEmailBackend | None
) -> None:
    """One event: the usual e-mail. Several of one kind for the same people (a dispatch batch
    tells its owner of 50 sends): one e-mail listing them."""
    context: dict[str, Any]
    if len(events) == 1:
        [event] = events
        template, context = "activity_event", {"event": event, "activity": event.activity}
    else:
        kinds = Counter(event.get_kind_display().lower() for event in events)
        summary = ", ".join(f"{n} {kind}" for kind, n in kinds.items())
        template, context = "activity_events", {"events": events, "summary": summary}
    headers = {"X-Candor-Event": " ".join(str(event.pk) for event in events)}
    emails.send(template, recipients, context, headers=headers, mailer=mailer)


def _send_batch(batch: int) -> tuple[int, bool]:
    """Send up to ``batch`` pending notifications, oldest first, in one transaction that holds
    their rows (SKIP LOCKED: two ticks never send the same one) over one SMTP session. Deletes
    those sent; on a failed send it keeps that one and the rest for the next tick. Returns
    (how many were sent, whether to go on)."""
    with transaction.atomic():
        rows = list(
            PendingNotification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("step")
            .order_by("event_id")[:batch]
        )
        if not rows:
            return 0, False
        pending = [row.event_id for row in rows]
        steps = {row.event_id: row.step for row in rows}
        by_id = ActivityEvent.objects.select_related(
            "activity__campaign", "activity__audience", "activity__owner", "actor"
        ).in_bulk(pending)
        # Whose e-mail each event is; several events of one kind for the same people (a
        # dispatch batch tells its owner of 50 sends) go out as one e-mail listing them.
        grouped: dict[tuple[tuple[str, ...], str], list[ActivityEvent]] = defaultdict(list)
        reviewers: Reviewers = {}  # each team's reviewers read once a batch
        sent: list[int] = []
        for event_id in pending:
            event = by_id.get(event_id)  # gone only if its activity was deleted
            recipients: Sequence[str] = (
                notification_recipients(event=event, step=steps[event_id], reviewers=reviewers)
                if event
                else []
            )
            if event is not None and recipients:  # no event, no recipients
                grouped[tuple(recipients), event.kind].append(event)
            else:
                sent.append(event_id)
        try:
            with mailers.default as mailer:
                for (recipients, _), group in grouped.items():
                    _send(list(recipients), group, mailer)
                    sent += [event.pk for event in group]
        except OSError:  # the mail server refused or is down: the rest waits for the next tick
            logger.exception(
                "Notifications not sent: %d left for the next tick", len(pending) - len(sent)
            )
            failed = True
        else:
            failed = False
        PendingNotification.objects.filter(event_id__in=sent).delete()
    return len(sent), not failed and len(pending) == batch


def notifications_send_pending(*, batch: int | None = None) -> int:
    """The notify tick: send every pending notification, batch after batch. Returns how many."""
    batch = batch or settings.CANDOR_NOTIFY_BATCH
    total, more = 0, True
    while more:
        sent, more = _send_batch(batch)
        total += sent
    return total
