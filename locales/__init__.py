"""Words for people: one gettext catalog per language (``<lang>/LC_MESSAGES/workshop_bot.po``).

Keys are stable names (``weekly_logs.saved``); each catalog maps them to the text in its
language, with ``{name}`` placeholders filled by :func:`t` (Python's ``str.format``, so a
literal brace is written twice). The database keeps codes; everything a person reads is
looked up here — by handlers through ``Ctx.t``, by jobs, the web and the operator tools
through :func:`t` or :class:`Words`.

A member's language is one of :data:`LANGUAGES` or a bilingual choice (``mn+zh-CN``:
Mongolian first, then Simplified Chinese — the 蒙汉双语 pushes of Inner Mongolia's unions).
A key missing from an incomplete catalog (Mongolian covers the main conversations and
every push) falls back to Simplified Chinese.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path

DOMAIN = "workshop_bot"
HERE = Path(__file__).resolve().parent

DEFAULT_LANGUAGE = "zh-CN"
# Codes as stored in Member.language, with the name each language calls itself.
LANGUAGES: dict[str, str] = {
    "zh-CN": "简体中文",
    "zh-TW": "繁體中文",
    "en": "English",
    "mn": "ᠮᠣᠩᠭᠣᠯ",
}
BILINGUAL: dict[str, tuple[str, ...]] = {"mn+zh-CN": ("mn", "zh-CN")}
CHOICES: tuple[str, ...] = (*LANGUAGES, *BILINGUAL)
# How each choice is named to the people choosing (in its own words).
CHOICE_NAMES: dict[str, str] = {**LANGUAGES, "mn+zh-CN": "ᠮᠣᠩᠭᠣᠯ + 简体中文（蒙汉双语）"}
# Catalogs that must hold every key (a test says so); the others fall back to zh-CN.
COMPLETE: tuple[str, ...] = ("zh-CN", "zh-TW", "en")
FOLDERS = {"zh-CN": "zh_CN", "zh-TW": "zh_TW", "en": "en", "mn": "mn"}
# Between the two texts of a bilingual push.
BILINGUAL_SEPARATOR = "\n\n"
# A customer-service text message, like a passive reply, holds 2,048 bytes.
PUSH_LIMIT = 2048
# WeChat cuts each "thing" value of a template message at 20 characters.
TEMPLATE_FIELD_LIMIT = 20
# What marks a text cut short.
ELLIPSIS = "…"


def catalog_path(language: str) -> Path:
    return HERE / FOLDERS[language] / "LC_MESSAGES" / f"{DOMAIN}.po"


def _read(path: Path, language: str) -> dict[str, str]:
    from babel.messages.pofile import read_po

    with path.open("rb") as fh:
        catalog = read_po(fh, locale=FOLDERS[language], domain=DOMAIN)
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string and not m.fuzzy}


@functools.cache
def messages(language: str) -> Mapping[str, str]:
    """The catalog of `language` as key → text (read once per process)."""
    path = catalog_path(language)
    return _read(path, language) if path.is_file() else {}


def load_all() -> None:
    """Read every catalog now (at start-up), so that no message waits for a file."""
    for language in LANGUAGES:
        messages(language)


def choice_named(text: str, normalise: Callable[[str], str]) -> str | None:
    """The language choice a person typed: a code (``en``, ``zh-TW``, ``mn+zh-CN``) or a name
    in any language (``English``, 繁體中文, ᠮᠣᠩᠭᠣᠯ, 蒙汉双语 — the catalogs' ``input.language.*``
    lists). `normalise` is the caller's folding (width, case, Traditional)."""
    typed = normalise(text.strip()).replace("_", "-").replace(" ", "")
    for choice in CHOICES:
        if typed == normalise(choice) or typed == normalise(CHOICE_NAMES[choice]).replace(" ", ""):
            return choice
        try:
            words = vocabulary(f"input.language.{choice}")
        except KeyError:
            continue
        if typed in {normalise(w).replace(" ", "") for w in words}:
            return choice
    return None


def languages_of(choice: str | None) -> tuple[str, ...]:
    """The languages a choice stands for: ``"mn+zh-CN"`` → ("mn", "zh-CN")."""
    if not choice:
        return (DEFAULT_LANGUAGE,)
    if choice in BILINGUAL:
        return BILINGUAL[choice]
    return (choice,) if choice in LANGUAGES else (DEFAULT_LANGUAGE,)


def text_of(language: str, key: str) -> str:
    """The raw catalog text (placeholders unfilled), falling back to zh-CN."""
    found = messages(language).get(key)
    if found is None and language != DEFAULT_LANGUAGE:
        found = messages(DEFAULT_LANGUAGE).get(key)
    if found is None:
        raise KeyError(f"no message {key!r} in the catalogs")
    return found


@functools.cache
def vocabulary(key: str) -> frozenset[str]:
    """Words people may type for one meaning, in every language: the catalogs hold them as
    ``|``-separated lists (``input.done`` = ``完成|好了|done|ok``). Matching is the caller's
    (compare normalised text); this gives every catalog's words, case-folded."""
    found: set[str] = set()
    for language in LANGUAGES:
        text = messages(language).get(key)
        if text:
            found.update(w.strip().casefold() for w in text.split("|") if w.strip())
    if not found:
        raise KeyError(f"no vocabulary {key!r} in the catalogs")
    return frozenset(found)


def t(language: str, key: str, /, **values: object) -> str:
    """The message `key` in `language` (one language code, not a bilingual choice)."""
    text = text_of(language, key)
    return text.format(**values) if values else text


class Words:
    """A translator bound to one member's choice: ``words("common.cancelled")``.

    Replies speak the first language of a bilingual choice; pushes built with
    :meth:`each` carry every language of it.
    """

    __slots__ = ("choice", "language", "languages")

    def __init__(self, choice: str | None) -> None:
        self.languages = languages_of(choice)
        self.language = self.languages[0]
        self.choice = choice or DEFAULT_LANGUAGE

    def __call__(self, key: str, /, **values: object) -> str:
        return t(self.language, key, **values)

    def named(self, area: str, code: str) -> str:
        """A stored code in words (``named("topic.status", "in_progress")`` → 攻关中); a
        value no catalog knows (written before values became codes) reads as itself."""
        try:
            return self(f"{area}.{code}")
        except KeyError:
            return code

    def each(self) -> list[Words]:
        """One translator per language of the choice, in order (Mongolian first)."""
        return [words_for(lang) for lang in self.languages]


@functools.cache
def words_for(choice: str | None) -> Words:
    """The (shared) translator for a choice; a handful exist per process."""
    return Words(choice)


def compose(choice: str | None, build: Callable[[Words], str], limit: int = PUSH_LIMIT) -> str:
    """A push in the recipient's choice: `build` writes it in one language; a bilingual
    choice gets one text per language, Mongolian first, fitted together within `limit`."""
    return fit_bilingual([build(words) for words in words_for(choice).each()], limit)


def fit_bilingual(texts: list[str], limit: int) -> str:
    """Join the texts of a bilingual push within `limit` bytes: each keeps whole lines and
    gets an equal share when both do not fit."""
    joined = BILINGUAL_SEPARATOR.join(texts)
    if len(joined.encode("utf-8")) <= limit or len(texts) == 1:
        return joined
    share = (limit - len(BILINGUAL_SEPARATOR.encode("utf-8")) * (len(texts) - 1)) // len(texts)
    return BILINGUAL_SEPARATOR.join(_whole_lines(text, share) for text in texts)


def _whole_lines(text: str, limit: int) -> str:
    kept: list[str] = []
    used = 0
    for line in text.splitlines():
        size = len(line.encode("utf-8")) + 1
        if used + size > limit:
            break
        kept.append(line)
        used += size
    if kept:
        return "\n".join(kept)
    # One line longer than the share: cut it on a character boundary.
    return text.encode("utf-8")[: max(0, limit - 3)].decode("utf-8", errors="ignore") + "…"


def fit_lines(lines: list[str], more: str, limit: int = PUSH_LIMIT) -> str:
    """Join whole lines while they fit in one message (a reply or a push); if some do not,
    end with `more` (say, where to find the rest) instead of cutting a line in half."""
    text = "\n".join(lines)
    if len(text.encode("utf-8")) <= limit:
        return text
    room = limit - len(more.encode("utf-8")) - 1
    kept: list[str] = []
    used = 0
    for line in lines:
        size = len(line.encode("utf-8")) + 1
        if used + size > room:
            break
        kept.append(line)
        used += size
    return "\n".join([*kept, more])


def clip(text: str, limit: int) -> str:
    """`text` within `limit` bytes of UTF-8: cut on a character and marked when longer."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    room = limit - len(ELLIPSIS.encode("utf-8"))
    return data[:room].decode("utf-8", errors="ignore") + ELLIPSIS
