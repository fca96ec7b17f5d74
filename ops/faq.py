"""`workshop-bot faq …`: the union's policy FAQ — import, list, export, test, synonyms, stats."""

from __future__ import annotations

import csv
import io
import sys
from datetime import datetime
from pathlib import Path

from bot.config import Settings
from locales import Words
from locales.formats import month_label
from ops.faq_file import COLUMNS, FaqFileError, read_faq, read_synonyms
from ops.terminal import err, office_words
from storage.db import Database
from storage.queries import faq as store
from storage.queries.roster import LineProblem


def _problems(words: Words, problems: list[LineProblem]) -> list[str]:
    return [words("faq.ops.line", line=p.line, reason=words(f"faq.problem.{p.code}", **p.facts))
            for p in sorted(problems, key=lambda p: p.line)]


async def faq_import(settings: Settings, path: Path, now: datetime) -> int:
    """Import the file in one transaction, or nothing at all when a line is bad (each bad
    line printed with its reason): 0 imported, 1 refused, 2 unreadable."""
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        try:
            read = read_faq(path)
        except FaqFileError as exc:
            err.print(words("faq.ops.unreadable", path=path,
                            reason=words(f"faq.file.{exc.code}", **exc.facts)))
            return 2
        except (OSError, ValueError) as exc:
            err.print(words("faq.ops.unreadable", path=path, reason=exc))
            return 2
        if read.errors:
            for line in _problems(words, read.errors):
                print(line)
            print(words("faq.ops.refused", n=len(read.errors)))
            return 1
        async with db.transaction() as session:
            outcome = await store.apply_faq(session, read.entries, now)
    finally:
        await db.dispose()
    print(words("faq.ops.summary", file=path.name, created=outcome.created,
                updated=outcome.updated, unchanged=outcome.unchanged, retired=outcome.retired))
    return 0


async def faq_list(settings: Settings) -> int:
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        async with db.reader() as session:
            found = await store.entries(session, retired=True)
    finally:
        await db.dispose()
    live = [e for e in found if not e.retired]
    for e in live:
        print(words("faq.ops.list_line", id=e.id, question=e.question, variants=len(e.variants),
                    category=e.category or words("faq.ops.no_category")))
    print(words("faq.ops.list_summary", n=len(live), retired=len(found) - len(live)))
    return 0


async def faq_export(settings: Settings, output: str | None, fmt: str) -> int:
    """The live entries as a file `faq import` reads back (CSV with BOM, or XLSX)."""
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        async with db.reader() as session:
            found = await store.entries(session)
    finally:
        await db.dispose()
    header = [words(f"faq.column.{c}") for c in COLUMNS]
    rows = [[e.question, "\n".join(e.variants), e.answer, e.category or "",
             "|".join(e.keywords)] for e in found]
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        sheet = wb.active
        assert sheet is not None
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        wb.save(output or "faq.xlsx")
        return 0
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    if output in (None, "-"):
        sys.stdout.write(buffer.getvalue())
    else:
        _write_text(Path(output), "\ufeff" + buffer.getvalue())
    return 0


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


async def faq_test(settings: Settings, question: str) -> int:
    """The three best entries for a question, with scores, and what a member would get."""
    from handlers.faq import verdict_for
    from handlers.faq_index import Entry, Index

    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        async with db.reader() as session:
            rows = await store.entries(session)
            synonyms = await store.synonym_groups(session)
    finally:
        await db.dispose()
    index = Index.build([Entry(r.id, r.question, r.variants, r.answer, r.keywords) for r in rows],
                        synonyms, answer_weight=settings.workshop_bot_faq_answer_weight)
    hits = index.search(question)
    for rank, hit in enumerate(hits, start=1):
        print(words("faq.ops.test_line", rank=rank, score=f"{hit.score:.2f}",
                    confidence=f"{hit.confidence:.0%}", question=hit.entry.question))
    verdict, _floor = verdict_for(index, question, hits, settings)
    print(words(f"faq.ops.test_verdict.{verdict}"))
    return 0


async def faq_synonyms(settings: Settings, path: Path, now: datetime) -> int:
    """Replace the synonym table with the file's groups (nothing changes if a line is bad)."""
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        try:
            groups, bad = read_synonyms(path)
        except (OSError, FaqFileError) as exc:
            reason = words(f"faq.file.{exc.code}", **exc.facts) \
                if isinstance(exc, FaqFileError) else exc
            err.print(words("faq.ops.unreadable", path=path, reason=reason))
            return 2
        if bad:
            for line in bad:
                print(words("faq.ops.synonym_problem", line=line))
            print(words("faq.ops.refused", n=len(bad)))
            return 1
        async with db.transaction() as session:
            await store.replace_synonyms(session, groups, now)
    finally:
        await db.dispose()
    print(words("faq.ops.synonyms_summary", groups=len(groups)))
    return 0


async def faq_stats(settings: Settings, now: datetime, limit: int = 20) -> int:
    """The wordings the FAQ could not answer this month (the union's time zone), most first."""
    from datetime import datetime as dt

    from storage.calendar import month_bounds

    local = now.astimezone(settings.tz)
    month = f"{local.year:04d}-{local.month:02d}"
    first, after = month_bounds(month)
    since = dt.combine(first, dt.min.time(), settings.tz)
    until = dt.combine(after, dt.min.time(), settings.tz)
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        async with db.reader() as session:
            top = await store.top_misses(session, since, until, limit)
            total = await store.count_misses(session, since, until)
    finally:
        await db.dispose()
    label = month_label(words, month)
    if not top:
        print(words("faq.ops.stats_empty", month=label))
        return 0
    print(words("faq.ops.stats_header", month=label, total=total))
    for text, count in top:
        print(words("faq.ops.stats_line", count=count, text=text))
    return 0
