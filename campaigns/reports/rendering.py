"""A report as people read it: an e-mail (plain text and HTML alternatives, the chart as an
inline image, the period's activities as a CSV attachment), or a download as HTML or PDF.

All three come from one template trio, ``templates/emails/report_{subject.txt,body.txt,
body.html}``; the HTML's ``<style>`` is inlined (css-inline) so mail clients keep it. The chart
is referred to as ``cid:`` in the e-mail and embedded as a ``data:`` URI in the downloads.
Times are shown in the subscription's timezone.
"""

from __future__ import annotations

import base64
import csv
import io
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils.text import slugify

from campaigns import emails
from campaigns.reports.contents import CSV_COLUMNS, Report

CHART_CID = "report-chart@candor"


def signed(n: int) -> str:
    """A change, with its sign: +12, −3, ±0."""
    if n > 0:
        return f"+{n:,}"
    if n < 0:
        return f"−{-n:,}"
    return "±0"


def report_chart_png(report: Report) -> bytes | None:
    """A horizontal bar chart of what was dispatched, by audience and channel kind (PNG), or
    ``None`` when nothing was. Drawn with matplotlib's Agg canvas, no global pyplot state."""
    if not report.dispatched:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    audiences = sorted({row.audience for row in report.dispatched})
    kinds = sorted({row.channel_kind for row in report.dispatched})
    counts = {(row.audience, row.channel_kind): 0 for row in report.dispatched}
    for row in report.dispatched:  # a handful of aggregate rows, not activities
        counts[(row.audience, row.channel_kind)] += row.count
    figure = Figure(figsize=(7, 1.2 + 0.45 * len(audiences)), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    left = [0] * len(audiences)
    colours = {"email": "#0969da", "webhook": "#8250df", "manual": "#1a7f37"}
    for kind in kinds:
        values = [counts.get((audience, kind), 0) for audience in audiences]
        axes.barh(audiences, values, left=left, label=kind, color=colours.get(kind, "#57606a"))
        left = [a + b for a, b in zip(left, values, strict=True)]
    axes.invert_yaxis()
    axes.set_xlabel("activities dispatched")
    # The default locator is an AutoLocator, a MaxNLocator, which takes ``integer``; the stubs
    # type it as the base Locator.
    axes.xaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
    axes.set_title(
        f"Dispatched {report.period_start:%Y-%m-%d %H:%M} – {report.period_end:%Y-%m-%d %H:%M}",
        fontsize=10,
    )
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


def _cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula (=, +, -, @) is quoted (OWASP: CSV injection);
    titles and names are typed by people."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return f"'{value}"
    return value


def report_csv(report: Report) -> str:
    """The period's activities, one row each, with a header row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows([_cell(value) for value in row] for row in report.activity_rows)
    return out.getvalue()


def report_csv_filename(report: Report) -> str:
    return f"candor-{slugify(report.scope_name) or 'report'}-{report.period_end:%Y-%m-%d}.csv"


def _context(report: Report, chart_src: str | None) -> dict[str, Any]:
    o = report.outcomes
    return {
        "report": report,
        "chart_src": chart_src,
        "changes": {
            "dispatched": signed(o.dispatched_change),
            "reach": signed(o.reach_change),
            "engagement": signed(o.engagement_change),
        },
        # How many rows each list left out (the totals count everything).
        "more": {
            "due_next": report.due_next_total - len(report.due_next),
            "waiting": report.waiting_total - len(report.waiting),
            "failed": report.failed_total - len(report.failed),
            "evidence": report.evidence_total - len(report.evidence),
            "recalls": max(0, report.recalled_total - len(report.recalls)),
            "gaps": report.coverage_gaps_total - len(report.coverage_gaps),
        },
        "activity_count": len(report.activity_rows),
        "csv_filename": report_csv_filename(report),
    }


def report_email(
    report: Report, to: list[str], *, message_id: str | None = None
) -> EmailMultiAlternatives:
    """The report as an e-mail to ``to``; an empty report is the short one (no chart, no
    CSV)."""
    chart = None if report.is_empty else report_chart_png(report)
    headers = {"X-Candor-Report": str(report.subscription_id), "Auto-Submitted": "auto-generated"}
    if message_id:
        headers["Message-ID"] = message_id
    return emails.build(
        "report",
        to,
        _context(report, f"cid:{CHART_CID}" if chart else None),
        headers=headers,
        attachments=[]
        if report.is_empty
        else [emails.Attachment(report_csv_filename(report), report_csv(report), "text/csv")],
        inline_images=[emails.InlineImage(CHART_CID, chart, "png", "chart.png")] if chart else [],
    )


def report_render_html(report: Report) -> str:
    """The report as one self-contained HTML page (CSS inlined, the chart as a ``data:`` URI),
    for download. Serve it as an attachment: its inline styles would not pass the site's CSP."""
    chart = report_chart_png(report)
    src = f"data:image/png;base64,{base64.b64encode(chart).decode()}" if chart else None
    return emails.inline_css(render_to_string("emails/report_body.html", _context(report, src)))


def report_render_pdf(report: Report) -> bytes:
    """The report as a PDF (WeasyPrint), from the same HTML. Fetches nothing from the network:
    only ``data:`` URIs (the chart) are loaded."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=report_render_html(report), url_fetcher=fetcher).write_pdf()
