"""打卡 (a mentorship check-in) and 确认 (the mentor confirms one).

打卡 is one declared dialog: it asks only for what the first message did not give — which
pair (when the sender has several), the content, the hours — then records the check-in.
The rules (who may record or confirm, who is told) are domain.mentorship's.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.context import Ctx, Incoming
from bot.dialogs import TEXT, Step, dialog, end, goto, stay
from bot.replies import Reply
from bot.routing import Router
from domain import NotFound
from domain.mentorship import (
    MAX_CHARS,
    AlreadyConfirmed,
    CheckInConfirmed,
    CheckInRecorded,
    TooLong,
    confirm_checkin,
    record_checkin,
)
from handlers.common import push_state
from handlers.parsing import RECORD_ARGS, SKIPPED, find_hours, hours_reply
from locales import Words, compose, formats
from storage.models import ROLE_LEADER, ROLE_MEMBER
from storage.queries.mentorship import PairView, active_pairs_of

router = Router("mentorship")

# How much of a check-in's content its notice repeats (the partner can ask for the rest).
NOTICE_SNIPPET = 200



@dataclass
class CheckInDraft:
    """What 打卡 has gathered so far. The field names are those earlier releases stored,
    so a dialog in flight across an upgrade carries on."""

    # One [pair_id, side, partner_id, partner_name] per active pair of the sender, as
    # they were when the dialog began (side: the sender's, "mentor" or "apprentice").
    pairs: list[list[int | str]]
    pair: int | None = None  # the chosen pair's index in `pairs`
    content: str = ""
    hours: float | None = None
    hours_skipped: bool = False  # the sender answered 跳过: record without hours


CHECKIN = dialog(router, "mentorship", CheckInDraft, states=("pick", "content", "hours"),
                 entry=("checkin",))


def _pairs(data: CheckInDraft) -> list[PairView]:
    return [PairView(int(p[0]), str(p[1]), int(p[2]), str(p[3])) for p in data.pairs]


async def _advance(ctx: Ctx, data: CheckInDraft) -> Step:
    """Ask for what is still missing (pair, content, hours), then record the check-in."""
    pairs = _pairs(data)
    if data.pair is None:
        choices = "\n".join(ctx.t(f"mentorship.choice.{p.side}", number=i, name=p.partner_name)
                            for i, p in enumerate(pairs, 1))
        return goto("pick", ctx.reply("mentorship.ask_pair", choices=choices))
    pair = pairs[data.pair]
    if not data.content:
        return goto("content", ctx.reply(f"mentorship.ask_content.{pair.side}"))
    if data.hours is None and not data.hours_skipped:
        return goto("hours", ctx.reply("mentorship.ask_hours"))
    return end(await _record(ctx, pair, data))


async def _record(ctx: Ctx, pair: PairView, data: CheckInDraft) -> Reply:
    member = ctx.member
    assert member is not None
    try:
        recorded = await record_checkin(
            ctx.session, pair_id=pair.pair_id, author_id=member.id,
            day=ctx.now.astimezone(ctx.settings.tz).date(), content=data.content,
            hours=data.hours, now=ctx.now, word=_checkin_notice)
    except NotFound:
        return ctx.reply("mentorship.pair_ended")
    except TooLong as refused:
        return ctx.reply("mentorship.too_long", **refused.facts)
    side = "mentor" if recorded.by_mentor else "apprentice"
    return ctx.reply(f"mentorship.saved_by_{side}.{push_state(ctx)}", id=recorded.checkin_id,
                     partner=recorded.partner_name, hours=formats.hours(ctx.words, recorded.hours))


def _checkin_notice(choice: str | None, recorded: CheckInRecorded) -> str:
    """The partner's push, in the partner's language."""
    key = ("push.checkin_notice.to_apprentice" if recorded.by_mentor
           else "push.checkin_notice.to_mentor")

    def build(w: Words) -> str:
        return w(key, name=recorded.author_name, id=recorded.checkin_id,
                 day=formats.month_day(w, recorded.day),
                 content=recorded.content[:NOTICE_SNIPPET], hours=formats.hours(w, recorded.hours))

    return compose(choice, build)


def _confirmed_notice(choice: str | None, confirmed: CheckInConfirmed) -> str:
    """The apprentice's push, in the apprentice's language."""

    def build(w: Words) -> str:
        if confirmed.comment:
            return w("push.checkin_confirmed.with_comment", name=confirmed.mentor_name,
                     id=confirmed.checkin_id, comment=confirmed.comment)
        return w("push.checkin_confirmed.text", name=confirmed.mentor_name,
                 id=confirmed.checkin_id)

    return compose(choice, build)


@router.command("打卡", aliases=("checkin",), takes_args=True, roles=(ROLE_MEMBER, ROLE_LEADER),
                summary="cmd.checkin.summary", usage="cmd.checkin.usage")
async def on_checkin(msg: Incoming, ctx: Ctx) -> Reply:
    assert ctx.member is not None
    pairs = await active_pairs_of(ctx.session, ctx.member.id)
    if not pairs:
        return ctx.reply("mentorship.no_pair")
    content = ctx.args.strip()
    if len(content) > MAX_CHARS:
        return ctx.reply("mentorship.too_long", limit=MAX_CHARS, chars=len(content))
    data = CheckInDraft(
        pairs=[[p.pair_id, p.side, p.partner_id, p.partner_name] for p in pairs],
        pair=0 if len(pairs) == 1 else None,
        content=content,
        hours=find_hours(content) if content else None,
    )
    return CHECKIN.follow(ctx, await _advance(ctx, data), data)


@CHECKIN.step("pick")
async def on_pick(msg: Incoming, ctx: Ctx, data: CheckInDraft) -> Step:
    n = len(data.pairs)
    answer = (msg.text or "").strip()
    if not answer.isdigit() or not 1 <= int(answer) <= n:
        return stay(ctx.reply("mentorship.bad_pair", n=n))
    data.pair = int(answer) - 1
    return await _advance(ctx, data)


@CHECKIN.step("content", kind=TEXT)
async def on_content(msg: Incoming, ctx: Ctx, data: CheckInDraft) -> Step:
    content = (msg.text or "").strip()
    if not content:
        return stay(ctx.reply("mentorship.ask_content.again"))
    if len(content) > MAX_CHARS:
        return stay(ctx.reply("mentorship.too_long", limit=MAX_CHARS, chars=len(content)))
    data.content = content
    data.hours = find_hours(content)
    return await _advance(ctx, data)


@CHECKIN.step("hours")
async def on_hours(msg: Incoming, ctx: Ctx, data: CheckInDraft) -> Step:
    answer = hours_reply(msg.text or "")
    if answer is None:
        return stay(ctx.reply("mentorship.bad_hours"))
    if answer == SKIPPED:
        data.hours_skipped = True
    else:
        data.hours = float(answer)
    return await _advance(ctx, data)


@router.command("确认", aliases=("confirm",), takes_args=True, roles=(ROLE_MEMBER, ROLE_LEADER),
                summary="cmd.confirm.summary", usage="cmd.confirm.usage")
async def on_confirm(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None
    found = RECORD_ARGS.match(ctx.args.strip())
    if found is None:
        return ctx.reply("mentorship.confirm_usage")
    checkin_id = int(found.group(1))
    try:
        confirmed = await confirm_checkin(ctx.session, checkin_id=checkin_id, mentor_id=member.id,
                                          comment=found.group(2), now=ctx.now,
                                          word=_confirmed_notice)
    except NotFound:
        return ctx.reply("mentorship.not_found", id=checkin_id)
    except AlreadyConfirmed:
        return ctx.reply("mentorship.already_confirmed", id=checkin_id)
    if confirmed.comment:
        return ctx.reply("mentorship.confirmed_with_comment", name=confirmed.apprentice_name,
                         id=checkin_id, comment=confirmed.comment)
    return ctx.reply("mentorship.confirmed", name=confirmed.apprentice_name, id=checkin_id)
