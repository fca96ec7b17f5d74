"""邀请: the studios whose members still have to bind WeChat, a studio's invite codes, and
its slips to print (an A4 page, or the same as a PDF).

Issuing is the POST (domain.invites.studio_invites, what `invite --studio` calls): a code
for each unbound member holding none, or — a separate, warned choice — fresh codes for all,
voiding those handed out. The print and PDF views only read: they show the codes members
hold now, so a sheet printed again carries the codes already handed out. The QR codes come
from WeChat once the codes are committed, never inside a transaction."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence

import aiohttp
from aiohttp import web

from bot.app import WECHAT_API_KEY
from bot.wechat_api import WeChatAPIError
from domain import NotFound
from domain.audit import audit
from domain.invites import InviteStanding, Slip, invite_standing, studio_invites, with_qr_codes
from domain.slips import PER_PAGE, slips_download, slips_html
from storage.queries.invites import INVITE_TTL
from storage.queries.office_pages import studios_to_invite
from web.console.files import attachment, printable
from web.console.registry import CONSOLE, Context, Req

PAGE_SIZE = 50
DEFAULT_PER_PAGE = 8


@CONSOLE.page("/invites", name="invites", template="console/invites.html",
              nav="console.nav.invites", order=30)
async def invites(req: Req) -> Context | web.StreamResponse:
    if req.viewer.scope is not None:  # a leader invites for one studio: its page
        return req.redirect(req.url("invite_studio", id=req.viewer.scope))
    search = req.arg("q")[:100]
    lines = await studios_to_invite(req.session, req.now)
    if search:
        lines = [line for line in lines if search.casefold() in line.name.casefold()]
    pages = max(1, math.ceil(len(lines) / PAGE_SIZE))
    page = min(max(1, req.int_arg("page") or 1), pages)
    return {"lines": lines[(page - 1) * PAGE_SIZE: page * PAGE_SIZE], "total": len(lines),
            "unbound": sum(line.unbound for line in lines), "search": search, "page": page,
            "pages": pages, "page_url": lambda n: req.url("invites", {"q": search, "page": n})}


invite_studio = CONSOLE.action("/invites/{id}", name="invite_studio",
                               template="console/invite_studio.html", section="invites")


def _studio_id(req: Req) -> int:
    """The studio in the path, if the viewer's scope holds it: otherwise no such page."""
    studio_id = req.path_id()
    if not req.viewer.sees_studio(studio_id):
        raise req.not_found()
    return studio_id


async def _standing(req: Req) -> InviteStanding:
    try:
        return await invite_standing(req.session, _studio_id(req), req.now,
                                     plain_only=req.viewer.scope is not None)
    except NotFound:
        raise req.not_found() from None


def _can_qr(req: Req) -> bool:
    return req.request.config_dict.get(WECHAT_API_KEY) is not None


def _page(req: Req, standing: InviteStanding, **more: object) -> Context:
    return {"standing": standing, "studio_id": req.path_id(), "held": len(standing.slips),
            "without": standing.without, "done": req.arg("done"), "issued": req.int_arg("n"),
            "per_pages": sorted(PER_PAGE), "qr": _can_qr(req), "days": INVITE_TTL.days,
            "error": None} | more


@invite_studio.confirm
async def show(req: Req) -> Context:
    return _page(req, await _standing(req))


@invite_studio.perform
async def issue(req: Req) -> Context | web.StreamResponse:
    studio_id = _studio_id(req)
    reissue = req.arg("reissue") == "1"
    if reissue and req.arg("understood") != "1":
        # Voiding codes already handed out is said, and ticked, before it is done.
        return _page(req, await _standing(req), error="understand", status=422)
    try:
        issued = await studio_invites(req.session, studio_id, req.now, reissue=reissue,
                                      plain_only=req.viewer.scope is not None)
    except NotFound:
        raise req.not_found() from None
    fresh = issued.fresh
    if fresh:
        # Who got a code, never the codes themselves: the trail is no way into an account.
        await audit(req.session, req.viewer, "invites.reissue" if reissue else "invites.issue",
                    subject="invites", subject_id=studio_id, studio_id=studio_id,
                    before={"holding": issued.reissued if reissue else issued.held},
                    after={"issued": len(fresh), "voided": issued.reissued,
                           "employee_nos": [s.employee_no for s in fresh]},
                    now=req.now)
    done = ("reissued" if reissue else "issued") if fresh else "none"
    return req.redirect(req.url("invite_studio", {"done": done, "n": len(fresh)}, id=studio_id))


def _per_page(req: Req) -> int:
    asked = req.int_arg("per_page")
    return asked if asked in PER_PAGE else DEFAULT_PER_PAGE


async def _printed(req: Req) -> Sequence[Slip] | Context | web.StreamResponse:
    """The slips to print: the studio's working codes, with their QR codes when WeChat is
    configured (and not declined with ?qr=0); the console page saying so when WeChat fails;
    back to the studio's page when there is nothing to print."""
    studio_id = _studio_id(req)
    standing = await _standing(req)
    # The read is over: no connection is held while WeChat answers or the PDF is drawn.
    await req.session.rollback()
    slips = standing.slips
    if not slips:
        return req.redirect(req.url("invite_studio", id=studio_id))
    api = req.request.config_dict.get(WECHAT_API_KEY)
    if api is None or req.arg("qr") == "0":
        return slips

    async def make_qr(scene: str, seconds: int) -> str:
        return (await api.create_qr_code(scene, seconds)).url

    try:
        return await with_qr_codes(slips, req.now, make_qr)
    except WeChatAPIError as exc:
        reason = f"{exc.errcode} {exc.errmsg}"
    except (aiohttp.ClientError, TimeoutError) as exc:
        reason = type(exc).__name__
    return {"studio": standing.studio, "studio_id": studio_id, "reason": reason,
            "retry": req.url(req.request.match_info.route.name or "invite_slips",
                             {"per_page": _per_page(req)}, id=studio_id),
            "without_qr": req.url(req.request.match_info.route.name or "invite_slips",
                                  {"per_page": _per_page(req), "qr": "0"}, id=studio_id),
            "status": 502}


@CONSOLE.page("/invites/{id}/slips", name="invite_slips", template="console/invite_qr.html",
              section="invites")
async def slips_page(req: Req) -> Context | web.StreamResponse:
    """The slips as an A4 page of their own, for the browser to print."""
    slips = await _printed(req)
    if isinstance(slips, dict | web.StreamResponse):
        return slips
    return printable(slips_html(slips, words=req.words, tz=req.settings.tz,
                                per_page=_per_page(req)))


@CONSOLE.page("/invites/{id}/slips.pdf", name="invite_pdf", template="console/invite_qr.html",
              section="invites")
async def slips_pdf(req: Req) -> Context | web.StreamResponse:
    """The same slips as a PDF (WeasyPrint, about a second of CPU: in a thread)."""
    slips = await _printed(req)
    if isinstance(slips, dict | web.StreamResponse):
        return slips
    download = await asyncio.to_thread(slips_download, slips, words=req.words,
                                       tz=req.settings.tz, now=req.now, per_page=_per_page(req))
    return attachment(download)
