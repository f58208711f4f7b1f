"""The three ways an activity goes out. Each sender raises ``TransientError`` (worth retrying:
timeouts, refused connections, 5xx) or ``PermanentError`` (retrying will not help: 4xx, a
refused recipient), and returns a short description of the receiver's answer.

Every outreach carries the activity's idempotency key (e-mail header, webhook header and body)
so a receiver can drop a re-send after a crash; and every outreach names its speaker."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import json
import os
import smtplib
import time
from email.utils import formataddr, parseaddr
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, mailers

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


class Session:
    """The connections a batch of sends reuses: one SMTP connection, opened on first use and
    closed with the session (opened again after an error), and the worker process's keep-alive
    HTTP connection to each webhook host."""

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


# Per worker process (a forked child must not share its parent's sockets): scheme, host and
# port → an open HTTP/1.1 connection, reused while the receiver keeps it alive.
_connections: dict[tuple[int, str, str], http.client.HTTPConnection] = {}


def _connection(url: SplitResult) -> tuple[http.client.HTTPConnection, bool]:
    """The process's connection to the URL's host, and whether it was used before."""
    key = (os.getpid(), url.scheme, url.netloc)
    if key in _connections:
        return _connections[key], True
    timeout = settings.CANDOR_WEBHOOK_TIMEOUT
    connection = (
        http.client.HTTPSConnection(url.netloc, timeout=timeout)
        if url.scheme == "https"
        else http.client.HTTPConnection(url.netloc, timeout=timeout)
    )
    _connections[key] = connection
    return connection, False


def _forget(url: SplitResult) -> None:
    connection = _connections.pop((os.getpid(), url.scheme, url.netloc), None)
    if connection is not None:
        connection.close()


def _post(url: SplitResult, body: bytes, headers: dict[str, str]) -> int:
    """POST over the kept-alive connection; its status. A kept connection the receiver closed
    meanwhile fails before any answer: that POST is made once more on a new connection (if the
    receiver did get the first, the idempotency key lets it drop the second)."""
    target = (url.path or "/") + (f"?{url.query}" if url.query else "")
    for _ in range(2):
        connection, reused = _connection(url)
        try:
            connection.request("POST", target, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            _forget(url)
            if not reused:
                raise
            continue
        except BaseException:
            _forget(url)
            raise
        if response.will_close:
            _forget(url)
        return response.status
    raise AssertionError("unreachable")  # pragma: no cover


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
        status = _post(urlsplit(channel.webhook_url), body, headers)
    except (http.client.HTTPException, TimeoutError, OSError) as error:
        raise TransientError(f"{error!r} (POST {channel.webhook_url})") from error
    if status >= 500 or status in (408, 429):
        raise TransientError(f"HTTP {status} from {channel.webhook_url}")
    if status >= 300:  # a redirect is not followed: the partner must give the endpoint itself
        raise PermanentError(f"HTTP {status} from {channel.webhook_url}")
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
        raise TransientError(f"SMTP: {error!r}") from error
    return f"officer {officer.get_username()} notified"
