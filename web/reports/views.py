"""The report pages' routes: /r/studio/<id>/<YYYY-MM>, /r/union/<YYYY-MM>, /r/me, the
studio month's PDF and /r/static/.

Every page is opened by a signed link (domain.report_links) in its `k` parameter; a link that
does not open the page gets a polite page saying why and how to get a new one. Pages read
through a reader session (nothing is written), are drawn in a thread, and go out compressed,
with a Content-Security-Policy that allows nothing inline and nothing from elsewhere.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from urllib.parse import quote

from aiohttp import web

from bot.app import CLOCK_KEY, DB_KEY
from bot.config import Settings
from domain.report_links import (
    ME_PATH,
    TOKEN_PARAMETER,
    LinkBook,
    LinkRefused,
    studio_page,
    studio_path,
    union_path,
)
from locales import COMPLETE, DEFAULT_LANGUAGE, Words, languages_of, words_for
from storage.db import Database
from storage.models import PAGE_ME, PAGE_UNION
from storage.queries.members import union_language
from storage.queries.report_links import StoredLink, Viewer
from web.reports.data import latest_month, my_page, shift_month, studio_month, union_month, valid_month
from web.reports.pages import Nav, Renderer, static_files
from web.reports.pdf import pdf_name, studio_pdf

log = logging.getLogger(__name__)

HEADERS = {
    # Inline SVG needs no script and takes its styles from /r/static/charts.css.
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
                               "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # A page holds people's records: kept by no cache, the phone's included.
    "Cache-Control": "private, no-store",
}
STATUS: dict[str, type[web.HTTPException]] = {
    "bad_link": web.HTTPForbidden, "expired": web.HTTPGone, "revoked": web.HTTPGone,
    "left": web.HTTPForbidden, "not_this_page": web.HTTPForbidden,
    "no_such_page": web.HTTPNotFound}
PDFS_AT_ONCE = 2  # WeasyPrint takes a second or so and a good deal of memory per document


class ReportViews:
    def __init__(self, settings: Settings, app: web.Application) -> None:
        self.settings = settings
        self.app = app
        self.pdfs = asyncio.Semaphore(PDFS_AT_ONCE)

    @property
    def db(self) -> Database:
        return self.app[DB_KEY]

    def now(self) -> datetime:
        return self.app[CLOCK_KEY]()

    def book(self) -> LinkBook:
        return LinkBook.of(self.settings)

    def renderer(self, words: Words, now: datetime) -> Renderer:
        return Renderer(words, now, self.settings.tz, self.settings.rank_weights)

    # Opening a page.

    async def _open(self, request: web.Request, page: str, now: datetime
                    ) -> tuple[StoredLink, Viewer, str, Words]:
        """The link that opens `page`, its viewer, its token and the viewer's words; a
        refusal page (raised) otherwise."""
        token = request.query.get(TOKEN_PARAMETER, "")
        async with self.db.reader() as session:
            try:
                link, viewer = await self.book().open(session, token, page, now)
            except LinkRefused as refused:
                raise await self._refusal(refused.code, now) from None
            choice = viewer.language or await union_language(session)
        return link, viewer, token, page_words(choice)

    async def _refusal(self, code: str, now: datetime,
                       words: Words | None = None) -> web.HTTPException:
        if words is None:
            async with self.db.reader() as session:
                words = page_words(await union_language(session))
        body = self.renderer(words, now).refused(words(f"report.refused.{code}"),
                                                 words(f"report.refused.{code}.advice"))
        return STATUS[code](text=body, content_type="text/html", headers=HEADERS)

    @staticmethod
    def _href(path: str, token: str) -> str:
        return f"{path}?{TOKEN_PARAMETER}={quote(token)}"

    async def _month(self, request: web.Request, now: datetime, words: Words) -> str:
        """The month the address names; a refusal page (raised) for one that is not one, or
        not yet."""
        month = request.match_info["month"]
        if not valid_month(month, now.astimezone(self.settings.tz).date()):
            raise await self._refusal("no_such_page", now, words)
        return month

    # The pages.

    async def studio(self, request: web.Request) -> web.Response:
        started, now = time.perf_counter(), self.now()
        studio_id = int(request.match_info["studio_id"])
        link, _viewer, token, words = await self._open(request, studio_page(studio_id), now)
        month = await self._month(request, now, words)
        async with self.db.reader() as session:
            page = await studio_month(session, studio_id, month, now, self.settings.tz,
                                      self.settings.rank_weights)
        if page is None:
            raise await self._refusal("no_such_page", now, words)
        # An admin who came from the union's page (a union link) has the way back.
        nav = replace(self._nav(month, now, token, lambda m: studio_path(studio_id, m)),
                      union=self._href(union_path(month), token)
                      if link.page == PAGE_UNION else None,
                      pdf=self._href(studio_path(studio_id, month) + ".pdf", token))
        html = await asyncio.to_thread(self.renderer(words, now).studio, page, nav)
        return _page(html, started)

    async def studio_pdf(self, request: web.Request) -> web.StreamResponse:
        now = self.now()
        studio_id = int(request.match_info["studio_id"])
        _link, _viewer, _token, words = await self._open(request, studio_page(studio_id), now)
        month = await self._month(request, now, words)
        async with self.pdfs:
            made = await studio_pdf(self.db, studio_id, month, now, self.settings.tz,
                                    self.settings.rank_weights, words)
        if made is None:
            raise await self._refusal("no_such_page", now, words)
        studio, document = made
        name = pdf_name(studio, month)
        headers = dict(HEADERS)
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
        return web.Response(body=document, content_type="application/pdf", headers=headers)

    async def union(self, request: web.Request) -> web.Response:
        started, now = time.perf_counter(), self.now()
        _link, _viewer, token, words = await self._open(request, PAGE_UNION, now)
        month = await self._month(request, now, words)
        async with self.db.reader() as session:
            page = await union_month(session, month, now, self.settings.tz,
                                     self.settings.rank_weights)
        nav = replace(self._nav(month, now, token, union_path),
                      studio=lambda sid: self._href(studio_path(sid, month), token),
                      everything=self._href(union_path(month), token) + "&all=1")
        everything = request.query.get("all") == "1"
        html = await asyncio.to_thread(
            lambda: self.renderer(words, now).union(page, nav, everything=everything))
        return _page(html, started)

    async def me(self, request: web.Request) -> web.Response:
        started, now = time.perf_counter(), self.now()
        _link, viewer, _token, words = await self._open(request, PAGE_ME, now)
        async with self.db.reader() as session:
            page = await my_page(session, viewer.id, now, self.settings.tz)
        if page is None:
            raise await self._refusal("no_such_page", now, words)
        html = await asyncio.to_thread(self.renderer(words, now).me, page)
        return _page(html, started)

    async def static(self, request: web.Request) -> web.Response:
        found = static_files().get(request.match_info["name"])
        if found is None:
            raise web.HTTPNotFound()
        content, _version = found
        response = web.Response(body=content, content_type="text/css", charset="utf-8",
                                headers={"Cache-Control": "public, max-age=31536000, immutable",
                                         "X-Content-Type-Options": "nosniff"})
        response.enable_compression()
        return response

    def _nav(self, month: str, now: datetime, token: str, path: Callable[[str], str]) -> Nav:
        """The months before and after `month` (none after the latest), on `path`."""
        today = now.astimezone(self.settings.tz).date()
        before, after = shift_month(month, 1), shift_month(month, -1)
        return Nav(before=self._href(path(before), token), before_month=before,
                   after=self._href(path(after), token) if after <= latest_month(today) else None,
                   after_month=after)


def page_words(choice: str | None) -> Words:
    """The words a page is in: the reader's first language the catalogs hold every page's
    words in. Mongolian has the chat's and the pushes' words but not yet the pages': a
    Mongolian reader's page is in Chinese, not half in one and half in the other."""
    complete = [lang for lang in languages_of(choice) if lang in COMPLETE]
    return words_for(complete[0] if complete else DEFAULT_LANGUAGE)


def _page(html: str, started: float) -> web.Response:
    headers = dict(HEADERS)
    # How long the page took here, for the operator's tools (and bench.reports).
    headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
    response = web.Response(text=html, content_type="text/html", headers=headers)
    response.enable_compression()
    return response


def add_report_pages(settings: Settings) -> Callable[[web.Application], None]:
    """The web part that serves the report pages (web.web_parts adds it)."""

    def add(app: web.Application) -> None:
        settings.ensure_report_secret()  # made now, not on a page or a reply later
        views = ReportViews(settings, app)
        month = r"{month:\d{4}-\d{2}}"
        app.router.add_get(rf"/r/studio/{{studio_id:\d{{1,12}}}}/{month}", views.studio)
        app.router.add_get(rf"/r/studio/{{studio_id:\d{{1,12}}}}/{month}.pdf", views.studio_pdf)
        app.router.add_get(rf"/r/union/{month}", views.union)
        app.router.add_get(ME_PATH, views.me)
        app.router.add_get("/r/static/{name}", views.static)

    return add
