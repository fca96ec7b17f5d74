"""The studio's month as an A4 document (the 台帐 archive): the page's HTML, drawn by
WeasyPrint with the charts embedded as vector graphics. Chinese needs a CJK font installed
where this runs (Debian: fonts-noto-cjk)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, tzinfo

from locales import Words
from storage.db import Database
from web.reports.data import studio_month
from web.reports.pages import STATIC, Nav, Renderer

# What a document adds to the page's print rules: A4, page numbers, and the charts at a
# size that reads on paper (their text at about 8 pt) rather than across the whole width.
A4 = """
@page { size: A4; margin: 13mm 14mm 14mm;
  @bottom-center { content: counter(page) " / " counter(pages); font-size: 8pt; color: #888; } }
body { font-size: 9.5pt; line-height: 1.45; background: #fff; }
header.masthead { border-radius: 4px; margin: 0 0 4mm; padding: 3mm 4mm; }
section.card { margin: 0 0 3.5mm; padding: 2.5mm 3.5mm; border-radius: 4px; }
section.card h2 { font-size: 11pt; margin-bottom: 1.5mm; }
.score .points { font-size: 22pt; }
.chart { float: right; width: 96mm; margin: 0 0 1mm 5mm; }
.chart svg { width: 96mm; }
section.card::after { content: ""; display: block; clear: both; }
.chart ~ table { width: 70mm; }
.figures { display: flex; gap: 2mm; }
.figure { flex: 1; padding: 1.5mm 2mm; }
.figure b { font-size: 12pt; }
table { font-size: 9pt; }
th, td { padding: 0.8mm 1mm; }
"""


def pdf_name(studio: str, month: str) -> str:
    """「王建国劳模创新工作室-2026-11.pdf」: a file name without path separators."""
    safe = "".join("_" if c in '/\\:*?"<>|' or ord(c) < 32 else c for c in studio).strip(". ")
    return f"{safe or 'studio'}-{month}.pdf"


def html_to_pdf(html: str) -> bytes:
    """The document, drawn synchronously (call it in a thread)."""
    from weasyprint import HTML  # a heavy import, needed only here

    document: bytes = HTML(string=html, base_url=str(STATIC)).write_pdf()
    return document


async def studio_pdf(db: Database, studio_id: int, month: str, now: datetime, tz: tzinfo,
                     weights: Mapping[str, float], words: Words) -> tuple[str, bytes] | None:
    """The studio's name and its month as a PDF, in `words`' language; None when there is
    no such studio. The drawing runs in a thread: it takes a second or so of CPU."""
    async with db.reader() as session:
        page = await studio_month(session, studio_id, month, now, tz, weights)
    if page is None:
        return None
    renderer = Renderer(words, now, tz, weights, pdf=True, print_css=A4)
    return page.studio, await asyncio.to_thread(lambda: html_to_pdf(renderer.studio(page, Nav())))
