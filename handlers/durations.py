"""Hours as people write them: the one reader of durations for 打卡 and 周报.

Understood: Arabic and Chinese numerals (locales.numerals: 两, 俩, 十二, 一点五), full-width
digits (folded before reading), and the words of the catalogs' ``input.hours.*``,
``input.minutes.*`` and ``input.duration.*`` lists — 2小时, 两个钟头, 1.5h, 一个半小时,
两小时半, 半小时, 90分钟, 一小时二十分, 1小时15分钟, 2h30m, 一刻钟, 2 hours 30 minutes.
A value is rounded to hundredths of an hour (20 minutes are 0.33 h).

Not taken, with a reason the caller words (:class:`Doubt`): a range (2-3小时, 两三个小时,
2到3小时), a vague figure (两个多小时, 十几分钟, 几个小时), zero, a negative figure, and
more than the record allows (the caller's `limit`: one check-in, one week).

Where the hours are in a longer text:

- **an answer** to "how many hours?" is a duration or a bare number (6, 6.5, 六, 两个半);
- **a check-in** (:func:`in_checkin`) is one sitting: the phrase introduced by a total
  word (共, 合计, 累计, 用时, 时长 … ``input.duration.total``) if there is one, else the only
  duration in the text; several without a total are a doubt (which one?);
- **a weekly log** (:func:`in_log`) lists the week's work, often with a figure per task,
  so only the phrase introduced by a total word (the last such) or a duration closing the
  text (``…，8小时。``) gives the week's hours; anything else gives none.

A minute or a quarter written with its short unit alone (分, m, 刻) counts only after hours
(一小时二十分) or in an answer: in a sentence "90分" is a score and "一刻" a moment.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from handlers.parsing import CLAUSE_END, Typed, bounded
from locales import Words, numerals
from locales.formats import join

ROUNDING = 2  # decimals of an hour kept

# Refusals (format.hours_refused.<reason>).
RANGE = "range"
VAGUE = "vague"
ZERO = "zero"
NEGATIVE = "negative"
TOO_MANY = "too_many"
SEVERAL = "several"


@dataclass(frozen=True)
class Hours:
    """Hours read from the text, and the words they were read from (repeated in the reply
    where the reader can see a wrong reading)."""

    value: float
    said: str


@dataclass(frozen=True)
class Doubt:
    """Hours that were written but cannot be taken: why (RANGE, VAGUE, ZERO, NEGATIVE,
    TOO_MANY, SEVERAL) and the words concerned."""

    reason: str
    said: tuple[str, ...]
    limit: float


Reading = Hours | Doubt


@dataclass(frozen=True)
class _Found:
    start: int  # in the folded text
    end: int
    value: float | None  # None: a range or a vague figure
    problem: str | None  # RANGE, VAGUE, NEGATIVE or None


_NUM = rf"(?:\d+(?:\.\d+)?|{numerals.PATTERN})"


@functools.cache
def _pattern(answer: bool) -> re.Pattern[str]:
    """Durations in a text; `answer` also takes the short units (分, m, 刻) on their own."""
    hour = bounded("input.hours.unit")
    half = bounded("input.duration.half")
    minute = bounded("input.minutes.unit")
    minute_short = bounded("input.minutes.short")
    quarter = bounded("input.duration.quarter")
    quarter_short = bounded("input.duration.quarter_short")
    any_minute = f"{minute}|{minute_short}"
    any_quarter = f"{quarter}|{quarter_short}"
    lone_minute = any_minute if answer else minute
    lone_quarter = any_quarter if answer else quarter
    unit = f"{hour}|{any_minute}|{any_quarter}"
    body = (
        # 2小时, 一个半小时, 两小时半, 1小时15分钟, 2h30m, 2h30, 一小时一刻
        rf"(?P<h>{_NUM})\s*(?:(?P<h_half>{half})\s*)?(?:{hour})"
        rf"(?:\s*(?P<h_half2>{half})"
        rf"|\s*(?P<h_min>{_NUM})\s*(?:{any_minute})"
        rf"|\s*(?P<h_quarter>{_NUM})\s*(?:{any_quarter})"
        rf"|(?P<h_min_bare>\d{{1,2}})(?![\w.]))?"
        rf"|(?P<half_hour>{bounded('input.hours.half')})"
        rf"|(?P<m>{_NUM})\s*(?:{lone_minute})"
        rf"|(?P<q>{_NUM})\s*(?:{lone_quarter})"
        # 两个多小时, 十几分钟, 几个小时
        rf"|(?P<vague>(?:{_NUM})\s*(?:{bounded('input.duration.vague')})"
        rf"|{bounded('input.duration.some')})\s*(?:{unit})"
    )
    before = (rf"(?:(?P<from>{_NUM}\s*(?:(?:{unit})\s*)?(?:{bounded('input.duration.range')})\s*)"
              rf"|(?P<neg>{bounded('input.negative')})\s*)?")
    # Not inside a longer number, nor a position (第一个小时).
    not_after = re.escape(numerals.ORDINAL + numerals.CHARS)
    return re.compile(rf"(?<![{not_after}\d.]){before}(?:{body})")


def _number(text: str) -> float | None:
    text = text.strip()
    if text[:1].isdigit():
        return float(text)
    return numerals.value_of(text)


def _value(m: re.Match[str]) -> float | None:
    """The hours of one match (None when a numeral is an estimate: 两三个小时)."""
    g = m.groupdict()
    if g["half_hour"]:
        return 0.5
    if g["m"]:
        n = _number(g["m"])
        return None if n is None else n / 60
    if g["q"]:
        n = _number(g["q"])
        return None if n is None else n / 4
    hours = _number(g["h"])
    if hours is None:
        return None
    if g["h_half"] or g["h_half2"]:
        return hours + 0.5
    extra = g["h_min"] or g["h_min_bare"]
    if extra:
        n = _number(extra)
        return None if n is None else hours + n / 60
    if g["h_quarter"]:
        n = _number(g["h_quarter"])
        return None if n is None else hours + n / 4
    return hours


def _found(norm: str, *, answer: bool) -> list[_Found]:
    found = []
    for m in _pattern(answer).finditer(norm):
        if m.group("vague"):
            found.append(_Found(m.start(), m.end(), None, VAGUE))
            continue
        value = _value(m)
        if m.group("from") or value is None:
            # 2-3小时, 2到3小时, and estimates such as 两三个小时
            found.append(_Found(m.start(), m.end(), None, RANGE))
        else:
            found.append(_Found(m.start(), m.end(), round(value, ROUNDING),
                                NEGATIVE if m.group("neg") else None))
    return found


def _judge(text: Typed, found: _Found, limit: float) -> Reading:
    said = text.span(found.start, found.end)
    if found.problem is not None:
        return Doubt(found.problem, (said,), limit)
    assert found.value is not None
    return _judged(found.value, said, limit)


def _judged(value: float, said: str, limit: float) -> Reading:
    if value <= 0:
        return Doubt(ZERO, (said,), limit)
    if value > limit:
        return Doubt(TOO_MANY, (said,), limit)
    return Hours(value, said)


@functools.cache
def _total_before() -> re.Pattern[str]:
    # A total word, then at most a few words of the same clause (共计约, 累计用时, 时长:).
    return re.compile(rf"(?:{bounded('input.duration.total')})"
                      rf"[^\d{numerals.CHARS}{CLAUSE_END}]{{0,6}}$")


@functools.cache
def _only_filler() -> re.Pattern[str]:
    filler = bounded("input.figure.filler")
    return re.compile(rf"(?:\s|[{CLAUSE_END}]|{filler})*")


def _totals(text: Typed, found: list[_Found]) -> list[_Found]:
    return [f for f in found if _total_before().search(text.norm, 0, f.start)]


def in_checkin(text: str, limit: float) -> Reading | None:
    """The hours of a check-in's text: a total if given, else its one duration; None when
    it names none."""
    typed = Typed(text)
    return _one_of(typed, _found(typed.norm, answer=False), limit)


def _one_of(typed: Typed, found: list[_Found], limit: float) -> Reading | None:
    """The hours the durations found in a text give: the (last) total if one is named, else
    the only duration; a doubt when there are several; None when there are none."""
    totals = _totals(typed, found)
    if totals:
        return _judge(typed, totals[-1], limit)
    if len(found) == 1:
        return _judge(typed, found[0], limit)
    if found:
        return Doubt(SEVERAL, tuple(typed.span(f.start, f.end) for f in found), limit)
    return None


def in_log(text: str, limit: float) -> Reading | None:
    """The week's hours in a log's text: the (last) total, else a duration closing the
    text; None otherwise (a figure per task is not the week's)."""
    typed = Typed(text)
    found = _found(typed.norm, answer=False)
    totals = _totals(typed, found)
    if totals:
        return _judge(typed, totals[-1], limit)
    if found and _only_filler().fullmatch(typed.norm, found[-1].end):
        return _judge(typed, found[-1], limit)
    return None


@functools.cache
def _bare() -> re.Pattern[str]:
    """An answer that is only a number: 6, 6.5, 六, 两个半, -2, 2-3, 两三."""
    filler = bounded("input.figure.filler")
    # Not a leading ".": ".5" is not 5.
    leading = rf"(?:\s|[,;!?\n。、]|{filler})*"
    trailing = rf"(?:\s|[{CLAUSE_END}]|{filler})*"
    return re.compile(
        rf"{leading}(?P<neg>(?:{bounded('input.negative')})\s*)?(?P<n>{_NUM})"
        rf"(?:\s*(?P<half>{bounded('input.duration.half')}))?"
        rf"(?:\s*(?:{bounded('input.duration.range')})\s*(?P<to>{_NUM}))?{trailing}")


def answer(text: str, limit: float) -> Reading | None:
    """An answer to "how many hours?": a bare number of hours, or what a check-in's text
    would give (one duration, or a total); None when it names no hours at all."""
    typed = Typed(text)
    bare = _bare().fullmatch(typed.norm)
    if bare is not None:
        said = text.strip()
        n = _number(bare.group("n"))
        if bare.group("to") or n is None:
            return Doubt(RANGE, (said,), limit)
        if bare.group("neg"):
            return Doubt(NEGATIVE, (said,), limit)
        return _judged(round(n + (0.5 if bare.group("half") else 0.0), ROUNDING), said, limit)
    return _one_of(typed, _found(typed.norm, answer=True), limit)


def doubt_words(words: Words, doubt: Doubt) -> str:
    """Why the hours were not taken, in the reader's words."""
    return words(f"format.hours_refused.{doubt.reason}", said=join(words, list(doubt.said)),
                 max=f"{doubt.limit:g}")
