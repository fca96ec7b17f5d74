"""Reading what people type: yes/no, skip, done, choices, record numbers (hours are
handlers.durations').

The words themselves are the catalogs' ``input.*`` lists (locales.vocabulary), so that a
language adds its words without code; they are compared in the routing's folded form
(width, case, Traditional → Simplified).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.routing import normalise
from locales import Words, vocabulary, words_for
from locales.formats import hours as hours_in_words

# Vocabularies (catalog keys) of the answers every dialog understands.
YES = "input.yes"
SKIP = "input.skip"
NO = "input.no"
DONE = "input.done"

# Punctuation that ends a clause (in the folded form): a word that introduces a figure
# (共, 效益) does not reach across it.
CLAUSE_END = r",.;!?\n。、"


@functools.cache
def words_of(key: str) -> frozenset[str]:
    """The vocabulary `key` in the folded form typed text is compared in."""
    return frozenset(normalise(w).strip() for w in vocabulary(key))


def says(text: str, key: str) -> bool:
    """Whether `text` is, as a whole, one of the words of the vocabulary `key`."""
    return normalise(text).strip() in words_of(key)


def alternation(words: Iterable[str]) -> str:
    """A regex alternation of `words`, longest first; a word of several non-ASCII
    characters may have spaces between them ("半 个 小时")."""
    parts = []
    for word in sorted(words, key=lambda w: (-len(w), w)):
        if word.isascii():
            parts.append(re.escape(word))
        else:
            parts.append(r"\s*".join(re.escape(ch) for ch in word if not ch.isspace()))
    return "|".join(parts)


def bounded(key: str) -> str:
    """The alternation of vocabulary `key`, where an English word must stand alone: the
    "h" of "2h", not of "2 help"."""
    parts = []
    for word in words_of(key):
        pattern = alternation([word])
        if word.isascii() and word[:1].isalpha():
            pattern = rf"(?<![a-z]){pattern}"
        if word.isascii() and word[-1:].isalpha():
            pattern = rf"{pattern}(?![a-z])"
        parts.append((len(word), pattern))
    return "|".join(p for _n, p in sorted(parts, key=lambda item: (-item[0], item[1])))


class Typed:
    """A text as typed and in the folded form patterns read (`norm`), with the way back:
    the typed words behind a span of the folded text (to repeat them, or cut them out)."""

    def __init__(self, text: str) -> None:
        self.text = text
        chunks: list[str] = []
        self._origin: list[int] = []
        for i, ch in enumerate(text):
            folded = normalise(ch)
            chunks.append(folded)
            self._origin.extend([i] * len(folded))
        self._origin.append(len(text))
        self.norm = "".join(chunks)

    def at(self, position: int) -> int:
        """The index in the typed text of the folded text's `position`."""
        return self._origin[position]

    def span(self, start: int, end: int) -> str:
        return self.text[self.at(start):self.at(end)].strip()


def has_words(text: str, least: int = 2) -> bool:
    """Whether a text says something in words (letters or characters of any script), not
    only emoji, digits and marks ("👍👍👍", "3")."""
    return sum(ch.isalpha() for ch in text) >= least


def is_skip(text: str) -> bool:
    return says(text, SKIP)


def is_yes(text: str) -> bool:
    return says(text, YES)


def is_no(text: str) -> bool:
    return says(text, NO)


def is_done(text: str) -> bool:
    """"I have sent everything" (完成, done…): the end of a text sent in parts."""
    return says(text, DONE)


def format_hours(hours: float | None, words: Words | None = None) -> str:
    """Hours in the reader's words (locales.formats.hours); without `words`, in Chinese.

    TRANSITION: callers pass their reader's Words; the default serves those not yet moved."""
    return hours_in_words(words or words_for(None), hours)


# "编号 [说明]": a record number, then what follows it. Nine digits at most: a longer
# "number" is a typo, and would overflow an INTEGER column.
RECORD_ARGS = re.compile(r"^#?(\d{1,9})(?!\d)\s*(.*)$", re.S)

ALL = "input.all"  # "every one of them" (全部, all …)
_RANGE = "input.range"  # between two numbers of a range (6-8, 6到8 …)
_LIST = "input.list_separator"  # between the numbers of a list (6,7 / 6、7 …)
MAX_NUMBERS = 100  # record numbers in one message; a longer range is a typo


@functools.cache
def _numbers_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(one record number or a range of them, standing alone: followed by a separator or
    the end, so that a comment starting with a figure stays a comment; the separators)."""
    # Matched against the text as typed (a comment keeps its own characters), so each
    # word in its catalog form and in its folded one.
    separators = "".join(sorted({re.escape(w) for w in {*vocabulary(_LIST), *words_of(_LIST)}
                                 if len(w) == 1}))
    ranges = alternation({*vocabulary(_RANGE), *words_of(_RANGE)})
    return (re.compile(rf"#?(\d{{1,9}})(?:\s*(?:{ranges})\s*#?(\d{{1,9}}))?(?=$|[\s{separators}])"),
            re.compile(rf"[\s{separators}]*"))


@dataclass(frozen=True)
class RecordNumbers:
    numbers: tuple[int, ...]  # in the order given, each once; empty when `every`
    every: bool  # "全部": all that the command applies to
    rest: str  # what follows the numbers (a comment, a reason)


def record_numbers(text: str) -> RecordNumbers | None:
    """The record numbers a message starts with and what follows them: "6 7 8 讲得好",
    "6,7,8", "6-8", "#6、#7", "全部 辛苦了". None when it starts with neither a number nor
    the word for all, or names more than MAX_NUMBERS."""
    text = text.strip()
    head = text.split(None, 1)
    if head and normalise(head[0]).strip() in words_of(ALL):
        return RecordNumbers((), True, head[1].strip() if len(head) > 1 else "")
    number, separators = _numbers_patterns()
    numbers: list[int] = []
    seen: set[int] = set()
    at = 0
    while True:
        found = number.match(text, at)
        if found is None:
            break
        first = int(found.group(1))
        last = int(found.group(2)) if found.group(2) else first
        if last < first or last - first >= MAX_NUMBERS:
            return None
        for n in range(first, last + 1):
            if n not in seen:
                seen.add(n)
                numbers.append(n)
        if len(numbers) > MAX_NUMBERS:  # checked as they come: a long list is refused at once
            return None
        at = separators.match(text, found.end()).end()  # type: ignore[union-attr]
    if not numbers:
        return None
    return RecordNumbers(tuple(numbers), False, text[at:].strip())


@functools.cache
def _typed(prefix: str, codes: tuple[str, ...]) -> dict[str, str]:
    """Every word the catalogs give for each code (``<prefix>.<code>``), normalised → code."""
    return {normalise(word): code for code in codes for word in vocabulary(f"{prefix}.{code}")}


def code_of(prefix: str, codes: tuple[str, ...], text: str) -> str | None:
    """The code a person named in any language (``input.topics.status.acceptance`` lists
    验收, acceptance …), or None."""
    return _typed(prefix, codes).get(" ".join(normalise(text).split()))
