"""Following and unfollowing the account."""

from __future__ import annotations

from bot.context import Ctx, Incoming
from bot.replies import SILENCE, Reply, Text
from bot.routing import Router
from storage.queries.members import set_subscribed

router = Router("onboarding")

WELCOME_NEW = (
    "欢迎关注创新工作室助手！\n"
    "在这里可以提交每周工作日志、师徒打卡、合理化建议和成果，领衔人可以发布课题进展和通知。\n"
    "请先绑定身份：发送“绑定 邀请码”（邀请码向工作室或工会管理员领取）。发送“帮助”查看说明。"
)
WELCOME_BACK = "{name}，欢迎回来！您的记录都还在，提醒和通知会恢复推送。发送“帮助”查看可用命令。"


@router.event("subscribe")
async def on_subscribe(msg: Incoming, ctx: Ctx) -> Reply:
    if ctx.member is None:
        return Text(WELCOME_NEW)
    await set_subscribed(ctx.session, ctx.member.id, True)
    return Text(WELCOME_BACK.format(name=ctx.member.name))


@router.event("unsubscribe")
async def on_unsubscribe(msg: Incoming, ctx: Ctx) -> Reply:
    # Keep every record: the member only stops receiving pushes until they follow again.
    if ctx.member is not None:
        await set_subscribed(ctx.session, ctx.member.id, False)
    return SILENCE
