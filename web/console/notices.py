"""通知 on the console: the notices sent, each with what became of its pushes; posting one
(a leader to their studio; an admin to a studio, to every leader or to every member of the
union) after a confirm step that counts whom it will reach; and a notice's delivery report
— sent, failed and waiting by channel, and why pushes failed.

Posting calls domain.notices.post_notice, the function the chat's 通知 calls, with the
chat's wording of the push (locales.pushes.notice); the console's POST nudges the outbox
worker, so the pushes go out at once."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from domain import NotFound, TooLong
from domain.audit import audited
from domain.members import Actor
from domain.notices import (
    MAX_CHARS,
    NoAudience,
    NoticeReport,
    PostedNotice,
    notice_report,
    post_notice,
    studio_notices,
)
from locales import pushes
from scheduled.delivery import reason_words
from storage.models import Notice
from storage.queries.members import studio_name, union_name
from storage.queries.notices import Audience, audience_of
from storage.queries.studio_pages import studio_heads
from web.console.members import viewer_actor
from web.console.registry import CONSOLE, Context, Req

PAGE_SIZE = 20
UNION_AUDIENCES = ("leaders", "members")  # an admin's notice to the whole union
STUDIO = "studio"
# How a pick of the post form's "to" names a studio: studio:<id>.
STUDIO_PREFIX = "studio:"
# Outbox states as the report counts them (domain.notices.Deliveries).
COLUMNS = (("sent", ("sent",)), ("failed", ("failed", "undeliverable")),
           ("waiting", ("pending", "in_flight")), ("dropped", ("dropped",)))


@dataclass(frozen=True)
class Target:
    """Whom a notice goes to: a studio's members, or the union's leaders or members."""

    audience: str  # storage.models.NOTICE_AUDIENCES
    studio_id: int | None
    name: str  # the studio's name; the union's for a union notice

    @property
    def pick(self) -> str:
        """The post form's value for it."""
        return f"{STUDIO_PREFIX}{self.studio_id}" if self.audience == STUDIO else self.audience


async def _studio_asked(req: Req) -> tuple[int | None, str | None]:
    """The studio whose notices are listed (a leader's own; an admin's ?studio=, or None for
    the union's) and its name. Any other studio is a page that does not exist."""
    if req.viewer.scope is not None:
        wanted: int | None = req.viewer.scope
        if req.arg("studio") and req.int_arg("studio") != wanted:
            raise req.not_found()
    else:
        wanted = req.int_arg("studio")
        if req.arg("studio") and wanted is None:
            raise req.not_found()
    if wanted is None:
        return None, None
    heads = await studio_heads(req.session, scope=req.viewer.scope, studio_id=wanted,
                               leaders=False)
    if not heads:
        raise req.not_found()
    return wanted, heads[0].name


async def _studios(req: Req) -> list[tuple[int, str]]:
    """The studios an admin may send a notice to (a leader picks none: their own)."""
    if req.viewer.scope is not None:
        return []
    return [(h.id, h.name) for h in await studio_heads(req.session, scope=None, leaders=False)]


def _form(req: Req, studios: list[tuple[int, str]], **more: object) -> Context:
    """The post form's context: what was typed, whom to, the limit."""
    return {"studios": studios, "content": "", "to": "", "max_chars": MAX_CHARS,
            "error": None, "facts": {}, "union_audiences": UNION_AUDIENCES,
            "confirming": False, "target": None, "reach": 0, "skipped": 0, "unbound": 0,
            "unfollowed": 0, "can_push": req.settings.can_push} | more


@CONSOLE.page("/notices", name="notices", template="console/notices.html",
              nav="console.nav.notices", order=50)
async def notices(req: Req) -> Context:
    by = await viewer_actor(req)
    studio_id, name = await _studio_asked(req)
    before = req.int_arg("before")
    try:
        listed = await studio_notices(req.session, by, studio_id, limit=PAGE_SIZE + 1,
                                      before=before)
    except NotFound:
        raise req.not_found() from None
    older = listed[PAGE_SIZE - 1].notice_id if len(listed) > PAGE_SIZE else None
    query = {"studio": studio_id if req.viewer.scope is None else None}
    return _form(req, await _studios(req), to=f"{STUDIO_PREFIX}{studio_id}" if studio_id
                 else "") | {
        "notices": listed[:PAGE_SIZE], "studio_id": studio_id, "studio_name": name,
        "older_url": req.url("notices", {**query, "before": older}) if older else None,
        "newest_url": req.url("notices", query) if before else None}


# -- posting --------------------------------------------------------------------------------

notice_post = CONSOLE.action("/notices/new", name="notice_post",
                             template="console/notice_post.html", section="notices")


async def _target(req: Req) -> Target | None:
    """Whom the form asks the notice to go to, if the viewer may send there: a leader only
    to their studio, whatever the form says."""
    if req.viewer.scope is not None:
        return Target(STUDIO, req.viewer.scope, req.viewer.studio_name or "")
    pick = req.arg("to")
    if pick in UNION_AUDIENCES:
        return Target(pick, None, await union_name(req.session) or "")
    number = pick.removeprefix(STUDIO_PREFIX)
    if not pick.startswith(STUDIO_PREFIX) or not number.isdigit() or len(number) > 9:
        return None
    name = await studio_name(req.session, int(number))
    return None if name is None else Target(STUDIO, int(number), name)


def _content(req: Req) -> str:
    """The notice as typed: line breaks kept (a notice may have several), the ends trimmed."""
    return req.form.get("content", "").replace("\r\n", "\n").strip()


def _problem(content: str, target: Target | None) -> tuple[str, dict[str, object]] | None:
    if target is None:
        return "no_target", {}
    if not content:
        return "empty", {}
    if len(content) > MAX_CHARS:
        return "too_long", {"limit": MAX_CHARS, "chars": len(content)}
    return None


def _nobody(reach: Audience | NoAudience) -> tuple[str, dict[str, object]]:
    return "nobody", {"unbound": reach.unbound, "unfollowed": reach.unfollowed}


@notice_post.confirm
async def post_form(req: Req) -> Context:
    """The form alone (the 通知 page holds it too), filled from the query."""
    return _form(req, await _studios(req), to=req.arg("to"))


@notice_post.perform
async def post(req: Req) -> Context | web.StreamResponse:
    """Without confirm=1: what would be sent, to how many; with it: sent."""
    studios = await _studios(req)
    content = _content(req)
    target = await _target(req)
    form = _form(req, studios, content=content, to=target.pick if target else req.arg("to"))
    problem = _problem(content, target)
    if problem is not None:
        return form | {"error": problem[0], "facts": problem[1], "status": 422}
    assert target is not None
    if req.arg("edit") == "1":
        return form  # back to the form, with what was typed
    reach = await audience_of(req.session, target.audience, target.studio_id,
                              req.viewer.member_id)
    if not reach.reachable:
        error, facts = _nobody(reach)
        return form | {"error": error, "facts": facts, "status": 409}
    if req.arg("confirm") != "1":
        return form | {"confirming": True, "target": target, "reach": len(reach.reachable),
                       "skipped": reach.unbound + reach.unfollowed, "unbound": reach.unbound,
                       "unfollowed": reach.unfollowed}
    posted = await _post(req, target, content)
    if isinstance(posted, tuple):
        return form | {"error": posted[0], "facts": posted[1], "status": 409}
    await audited(req.session, req.viewer, "notice.post", Notice, posted.notice_id,
                  subject="notice", studio_id=target.studio_id, now=req.now, before=None)
    return req.redirect(req.url("notice", {"posted": "1"}, id=posted.notice_id))


async def _post(req: Req, target: Target, content: str
                ) -> PostedNotice | tuple[str, dict[str, object]]:
    """Send it, as the chat's 通知 does; the audience is counted again as it is sent."""
    day = req.today.isoformat()
    author = req.viewer.name

    def word(choice: str | None, notice: PostedNotice) -> tuple[str, dict[str, str] | None]:
        return pushes.notice(choice, content=notice.content, author=author, sender=target.name,
                             at=day)

    try:
        return await post_notice(req.session, studio_id=target.studio_id,
                                 author_id=req.viewer.member_id, content=content, now=req.now,
                                 word=word, audience=target.audience)
    except NoAudience as nobody:
        return _nobody(nobody)
    except TooLong as refused:
        return "too_long", dict(refused.facts)


# -- one notice's delivery report -------------------------------------------------------------


@dataclass(frozen=True)
class ChannelLine:
    channel: str | None  # custom, template; None: not tried yet
    counts: dict[str, int]  # by COLUMNS


def _lines(report: NoticeReport) -> list[ChannelLine]:
    lines = []
    for channel in report.deliveries.channels:
        states = report.deliveries.on_channel(channel)
        lines.append(ChannelLine(channel, {column: sum(states.get(s, 0) for s in kept)
                                           for column, kept in COLUMNS}))
    return lines


@CONSOLE.page(r"/notices/{id:\d+}", name="notice", template="console/notice.html",
              section="notices")
async def notice(req: Req) -> Context:
    by: Actor = await viewer_actor(req)
    try:
        report = await notice_report(req.session, by, req.path_id())
    except NotFound:
        raise req.not_found() from None
    studio = None
    if report.studio_id is not None:
        studio = await studio_name(req.session, report.studio_id)
    return {"report": report, "d": report.deliveries, "studio": studio, "lines": _lines(report),
            "columns": [column for column, _ in COLUMNS],
            "reasons": [(reason_words(req.words, code), n)
                        for code, n in report.deliveries.reasons.items()],
            "posted": req.arg("posted") == "1", "can_push": req.settings.can_push}
