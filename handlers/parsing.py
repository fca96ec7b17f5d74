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


@functools.cache
def _typed(prefix: str, codes: tuple[str, ...]) -> dict[str, str]:
    """Every word the catalogs give for each code (``<prefix>.<code>``), normalised → code."""
    return {normalise(word): code for code in codes for word in vocabulary(f"{prefix}.{code}")}


def code_of(prefix: str, codes: tuple[str, ...], text: str) -> str | None:
    """The code a person named in any language (``input.topics.status.acceptance`` lists
    验收, acceptance …), or None."""
    return _typed(prefix, codes).get(" ".join(normalise(text).split()))
