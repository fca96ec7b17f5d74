"""Following and unfollowing the account, and binding a WeChat user to their member record."""

from __future__ import annotations

from datetime import timedelta

from bot.context import Ctx, Incoming
from bot.replies import SILENCE, Reply, Text
from bot.routing import Router
from handlers.common import ROLE_NAMES
from storage.queries.invites import (
    bind_failures_since,
    forget_bind_failures,
    normalise_code,
    record_bind_failure,
    redeem_invite,
)
from storage.queries.members import set_subscribed
from storage.queries.sender import MemberView

router = Router("onboarding")

ASK_CODE = "onboarding.ask_code"
INVITE_SCENE = "invite:"
# Brute-force guard: this many unknown codes within the window lock binding for the window.
MAX_FAILURES = 5
LOCK_WINDOW = timedelta(hours=1)

WELCOME_NEW = (
    "欢迎关注创新工作室助手！\n"
    "在这里可以提交每周工作日志、师徒打卡、合理化建议和成果，领衔人可以发布课题进展和通知。\n"
    "请先绑定身份：发送“绑定 邀请码”（邀请码向工作室或工会管理员领取）。发送“帮助”查看说明。"
)
WELCOME_SHORT = "欢迎关注创新工作室助手！"
WELCOME_BACK = "{name}，欢迎回来！您的记录都还在，提醒和通知会恢复推送。发送“帮助”查看可用命令。"
ASK_FOR_CODE = "请发送您的 8 位邀请码（向工作室或工会管理员领取）。发送“取消”可退出。"
BOUND = "绑定成功！{name}，您好。\n工作室：{studio}\n身份：{role}\n发送“帮助”查看您可以使用的命令。"
ALREADY_BOUND = "您的微信已绑定为 {name}（{studio}）。如需更换绑定，请联系工作室或工会管理员。"
CODE_UNKNOWN = "邀请码“{code}”不正确，请核对后重新发送（还可再试 {left} 次）。"
CODE_USED = "这个邀请码已经使用过了。如需重新绑定，请向管理员申请新的邀请码。"
CODE_EXPIRED = "这个邀请码已过期（有效期 14 天）。请向管理员申请新的邀请码。"
CODE_REVOKED = "这个邀请码已作废（管理员已为您生成了新的邀请码），请使用最新的邀请码。"
LOCKED = "邀请码输错次数过多，为保护账号安全，请在 {until} 之后再试，或联系管理员。"

_REFUSALS = {"used": CODE_USED, "expired": CODE_EXPIRED, "revoked": CODE_REVOKED}


def _describe(member: MemberView) -> dict[str, str]:
    return {
        "name": member.name,
        "studio": member.studio_name or "工会",
        "role": ROLE_NAMES.get(member.role, member.role),
    }


async def _bind(msg: Incoming, ctx: Ctx, typed: str) -> Reply:
    """Redeem `typed` for the sender, with the brute-force guard in front."""
    if ctx.member is not None:
        return Text(ALREADY_BOUND.format(**_describe(ctx.member)))
    failures = await bind_failures_since(ctx.session, msg.openid, ctx.now - LOCK_WINDOW)
    if len(failures) >= MAX_FAILURES:
        until = (failures[-MAX_FAILURES] + LOCK_WINDOW).astimezone(ctx.settings.tz)
        return Text(LOCKED.format(until=until.strftime("%H:%M")))
    code = normalise_code(typed)
    result = await redeem_invite(ctx.session, code, msg.openid, ctx.now)
    if result.status == "ok" and result.member is not None:
        ctx.dialog.end()
        await forget_bind_failures(ctx.session, msg.openid)
        return Text(BOUND.format(**_describe(MemberView.of(result.member))))
    if result.status == "unknown":
        # Only guesses count towards the lock: a used or expired code is not a guess.
        await record_bind_failure(ctx.session, msg.openid, ctx.now)
        left = MAX_FAILURES - len(failures) - 1
        if left <= 0:
            until = (ctx.now + LOCK_WINDOW).astimezone(ctx.settings.tz)
            ctx.dialog.end()
            return Text(LOCKED.format(until=until.strftime("%H:%M")))
        return Text(CODE_UNKNOWN.format(code=typed.strip()[:16], left=left))
    ctx.dialog.end()
    return Text(_REFUSALS[result.status])


@router.command("绑定", aliases=("bind",), takes_args=True, summary="用邀请码绑定身份",
                usage="绑定 <邀请码>")
async def on_bind(msg: Incoming, ctx: Ctx) -> Reply:
    if ctx.member is None and not ctx.args:
        ctx.dialog.go(ASK_CODE)
        return Text(ASK_FOR_CODE)
    return await _bind(msg, ctx, ctx.args)


@router.dialog(ASK_CODE)
async def on_code(msg: Incoming, ctx: Ctx) -> Reply:
    return await _bind(msg, ctx, msg.text or "")


def _invite_in(msg: Incoming) -> str | None:
    key = msg.event_key or ""
    return key[len(INVITE_SCENE):] if key.startswith(INVITE_SCENE) else None


@router.event("subscribe")
async def on_subscribe(msg: Incoming, ctx: Ctx) -> Reply:
    code = _invite_in(msg)
    if code is not None and ctx.member is None:
        # Followed by scanning an invite QR code: bind in the same step.
        reply = await _bind(msg, ctx, code)
        return Text(WELCOME_SHORT + "\n" + reply.content) if isinstance(reply, Text) else reply
    if ctx.member is None:
        return Text(WELCOME_NEW)
    await set_subscribed(ctx.session, ctx.member.id, True)
    return Text(WELCOME_BACK.format(name=ctx.member.name))


@router.event("scan")
async def on_scan(msg: Incoming, ctx: Ctx) -> Reply:
    code = _invite_in(msg)
    if code is None:
        return SILENCE
    return await _bind(msg, ctx, code)


@router.event("unsubscribe")
async def on_unsubscribe(msg: Incoming, ctx: Ctx) -> Reply:
    # Keep every record: the member only stops receiving pushes until they follow again.
    if ctx.member is not None:
        await set_subscribed(ctx.session, ctx.member.id, False)
    return SILENCE
