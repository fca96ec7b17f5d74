"""取消 and 帮助 (which beat any dialog), role refusals, and what nothing else matched —
with an offer of what it probably meant (handlers.guesses), which 是 takes up."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.context import ROLE_UNBOUND, Ctx, Incoming
from bot.dialogs import DIALOG_TTL, Step, dialog
from bot.replies import MAX_TEXT_BYTES, SILENCE, Reply, Text, fit_lines
from bot.routing import Availability, Command, Router
from handlers import faq
from handlers.guesses import guess, shown
from handlers.parsing import is_yes
from storage.models import ROLES

router = Router("common")

_ECHO_LIMIT = 20  # characters of a typed command repeated back
_AROUND_WORD = re.compile(r"^[\W_]+|[\W_]+$")


@dataclass
class Offer:
    """What the fallback offered to do with a text it did not recognise: the message to
    handle when the sender says yes."""

    text: str


OFFER = dialog(router, "offer", Offer, states=("confirm",), entry=(),
               activity="common.offer_activity", declined="common.offer_declined")


def _typed_word(msg: Incoming, ctx: Ctx) -> str:
    """The command word as the sender typed it ("week", 本周, 週報), so a refusal names it in
    their own words; a menu click names the command."""
    assert ctx.command is not None
    typed = (msg.text or "").strip()
    if not typed:
        return ctx.command.name
    word = typed[: len(typed) - len(ctx.args)] if ctx.args else typed
    # Without the brackets and punctuation that may surround a command word: 【本周】 is 本周.
    return _AROUND_WORD.sub("", word)[:_ECHO_LIMIT] or ctx.command.name


def push_state(ctx: Ctx) -> str:
    """The catalog's two wordings of a reply that mentions a push: whether anything can be
    pushed at all (WECHAT_APP_ID/SECRET). A reply must not claim someone was told when
    nothing will tell them."""
    return "can_push" if ctx.settings.can_push else "cannot_push"


def role_name(ctx: Ctx, role: str) -> str:
    return ctx.t(f"role.{role}") if role in ROLES else role


@router.command("取消", aliases=("cancel", "退出"), always=True, summary="cmd.cancel.summary",
                writes=False)
async def on_cancel(msg: Incoming, ctx: Ctx) -> Reply:
    if not ctx.dialog.active and not ctx.dialog.expired:
        return ctx.reply("common.nothing_to_cancel")
    ctx.dialog.end()
    return ctx.reply("common.cancelled")


async def listed_commands(ctx: Ctx) -> list[Command]:
    """The commands 帮助 lists for the sender: those of their role with a line of help,
    less those whose availability check says they are no use to them now (打卡 without a
    mentorship pair). Each check runs once, however many commands share it: 帮助 is the
    hottest message, and today it costs one query (the pair check 打卡 and 确认 share)."""
    answers: dict[Availability, bool] = {}
    listed = []
    for c in ctx.commands:
        if not (c.summary and c.roles):
            continue
        if c.available is not None:
            if c.available not in answers:
                answers[c.available] = await c.available(ctx)
            if not answers[c.available]:
                continue
        listed.append(c)
    return listed


@router.command("帮助", aliases=("help", "?", "？", "菜单", "menu"), always=True,
                summary="cmd.help.summary", writes=False)
async def on_help(msg: Incoming, ctx: Ctx) -> Reply:
    if ctx.member is None:
        return ctx.reply("common.help_unbound")
    # Commands open to everyone (帮助, 取消, 绑定) are not listed: they are not the
    # member's tools, and the footer mentions 取消.
    lines = [ctx.t("common.help_line", usage=ctx.t(c.usage),
                   summary=ctx.t(c.summary, **dict(c.facts)))
             for c in await listed_commands(ctx)]
    role = role_name(ctx, ctx.member.role)
    # A union admin belongs to no studio: their role says where they sit.
    header = (ctx.t("common.help_header", name=ctx.member.name, studio=ctx.member.studio_name,
                    role=role) if ctx.member.studio_name is not None
              else ctx.t("common.help_header_union", name=ctx.member.name, role=role))
    footer = ctx.t("common.help_footer")
    # A long help (Mongolian script takes three bytes a letter) keeps its footer: the
    # command lines give way, ending on a whole line with a pointer to the rest.
    room = MAX_TEXT_BYTES - len(footer.encode("utf-8")) - 1
    return Text(fit_lines([header, *lines], ctx.t("common.help_more"), limit=room)
                + "\n" + footer)


@router.refused()
async def on_refused(msg: Incoming, ctx: Ctx) -> Reply:
    """A known command outside the sender's role: say who may use it."""
    assert ctx.command is not None
    name = _typed_word(msg, ctx)
    if ctx.role == ROLE_UNBOUND:
        return ctx.reply("common.refused_unbound", command=name)
    roles = ctx.command.roles or frozenset()
    allowed = ctx.t("common.list_separator").join(role_name(ctx, r) for r in ROLES if r in roles)
    return ctx.reply("common.refused_role", command=name,
                     roles=allowed or ctx.t("common.some_roles"))


@router.message("voice", writes=False)
async def on_voice_without_text(msg: Incoming, ctx: Ctx) -> Reply:
    return ctx.reply("common.voice_unrecognised")


@router.message("image", "video", "shortvideo", "location", "link", "file", writes=False)
async def on_non_text(msg: Incoming, ctx: Ctx) -> Reply:
    return ctx.reply("common.not_text")


# Reads (the FAQ, the offers); writes only when the FAQ has no answer (the miss is kept
# for 留言 and faq stats): then the dispatcher runs it again under the lock.
@router.fallback(writes=False, may_write=True)
async def on_anything_else(msg: Incoming, ctx: Ctx) -> Reply:
    if msg.event == "click":
        return ctx.reply("common.unknown_click")
    if msg.msg_type == "event":
        # VIEW, LOCATION, TEMPLATESENDJOBFINISH, subscribe-message events…: nothing to say.
        return SILENCE
    text = (msg.text or "").strip()
    note = (ctx.t("common.dialog_expired", minutes=int(DIALOG_TTL.total_seconds() // 60)) + "\n"
            if ctx.dialog.expired else "")
    if not text:
        return Text(note + ctx.t("common.empty_text"))
    offer = await guess(ctx, text)
    if offer is not None:
        OFFER.enter(ctx, "confirm", Offer(text=offer.text))
        return Text(note + offer.reply.content)
    # Then the union's FAQ (when one was imported): an answer, a choice, or a miss recorded.
    answered = await faq.answer_question(msg, ctx, text)
    if answered is not None and isinstance(answered, Text):
        return Text(note + answered.content)
    return Text(note + ctx.t("common.unknown_text", text=shown(ctx, text)))


@OFFER.step("confirm")
async def on_offer_answer(msg: Incoming, ctx: Ctx, offer: Offer) -> Step:
    if is_yes(msg.text or ""):
        return await OFFER.hand_over(msg, ctx, offer.text)
    # Anything else is a message of its own, handled as if nothing had been offered.
    return await OFFER.hand_over(msg, ctx)
