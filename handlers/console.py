"""后台: a one-time link into the web console for a union admin or a studio leader."""

from __future__ import annotations

import logging

from bot.context import Ctx, Incoming
from bot.replies import Reply
from bot.routing import Router
from domain import NotAllowed
from domain.console import LINK_TTL, LOGIN_PATH, issue_link
from storage.models import ROLE_ADMIN, ROLE_LEADER

router = Router("console")
log = logging.getLogger(__name__)


@router.command("后台", aliases=("console",), roles=(ROLE_LEADER, ROLE_ADMIN),
                summary="cmd.console.summary", usage="cmd.console.usage")
async def on_console(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None  # the roles let only admins and leaders through
    base = ctx.settings.console_base_url
    if base is None:
        # The member is told the office has not set it up; the operator reads why here.
        log.warning("a console link was asked for (member %s) but WORKSHOP_BOT_PUBLIC_URL "
                    "is not set: set it to the address people open the service at", member.id)
        return ctx.reply("console.not_set_up")
    try:
        link = await issue_link(ctx.session, member.id, via="chat", now=ctx.now)
    except NotAllowed:  # a leader of no studio has nothing to see
        return ctx.reply("console.no_studio")
    return ctx.reply("console.link", url=base + LOGIN_PATH + link.token,
                     minutes=int(LINK_TTL.total_seconds() // 60))
