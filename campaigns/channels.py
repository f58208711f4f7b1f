"""The three ways an activity goes out. Each sender raises ``TransientError`` (worth retrying:
timeouts, refused connections, 5xx) or ``PermanentError`` (retrying will not help: 4xx, a
refused recipient, a destination the outbound policy refuses), and returns a short description
of the receiver's answer.

An error's text is kept on the attempt and shown to the activity's planner, so it names only
the class of failure ("timeout", "connection failed", "HTTP 503 from the receiver",
"destination refused by policy"): raw socket errors and addresses would let whoever types a
webhook URL map the network behind the workers. The full detail goes to the server log.

Every outreach carries the activity's idempotency key (e-mail header, webhook header and body)
so a receiver can drop a re-send after a crash; and every outreach names its speaker."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import json
import logging
import smtplib
import time
from email.utils import formataddr, parseaddr
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMessage, mailers

from audiences.models import Channel
from campaigns import emails
from config import outbound

if TYPE_CHECKING:
    from campaigns.models import OutreachActivity

SIGNATURE_HEADER = "Candor-Signature"
TIMESTAMP_HEADER = "Candor-Timestamp"
KEY_HEADER = "Candor-Idempotency-Key"

logger = logging.getLogger(__name__)


class TransientError(Exception):
    """The send failed in a way a later attempt may not."""


class PermanentError(Exception):
    """The send failed in a way no retry will fix."""


class Session:
    """The connections a batch of sends reuses: one SMTP connection, opened on first use and
    closed with the session (opened again after an error), and the worker process's keep-alive
    HTTP connection to each webhook host (kept by ``config.outbound``)."""

    def __init__(self) -> None:
        self._mailer: Any = None

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self._drop_mailer()

    def send(self, activity: OutreachActivity, key: str) -> str:
        """Send the activity through its channel."""
        kind = activity.channel.kind
        if kind == Channel.Kind.EMAIL:
            return _send_email(activity, key, self)
        if kind == Channel.Kind.WEBHOOK:
            return _send_webhook(activity, key)
        return _notify_officer(activity, key, self)

    def mail(self, message: EmailMessage) -> None:
        """Send ``message`` over the session's SMTP connection."""
        if self._mailer is None:
            self._mailer = mailers.default
            self._mailer.open()
        try:
            self._mailer.send_messages([message])
        except BaseException:
            self._drop_mailer()  # the connection's state is unknown: the next send reconnects
            raise

    def _drop_mailer(self) -> None:
        mailer, self._mailer = self._mailer, None
        if mailer is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                mailer.close()


def send(activity: OutreachActivity, key: str) -> str:
    """Send one activity through its channel (a session of its own)."""
    with Session() as session:
        return session.send(activity, key)


def _sender(activity: OutreachActivity) -> str:
    """The campaign's named speaker as the display name, on the installation's address."""
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((activity.campaign.attributed_to, address))


def _send_email(activity: OutreachActivity, key: str, session: Session) -> str:
    message = activity.message
    text = message.body
    if message.call_to_action:
        text += f"\n\n{message.call_to_action}"
    text += f"\n\n— {activity.campaign.attributed_to}\n"
    email = EmailMessage(
        subject=message.headline,
        body=text,
        from_email=_sender(activity),
        to=list(activity.channel.email_recipients),
        headers={
            "Message-ID": f"<{key}@candor>",
            "X-Candor-Idempotency-Key": key,
            "Content-Language": message.language,
        },
    )
    try:
        session.mail(email)
    except smtplib.SMTPRecipientsRefused as error:
        codes = sorted({code for code, _ in error.recipients.values()})
        logger.warning("Activity %s: recipients refused: %r", activity.pk, error.recipients)
        raise PermanentError(f"recipients refused (SMTP {', '.join(map(str, codes))})") from error
    except (smtplib.SMTPException, OSError) as error:
        raise _smtp_failure(activity, error) from error
    return f"e-mailed {len(email.to)} recipient(s)"


def _smtp_failure(activity: OutreachActivity, error: Exception) -> TransientError:
    """The class of an SMTP failure (its detail logged): its reply code, or how it failed."""
    logger.warning("Activity %s: SMTP failed", activity.pk, exc_info=error)
    if isinstance(error, smtplib.SMTPResponseException):
        return TransientError(f"SMTP error {error.smtp_code}")
    if isinstance(error, TimeoutError):
        return TransientError("timeout")
    if isinstance(error, smtplib.SMTPException):
        return TransientError("SMTP error")
    return TransientError("connection failed")


def webhook_payload(activity: OutreachActivity, key: str) -> dict[str, object]:
    """What a partner's system receives (documented in the README)."""
    message = activity.message
    return {
        "id": str(activity.uuid),
        "idempotency_key": key,
        "campaign": activity.campaign.name,
        "attributed_to": activity.campaign.attributed_to,
        "audience": activity.audience.name,
        "segment": activity.segment.name if activity.segment is not None else None,
        "language": message.language,
        "headline": message.headline,
        "body": message.body,
        "call_to_action": message.call_to_action,
        "scheduled_at": activity.scheduled_at.isoformat(),
        "scheduled_local": activity.scheduled_local.isoformat(),
        "timezone": activity.audience.timezone,
    }


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``v1=`` HMAC-SHA256 over ``"<timestamp>." + body`` with the channel's secret."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"v1={digest.hexdigest()}"


def _send_webhook(activity: OutreachActivity, key: str) -> str:
    channel = activity.channel
    body = json.dumps(webhook_payload(activity, key), ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Candor-Dispatch/1",
        KEY_HEADER: key,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(channel.webhook_secret, timestamp, body),
    }
    try:
        reply = outbound.request(
            "POST",
            channel.webhook_url,
            body=body,
            headers=headers,
            timeout=settings.CANDOR_WEBHOOK_TIMEOUT,
        )
    except outbound.OutboundRefused as error:
        logger.warning(
            "Activity %s: webhook of channel %s refused: %s %s",
            activity.pk,
            channel.pk,
            channel.webhook_url,
            error.reason,
        )
        raise PermanentError(outbound.REFUSED) from error
    except (http.client.HTTPException, OSError) as error:
        logger.warning(
            "Activity %s: webhook of channel %s failed (POST %s)",
            activity.pk,
            channel.pk,
            channel.webhook_url,
            exc_info=error,
        )
        raise TransientError(
            "timeout" if isinstance(error, TimeoutError) else "connection failed"
        ) from error
    status = reply.status
    if status >= 300:
        logger.warning(
            "Activity %s: webhook of channel %s answered HTTP %s (POST %s): %r",
            activity.pk,
            channel.pk,
            status,
            channel.webhook_url,
            reply.body[:500],
        )
    if status >= 500 or status in (408, 429):
        raise TransientError(f"HTTP {status} from the receiver")
    if status >= 300:  # a redirect is not followed: the partner must give the endpoint itself
        raise PermanentError(f"HTTP {status} from the receiver")
    return f"HTTP {status}"


def _notify_officer(activity: OutreachActivity, key: str, session: Session) -> str:
    officer = activity.channel.officer
    if officer is None or not officer.email:
        raise PermanentError("The manual channel has no responsible officer with an e-mail.")
    try:
        session.mail(
            emails.build(
                "manual_dispatch",
                [officer.email],
                {"activity": activity, "officer": officer, "key": key},
                headers={"X-Candor-Idempotency-Key": key},
            )
        )
    except (smtplib.SMTPException, OSError) as error:
        raise _smtp_failure(activity, error) from error
    return f"officer {officer.get_username()} notified"
