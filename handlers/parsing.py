"""Reading what people type: hours ("2小时", "1.5h", "半小时"), yes/no, choices."""

from __future__ import annotations

import re

from bot.routing import normalise

MAX_HOURS = 168.0  # a week; more is a typo

_HOURS_IN_TEXT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:个)?\s*(?:小时|钟头|h|hr|hrs|hours?)(?![a-z])")
_HALF = re.compile(r"半\s*(?:个)?\s*小时")
_NUMBER_ONLY = re.compile(r"^(\d+(?:\.\d+)?)\s*(?:个)?\s*(?:小时|钟头|h|hr|hrs|hours?)?$")

SKIP_WORDS = {"跳过", "不填", "skip", "无", "-"}
YES_WORDS = {"确认", "提交", "是", "好", "好的", "对", "y", "yes", "ok", "确定"}


def find_hours(text: str) -> float | None:
    """Hours mentioned anywhere in a sentence, e.g. "讲解图纸 1.5 小时" → 1.5."""
    norm = normalise(text)
    found = _HOURS_IN_TEXT.search(norm)
    if found is not None:
        value = float(found.group(1))
        return value if 0 < value <= MAX_HOURS else None
    if _HALF.search(norm):
        return 0.5
    return None


def parse_hours_answer(text: str) -> float | None:
    """An answer to "how many hours?": a bare number with or without a unit; else None."""
    norm = normalise(text).strip()
    found = _NUMBER_ONLY.match(norm)
    if found is not None:
        value = float(found.group(1))
        return value if 0 < value <= MAX_HOURS else None
    return 0.5 if _HALF.fullmatch(norm) else None


SKIPPED = "skipped"


def hours_reply(text: str) -> float | str | None:
    """An answer to "how many hours? (or 跳过)": the hours, SKIPPED, or None if unreadable."""
    if is_skip(text):
        return SKIPPED
    return parse_hours_answer(text)


def is_skip(text: str) -> bool:
    return normalise(text).strip() in SKIP_WORDS


def is_yes(text: str) -> bool:
    return normalise(text).strip() in YES_WORDS


def format_hours(hours: float | None) -> str:
    if hours is None:
        return "未填"
    return f"{hours:g} 小时"
