"""Render a document tree (rapportage/documents.py) to PDF, and its charts to static SVG or PNG.

PDF: WeasyPrint, because it numbers pages and fills a table of contents with page numbers
itself (CSS `counter(page)`, `target-counter(attr(href), page)`), without a first pass.
Charts: plotly + kaleido, which drives Debian's Chromium (BROWSER_PATH). Kaleido's sync server
is started once per document, not per chart (starting Chromium costs seconds). Text in charts
and pages uses DejaVu Sans, installed on the host and in the image (Dockerfile), so the output
does not depend on the host's fonts.
"""

import base64
import logging
import os
import shutil
import threading

import kaleido
import plotly.graph_objects as go
from django.conf import settings
from django.template.loader import render_to_string

from rapportage.documents import Document

FONT_FAMILY = "DejaVu Sans"
CHART_WIDTH, CHART_HEIGHT = 900, 440
# Kaleido's sync server is one per process: two documents rendered at once take turns.
_KALEIDO = threading.Lock()
# WeasyPrint, kaleido and choreographer log every step at INFO: a document's dozens of lines
# would drown the site's own log.
for _name in ("weasyprint.progress", "kaleido", "choreographer"):
    logging.getLogger(_name).setLevel(logging.WARNING)


class DocumentError(Exception):
    """A document cannot be made here (no browser for the charts); the message is Dutch, for the user."""


def chart_height(fig: go.Figure) -> int:
    """Return the figure's height on paper: taller when its legend has many rows.

    The legend sits below the plot (charts._layout); with a comparison series and twelve
    colleges it takes eight rows, which at a fixed height would squeeze the plot itself.
    """
    entries = sum(1 for trace in fig.data if trace.showlegend is not False)
    rows = -(-entries // 2)
    return CHART_HEIGHT + 22 * max(0, rows - 4)


def _static(fig: go.Figure) -> go.Figure:
    """Return a copy of `fig` sized for paper, its text in the document's font."""
    copy = go.Figure(fig)
    copy.update_layout(font_family=FONT_FAMILY, width=CHART_WIDTH, height=chart_height(fig))
    return copy


def chart_images(figures: dict[str, go.Figure], fmt: str) -> dict[str, bytes]:
    """Return every figure as `fmt` ("svg" or "png") bytes, through one kaleido server for the whole set."""
    if not figures:
        return {}
    # choreographer reads BROWSER_PATH; without it, find Debian's chromium (toolchain.md).
    os.environ.setdefault("BROWSER_PATH", shutil.which("chromium") or "/usr/bin/chromium")
    browser = os.environ["BROWSER_PATH"]
    # Checked here: without a browser kaleido's server fails in its own thread and the call
    # waits for ever, so a page or a command would hang instead of saying why.
    if not (os.path.isfile(browser) and os.access(browser, os.X_OK)):
        raise DocumentError(
            f"De grafieken kunnen niet worden gemaakt: geen Chromium op {browser} "
            "(installeer chromium of zet BROWSER_PATH)."
        )
    opts = {"format": fmt, "width": CHART_WIDTH, "scale": 2 if fmt == "png" else 1}
    with _KALEIDO:
        kaleido.start_sync_server(silence_warnings=True)
        try:
            return {
                key: kaleido.calc_fig_sync(_static(fig), opts=opts | {"height": chart_height(fig)})
                for key, fig in figures.items()
            }
        finally:
            kaleido.stop_sync_server(silence_warnings=True)


def document_html(document: Document, images: dict[str, bytes]) -> str:
    """Return the document's HTML for WeasyPrint, with the charts as SVG data addresses."""
    sources = {key: "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii") for key, svg in images.items()}
    return render_to_string(
        f"rapportage/documents/{document.kind}.html", {"doc": document, "c": document.content, "charts": sources}
    )


def render_pdf(document: Document) -> bytes:
    """Return the document as PDF bytes."""
    # Imported here: WeasyPrint loads pango at import, which the pages that never print do not need.
    import weasyprint

    html = document_html(document, chart_images(document.figures, "svg"))
    return weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
