"""What every job does around its own content: record the run, queue once per key, and
write each push in its recipient's language."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

import locales
from domain.report_links import LinkBook
from locales import PUSH_LIMIT, TEMPLATE_FIELD_LIMIT, Words, words_for
from scheduled.jobs.report import JobReport
from storage.db import Database
from storage.queries.jobs import finish_job_run, start_job_run
from storage.queries.outbox import enqueue_many, recipients_already_queued
from storage.queries.report_links import StoredLink, add_links
from storage.session import Session

Messages = dict[int, tuple[str, dict[str, str] | None]]

# Rows queued per write transaction: each is short, so an inbound message never waits
# long for the lock a job's writes hold (on SQLite, one writer for the whole process).
WRITE_BATCH = 500


class Shared:
    """A push many recipients get alike (a studio's digest to its leaders, the union's
    month to every admin): written once per language and composed once per language
    choice, however many recipients share it. `build` writes it in one language."""

    def __init__(self, build: Callable[[Words], str]) -> None:
        self._build = build
        self._by_language: dict[str, str] = {}
        self._by_choice: dict[str | None, str] = {}

    def written(self, words: Words) -> str:
        """The text in `words`' language (written the first time it is asked for)."""
        text = self._by_language.get(words.language)
        if text is None:
            text = self._by_language[words.language] = self._build(words)
        return text

    def __call__(self, choice: str | None) -> str:
        """The push for a recipient who chose `choice` (bilingual: both texts)."""
        text = self._by_choice.get(choice)
        if text is None:
            text = self._by_choice[choice] = locales.compose(choice, self.written)
        return text


class Fields:
    """Template fields in the recipient's (first) language, built once per choice."""

    def __init__(self, build: Callable[[Words], dict[str, str]]) -> None:
        self._build = build
        self._by_choice: dict[str | None, dict[str, str]] = {}

    def __call__(self, choice: str | None) -> dict[str, str]:
        found = self._by_choice.get(choice)
        if found is None:
            built = self._build(words_for(choice))
            found = self._by_choice[choice] = {
                key: value[:TEMPLATE_FIELD_LIMIT] if key.startswith("thing") else value
                for key, value in built.items()}
        return found


@dataclass
class Links:
    """The report links a run hands out, one per recipient: minted while composing (which
    writes nothing) and stored in the same transaction as the push that carries each."""

    book: LinkBook
    now: datetime
    origin: str  # the job's name
    minted: dict[int, tuple[StoredLink, str]] = field(default_factory=dict)

    def url(self, recipient: int, page: str, month: str) -> str:
        """A new link for `recipient` to `page` (landing on `month`): its address."""
        link = self.book.mint(recipient, page, self.origin, self.now)
        url = self.book.page_url(link, month)
        self.minted[recipient] = (link, url)
        return url


def linked(links: Links | None, recipient: int, page: str, month: str, text: str,
           choice: str | None) -> str:
    """`text` with a line at its end holding the recipient's link to `page` (a
    customer-service message shows it; a template message opens it), when links are given.
    The text keeps whole lines and gives up its last ones if both would not fit a message."""
    if links is None:
        return text
    line = words_for(choice)("push.report.link", url=links.url(recipient, page, month))
    room = PUSH_LIMIT - len(line.encode("utf-8")) - 1
    kept: list[str] = []
    for part in text.splitlines():
        room -= len(part.encode("utf-8")) + 1
        if room < 0:
            break
        kept.append(part)
    return "\n".join([*kept, line])


def _compose_apart(url: str, name: str, period: str,
                   compose: Callable[[Session, JobReport], Awaitable[Messages]],
                   report: JobReport) -> tuple[Messages, set[int]]:
    """compose() on a connection of its own, in this (worker) thread's own event loop."""

    async def run() -> tuple[Messages, set[int]]:
        db = Database(url)
        try:
            async with db.reader() as session:
                messages = await compose(session, report)
                return messages, await recipients_already_queued(session, name, period)
        finally:
            await db.dispose()

    return asyncio.run(run())


async def queue_run(
    db: Database,
    name: str,
    period: str,
    now: datetime,
    compose: Callable[[Session, JobReport], Awaitable[Messages]],
    links: Links | None = None,
) -> JobReport:
    """Record a run of `name` for `period` and queue what `compose` writes, skipping anyone
    an earlier run of the same period already queued (the outbox key would refuse them).

    The composing runs in a thread of its own, with its own connection and event loop, and
    writes nothing: the 2,000-studio monthly summary reads and words for a second or two,
    which on the service's loop would hold every inbound message up (bench.stall). The rows
    are then written in short batches. A crash between batches leaves part of the run
    queued; running it again queues the rest and nothing twice (the outbox's unique key).

    `links`: the report links compose minted; each is stored with its push, and only if
    the push is queued now (a recipient queued before keeps the link sent before)."""
    report = JobReport(name, period)
    async with db.transaction() as session:
        run_id = await start_job_run(session, name, period, now)
    report.run_id = run_id
    try:
        messages, done = await asyncio.to_thread(_compose_apart, db.url, name, period, compose,
                                                 report)
        fresh = [(rid, msg) for rid, msg in messages.items() if rid not in done]
        for start in range(0, len(fresh), WRITE_BATCH):
            batch = dict(fresh[start:start + WRITE_BATCH])
            minted = {rid: links.minted[rid] for rid in batch
                      if links is not None and rid in links.minted}
            async with db.transaction() as session:
                await add_links(session, [link for link, _url in minted.values()])
                report.queued += await enqueue_many(
                    session, name, period, batch, now,
                    urls={rid: url for rid, (_link, url) in minted.items()})
        report.skipped = len(messages) - len(fresh)
    finally:
        # Finished either way (what was queued is counted), so `jobs list` shows the run
        # ended rather than one that never does; the error itself goes on to the caller.
        async with db.transaction() as session:
            await finish_job_run(session, run_id, queued=report.queued,
                                 skipped=report.skipped, now=now)
    return report
