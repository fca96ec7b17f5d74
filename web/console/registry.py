"""The console's pages in one registry: a page is one route, one template and (if it has
one) one navigation entry; an action is a confirm page (GET) and its doing (POST).

    @CONSOLE.page("/studios", name="studios", template="console/studios.html",
                  nav="console.nav.studios", order=20)
    async def studios(req: Req) -> Context: ...

    decide = CONSOLE.action("/suggestions/{id}/decide", name="suggestion_decide",
                            template="console/decide.html")

    @decide.confirm
    async def show(req: Req) -> Context: ...      # what will happen (reads only)

    @decide.perform
    async def do(req: Req) -> Done | Context: ...   # in one transaction, with an audit row

A page handler gets a :class:`Req` (the viewer, a database session scoped to the request,
the time from the app's clock, the viewer's words) and returns the template's context, or a
response of its own (a redirect). Anything another studio's leader asks for is a 404:
handlers narrow every query by ``req.viewer.scope`` and raise ``req.not_found()``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.config import Settings
from domain.console import CONSOLE_ROLES, Viewer
from locales import Words
from storage.session import Session

Context = dict[str, Any]
PageHandler = Callable[["Req"], Awaitable["Context | web.StreamResponse"]]


@dataclass
class Req:
    """What a console page handler works with."""

    request: web.Request
    viewer: Viewer
    session: Session
    now: datetime
    settings: Settings
    words: Words
    csrf: str
    form: Mapping[str, str] = field(default_factory=dict)  # a POST's fields

    def t(self, key: str, /, **values: object) -> str:
        return self.words(key, **values)

    @property
    def today(self) -> date:
        return self.now.astimezone(self.settings.tz).date()

    def url(self, name: str, query: Mapping[str, object] | None = None, **parts: object) -> str:
        """The path of the route `name` (its {placeholders} from `parts`), with a query."""
        url = str(self.request.app.router[name].url_for(
            **{k: str(v) for k, v in parts.items()}))
        kept = {k: v for k, v in (query or {}).items() if v not in (None, "")}
        return url + ("?" + urlencode(kept) if kept else "")

    def arg(self, name: str, default: str = "") -> str:
        """A query parameter (a form field for a POST), stripped."""
        value = self.form.get(name) if name in self.form else self.request.query.get(name)
        return (value or default).strip()

    def int_arg(self, name: str) -> int | None:
        """A whole-number parameter; None when absent or not a number."""
        value = self.arg(name)
        return int(value) if value.isdigit() and len(value) < 10 else None

    def path_id(self, name: str = "id") -> int:
        """A record number in the path: anything else is a page that does not exist."""
        value = self.request.match_info.get(name, "")
        if not value.isdigit() or len(value) > 9:
            raise self.not_found()
        return int(value)

    def not_found(self) -> web.HTTPNotFound:
        return web.HTTPNotFound()

    def redirect(self, location: str) -> web.StreamResponse:
        """See other: after a POST, the page the browser goes to (and may reload safely)."""
        return web.Response(status=303, headers={"Location": location})


@dataclass(frozen=True)
class NavEntry:
    name: str  # the route
    label: str  # catalog key
    order: int
    roles: frozenset[str]


@dataclass
class Page:
    name: str
    path: str
    template: str
    handler: PageHandler
    roles: frozenset[str]


@dataclass
class Action:
    """A state-changing action: GET shows what will happen, POST does it."""

    name: str
    path: str
    template: str
    roles: frozenset[str]
    show: PageHandler | None = None
    do: PageHandler | None = None
    # False: the POST's session only reads, and the handler opens the transactions it needs
    # itself (a job run by hand commits as it goes, in transactions of its own).
    transaction: bool = True
    # The largest POST body it takes (an upload); None: the service's limit (64 KiB).
    max_body: int | None = None

    def confirm(self, handler: PageHandler) -> PageHandler:
        self.show = handler
        return handler

    def perform(self, handler: PageHandler) -> PageHandler:
        self.do = handler
        return handler


@dataclass
class Registry:
    pages: list[Page] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    nav: list[NavEntry] = field(default_factory=list)
    # The navigation entry a page without one belongs under (a studio's page: 工作室).
    sections: dict[str, str] = field(default_factory=dict)
    # The page a sign-in lands on (总览).
    home: str = "overview"

    def page(self, path: str, *, name: str, template: str, nav: str | None = None,
             order: int = 100, roles: tuple[str, ...] = CONSOLE_ROLES,
             section: str | None = None) -> Callable[[PageHandler], PageHandler]:
        """Register a GET page at /console`path`; `nav`: its entry in the navigation (a
        catalog key), placed by `order`, shown to `roles`; or `section`: the route name of
        the entry it comes under."""
        def register(handler: PageHandler) -> PageHandler:
            self.pages.append(Page(name, path, template, handler, frozenset(roles)))
            if section is not None:
                self.sections[name] = section
            if nav is not None:
                self.nav.append(NavEntry(name, nav, order, frozenset(roles)))
                self.nav.sort(key=lambda entry: entry.order)
            return handler
        return register

    def action(self, path: str, *, name: str, template: str,
               roles: tuple[str, ...] = CONSOLE_ROLES, section: str | None = None,
               transaction: bool = True, max_body: int | None = None) -> Action:
        """Register an action at /console`path`: its confirm page (GET) and its doing (POST);
        `transaction=False`: the POST's session only reads and the handler opens its own;
        `max_body`: a POST larger than the service's 64 KiB it accepts (a file upload)."""
        action = Action(name, path, template, frozenset(roles), transaction=transaction,
                        max_body=max_body)
        self.actions.append(action)
        if section is not None:
            self.sections[name] = section
        return action

    def section_of(self, name: str) -> str:
        """The navigation entry to mark for the route `name`."""
        return self.sections.get(name, name)

    def nav_for(self, viewer: Viewer) -> list[NavEntry]:
        return [entry for entry in self.nav if viewer.may(entry.roles)]


CONSOLE = Registry()
