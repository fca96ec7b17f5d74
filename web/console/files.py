"""Files the console hands over: a download named as RFC 6266 says (the names are Chinese),
and a printable page whose own <style> the console's CSP lets through by its hash."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import quote

from aiohttp import web

from domain.tables import Download
from web.console.security import CSP

_STYLE = re.compile(r"<style>(.*?)</style>", re.S)
# What an old client's plain `filename=` may hold: printable ASCII, no quote or backslash.
_NOT_PLAIN = re.compile(r'[^\x20-\x7e]|["\\]')


def content_disposition(filename: str) -> str:
    """`attachment` with the name twice: `filename*` in UTF-8 (every current browser), and an
    ASCII `filename` for anything older (its Chinese become underscores)."""
    plain = _NOT_PLAIN.sub("_", filename)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


def attachment(download: Download) -> web.Response:
    return web.Response(body=download.data, headers={
        "Content-Type": download.content_type,
        "Content-Disposition": content_disposition(download.filename)})


def style_hashes(html: str) -> list[str]:
    """The CSP sources of the page's inline <style> elements ('sha256-…')."""
    return ["'sha256-" + base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode()
            + "'" for css in _STYLE.findall(html)]


def printable(html: str) -> web.Response:
    """A standalone page (invite slips) that carries its print CSS inline: allowed by the
    hash of exactly that CSS, so the console's policy stays as strict for everything else
    (no inline script, no other inline style)."""
    sources = " ".join(["'self'", *style_hashes(html)])
    policy = CSP.replace("style-src 'self'", f"style-src {sources}")
    return web.Response(text=html, content_type="text/html", charset="utf-8",
                        headers={"Content-Security-Policy": policy})
