"""What a text that matched no command probably meant, for the fallback to offer.

Three guesses, in this order: a command word typed slightly wrong (帮组, 周抱 今天调试 —
bot.routing.suggest), a mentorship check-in written as a sentence (今天跟师傅学习焊接2小时,
from someone with a mentorship pair), and a work log (今天调试了3号焊接机器人). Each becomes
the message to handle if the sender answers yes; the cue words are the catalogs'
(``input.mentorship.cues``, ``input.weekly_logs.cues``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from bot.context import Ctx
from bot.replies import Text
from bot.routing import Command, normalise, suggest
from domain.mentorship import MAX_HOURS as CHECKIN_MAX_HOURS
from domain.weekly_logs import this_week
from handlers import durations
from handlers.parsing import words_of
from locales.formats import hours as hours_in_words
from locales.formats import week_label
from storage.queries.mentorship import active_pairs_of

ECHO_LIMIT = 20  # characters of the typed text repeated back
LOG_MIN_CHARS = 8  # shorter texts are chat (好的, 谢谢), not a week's work
# Within a cue, "…" stands for a few characters of anything: 跟…学 is 跟师傅学, 跟王工学.
_GAP = "…"
_GAP_CHARS = 12

_CHECKIN_CUES = "input.mentorship.cues"
_LOG_CUES = "input.weekly_logs.cues"


@dataclass(frozen=True)
class Guess:
    """An offer: the reply that makes it, and the message to handle if the sender says yes."""

    text: str
    reply: Text


@functools.cache
def _cues(key: str) -> re.Pattern[str]:
    parts = []
    for word in sorted(words_of(key), key=len, reverse=True):
        pieces = [re.escape(p) for p in word.split(normalise(_GAP))]
        parts.append(f".{{0,{_GAP_CHARS}}}?".join(pieces))
    return re.compile("|".join(parts))


def _mentions(norm: str, key: str) -> bool:
    return _cues(key).search(norm) is not None


def _usable(ctx: Ctx, key: str) -> Command | None:
    return next((c for c in ctx.commands if c.key == key), None)


def shown(ctx: Ctx, text: str) -> str:
    return text if len(text) <= ECHO_LIMIT else text[:ECHO_LIMIT] + ctx.t("common.ellipsis")


async def guess(ctx: Ctx, text: str) -> Guess | None:
    """The likeliest meaning of `text` (the whole message, stripped) for the sender, or None."""
    near = suggest(text, ctx.commands)
    if near is not None:
        return Guess(near.text, ctx.reply("common.did_you_mean", text=shown(ctx, text),
                                          suggestion=shown(ctx, near.text)))
    if ctx.member is None:
        return None
    norm = normalise(text)
    reading = durations.in_checkin(text, CHECKIN_MAX_HOURS)
    hours = reading.value if isinstance(reading, durations.Hours) else None
    checkin = _usable(ctx, "checkin")
    if checkin is not None and hours is not None and _mentions(norm, _CHECKIN_CUES) \
            and await active_pairs_of(ctx.session, ctx.member.id):
        return Guess(f"{checkin.name} {text}",
                     ctx.reply("mentorship.offer", hours=hours_in_words(ctx.words, hours)))
    log = _usable(ctx, "log")
    if log is not None and len(text) >= LOG_MIN_CHARS and not norm.rstrip().endswith("?") \
            and (hours is not None or _mentions(norm, _LOG_CUES)):
        week = this_week(ctx.now.astimezone(ctx.settings.tz))
        return Guess(f"{log.name} {text}",
                     ctx.reply("weekly_logs.offer", week=week_label(ctx.words, week)))
    return None
