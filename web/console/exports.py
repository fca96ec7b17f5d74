"""导出: the SPEC §8 exports (CSV or XLSX) and the month's 台帐 (a ZIP of workbooks) as
downloads, made by the functions `export` and `ledger` call (domain.exports, domain.ledger).

An admin exports the union's, or one studio's; a leader only ever their own studio's: any
other studio asked for is a page that does not exist."""

from __future__ import annotations

from collections.abc import Awaitable

from aiohttp import web

from domain import NotFound
from domain.exports import KINDS, export_download
from domain.ledger import ledger_download
from domain.tables import FORMATS, Download, ExportError
from storage.calendar import iso_week
from storage.queries.studio_pages import studio_heads
from web.console.files import attachment
from web.console.registry import CONSOLE, Context, Req

# The kinds and the period each takes: a week (logs), a month, or none.
PERIODS = {"logs": ("week", "month"), "checkins": ("month",), "suggestions": ("month",),
           "results": ("month",), "studios": (), "unbound": ()}
HEADERS = ("words", "codes")  # column names people read, or the machine-readable ones


def _studio_asked(req: Req) -> int | None:
    """The studio the download is narrowed to: a leader's own, whatever is asked (and no
    page at all for another's); for an admin the one asked, or the whole union."""
    asked = req.arg("studio")
    if req.viewer.scope is not None:
        if asked and asked != str(req.viewer.scope):
            raise req.not_found()
        return req.viewer.scope
    if not asked:
        return None
    studio_id = req.int_arg("studio")
    if studio_id is None:
        raise req.not_found()
    return studio_id


async def _page(req: Req, **more: object) -> Context:
    studio_id = _studio_asked(req)
    studios = await studio_heads(req.session, scope=req.viewer.scope, leaders=False)
    names = {s.id: s.name for s in studios}
    if studio_id is not None and studio_id not in names:
        raise req.not_found()
    return {"kinds": KINDS, "periods": PERIODS, "formats": FORMATS, "headers": HEADERS,
            "studios": [] if req.viewer.scope is not None else studios,
            "studio_id": studio_id, "studio_name": names.get(studio_id or 0),
            "this_week": iso_week(req.today), "this_month": req.today.strftime("%Y-%m"),
            "error": None} | more


@CONSOLE.page("/exports", name="exports", template="console/exports.html",
              nav="console.nav.exports", order=70)
async def exports(req: Req) -> Context:
    return await _page(req)


async def _served(req: Req, making: Awaitable[Download]) -> Context | web.StreamResponse:
    """The file, or the page again saying why there is none."""
    try:
        download = await making
    except NotFound:
        raise req.not_found() from None
    except ExportError as exc:
        return await _page(req, error=req.t(f"export.error.{exc.code}", **exc.facts),
                           status=422)
    return attachment(download)


@CONSOLE.page("/exports/download", name="export_download", template="console/exports.html",
              section="exports")
async def download(req: Req) -> Context | web.StreamResponse:
    headers = None if req.arg("headers") == "codes" else req.words
    return await _served(req, export_download(
        req.session, req.arg("kind"), req.arg("format") or "csv", now=req.now,
        tz=req.settings.tz, words=req.words, weights=req.settings.rank_weights,
        week=req.arg("week") or None, month=req.arg("month") or None,
        studio_id=_studio_asked(req), headers=headers))


@CONSOLE.page("/exports/ledger", name="ledger_download", template="console/exports.html",
              section="exports")
async def ledger(req: Req) -> Context | web.StreamResponse:
    return await _served(req, ledger_download(
        req.session, req.arg("month") or req.today.strftime("%Y-%m"), tz=req.settings.tz,
        weights=req.settings.rank_weights, words=req.words, studio_id=_studio_asked(req)))
