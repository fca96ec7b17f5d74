"""Signing in with a one-time link, and 退出.

Opening a link (GET) only shows a page with one button: link checkers — WeChat's own
safety check, a mail scanner — fetch links before people do, and must not use them up.
The button (POST, with the page's own double-submit token) signs in: the link is spent, a
new session starts, and the browser goes on to 总览 without the link in its address bar.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from aiohttp import web

from bot.app import CLOCK_KEY, DB_KEY
from domain.console import ANYONE, LINK_TTL, LinkRefused, check_link, redeem_link, sign_out
from locales import words_for
from storage.db import Database
from web.console.registry import CONSOLE, Context, Req
from web.console.security import (
    CSRF_FIELD,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    RateLimit,
    client_address,
    new_form_token,
    same,
    set_cookie,
)

# Refused sign-in attempts (an unknown, used or expired link; a forged form) per client
# address: a mistyped link now and then goes through, trying tokens does not (they are not
# guessable anyway). Successful sign-ins do not count: an office behind one address signs
# in together on a Monday morning.
ATTEMPTS = 20
PER = timedelta(minutes=10)
RATE_KEY = web.AppKey("console_sign_in_rate", RateLimit)
# A refused link's status: gone for good, or never was.
REFUSED_STATUS = {"used": 410, "expired": 410, "unknown": 404, "not_allowed": 403}


def _refused(request: web.Request, reason: str) -> web.Response:
    from web.console.app import base_context, render

    request.config_dict[RATE_KEY].note(client_address(request))
    words = words_for(None)
    return render(request, "console/link_refused.html",
                  base_context(request, words) | {"reason": reason,
                                                  "minutes": int(LINK_TTL.total_seconds() // 60)},
                  status=REFUSED_STATUS.get(reason, 404))


def _limited(request: web.Request) -> None:
    if request.config_dict[RATE_KEY].blocked(client_address(request)):
        raise web.HTTPTooManyRequests()


async def login_page(request: web.Request) -> web.StreamResponse:
    from web.console.app import SETTINGS_KEY, base_context, render

    _limited(request)
    db: Database = request.config_dict[DB_KEY]
    now: datetime = request.config_dict[CLOCK_KEY]()
    token = request.match_info["token"]
    try:
        async with db.reader() as session:
            await check_link(session, token, now)
    except LinkRefused as refused:
        return _refused(request, refused.code)
    form_token = new_form_token()
    response = render(request, "console/login.html",
                      base_context(request, words_for(None)) | {"form_token": form_token})
    set_cookie(response, LOGIN_COOKIE, form_token, path=request.path,
               secure_only=request.config_dict[SETTINGS_KEY].secure_cookies,
               max_age=int(LINK_TTL.total_seconds()))
    return response


async def login(request: web.Request) -> web.StreamResponse:
    from web.console.app import SETTINGS_KEY

    _limited(request)
    form = await request.post()
    posted = form.get(CSRF_FIELD)
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not isinstance(posted, str) or not expected or not same(posted, expected):
        request.config_dict[RATE_KEY].note(client_address(request))
        raise web.HTTPForbidden()
    db: Database = request.config_dict[DB_KEY]
    now: datetime = request.config_dict[CLOCK_KEY]()
    try:
        async with db.transaction() as session:
            started = await redeem_link(session, request.match_info["token"], now=now,
                                        replacing=request.cookies.get(SESSION_COOKIE))
    except LinkRefused as refused:
        return _refused(request, refused.code)
    response = web.Response(status=303, headers={"Location": "/console/"})
    settings = request.config_dict[SETTINGS_KEY]
    set_cookie(response, SESSION_COOKIE, started.token, secure_only=settings.secure_cookies)
    response.del_cookie(LOGIN_COOKIE, path=request.path)
    return response


async def signed_out(request: web.Request) -> web.StreamResponse:
    from web.console.app import base_context, render

    return render(request, "console/signed_out.html", base_context(request, words_for(None)))


logout = CONSOLE.action("/logout", name="logout", template="console/logout.html", roles=ANYONE)


@logout.confirm
async def logout_confirm(req: Req) -> Context:
    return {}


@logout.perform
async def logout_do(req: Req) -> web.StreamResponse:
    await sign_out(req.session, req.viewer, req.now)
    response = req.redirect(str(req.request.app.router["signed_out"].url_for()))
    response.del_cookie(SESSION_COOKIE, path="/console/")
    return response


def install(sub: web.Application, clock: Callable[[], datetime]) -> None:
    sub[RATE_KEY] = RateLimit(ATTEMPTS, PER, clock)
    sub.router.add_get("/login/{token}", login_page, name="login")
    sub.router.add_post("/login/{token}", login)
    sub.router.add_get("/signed-out", signed_out, name="signed_out")
