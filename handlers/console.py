"""后台: a one-time link into the web console for a union admin, a studio leader, or an expert
of a rating round under way (the console's 评审 pages)."""

from __future__ import annotations

import logging

from bot.context import Ctx, Incoming
from bot.replies import Reply
from bot.routing import Router
from domain import NotAllowed
from domain.console import LINK_TTL, LOGIN_PATH, issue_link
from storage.models import ROLE_ADMIN, ROLE_LEADER, ROLE_MEMBER
from storage.queries.console_sessions import reviewing

router = Router("console")
log = logging.getLogger(__name__)


async def _may_use(ctx: Ctx) -> bool:
    """后台 is listed in 帮助 for admins and leaders, and for a member while they are an
    expert of a round under way."""
    member = ctx.member
    return member is not None and (member.role != ROLE_MEMBER
                                   or await reviewing(ctx.session, member.id))


# Members may ask: an expert among them gets a link, the others are told who may.
@router.command("后台", aliases=("console",), roles=(ROLE_MEMBER, ROLE_LEADER, ROLE_ADMIN),
                summary="cmd.console.summary", usage="cmd.console.usage", available=_may_use)
async def on_console(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None  # the roles let only bound members through
    base = ctx.settings.console_base_url
    if base is None:
        # The member is told the office has not set it up; the operator reads why here.
        log.warning("a console link was asked for (member %s) but WORKSHOP_BOT_PUBLIC_URL "
                    "is not set: set it to the address people open the service at", member.id)
        return ctx.reply("console.not_set_up")
    try:
        link = await issue_link(ctx.session, member.id, via="chat", now=ctx.now)
    except NotAllowed:
        if member.role == ROLE_MEMBER:
            return ctx.reply("console.members_refused")
        return ctx.reply("console.no_studio")  # a leader of no studio has nothing to see
    return ctx.reply("console.link", url=base + LOGIN_PATH + link.token,
                     minutes=int(LINK_TTL.total_seconds() // 60))
