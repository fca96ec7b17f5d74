"""Invite slips to print: A4 HTML (8 or 10 a page, cut along dashed lines) and the same as a PDF.

The HTML is a document of its own (templates/invite_slips.html, Jinja2) that a browser
prints as it stands; the PDF is that HTML through WeasyPrint, its Chinese set in Noto Sans
CJK. A slip with a QR URL carries the scan-to-bind QR code, drawn with segno as SVG.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from domain.invites import Slip
from domain.tables import PDF_TYPE, Download, safe_name
from locales import Words

# Slips a page → rows of two. Ten make smaller slips (and QR codes) for larger studios.
PER_PAGE: dict[int, int] = {8: 4, 10: 5}
MARGIN = 10  # mm around the page: what most printers can reach
BORDER = 0.3  # mm, the dashed line to cut along (shared by neighbouring slips)
PAGE_W, PAGE_H = 210, 297  # A4, mm
# Fonts in order per language: CJK glyphs differ between Simplified and Traditional.
FONTS = {
    "zh-TW": '"Noto Sans CJK TC", "Noto Sans CJK SC", sans-serif',
    "en": '"Noto Sans", "DejaVu Sans", "Noto Sans CJK SC", sans-serif',
}
DEFAULT_FONTS = '"Noto Sans CJK SC", "Noto Sans CJK TC", sans-serif'
TEMPLATES = Path(__file__).resolve().parent / "templates"


@functools.cache
def _template() -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                      undefined=StrictUndefined)
    return env.get_template("invite_slips.html")


def qr_data_uri(url: str) -> str:
    """The QR code of `url` as an SVG data URI (vector: sharp at any print size)."""
    import segno

    return str(segno.make(url, error="m").svg_data_uri(border=2))


def slips_html(slips: Sequence[Slip], *, words: Words, tz: tzinfo, per_page: int = 8,
               title: str | None = None) -> str:
    """The slips as one printable HTML document, A4, `per_page` (8 or 10) a page, in
    `words`; expiry times shown in `tz`. ValueError for another `per_page`."""
    if per_page not in PER_PAGE:
        raise ValueError(f"per_page must be one of {sorted(PER_PAGE)}")
    rows = PER_PAGE[per_page]
    slip_w = (PAGE_W - 2 * MARGIN) / 2
    # A hair under the page's height: rounding in the renderer must not push a row over.
    slip_h = (PAGE_H - 2 * MARGIN - 1) / rows
    pad = 4 if per_page == 8 else 3
    shown = [{
        "studio": s.studio, "name": s.name, "employee_no": s.employee_no, "code": s.code,
        "expires": s.expires_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        "qr": qr_data_uri(s.qr_url) if s.qr_url else None,
    } for s in slips]
    # Pages of rows of two.
    pages = [[shown[j:j + 2] for j in range(i, min(i + per_page, len(shown)), 2)]
             for i in range(0, len(shown), per_page)]
    studio = slips[0].studio if slips else ""
    return str(_template().render(
        t=words, lang=words.language, fonts=FONTS.get(words.language, DEFAULT_FONTS),
        title=title or words("invites.slip.document_title", studio=studio), pages=pages,
        rows=rows, margin=MARGIN, slip_w=round(slip_w, 2), border=BORDER, pad=pad,
        inner_w=round(slip_w - 2 * pad - BORDER, 2), inner_h=round(slip_h - 2 * pad - BORDER, 2),
        qr=30 if per_page == 8 else 25, font=10 if per_page == 8 else 9))


def slips_pdf(slips: Sequence[Slip], *, words: Words, tz: tzinfo, per_page: int = 8,
              title: str | None = None) -> bytes:
    """slips_html as a PDF (WeasyPrint). CPU only, about a second for a studio's slips: a
    web request can run it in a thread."""
    from weasyprint import HTML

    html = slips_html(slips, words=words, tz=tz, per_page=per_page, title=title)
    return bytes(HTML(string=html).write_pdf())


def slips_download(slips: Sequence[Slip], *, words: Words, tz: tzinfo, now: datetime,
                   per_page: int = 8) -> Download:
    """The PDF as a file: 王建国劳模创新工作室-invites-2026-11-20.pdf."""
    studio = safe_name(slips[0].studio) + "-" if slips else ""
    day = now.astimezone(tz).date().isoformat()
    return Download(f"{studio}invites-{day}.pdf", PDF_TYPE,
                    slips_pdf(slips, words=words, tz=tz, per_page=per_page))
