"""取消 and 帮助 (which beat any dialog), role refusals, and what nothing else matched."""

from __future__ import annotations

from bot.context import ROLE_UNBOUND, Ctx, Incoming
from bot.replies import SILENCE, Reply, Text
from bot.routing import Router

router = Router("common")

ROLE_NAMES = {"member": "成员", "leader": "领衔人", "admin": "工会管理员"}


CANCELLED = "已取消，刚才填写的内容没有保存。"
NOTHING_TO_CANCEL = "当前没有进行中的操作，无需取消。发送“帮助”查看可用命令。"
HELP_UNBOUND = (
    "您好！这里是创新工作室助手。\n"
    "使用前请先绑定身份：发送“绑定 邀请码”（邀请码由工作室或工会管理员发给您），"
    "或扫描管理员提供的二维码。\n"
    "发送“帮助”可随时查看本说明。"
)
HELP_HEADER = "{name}（{studio}·{role}），您可以发送：\n"
HELP_FOOTER = "\n命令前后可加空格，中英文标点均可；正在填写时发送“取消”可退出。"
REFUSED_UNBOUND = "“{command}”需要先绑定身份才能使用。请发送“绑定 邀请码”完成绑定。"
REFUSED_ROLE = "抱歉，“{command}”仅限{roles}使用。发送“帮助”查看您可以使用的命令。"
UNKNOWN_TEXT = "没有找到与“{text}”对应的命令。发送“帮助”查看可用命令。"
DIALOG_EXPIRED = "（您上次未完成的填写已超过 30 分钟，已自动取消，没有保存。）\n"
EMPTY_TEXT = "收到一条空消息。发送“帮助”查看可用命令。"
UNKNOWN_CLICK = "这个菜单项暂时不可用，请发送“帮助”查看可用命令。"
NOT_TEXT = "目前只能处理文字消息（语音请开启转文字后再发）。发送“帮助”查看可用命令。"
VOICE_UNRECOGNISED = "没有识别出这条语音的文字内容，请改发文字，或发送“帮助”查看可用命令。"

_ECHO_LIMIT = 20


@router.command("取消", aliases=("cancel", "退出"), always=True,
                summary="退出正在进行的填写，不保存")
async def on_cancel(msg: Incoming, ctx: Ctx) -> Reply:
    if not ctx.dialog.active and not ctx.dialog.expired:
        return Text(NOTHING_TO_CANCEL)
    ctx.dialog.end()
    return Text(CANCELLED)


@router.command("帮助", aliases=("help", "?", "？", "菜单", "menu"), always=True,
                summary="查看您可以使用的命令")
async def on_help(msg: Incoming, ctx: Ctx) -> Reply:
    if ctx.member is None:
        return Text(HELP_UNBOUND)
    # Commands open to everyone (帮助, 取消, 绑定) are not listed: they are not the
    # member's tools, and the footer mentions 取消.
    lines = [f"· {c.usage}：{c.summary}" for c in ctx.commands if c.summary and c.roles]
    studio = ctx.member.studio_name or "工会"
    header = HELP_HEADER.format(
        name=ctx.member.name, studio=studio, role=ROLE_NAMES.get(ctx.member.role, ctx.member.role)
    )
    return Text(header + "\n".join(lines) + HELP_FOOTER)


@router.refused()
async def on_refused(msg: Incoming, ctx: Ctx) -> Reply:
    """A known command outside the sender's role: say who may use it."""
    assert ctx.command is not None
    name = ctx.command.name
    if ctx.role == ROLE_UNBOUND:
        return Text(REFUSED_UNBOUND.format(command=name))
    roles = ctx.command.roles or frozenset()
    allowed = "、".join(ROLE_NAMES[r] for r in ROLE_NAMES if r in roles) or "特定角色"
    return Text(REFUSED_ROLE.format(command=name, roles=allowed))


@router.message("voice")
async def on_voice_without_text(msg: Incoming, ctx: Ctx) -> Reply:
    return Text(VOICE_UNRECOGNISED)


@router.message("image", "video", "shortvideo", "location", "link", "file")
async def on_non_text(msg: Incoming, ctx: Ctx) -> Reply:
    return Text(NOT_TEXT)


@router.fallback()
async def on_anything_else(msg: Incoming, ctx: Ctx) -> Reply:
    if msg.event == "click":
        return Text(UNKNOWN_CLICK)
    if msg.msg_type == "event":
        # VIEW, LOCATION, TEMPLATESENDJOBFINISH, subscribe-message events…: nothing to say.
        return SILENCE
    text = (msg.text or "").strip()
    note = DIALOG_EXPIRED if ctx.dialog.expired else ""
    if not text:
        return Text(note + EMPTY_TEXT)
    shown = text if len(text) <= _ECHO_LIMIT else text[:_ECHO_LIMIT] + "…"
    return Text(note + UNKNOWN_TEXT.format(text=shown))
