"""One way to send e-mail: a subject / text / HTML template trio rendered with one context.

The HTML alternative has its CSS inlined (css-inline), so a ``<style>`` block in a template
reaches mail clients that strip it. Attachments and inline images are optional:

    multipart/mixed                       (only when there are attachments)
    ├── multipart/alternative
    │   ├── text/plain
    │   └── multipart/related             (only when there are inline images)
    │       ├── text/html                 (refers to each image as ``cid:<cid>``)
    │       └── image/png …               (Content-ID: <cid>, inline)
    └── text/csv …                        (attachments)
"""

from __future__ import annotations

import email.policy
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage as PythonEmailMessage
from typing import Any

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string


@dataclass(frozen=True)
class InlineImage:
    """An image shown inside the HTML alternative, which refers to it as ``cid:<cid>``."""

    cid: str
    content: bytes
    subtype: str = "png"
    filename: str = ""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: str | bytes
    mimetype: str


class _Message(EmailMultiAlternatives):
    """Django's message with the inline images put next to the HTML in a multipart/related."""

    def __init__(self, *args: Any, inline_images: Sequence[InlineImage] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.inline_images = list(inline_images)

    def message(
        self, *, policy: email.policy.Policy | None = email.policy.default
    ) -> PythonEmailMessage:
        msg = super().message(policy=policy)
        if self.inline_images:
            html = msg.get_body(preferencelist=("html",))
            if html is None:
                raise ValueError("Inline images need an HTML alternative to refer to them.")
            for image in self.inline_images:
                html.add_related(
                    image.content,
                    maintype="image",
                    subtype=image.subtype,
                    cid=f"<{image.cid}>",
                    disposition="inline",
                    filename=image.filename or f"{image.cid}.{image.subtype}",
                )
            html.set_param("type", "text/html")  # RFC 2387: the root part's type
        return msg


# Never fetch a stylesheet from the network; keep @media/@page rules, which cannot be inlined.
_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False, keep_at_rules=True)


def inline_css(html: str) -> str:
    """Move every ``<style>`` rule into ``style`` attributes, as mail clients need."""
    return _INLINER.inline(html)


def build(
    template: str,
    to: Sequence[str],
    context: dict[str, Any],
    *,
    headers: dict[str, str] | None = None,
    attachments: Sequence[Attachment] = (),
    inline_images: Sequence[InlineImage] = (),
) -> EmailMultiAlternatives:
    """Render ``templates/emails/<template>_{subject.txt,body.txt,body.html}`` into a message."""
    context = {"base_url": settings.CANDOR_BASE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    text = render_to_string(f"emails/{template}_body.txt", context)
    html = inline_css(render_to_string(f"emails/{template}_body.html", context))
    message = _Message(
        subject, text, to=list(to), headers=headers or {}, inline_images=inline_images
    )
    message.attach_alternative(html, "text/html")
    for attachment in attachments:
        message.attach(attachment.filename, attachment.content, attachment.mimetype)
    return message


def send(
    template: str,
    to: Sequence[str],
    context: dict[str, Any],
    *,
    headers: dict[str, str] | None = None,
    attachments: Sequence[Attachment] = (),
    inline_images: Sequence[InlineImage] = (),
    mailer: BaseEmailBackend | None = None,
) -> None:
    """Render the template trio (see ``build``) and send it; nobody to send to sends nothing.
    ``mailer``: an open backend to send through (several messages, one SMTP session)."""
    if not to:
        return
    message = build(
        template,
        to,
        context,
        headers=headers,
        attachments=attachments,
        inline_images=inline_images,
    )
    if mailer is None:
        message.send()
    else:
        mailer.send_messages([message])
