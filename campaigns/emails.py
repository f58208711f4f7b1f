"""One way to send e-mail: a subject / text / HTML template trio rendered with one context."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def send(
    template: str,
    to: Sequence[str],
    context: dict[str, Any],
    *,
    headers: dict[str, str] | None = None,
) -> None:
    """Render ``templates/emails/<template>_{subject.txt,body.txt,body.html}`` and send it."""
    if not to:
        return
    context = {"base_url": settings.CANDOR_BASE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    text = render_to_string(f"emails/{template}_body.txt", context)
    html = render_to_string(f"emails/{template}_body.html", context)
    message = EmailMultiAlternatives(subject, text, to=list(to), headers=headers or {})
    message.attach_alternative(html, "text/html")
    message.send()
