"""Following and unfollowing the account, and binding a WeChat user to their member record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.context import Ctx, Incoming
from bot.dialogs import Step, dialog, end, stay
from bot.replies import SILENCE, Reply, Text
from bot.routing import Router
from handlers.common import role_name
from locales import words_for
from storage.queries.invites import (
    CODE_LENGTH,
    INVITE_TTL,
    bind_failures_since,
    forget_bind_failures,
    normalise_code,
    record_bind_failure,
    redeem_invite,
)
from storage.queries.members import set_subscribed
from storage.queries.sender import MemberView

router = Router("onboarding")

INVITE_SCENE = "invite:"
# Brute-force guard: this many unknown codes within the window lock binding for the window.
MAX_FAILURES = 5
LOCK_WINDOW = timedelta(hours=1)
_REFUSALS = {"used": "onboarding.code_used", "expired": "onboarding.code_expired",
             "revoked": "onboarding.code_revoked"}


@dataclass
class AskCode:
    """绑定 without a code: nothing to remember but that we asked."""


BIND = dialog(router, "onboarding", AskCode, states=("ask_code",), entry=("bind",))


def _described(ctx: Ctx, key: str, member: MemberView) -> Text:
    """The reply `key` about who the member is: with their studio, or — a union admin, who
    belongs to none — in the words of `key`_union, which name the role alone."""
    if member.studio_name is None:
        return ctx.reply(f"{key}_union", name=member.name, role=role_name(ctx, member.role))
    return ctx.reply(key, name=member.name, studio=member.studio_name,
                     role=role_name(ctx, member.role))


async def _bind(msg: Incoming, ctx: Ctx, typed: str) -> tuple[Reply, bool]:
    """Redeem `typed` for the sender, with the brute-force guard in front.

    Returns the reply and whether the dialog (if any) is over."""
    if ctx.member is not None:
        return _described(ctx, "onboarding.already_bound", ctx.member), True
    failures = await bind_failures_since(ctx.session, msg.openid, ctx.now - LOCK_WINDOW)
    if len(failures) >= MAX_FAILURES:
        until = (failures[-MAX_FAILURES] + LOCK_WINDOW).astimezone(ctx.settings.tz)
        return ctx.reply("onboarding.locked", until=until.strftime("%H:%M")), False
    code = normalise_code(typed)
    result = await redeem_invite(ctx.session, code, msg.openid, ctx.now)
    if result.status == "ok" and result.member is not None:
        await forget_bind_failures(ctx.session, msg.openid)
        bound = MemberView.of(result.member)
        if bound.language:
            # From now on they read their own language (the roster may have set it).
            ctx.words = words_for(bound.language)
        return _described(ctx, "onboarding.bound", bound), True
    if result.status == "unknown":
        # Only guesses count towards the lock: a used or expired code is not a guess.
        await record_bind_failure(ctx.session, msg.openid, ctx.now)
        left = MAX_FAILURES - len(failures) - 1
        if left <= 0:
            until = (ctx.now + LOCK_WINDOW).astimezone(ctx.settings.tz)
            return ctx.reply("onboarding.locked", until=until.strftime("%H:%M")), True
        return ctx.reply("onboarding.code_unknown", code=typed.strip()[:16], left=left), False
    return ctx.reply(_REFUSALS[result.status], days=INVITE_TTL.days), True


@router.command("绑定", aliases=("bind",), takes_args=True, summary="cmd.bind.summary",
                usage="cmd.bind.usage")
async def on_bind(msg: Incoming, ctx: Ctx) -> Reply:
    if ctx.member is None and not ctx.args:
        BIND.enter(ctx, "ask_code", AskCode())
        return ctx.reply("onboarding.ask_code", length=CODE_LENGTH)
    reply, done = await _bind(msg, ctx, ctx.args)
    if done and ctx.dialog.active:
        ctx.dialog.end()
    return reply


@BIND.step("ask_code")
async def on_code(msg: Incoming, ctx: Ctx, data: AskCode) -> Step:
    reply, done = await _bind(msg, ctx, msg.text or "")
    return end(reply) if done else stay(reply)


def _invite_in(msg: Incoming) -> str | None:
    key = msg.event_key or ""
    return key[len(INVITE_SCENE):] if key.startswith(INVITE_SCENE) else None


@router.event("subscribe")
async def on_subscribe(msg: Incoming, ctx: Ctx) -> Reply:
    code = _invite_in(msg)
    if code is not None and ctx.member is None:
        # Followed by scanning an invite QR code: bind in the same step.
        reply, _done = await _bind(msg, ctx, code)
        if isinstance(reply, Text):
            return Text(ctx.t("onboarding.welcome_short") + "\n" + reply.content)
        return reply
    if ctx.member is None:
        return ctx.reply("onboarding.welcome_new")
    await set_subscribed(ctx.session, ctx.member.id, True)
    return ctx.reply("onboarding.welcome_back", name=ctx.member.name)


@router.event("scan")
async def on_scan(msg: Incoming, ctx: Ctx) -> Reply:
    code = _invite_in(msg)
    if code is None:
        return SILENCE
    reply, done = await _bind(msg, ctx, code)
    if done and ctx.dialog.active:
        ctx.dialog.end()
    return reply


@router.event("unsubscribe")
async def on_unsubscribe(msg: Incoming, ctx: Ctx) -> Reply:
    # Keep every record: the member only stops receiving pushes until they follow again.
    if ctx.member is not None:
        await set_subscribed(ctx.session, ctx.member.id, False)
    return SILENCE
