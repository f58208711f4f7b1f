"""Bodies other than JSON, made elsewhere and passed through (CSV, iCalendar, an HTML report,
a PDF). An error from such an endpoint still renders as a JSON problem (``problems``)."""

from __future__ import annotations

from typing import Any

from rest_framework.renderers import BaseRenderer, JSONRenderer


class TextRenderer(BaseRenderer):
    """Passes a ready text body through (CSV, iCalendar); errors still render as problems."""

    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None):
        if isinstance(data, bytes):
            return data
        if isinstance(data, str):
            return data.encode(self.charset)
        return JSONRenderer().render(data, accepted_media_type, renderer_context)


class CSVRenderer(TextRenderer):
    media_type = "text/csv"
    format = "csv"


class CalendarRenderer(TextRenderer):
    media_type = "text/calendar"
    format = "ics"


class HTMLDocumentRenderer(TextRenderer):
    """A whole HTML document made elsewhere (a report), passed through."""

    media_type = "text/html"
    format = "html"


class PDFRenderer(TextRenderer):
    """PDF bytes passed through; errors still render as problems."""

    media_type = "application/pdf"
    format = "pdf"
    # No charset in the Content-Type; a PDF body is bytes, so ``render`` never encodes with it.
    charset = None  # type: ignore[assignment]
    render_style = "binary"
