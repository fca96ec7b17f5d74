"""The union's policy FAQ as the office keeps it (the console's FAQ page, `workshop-bot faq`):
import a file, replace the synonyms, what went unanswered this month, and how a question
would be answered; and the process's index the chat asks (handlers.faq)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Protocol

from domain.faq_file import BadLines, read_faq, read_synonyms
from domain.faq_index import CHOOSE, Entry, Hit, Index, Thresholds, verdict_for
from storage.calendar import month_bounds
from storage.queries import faq as store
from storage.queries.faq import ImportOutcome
from storage.queries.roster import LineProblem
from storage.session import Session

SYNONYM_GROUP = "synonym_group"  # a synonym line with fewer than two words


class FaqSettings(Thresholds, Protocol):
    """The FAQ's settings the index needs besides the thresholds (bot.config.Settings)."""

    workshop_bot_faq_answer_weight: float
    workshop_bot_faq_refresh_seconds: float


async def import_faq(session: Session, data: bytes, filename: str, *,
                     now: datetime) -> ImportOutcome:
    """Make the live FAQ what the file says (new questions added, known ones updated, those
    missing retired), all or nothing: FaqFileError when the file cannot be read, BadLines
    (every bad row, with why) when a row is refused — nothing is written then. Every process
    rebuilds its index at its next look (the FAQ's version is bumped)."""
    read = await asyncio.to_thread(read_faq, data, filename)
    if read.errors:
        raise BadLines(read.errors)
    return await store.apply_faq(session, read.entries, now)


async def set_synonyms(session: Session, data: bytes, *,
                       now: datetime) -> list[tuple[str, ...]]:
    """The synonym table becomes the file's groups (补贴=补助=经费, one a line), all or
    nothing: FaqFileError, or BadLines with a ``synonym_group`` problem for each line of
    fewer than two words. The groups, as stored."""
    groups, bad = read_synonyms(data)
    if bad:
        raise BadLines([LineProblem(line, SYNONYM_GROUP) for line in bad])
    await store.replace_synonyms(session, groups, now)
    return groups


@dataclass(frozen=True)
class Unanswered:
    """The questions the FAQ could not answer in a month: the wordings asked most."""

    month: str  # YYYY-MM
    total: int  # every miss of the month
    top: list[tuple[str, int]]  # (wording, times asked), most first


async def unanswered(session: Session, now: datetime, tz: tzinfo,
                     limit: int = 20) -> Unanswered:
    """This month's misses (the month `now` falls in, in `tz`), the `limit` most asked."""
    local = now.astimezone(tz)
    month = f"{local.year:04d}-{local.month:02d}"
    first, after = month_bounds(month)
    since = datetime.combine(first, datetime.min.time(), tz)
    until = datetime.combine(after, datetime.min.time(), tz)
    return Unanswered(month, await store.count_misses(session, since, until),
                      await store.top_misses(session, since, until, limit))


@dataclass
class _Cached:
    version: int
    checked: float
    index: Index


_CACHE: dict[str, _Cached] = {}


async def current_index(session: Session, key: str, settings: FaqSettings) -> Index:
    """This process's index of the FAQ of database `key`, rebuilt (in a worker thread: jieba
    loads for a second the first time) when an import or a synonym change bumped the
    version — looked at no more often than every WORKSHOP_BOT_FAQ_REFRESH_SECONDS."""
    cached = _CACHE.get(key)
    # A monotonic clock for the cache's freshness only: nothing recorded depends on it.
    moment = time.monotonic()
    if cached is not None and moment - cached.checked < settings.workshop_bot_faq_refresh_seconds:
        return cached.index
    version = await store.faq_version(session)
    if cached is not None and cached.version == version:
        cached.checked = moment
        return cached.index
    rows = await store.entries(session)
    synonyms = await store.synonym_groups(session)
    entries = [Entry(r.id, r.question, r.variants, r.answer, r.keywords) for r in rows]
    index = await asyncio.to_thread(Index.build, entries, synonyms,
                                    answer_weight=settings.workshop_bot_faq_answer_weight)
    _CACHE[key] = _Cached(version, moment, index)
    return index


@dataclass(frozen=True)
class Trial:
    """How a member's question would be answered now: the three best entries with their
    BM25 score and confidence, and the verdict (domain.faq_index: answer, choose, miss)."""

    question: str
    hits: list[Hit]
    verdict: str
    floor: float  # the least confidence an entry needs to be offered as a choice
    anchored: bool  # the question names one of the domain's words

    @property
    def offered(self) -> list[Hit]:
        """What the member would be offered to choose from (nothing unless CHOOSE)."""
        return [h for h in self.hits if h.confidence >= self.floor] \
            if self.verdict == CHOOSE else []


async def try_question(session: Session, question: str, *, key: str,
                       settings: FaqSettings) -> Trial:
    """Ask the FAQ `question` as a member would, through this process's index (nothing is
    recorded: a miss here is not counted)."""
    index = await current_index(session, key, settings)

    def ask() -> Trial:
        # In a worker thread: the first question loads jieba's dictionary (a second).
        hits = index.search(question)
        verdict, floor = verdict_for(index, question, hits, settings)
        return Trial(question, hits, verdict, floor, index.anchored(question))

    return await asyncio.to_thread(ask)
