"""The union's policy FAQ: a text no command or dialog took is looked up in it (after the
fallback's own guesses). A confident match gets the entry's answer, a close call a numbered
choice of up to three questions, and nothing good a line pointing to 留言 — and the miss
is recorded for the union office (`faq stats`) and for what 留言 may carry along."""

from __future__ import annotations

from dataclasses import dataclass

from bot.context import Ctx, Incoming
from bot.dialogs import Step, dialog, end, stay
from bot.replies import MAX_TEXT_BYTES, Reply, Text, clip_text
from bot.routing import Router, normalise
from domain.faq import current_index
from domain.faq_index import ANSWER, CHOOSE, verdict_for
from handlers.parsing import words_of
from storage.queries import faq as faq_store

router = Router("faq")

_MORE = "input.faq.more"  # 详细, 全文: the next part of a long answer


@dataclass
class Choice:
    """A close call: the entries offered, by number."""

    entry_ids: list[int]


@dataclass
class Reading:
    """A long answer being read: the entry and the part to send next."""

    entry_id: int
    part: int


FAQ = dialog(router, "faq", Choice, states=("choose",), entry=(), activity="faq.activity",
             declined="faq.declined")
MORE = dialog(router, "faq_more", Reading, states=("more",), entry=(),
              activity="faq.activity", declined="faq.declined")


def parts_of(answer: str, more: str) -> list[str]:
    """The answer in replies of at most 2,048 bytes, cut between lines; each part but the
    last ends with `more` (say, 回复‘详细’看全文)."""
    if len(answer.encode("utf-8")) <= MAX_TEXT_BYTES:
        return [answer]
    room = MAX_TEXT_BYTES - len(more.encode("utf-8")) - 1
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for line in answer.split("\n"):
        line = clip_text(line, room)
        length = len(line.encode("utf-8")) + (1 if current else 0)
        if current and size + length > room:
            parts.append("\n".join(current))
            current, size = [], 0
            length = len(line.encode("utf-8"))
        current.append(line)
        size += length
    parts.append("\n".join(current))
    return [p + "\n" + more for p in parts[:-1]] + parts[-1:]


def _answer(ctx: Ctx, entry_id: int, answer: str, part: int = 0) -> Reply:
    parts = parts_of(answer, ctx.t("faq.more"))
    part = min(part, len(parts) - 1)
    if part + 1 < len(parts):
        MORE.enter(ctx, "more", Reading(entry_id, part + 1))
    elif ctx.dialog.active:
        ctx.dialog.end()
    return Text(parts[part])


async def answer_question(msg: Incoming, ctx: Ctx, text: str) -> Reply | None:
    """The FAQ's reply to `text`, or None when there is no FAQ (nothing imported)."""
    index = await current_index(ctx.session, ctx.settings.effective_database_url, ctx.settings)
    if not index.entries:
        return None
    hits = index.search(text)
    verdict, floor = verdict_for(index, text, hits, ctx.settings)
    if verdict == ANSWER:
        return _answer(ctx, hits[0].entry.id, hits[0].entry.answer)
    if verdict == CHOOSE:
        offered = [h for h in hits if h.confidence >= floor]
        lines = [ctx.t("faq.option", number=n, question=h.entry.question)
                 for n, h in enumerate(offered, start=1)]
        FAQ.enter(ctx, "choose", Choice([h.entry.id for h in offered]))
        return ctx.reply("faq.choose", options="\n".join(lines))
    await faq_store.record_miss(ctx.session, ctx.member.id if ctx.member else None,
                                msg.openid, text, ctx.now)
    ctx.count("faq_unanswered")
    return ctx.reply("faq.unanswered")


@FAQ.step("choose")
async def on_choice(msg: Incoming, ctx: Ctx, choice: Choice) -> Step:
    typed = normalise((msg.text or "").strip()).rstrip(".")
    if not typed.isdigit():
        # Another question, or anything else: a message of its own.
        return await FAQ.hand_over(msg, ctx)
    number = int(typed)
    if not 1 <= number <= len(choice.entry_ids):
        return stay(ctx.reply("faq.choose_range", n=len(choice.entry_ids)))
    found = await faq_store.entry(ctx.session, choice.entry_ids[number - 1])
    if found is None:
        return end(ctx.reply("faq.gone"))
    ctx.dialog.end()
    # _answer leaves the dialog where it belongs: reading on (MORE) when the answer is long.
    return Step(_answer(ctx, found.id, found.answer), None, settled=True)


@MORE.step("more")
async def on_more(msg: Incoming, ctx: Ctx, reading: Reading) -> Step:
    typed = normalise((msg.text or "").strip())
    if typed not in words_of(_MORE):
        return await MORE.hand_over(msg, ctx)
    found = await faq_store.entry(ctx.session, reading.entry_id)
    if found is None:
        return end(ctx.reply("faq.gone"))
    return Step(_answer(ctx, found.id, found.answer, reading.part), None, settled=True)
