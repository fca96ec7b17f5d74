"""打卡 (a mentorship check-in) and 确认 (the mentor confirms one).

打卡 is one declared dialog: it asks only for what the first message did not give — which
pair (when the sender has several: by its number or the partner's name), the content, the
hours — then records the check-in.
The hours are read from the content by handlers.durations (the total it gives, or its one
duration: 学习2小时30分钟 is 2.5 h, and the content keeps its words); hours it gives that
cannot be taken (a range, several figures, more than a day …) are asked for, with the
reason. The rules (who may record or confirm, who is told, the hours one check-in may
have) are domain.mentorship's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.context import Ctx, Incoming
from bot.dialogs import TEXT, Step, dialog, end, goto, stay
from bot.replies import Reply, Text
from bot.routing import Router, normalise
from domain import HoursOutOfRange, NotFound, TooLong
from domain.mentorship import (
    MAX_CHARS,
    MAX_HOURS,
    AlreadyConfirmed,
    CheckInConfirmed,
    CheckInRecorded,
    confirm_checkin,
    confirm_checkins,
    pending_checkins,
    record_checkin,
)
from handlers import durations
from handlers.common import push_state
from handlers.durations import Doubt, doubt_words
from handlers.parsing import is_skip, record_numbers
from handlers.records import record_number, show_checkin
from locales import Words, compose, formats
from storage.models import ROLE_LEADER, ROLE_MEMBER
from storage.queries.mentorship import PairView, active_pairs_of, in_a_pair

router = Router("mentorship")

# How much of a check-in's content its notice repeats (the partner can ask for the rest).
NOTICE_SNIPPET = 200
# How much of an answer naming no single partner is repeated back.
ECHO_LIMIT = 20



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
    # Hours the content gave that could not be taken: [reason, *the words], as
    # handlers.durations.Doubt has them; the hours question says why it is asked.
    hours_doubt: list[str] = field(default_factory=list)

    def read_hours(self) -> None:
        """The hours the content gives, or the doubt about them."""
        found = durations.in_checkin(self.content, MAX_HOURS) if self.content else None
        self.hours = found.value if isinstance(found, durations.Hours) else None
        self.hours_doubt = [found.reason, *found.said] if isinstance(found, Doubt) else []

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
        if data.hours_doubt:
            doubt = Doubt(data.hours_doubt[0], tuple(data.hours_doubt[1:]), MAX_HOURS)
            return goto("hours", ctx.reply("mentorship.ask_hours_again",
                                           reason=doubt_words(ctx.words, doubt)))
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
    except HoursOutOfRange as refused:
        # The reading refuses such hours first; this is the rule's own guard.
        value = refused.facts["hours"]
        assert isinstance(value, float)
        return ctx.reply("format.hours_refused.out_of_range", hours=formats.hours(ctx.words, value),
                         max=f"{MAX_HOURS:g}")
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


async def in_a_pair_now(ctx: Ctx) -> bool:
    """打卡 and 确认 are listed in 帮助 only for someone in an active mentorship pair."""
    return ctx.member is not None and await in_a_pair(ctx.session, ctx.member.id)


@router.command("打卡", aliases=("checkin",), takes_args=True, roles=(ROLE_MEMBER, ROLE_LEADER),
                summary="cmd.checkin.summary", usage="cmd.checkin.usage",
                available=in_a_pair_now)
async def on_checkin(msg: Incoming, ctx: Ctx) -> Reply:
    assert ctx.member is not None
    record_id = record_number(ctx.args)
    if record_id is not None:  # 打卡 3: that check-in in full, never a check-in saying "3"
        return await show_checkin(ctx, record_id)
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
    )
    data.read_hours()
    return CHECKIN.follow(ctx, await _advance(ctx, data), data)


def pairs_named(pairs: list[PairView], answer: str) -> list[int]:
    """The indexes of the pairs whose partner `answer` names: the whole name (刘洋), or
    else a part of it (洋) or the name within more words (徒弟刘洋). Several when it fits
    more than one partner; folded as command words are (width, case, Traditional), blanks
    aside."""
    said = "".join(normalise(answer).split())
    if not said:
        return []
    names = ["".join(normalise(p.partner_name).split()) for p in pairs]
    exact = [i for i, name in enumerate(names) if name == said]
    return exact or [i for i, name in enumerate(names) if name and (said in name or name in said)]


@CHECKIN.step("pick")
async def on_pick(msg: Incoming, ctx: Ctx, data: CheckInDraft) -> Step:
    n = len(data.pairs)
    answer = (msg.text or "").strip()
    if answer.isdigit():
        if not 1 <= int(answer) <= n:
            return stay(ctx.reply("mentorship.bad_pair", n=n))
        data.pair = int(answer) - 1
        return await _advance(ctx, data)
    found = pairs_named(_pairs(data), answer)
    if not found:
        return stay(ctx.reply("mentorship.bad_pair", n=n))
    if len(found) > 1:
        return stay(ctx.reply("mentorship.ambiguous_pair", name=answer[:ECHO_LIMIT], n=n))
    data.pair = found[0]
    return await _advance(ctx, data)


@CHECKIN.step("content", kind=TEXT)
async def on_content(msg: Incoming, ctx: Ctx, data: CheckInDraft) -> Step:
    content = (msg.text or "").strip()
    if not content:
        return stay(ctx.reply("mentorship.ask_content.again"))
    if len(content) > MAX_CHARS:
        return stay(ctx.reply("mentorship.too_long", limit=MAX_CHARS, chars=len(content)))
    data.content = content
    data.read_hours()
    return await _advance(ctx, data)


@CHECKIN.step("hours")
async def on_hours(msg: Incoming, ctx: Ctx, data: CheckInDraft) -> Step:
    text = msg.text or ""
    if is_skip(text):
        data.hours_skipped = True
        return await _advance(ctx, data)
    answer = durations.answer(text, MAX_HOURS)
    if answer is None:
        return stay(ctx.reply("mentorship.bad_hours"))
    if isinstance(answer, Doubt):
        return stay(Text(doubt_words(ctx.words, answer) + "\n" + ctx.t("mentorship.bad_hours")))
    data.hours = answer.value
    return await _advance(ctx, data)


# How many waiting check-ins 确认 lists, and how much of each one's text.
PENDING_SHOWN = 20
PENDING_SNIPPET = 24


@router.command("确认", aliases=("confirm",), takes_args=True, roles=(ROLE_MEMBER, ROLE_LEADER),
                summary="cmd.confirm.summary", usage="cmd.confirm.usage",
                available=in_a_pair_now)
async def on_confirm(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None
    if not ctx.args.strip():
        return await _pending(ctx, member.id)
    asked = record_numbers(ctx.args)
    if asked is None:
        return ctx.reply("mentorship.confirm_usage")
    if not asked.every and len(asked.numbers) == 1:
        return await _confirm_one(ctx, member.id, asked.numbers[0], asked.rest)
    done = await confirm_checkins(
        ctx.session, checkin_ids=None if asked.every else asked.numbers, mentor_id=member.id,
        comment=asked.rest, now=ctx.now, word=_confirmed_notice)
    if asked.every and not done.confirmed:
        return ctx.reply("mentorship.pending.none")
    lines = []
    if done.confirmed:
        items = [ctx.t("mentorship.confirmed_item", name=c.apprentice_name, id=c.checkin_id)
                 for c in done.confirmed]
        lines.append(ctx.t("mentorship.confirmed_many", count=len(done.confirmed),
                           items=formats.join(ctx.words, items)))
        if done.confirmed[0].comment:
            lines.append(ctx.t("mentorship.confirmed_many.comment",
                               comment=done.confirmed[0].comment))
    if done.already:
        lines.append(ctx.t("mentorship.confirm_skipped.already",
                           ids=formats.join(ctx.words, [str(n) for n in done.already])))
    if done.not_found:
        lines.append(ctx.t("mentorship.confirm_skipped.not_found",
                           ids=formats.join(ctx.words, [str(n) for n in done.not_found])))
    return Text("\n".join(lines))


async def _confirm_one(ctx: Ctx, mentor_id: int, checkin_id: int, comment: str) -> Reply:
    try:
        confirmed = await confirm_checkin(ctx.session, checkin_id=checkin_id, mentor_id=mentor_id,
                                          comment=comment, now=ctx.now, word=_confirmed_notice)
    except NotFound:
        return ctx.reply("mentorship.not_found", id=checkin_id)
    except AlreadyConfirmed:
        return ctx.reply("mentorship.already_confirmed", id=checkin_id)
    if confirmed.comment:
        return ctx.reply("mentorship.confirmed_with_comment", name=confirmed.apprentice_name,
                         id=checkin_id, comment=confirmed.comment)
    return ctx.reply("mentorship.confirmed", name=confirmed.apprentice_name, id=checkin_id)


async def _pending(ctx: Ctx, mentor_id: int) -> Reply:
    """`确认` alone: what waits for this mentor, so that no number has to be looked up."""
    pending, total = await pending_checkins(ctx.session, mentor_id, PENDING_SHOWN)
    if not pending:
        return ctx.reply("mentorship.pending.none")
    lines = [ctx.t("mentorship.pending.header", count=total)]
    for p in pending:
        snippet = p.content if len(p.content) <= PENDING_SNIPPET else (
            ctx.t("mentorship.pending.cut", text=p.content[:PENDING_SNIPPET]))
        lines.append(ctx.t("mentorship.pending.line", id=p.checkin_id, name=p.apprentice_name,
                           day=formats.month_day(ctx.words, p.day),
                           hours=(formats.hours(ctx.words, p.hours) if p.hours is not None
                                  else ctx.t("mentorship.pending.no_hours")), text=snippet))
    if total > len(pending):
        lines.append(ctx.t("mentorship.pending.more", count=total - len(pending)))
    lines.append(ctx.t("mentorship.pending.how"))
    return Text("\n".join(lines))
