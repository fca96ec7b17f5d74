"""留言: a question for the union office. 留言 <内容> leaves one; 留言 alone, just after the
FAQ could not answer, carries that question along, and otherwise lists the member's own
questions with their answers. The office answers with `workshop-bot questions answer`;
the rules are domain.questions'."""

from __future__ import annotations

from datetime import timedelta

from bot.context import Ctx, Incoming
from bot.replies import Reply, Text, clip_text, fit_lines
from bot.routing import Router
from domain import TooLong
from domain.questions import TooMany, ask
from locales import formats
from storage.models import ROLE_ADMIN, ROLE_LEADER, ROLE_MEMBER
from storage.queries import faq as faq_store
from storage.queries.questions import carried, questions_of

router = Router("questions")

# How recent an unanswered FAQ question must be for 留言 alone to carry it along.
CARRY_WINDOW = timedelta(minutes=30)
# How many of one's own questions 留言 alone lists, and how much of an answer it shows.
LISTED = 5
ANSWER_SHOWN = 300


@router.command("留言", aliases=("ask", "question"), takes_args=True,
                roles=(ROLE_MEMBER, ROLE_LEADER, ROLE_ADMIN),
                summary="cmd.ask.summary", usage="cmd.ask.usage")
async def on_ask(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None
    content = ctx.args.strip()
    miss_id = None
    if not content:
        miss = await faq_store.last_miss(ctx.session, msg.openid)
        if miss is None or ctx.now - miss.asked_at > CARRY_WINDOW \
                or await carried(ctx.session, miss.id):
            return await _mine(ctx, member.id)
        content, miss_id = miss.text, miss.id
    try:
        question_id = await ask(ctx.session, member_id=member.id, text=content, now=ctx.now,
                                miss_id=miss_id)
    except TooMany as refused:
        return ctx.reply("questions.too_many", **refused.facts)
    except TooLong as refused:
        return ctx.reply("questions.too_long", **refused.facts)
    key = "questions.sent_carried" if miss_id is not None else "questions.sent"
    return ctx.reply(key, id=question_id, text=content)


async def _mine(ctx: Ctx, member_id: int) -> Reply:
    """The member's latest questions, each with its answer or a word that it waits."""
    found = await questions_of(ctx.session, member_id, LISTED)
    if not found:
        return ctx.reply("questions.none")
    lines = [ctx.t("questions.mine_header", n=len(found))]
    for q in found:
        day = q.asked_at.astimezone(ctx.settings.tz).date()
        lines.append(ctx.t("questions.mine_line", id=q.id, day=formats.month_day(ctx.words, day),
                           text=q.text))
        if q.answer is None:
            lines.append(ctx.t("questions.mine_waiting"))
        else:
            lines.append(ctx.t("questions.mine_answer",
                               answer=clip_text(q.answer, ANSWER_SHOWN * 3)))
    return Text(fit_lines(lines, ctx.t("questions.more")))
