"""报表 from the console: a signed-in viewer is sent on to a report page (/r/…) through a
report link of their own, issued (or re-used) as 统计 issues one, with origin "console".

A leader reaches their studio's pages; an admin every studio's and the union's. Any other
studio is a 404, as everywhere in the console, and issues nothing.
"""

from __future__ import annotations

from aiohttp import web

from bot.app import DB_KEY
from domain.report_links import LinkBook, page_path, studio_page
from storage.db import Database
from storage.models import PAGE_UNION, ROLE_ADMIN
from storage.queries.studio_pages import studio_heads
from web.console.registry import CONSOLE, Req
from web.reports.data import latest_month, valid_month

ORIGIN = "console"


def report_month(req: Req) -> str:
    """?month=YYYY-MM if a report page has it; the latest month with a page otherwise."""
    month = req.arg("month")
    return month if valid_month(month, req.today) else latest_month(req.today)


async def _to_report(req: Req, page: str) -> web.StreamResponse:
    """To `page` for the month asked, through a link for the viewer: an admin's is the
    union's (it opens every studio's pages too, with the way back to the union's)."""
    book = LinkBook.of(req.settings)
    granted = PAGE_UNION if req.viewer.is_admin else page
    # The console reads through a reader session: the link is written in a unit of its own.
    db: Database = req.request.config_dict[DB_KEY]
    async with db.transaction() as session:
        link = await book.issue(session, req.viewer.member_id, granted, ORIGIN, req.now)
    return web.Response(status=303, headers={
        "Location": book.href(link, page_path(page, report_month(req)))})


# The template is never rendered: both pages always answer with a redirect.
@CONSOLE.page("/report/studio/{id}", name="report_studio", template="console/overview.html",
              section="studios")
async def studio_report(req: Req) -> web.StreamResponse:
    studio_id = req.path_id()
    # Narrowed to the viewer's scope: another studio does not exist for a leader.
    if not await studio_heads(req.session, scope=req.viewer.scope, studio_id=studio_id,
                              leaders=False):
        raise req.not_found()
    return await _to_report(req, studio_page(studio_id))


@CONSOLE.page("/report/union", name="report_union", template="console/overview.html",
              section="overview", roles=(ROLE_ADMIN,))
async def union_report(req: Req) -> web.StreamResponse:
    return await _to_report(req, PAGE_UNION)
