"""The console as an aiohttp sub-application under /console/: templates, static files, the
registry's pages and actions, and the middleware every response goes through."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.app import CLOCK_KEY, DB_KEY, SCHEDULED_KEY
from bot.config import Settings
from domain.console import Viewer, touch, visit
from locales import Words, words_for
from locales.formats import hours, percent
from storage.db import Database
from web.console.registry import CONSOLE, Action, Context, PageHandler, Req
from web.console.security import (
    CSRF_FIELD,
    SESSION_COOKIE,
    csrf_token,
    same,
    secure,
)

log = logging.getLogger(__name__)

WEB = Path(__file__).resolve().parents[1]
TEMPLATES = WEB / "templates"
STATIC = WEB / "static" / "console"

JINJA_KEY: web.AppKey[jinja2.Environment] = web.AppKey("console_jinja")
SETTINGS_KEY = web.AppKey("console_settings", Settings)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        # Every value is escaped: a name such as <script> or {{7*7}} shows as typed.
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(request: web.Request, template: str, context: Context, *,
           status: int = 200) -> web.Response:
    return aiohttp_jinja2.render_template(template, request, context, status=status,
                                          app_key=JINJA_KEY)


def local_time(settings: Settings) -> Callable[[datetime | None], str]:
    def shown(moment: datetime | None) -> str:
        return "" if moment is None else moment.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
    return shown


def base_context(request: web.Request, words: Words, viewer: Viewer | None = None,
                 csrf: str = "", page: str = "") -> Context:
    """What every template may use besides its own context."""
    settings = request.config_dict[SETTINGS_KEY]
    router = request.app.router
    nav = []
    if viewer is not None:
        nav = [{"url": str(router[entry.name].url_for()), "label": words(entry.label),
                "current": entry.name == CONSOLE.section_of(page)}
               for entry in CONSOLE.nav_for(viewer)]
    return {"t": words, "lang": words.language, "viewer": viewer, "nav": nav, "csrf": csrf,
            "csrf_field": CSRF_FIELD, "page": page, "local": local_time(settings),
            "hours": lambda value: hours(words, value),
            # 40.0 → 40, 3.25 → 3.25: figures as people write them.
            "num": lambda value: f"{round(float(value), 2):g}",
            "pct": lambda fraction: percent(words, fraction),
            "static": lambda name: str(router["static"].url_for(filename=name)),
            "url": lambda name, **parts: str(router[name].url_for(
                **{k: str(v) for k, v in parts.items()}))}


def error_page(request: web.Request, status: int, words: Words | None = None,
               viewer: Viewer | None = None, csrf: str = "") -> web.Response:
    """403, 404, 405, 429 … in the console's look; in the viewer's words and with the
    navigation when the viewer is known."""
    words = words or words_for(None)
    known = status if status in (401, 403, 404, 405, 410, 413, 429, 500) else 400
    context = base_context(request, words, viewer, csrf) | {"status": status, "reason": known}
    return render(request, "console/error.html", context, status=status)


@web.middleware
async def guard(request: web.Request,
                handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                ) -> web.StreamResponse:
    """Every console response: timed (Server-Timing), with the security headers; an HTTP
    error becomes the console's error page."""
    started = time.perf_counter()
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = error_page(request, exc.status)
    except Exception:
        log.exception("console page %s failed", request.path)
        response = error_page(request, 500)
    private = not request.path.startswith("/console/static/")
    secure(response, private=private)
    if not private:
        response.headers.setdefault("Cache-Control", "public, max-age=3600")
    response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response


def _route(handler: PageHandler, template: str, roles: frozenset[str], *,
           write: bool, commit: bool | None = None, max_body: int | None = None
           ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A registered page as an aiohttp handler: the session checked, the CSRF token of a
    POST checked, the request's database session (a transaction for a POST, unless
    `commit` is False: the handler opens its own) opened. `max_body`: the POST's own size
    limit (an upload), instead of the service's."""
    commit = write if commit is None else commit

    async def route(request: web.Request) -> web.StreamResponse:
        token = request.cookies.get(SESSION_COOKIE, "")
        if max_body is not None:
            length = request.content_length
            # Refused before a byte of the upload is read: too large, or from no session.
            if length is not None and length > max_body:
                raise web.HTTPRequestEntityTooLarge(max_body, length)
            if not token:
                raise web.HTTPForbidden()
            request = request.clone(client_max_size=max_body)
        db: Database = request.config_dict[DB_KEY]
        settings: Settings = request.config_dict[SETTINGS_KEY]
        now = request.config_dict[CLOCK_KEY]()
        if max_body is not None and write:
            # Only a browser signed in as someone the action is for gets megabytes read.
            async with db.reader() as session:
                visitor = await visit(session, token, now)
            if visitor is None:
                raise web.HTTPForbidden()
            if not visitor.viewer.may(roles):
                raise web.HTTPNotFound()
        form: dict[str, str] = {}
        if write:
            posted = await request.post()
            form = {k: v for k, v in posted.items() if isinstance(v, str)}
            # Before anything is read: a forged form changes nothing and learns nothing.
            if not token or not same(form.get(CSRF_FIELD, ""), csrf_token(token)):
                raise web.HTTPForbidden()
        viewer: Viewer | None = None
        words = words_for(None)
        try:
            async with db.transaction() if commit else db.reader() as session:
                found = await visit(session, token, now)
                if found is None:
                    if write:
                        raise web.HTTPForbidden()
                    return render(request, "console/signin_needed.html",
                                  base_context(request, words), status=401)
                viewer, words = found.viewer, words_for(found.viewer.language)
                if not viewer.may(roles):
                    raise _elsewhere(request, viewer) if not write else web.HTTPNotFound()
                if found.stale and commit:
                    await touch(session, viewer.session_id, now)
                req = Req(request=request, viewer=viewer, session=session, now=now,
                          settings=settings, words=words, csrf=csrf_token(token), form=form)
                result = await handler(req)
                if isinstance(result, web.StreamResponse):
                    response = result
                else:
                    status = int(result.pop("status", 200))
                    page = request.match_info.route.name or ""
                    response = render(
                        request, template,
                        base_context(request, words, viewer, req.csrf, page) | result,
                        status=status)
        except web.HTTPException as exc:
            # Rolled back by now; the error page in the viewer's words, with the navigation.
            if exc.status < 400 or viewer is None:
                raise
            return error_page(request, exc.status, words, viewer, csrf_token(token))
        if write:
            # Whatever the action queued (a proposer's push) goes out now, not at the next
            # sweep of the outbox.
            request.config_dict[SCHEDULED_KEY].nudge()
        if found.stale and not commit:
            # A read keeps the session alive: its last-seen time, now and then.
            async with db.transaction() as session:
                await touch(session, viewer.session_id, now)
        return response

    return route


def _elsewhere(request: web.Request, viewer: Viewer) -> web.HTTPException:
    """A page not for this viewer: not found — except the front page (总览, where every
    sign-in lands), which sends a viewer it is not for (an expert) to their first page."""
    entries = CONSOLE.nav_for(viewer)
    if request.match_info.route.name == CONSOLE.home and entries:
        return web.HTTPSeeOther(str(request.app.router[entries[0].name].url_for()))
    return web.HTTPNotFound()


def _install(sub: web.Application) -> None:
    from web.console import pages  # noqa: F401  (the modules register their pages)

    for page in CONSOLE.pages:
        sub.router.add_get(page.path, _route(page.handler, page.template, page.roles,
                                             write=False), name=page.name)
    for action in CONSOLE.actions:
        _install_action(sub, action)


def _install_action(sub: web.Application, action: Action) -> None:
    assert action.show is not None and action.do is not None, action.name
    resource = sub.router.add_resource(action.path, name=action.name)
    resource.add_route("GET", _route(action.show, action.template, action.roles, write=False))
    resource.add_route("POST", _route(action.do, action.template, action.roles, write=True,
                                      commit=action.transaction, max_body=action.max_body))


def console_part(settings: Settings) -> Callable[[web.Application], None]:
    """Add /console/ to the service's app."""

    def add(app: web.Application) -> None:
        from web.console import signin

        sub = web.Application(middlewares=[guard])
        sub[SETTINGS_KEY] = settings
        sub[JINJA_KEY] = _environment()
        sub.router.add_static("/static/", STATIC, name="static", append_version=True)
        signin.install(sub, app[CLOCK_KEY])
        _install(sub)

        async def to_console(_request: web.Request) -> web.StreamResponse:
            raise web.HTTPMovedPermanently("/console/")

        # Before the sub-application, whose prefix would take /console too.
        app.router.add_get("/console", to_console)
        app.add_subapp("/console/", sub)

    return add

