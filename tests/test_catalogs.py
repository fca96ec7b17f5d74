"""The message catalogs: complete where they must be, the same placeholders in every language,
every message within a reply's 2,048 bytes, Traditional generated from Simplified."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from locales import (
    BILINGUAL,
    COMPLETE,
    DEFAULT_LANGUAGE,
    LANGUAGES,
    PUSH_LIMIT,
    catalog_path,
    compose,
    fit_bilingual,
    messages,
    words_for,
)
from locales.generate import zh_tw_catalog

ROOT = Path(__file__).resolve().parents[1]
MAX_REPLY_BYTES = 2048
# What Mongolian must cover at least: help, binding, the weekly-log and check-in dialogs
# and every push (the 蒙汉双语 pushes).
MONGOLIAN_PREFIXES = ("common.help", "common.cancelled", "common.refused", "onboarding.",
                      "weekly_logs.", "mentorship.", "push.", "language.", "format.", "role.")


def _own_words(key: str) -> bool:
    return key.startswith("cmd.") and key.endswith(".words")


def fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


# Placeholders that hold a count, a number or a date part: filled with a large number.
NUMBERS = {"n", "count", "id", "logs", "expected", "done", "checkins", "confirmed", "progressed",
           "active", "results", "verified", "suggestions", "left", "days", "minutes", "length",
           "chars", "parts", "pics", "limit", "max", "i", "number", "points", "s0", "s1", "s2",
           "s3", "at_risk", "value", "year", "month", "day", "hour", "minute", "weight", "score",
           "benefit", "percent", "queued", "skipped", "total", "line", "members", "updates"}


def sample(text: str) -> dict[str, object]:
    """Long sample data for every placeholder: 40 characters of text, or a large number
    where the placeholder is a count or formats a number ({hours:g})."""
    values: dict[str, object] = {}
    for _lit, name, spec, _conv in string.Formatter().parse(text):
        if name:
            values[name] = 123456.75 if spec or name in NUMBERS else "测试内容" * 10
    return values


@pytest.mark.parametrize("language", [lang for lang in COMPLETE if lang != DEFAULT_LANGUAGE])
def test_every_key_is_in_every_complete_catalog(language: str) -> None:
    source, target = set(messages(DEFAULT_LANGUAGE)), set(messages(language))
    assert sorted(source - target) == []
    # Nothing stale either; a language may add command words of its own (cmd.<key>.words).
    assert sorted(k for k in target - source if not _own_words(k)) == []


def test_mongolian_covers_the_main_conversations_and_every_push() -> None:
    mongolian = messages("mn")
    missing = [k for k in messages(DEFAULT_LANGUAGE) if k.startswith(MONGOLIAN_PREFIXES)
               and k not in mongolian]
    assert missing == []
    assert not {k for k in set(mongolian) - set(messages(DEFAULT_LANGUAGE)) if not _own_words(k)}
    # The main commands have Mongolian words (routed like their Chinese and English ones).
    for command in ("help", "bind", "log", "checkin", "confirm", "me", "cancel", "language"):
        assert f"cmd.{command}.words" in mongolian


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_placeholders_match_across_languages(language: str) -> None:
    source = messages(DEFAULT_LANGUAGE)
    wrong = {key: (fields(text), fields(source[key]))
             for key, text in messages(language).items()
             if key in source and fields(text) != fields(source[key])}
    assert wrong == {}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_message_fits_in_a_reply_with_long_data(language: str) -> None:
    words = words_for(language)
    over = {}
    for key, text in messages(language).items():
        if key.startswith("input.") or (key.startswith("cmd.") and key.endswith(".words")):
            continue  # what people type, not what they read
        rendered = words(key, **sample(text))
        if len(rendered.encode("utf-8")) > MAX_REPLY_BYTES:
            over[key] = len(rendered.encode("utf-8"))
    assert over == {}


@pytest.mark.parametrize("choice", sorted(BILINGUAL))
def test_a_bilingual_push_carries_both_texts_within_the_limit(choice: str) -> None:
    first, second = BILINGUAL[choice]
    text = compose(choice, lambda w: w("onboarding.welcome_back", name="巴特尔"))
    assert text.startswith(words_for(first)("onboarding.welcome_back", name="巴特尔"))
    assert text.endswith(words_for(second)("onboarding.welcome_back", name="巴特尔"))
    long = compose(choice, lambda w: "\n".join([w("common.help_footer")] * 60))
    assert len(long.encode("utf-8")) <= PUSH_LIMIT and "\n\n" in long
    assert fit_bilingual(["一" * 2000, "二" * 2000], PUSH_LIMIT).count("\n\n") == 1


def test_the_traditional_catalog_is_generated_from_the_simplified_one() -> None:
    committed = catalog_path("zh-TW").read_text(encoding="utf-8")
    assert committed == zh_tw_catalog(), "run `python -m locales.generate`"


_KEY_USE = re.compile(
    r"""(?:\.t|\.reply|\bwords|\bw|\bt)\(\s*(?:[A-Za-z_."-]+,\s*)?"([a-z][a-z0-9_]*\.[a-z0-9_.+-]*[a-z0-9_])"[,)]""")


def test_every_key_the_code_names_is_in_the_catalog() -> None:
    known = set(messages(DEFAULT_LANGUAGE))
    missing = []
    for package in ("bot", "handlers", "scheduled", "ops", "domain", "locales", "storage", "web"):
        # Templates name their words as the code does: {{ t("console.nav.home") }}.
        for path in [*(ROOT / package).rglob("*.py"), *(ROOT / package).rglob("*.html")]:
            for found in _KEY_USE.finditer(path.read_text(encoding="utf-8")):
                if found.group(1) not in known:
                    missing.append(f"{path.relative_to(ROOT)}: {found.group(1)}")
    assert missing == []


def test_command_words_in_traditional_text_still_route() -> None:
    """A reply tells people what to type (「綁定 邀請碼」): in Traditional it must fold back to
    the same command, or the instruction would not work."""
    import handlers
    from bot.routing import RouteTable, normalise

    commands = {normalise(w) for c in RouteTable(handlers.build_router()).commands
                for w in (*c.words, *c.aliases)}
    simplified, traditional = messages(DEFAULT_LANGUAGE), messages("zh-TW")
    broken = []
    for key, text in simplified.items():
        ours = re.findall(r"“([^”]+)”", text)
        theirs = re.findall(r"「([^」]+)」", traditional[key])
        for said, written in zip(ours, theirs, strict=False):
            word = said.split()[0] if said.split() else ""
            if normalise(word) in commands and \
                    normalise(written.split()[0]) != normalise(word):
                broken.append((key, said, written))
    assert broken == []


@pytest.mark.parametrize("language", COMPLETE)
def test_a_help_summary_does_not_repeat_its_command(language: str) -> None:
    """帮助 shows 「· usage：summary」: a summary that starts with the command (统计：统计：
    …, 本周：本周谁交了…) or with a label of its own (打卡 [内容]：师徒打卡：…) says it twice."""
    catalog = messages(language)
    doubled = []
    for key, summary in catalog.items():
        if not (key.startswith("cmd.") and key.endswith(".summary")):
            continue
        usage = catalog.get(key.removesuffix(".summary") + ".usage", "")
        word = usage.split()[0] if usage.split() else ""
        # A label: a few words then a colon, before any other punctuation.
        if re.match(r"[^，；（“,;(\"]{1,20}[：:]", summary) or (
                language != "en" and word and summary.startswith(word)):
            doubled.append(key)
    assert doubled == []


def test_one_term_per_thing_in_what_people_read() -> None:
    """周报 (never 工作日志 or 日志), 工会管理员 (not 工作室管理员: no such role), and the
    union as 本工会 or its name (全会 reads as a plenary session). Words people type (a
    `日志` alias, `语言 全会`) may differ."""
    read = {key: text for key, text in messages(DEFAULT_LANGUAGE).items()
            if not key.startswith("input.") and not _own_words(key)}
    found = {(key, term) for key, text in read.items()
             for term in ("日志", "全会", "工作室管理员") if term in text}
    assert found == set()
