"""我的: who I am here, and my mentorship circle."""

from __future__ import annotations

from bot.context import Ctx, Incoming
from bot.replies import Reply, Text
from bot.routing import Router
from handlers.common import ROLE_NAMES
from storage.models import ROLE_ADMIN, ROLE_LEADER, ROLE_MEMBER
from storage.queries.studios import mentorship_circle

router = Router("me")

HEADER = "{name}（工号 {employee_no}）\n工作室：{studio}\n身份：{role}"
MENTORS = "师傅：{names}"
APPRENTICES = "徒弟：{names}"
NO_PAIR = "师徒结对：暂无"


@router.command("我的", aliases=("me",), roles=(ROLE_MEMBER, ROLE_LEADER, ROLE_ADMIN),
                summary="查看我的信息")
async def on_me(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None  # the router lets only bound users through
    lines = [HEADER.format(
        name=member.name,
        employee_no=member.employee_no,
        studio=member.studio.name if member.studio is not None else "工会（不属于具体工作室）",
        role=ROLE_NAMES.get(member.role, member.role),
    )]
    circle = await mentorship_circle(ctx.session, member.id)
    if circle.mentors:
        lines.append(MENTORS.format(names="、".join(circle.mentors)))
    if circle.apprentices:
        lines.append(APPRENTICES.format(names="、".join(circle.apprentices)))
    if not circle.mentors and not circle.apprentices and member.role != ROLE_ADMIN:
        lines.append(NO_PAIR)
    return Text("\n".join(lines))
