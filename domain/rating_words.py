"""The words of star rating, written once for everyone who shows them: the chat (评星, 申报),
the web console (a studio's gap list, the experts' and the office's pages) and the command
line (`rating …`), and the pushes the office's 公示 and decision queue.

Each function takes the reader's :class:`~locales.Words` (or, for a push, the recipient's
language choice) and a view of domain.rating; the texts are catalog messages (rating.*,
push.rating_*). The console shows a standing line by line with the very functions 评星's
reply is made of (standing_lines), so the two can never say different things.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from domain.rating import (
    LAST_RATING,
    PENDING,
    DecisionWording,
    Entry,
    ItemStanding,
    Publicity,
    PublicityWording,
    Standing,
    StarDecision,
)
from domain.rubric import MEASURES, RATE, Item, Step
from locales import PUSH_LIMIT, TEMPLATE_FIELD_LIMIT, Words, compose, fit_lines, words_for
from locales.formats import month_day, percent

# Lines of the 公示 push's list: as many studios as fit in one message.
LIST_SHOWN = 40


def number(value: float) -> str:
    """A score as people write it: 82.5, 6, 0.25."""
    return f"{round(value, 2):g}"


def stars_word(words: Words, stars: int) -> str:
    return words(f"rating.stars.{stars}")


def value_word(words: Words, measure: str, value: float) -> str:
    """A measure's value: a rate in per cent, check-ins per pair to one decimal."""
    if MEASURES[measure].kind == RATE:
        return percent(words, value)
    return f"{round(value, 1):g}"


def value_text(words: Words, item: Item, value: float | None) -> str:
    """What an automatic item measured, as it follows its points: 「（提交率 75%）」; nothing
    for a manual item."""
    if value is None or not item.automatic:
        return ""
    return words(f"rating.value.{item.method}", value=value_word(words, item.method, value))


def step_line(words: Words, step: Step) -> str:
    """One step of the way up: 「周报提交率 78%→90%，可得 2 分」, 「再认定 1 项实用新型，可得 2 分」."""
    return words(f"rating.step.{step.measure}", now=value_word(words, step.measure, step.now),
                 needed=value_word(words, step.measure, step.needed), gain=number(step.gain),
                 times=step.times,
                 type=words.named("result.type", step.type) if step.type else "")


def when(words: Words, tz: tzinfo, moment: datetime) -> str:
    """A moment in the union's time: 「11月20日 16:00」."""
    local = moment.astimezone(tz)
    return words("rating.when", day=month_day(words, local.date()), time=f"{local:%H:%M}")


def until_word(words: Words, tz: tzinfo, moment: datetime) -> str:
    """The end of a 公示 as people say it: its last day, 24:00."""
    last = (moment.astimezone(tz) - timedelta(seconds=1)).date()
    return words("rating.until", day=month_day(words, last))


# -- a studio's standing (评星) ---------------------------------------------------------


def standing_head(words: Words, s: Standing) -> str:
    """「…·星级评定暂计（评分标准第 1 版，2026-11-02 至 2026-11-30，记录统计到11月20日）」."""
    until = (words("rating.standing.until", day=month_day(words, s.measured_until))
             if s.measured_until < s.period_end else "")
    return words("rating.standing.head", studio=s.studio, version=s.rubric.version,
                 start=s.period_start.isoformat(), end=s.period_end.isoformat(), until=until)


def score_line(words: Words, s: Standing) -> str:
    return words("rating.standing.score", score=number(s.score), stars=stars_word(words, s.stars),
                 official=stars_word(words, s.official))


def pending_line(words: Words, s: Standing) -> str | None:
    """The points of the items nobody has scored yet (None: there are none)."""
    return words("rating.standing.pending", points=number(s.pending)) if s.pending else None


def gap_line(words: Words, s: Standing) -> str | None:
    """How far the next star is, or that the studio is at the top."""
    if s.target is None:
        return words("rating.standing.top")
    if s.short_by is None:
        return None
    least = number(s.rubric.threshold(s.target))
    gain = number(sum(step.gain for step in s.steps))
    key = "rating.standing.gap" if s.reachable else "rating.standing.gap_short"
    return words(key, target=stars_word(words, s.target), least=least, short=number(s.short_by),
                 gain=gain)


def step_lines(words: Words, s: Standing) -> list[str]:
    """The way up, numbered: 「1. 再认定 1 项发明专利，可得 8 分」."""
    if s.target is None or s.short_by is None:
        return []
    return [words("rating.standing.step_line", n=n, text=step_line(words, step))
            for n, step in enumerate(s.steps, start=1)]


def item_line(words: Words, i: ItemStanding) -> str:
    """One item: 「· B1 周报提交率 15/20 分（提交率 75%）」, 「· A1 标志明显 待评（20 分）」."""
    item = i.item
    if i.basis == PENDING:
        return words("rating.standing.item_pending", code=item.code, title=item.title,
                     points=number(item.points))
    assert i.earned is not None
    key = "rating.standing.item_last" if i.basis == LAST_RATING else "rating.standing.item"
    return words(key, code=item.code, title=item.title, earned=number(i.earned),
                 points=number(item.points), value=value_text(words, item, i.value))


def standing_lines(words: Words, s: Standing) -> list[str]:
    """The standing as 评星 says it: the head, the score, the way to the next star, then the
    items."""
    lines = [standing_head(words, s), score_line(words, s)]
    pending = pending_line(words, s)
    if pending is not None:
        lines.append(pending)
    gap = gap_line(words, s)
    if gap is not None:
        lines.append(gap)
    lines += step_lines(words, s)
    lines.append(words("rating.standing.items"))
    lines += [item_line(words, i) for i in s.items]
    return lines


def standing_text(words: Words, s: Standing, limit: int) -> str:
    """The standing within one message of `limit` bytes: the items as far as they fit."""
    return fit_lines(standing_lines(words, s), words("rating.standing.more"), limit)


# -- the office's pushes ---------------------------------------------------------------


def _stamp(tz: tzinfo, moment: datetime) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def publicity_wording(tz: tzinfo) -> PublicityWording:
    """The 公示 push in each recipient's language: the counts, their own studio's line when
    it applied, the list as far as it fits, the end of the 公示 and how to object. Passed
    to domain.rating.publish by the command line and the console alike."""

    def word(choice: str | None, p: Publicity, own: Entry | None) -> tuple[str, dict[str, str]]:
        def build(words: Words) -> str:
            mine = (words("push.rating_publicity.own", studio=own.studio,
                          total=number(own.total), stars=stars_word(words, own.stars))
                    if own is not None else "")
            head = words("push.rating_publicity.text", round=p.round.name, s3=p.count(3),
                         s2=p.count(2), s1=p.count(1), own=mine,
                         until=until_word(words, tz, p.until))
            lines = [words("push.rating_publicity.line", rank=n, studio=e.studio,
                           stars=stars_word(words, e.stars), total=number(e.total))
                     for n, e in enumerate(p.entries[:LIST_SHOWN], start=1)]
            more = words("push.rating_publicity.more", n=len(p.entries))
            room = PUSH_LIMIT // len(words_for(choice).languages) - len(head.encode()) - 1
            return head + "\n" + fit_lines(lines, more, max(room, 0))

        thing = words_for(choice)("push.rating_publicity.thing1", round=p.round.name)
        moment = p.round.published_at or p.until
        return compose(choice, build), {"thing1": thing[:TEMPLATE_FIELD_LIMIT],
                                        "time2": _stamp(tz, moment)}

    return word


def decision_wording(tz: tzinfo, now: datetime) -> DecisionWording:
    """The push telling a studio's leaders what its stars now are, and why (a round's
    decision or the office's, with its reason)."""

    def word(choice: str | None, d: StarDecision) -> tuple[str, dict[str, str]]:
        def build(words: Words) -> str:
            why = (words("push.rating_result.round", round=d.round, score=number(d.score))
                   if d.round is not None and d.score is not None
                   else words("push.rating_result.reason", reason=d.reason or ""))
            return words(f"push.rating_result.{d.change}", studio=d.studio,
                         before=stars_word(words, d.before), after=stars_word(words, d.after),
                         why=why)

        thing = words_for(choice)("push.rating_result.thing1", studio=d.studio)
        return compose(choice, build), {"thing1": thing[:TEMPLATE_FIELD_LIMIT],
                                        "time2": _stamp(tz, now)}

    return word

