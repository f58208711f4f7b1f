"""The three ways an activity goes out. Each sender raises ``TransientError`` (worth retrying:
timeouts, refused connections, 5xx) or ``PermanentError`` (retrying will not help: 4xx, a
refused recipient), and returns a short description of the receiver's answer.

Every outreach carries the activity's idempotency key (e-mail header, webhook header and body)
so a receiver can drop a re-send after a crash; and every outreach names its speaker."""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import time
import urllib.error
import urllib.request
from email.utils import formataddr, parseaddr
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage

from audiences.models import Channel
from campaigns import emails

if TYPE_CHECKING:
    from campaigns.models import OutreachActivity

SIGNATURE_HEADER = "Candor-Signature"
TIMESTAMP_HEADER = "Candor-Timestamp"
KEY_HEADER = "Candor-Idempotency-Key"


class TransientError(Exception):
    """The send failed in a way a later attempt may not."""


class PermanentError(Exception):
    """The send failed in a way no retry will fix."""


def send(activity: OutreachActivity, key: str) -> str:
    """Send the activity through its channel."""
    kind = activity.channel.kind
    if kind == Channel.Kind.EMAIL:
        return _send_email(activity, key)
    if kind == Channel.Kind.WEBHOOK:
        return _send_webhook(activity, key)
    return _notify_officer(activity, key)


def _sender(activity: OutreachActivity) -> str:
    """The campaign's named speaker as the display name, on the installation's address."""
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((activity.campaign.attributed_to, address))


def _send_email(activity: OutreachActivity, key: str) -> str:
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
        email.send()
    except smtplib.SMTPRecipientsRefused as error:
        raise PermanentError(f"recipients refused: {error.recipients}") from error
    except (smtplib.SMTPException, OSError) as error:
        raise TransientError(f"SMTP: {error!r}") from error
    return f"e-mailed {len(email.to)} recipient(s)"


def webhook_payload(activity: OutreachActivity, key: str) -> dict[str, object]:
    """What a partner's system receives (documented in the README)."""
    message = activity.message
    return {
        "id": str(activity.uuid),
        "idempotency_key": key,
        "campaign": activity.campaign.name,
        "attributed_to": activity.campaign.attributed_to,
        "audience": activity.audience.name,
        "segment": activity.segment.name if activity.segment_id else None,
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
    request = urllib.request.Request(  # noqa: S310 - the URL is a validated http(s) URLField
        channel.webhook_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Candor-Dispatch/1",
            KEY_HEADER: key,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(channel.webhook_secret, timestamp, body),
        },
    )
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=settings.CANDOR_WEBHOOK_TIMEOUT
        ) as response:
            return f"HTTP {response.status}"
    except urllib.error.HTTPError as error:
        if error.code >= 500 or error.code in (408, 429):
            raise TransientError(f"HTTP {error.code} from {channel.webhook_url}") from error
        raise PermanentError(f"HTTP {error.code} from {channel.webhook_url}") from error
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise TransientError(f"{error!r} (POST {channel.webhook_url})") from error


def _notify_officer(activity: OutreachActivity, key: str) -> str:
    officer = activity.channel.officer
    if officer is None or not officer.email:
        raise PermanentError("The manual channel has no responsible officer with an e-mail.")
    try:
        emails.send(
            "manual_dispatch",
            [officer.email],
            {"activity": activity, "officer": officer, "key": key},
            headers={"X-Candor-Idempotency-Key": key},
        )
    except (smtplib.SMTPException, OSError) as error:
        raise TransientError(f"SMTP: {error!r}") from error
    return f"officer {officer.get_username()} notified"
