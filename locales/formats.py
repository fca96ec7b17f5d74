"""Facts put into words the same way everywhere (replies, pushes, exports, pages):
weeks, days, hours, percentages, indicator weights. Each takes the reader's Words."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, timedelta

from locales import Words


def week_label(words: Words, week: str) -> str:
    """``2026-W47`` → 「第47周（11月16日—11月22日）」 in the reader's language: workers do not
    read ISO week names (exports keep them)."""
    year, number = int(week[:4]), int(week[6:])
    monday = date.fromisocalendar(year, number, 1)
    return words("format.week", week=week, number=number, start=month_day(words, monday),
                 end=month_day(words, monday + timedelta(days=6)))


def week_span(words: Words, weeks: list[str]) -> str:
    """The weeks a figure counts: 「第45—49周」, 「第49周」 (in order, one year or two)."""
    if not weeks:
        return words("format.weeks_none")
    first, last = int(weeks[0][6:]), int(weeks[-1][6:])
    if first == last:
        return words("format.week_one", number=first)
    return words("format.week_span", first=first, last=last)


def month_day(words: Words, day: date) -> str:
    """「11月16日」 / "16 Nov"."""
    return words("format.month_day", month=day.month, day=day.day,
                 month_name=words(f"format.month.{day.month}"))


def month_label(words: Words, month: str) -> str:
    """``2026-10`` → 「2026年10月」."""
    return words("format.month_label", year=int(month[:4]), month=int(month[5:]),
                 month_name=words(f"format.month.{int(month[5:])}"))


def hours(words: Words, value: float | None) -> str:
    """「2.5 小时」, or 「未填」 when no hours were given."""
    if value is None:
        return words("format.hours_none")
    return words("format.hours", hours=f"{value:g}")


def half_up(value: float) -> int:
    """A figure rounded to a whole number as people round: half up (2.5 → 3, where Python's
    round() and ``{:.0f}`` give 2), 0.145 × 100 included, which floats hold as 14.4999…"""
    return math.floor(round(value, 9) + 0.5)


def percent(words: Words, fraction: float) -> str:
    """0.1667 → 「17%」 (rounded half up, as people round)."""
    return words("format.percent", value=half_up(fraction * 100))


def join(words: Words, items: list[str]) -> str:
    """Items in a run: 「甲、乙、丙」 / "a, b, c"."""
    return words("common.list_separator").join(items)


def describe_weights(words: Words, weights: Mapping[str, float]) -> str:
    """「周报30＋师徒打卡20（仅计已确认）＋…」: what the indicator score is made of. An
    indicator with a word on what it counts has its own ``format.weight.<name>``."""
    def one(key: str, value: float) -> str:
        name, weight = words(f"indicator.{key}"), f"{value:g}"
        try:
            return words(f"format.weight.{key}", name=name, weight=weight)
        except KeyError:
            return words("format.weight", name=name, weight=weight)

    return words("format.weights_separator").join(
        one(key, value) for key, value in weights.items() if value)
