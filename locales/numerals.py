"""Numbers written in Chinese numerals, as people type them: 六, 两, 十二, 二十五, 一百零五,
一百二 (120), 两万五 (25,000), 一点五, and the financial forms 壹贰叁 … 拾佰仟.

This is the grammar of the numerals, not a vocabulary: the words around a number (小时,
万元 …) are the catalogs' ``input.*`` lists. The text is expected in the routing's folded
form (Simplified, half width), so 兩 and 貳 arrive as 两 and 贰.

Two digits side by side with no unit between them (两三, 七八, 一两) are an estimate — "two
or three" — not a number: :func:`is_estimate` says so and :func:`value_of` gives None.
A run of plain digits with a zero in it (二〇二六) is read digit by digit.
"""

from __future__ import annotations

import re

_ZERO = "零〇"
_DIGITS: dict[str, int] = {
    **dict.fromkeys(_ZERO, 0),
    "一": 1, "壹": 1, "幺": 1,
    "二": 2, "两": 2, "俩": 2, "贰": 2,
    "三": 3, "叁": 3,
    "四": 4, "肆": 4,
    "五": 5, "伍": 5,
    "六": 6, "陆": 6,
    "七": 7, "柒": 7,
    "八": 8, "捌": 8,
    "九": 9, "玖": 9,
}
# Units within a section of ten thousand, and the section mark itself.
_UNITS: dict[str, int] = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_WAN = "万"
_POINT = "点"
# Written before a number that counts position, not quantity (第一个小时 is not an hour).
ORDINAL = "第"

# The digits (a numeral of digits alone, 五, has no size word such as 万 or 千).
DIGITS = "".join(_DIGITS)
# Every character a numeral may have (besides 点 and its decimals).
CHARS = "".join(_DIGITS) + "".join(_UNITS) + _WAN
# A numeral in a text: its characters, then maybe 点 and decimal digits.
PATTERN = rf"[{CHARS}]+(?:{_POINT}[{''.join(_DIGITS)}]+)?"
_WHOLE = re.compile(PATTERN)


def is_numeral(text: str) -> bool:
    """Whether `text` is one numeral as a whole (its value may still be an estimate)."""
    return _WHOLE.fullmatch(text) is not None


def is_estimate(text: str) -> bool:
    """两三, 七八, 十一二: two non-zero digits side by side, i.e. "this or that"."""
    integer = text.split(_POINT, 1)[0]
    if all(ch in _DIGITS for ch in integer) and any(ch in _ZERO for ch in integer):
        return False  # 二〇二六: read digit by digit
    previous_digit = False
    for ch in integer:
        digit = _DIGITS.get(ch)
        is_digit = digit is not None and digit != 0
        if is_digit and previous_digit:
            return True
        previous_digit = is_digit
    return False


def value_of(text: str) -> float | None:
    """The value of a numeral, or None if it is not one number (an estimate, or malformed)."""
    if not is_numeral(text) or is_estimate(text):
        return None
    integer, _, decimals = text.partition(_POINT)
    whole = _integer(integer)
    if whole is None:
        return None
    if not decimals:
        return float(whole)
    return float(f"{whole}.{''.join(str(_DIGITS[ch]) for ch in decimals)}")


def _integer(text: str) -> int | None:
    if all(ch in _DIGITS for ch in text):
        # 六, or digits read one by one (二〇二六); estimates were refused before.
        return int("".join(str(_DIGITS[ch]) for ch in text))
    total = 0  # whole sections of ten thousand
    section = 0  # within the current section
    digit: int | None = None
    last_unit = 1
    after_zero = False
    for ch in text:
        if ch in _DIGITS:
            value = _DIGITS[ch]
            if value == 0:
                if digit is not None:
                    return None  # 二零 inside a unit numeral: not a number
                after_zero = True
                continue
            digit = value
        elif ch in _UNITS:
            unit = _UNITS[ch]
            section += (1 if digit is None else digit) * unit
            digit, last_unit, after_zero = None, unit, False
        else:  # 万
            section += 0 if digit is None else digit
            total = (total + (section or 1)) * 10_000
            section, digit, last_unit, after_zero = 0, None, 10_000, False
    if digit is not None:
        # 一百二 is 120 and 两万五 is 25,000: a last digit right after a unit counts in the
        # next unit down; after a zero (一百零二) it counts as itself.
        section += digit if after_zero or last_unit == 1 else digit * (last_unit // 10)
    return total + section
