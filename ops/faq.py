"""`workshop-bot faq …`: the union's policy FAQ — import, list, export, test, synonyms, stats.

The reading, the rules and the index are domain.faq's (the console's FAQ page calls the
same with an uploaded file's bytes); this reads the file and words the outcome."""

from __future__ import annotations

import csv
import io
import sys
from datetime import datetime
from pathlib import Path

from bot.config import Settings
from domain import faq as rules
from domain import faq_file
from domain.faq_file import COLUMNS, BadLines, FaqFileError
from locales import Words
from locales.formats import month_label
from ops.terminal import err, office_words
from storage.db import Database
from storage.queries import faq as store
from storage.queries.roster import LineProblem


def _problems(words: Words, problems: list[LineProblem]) -> list[str]:
    return [words("faq.ops.line", line=p.line, reason=words(f"faq.problem.{p.code}", **p.facts))
            for p in sorted(problems, key=lambda p: p.line)]


def _file(path: Path, limit: int) -> bytes:
    """The file's bytes, its size looked at before it is read."""
    size = path.stat().st_size
    if size > limit:
        raise FaqFileError("too_big", size=size, limit=limit)
    return path.read_bytes()


def _unreadable(words: Words, path: Path, exc: Exception) -> int:
    reason = words(f"faq.file.{exc.code}", **exc.facts) if isinstance(exc, FaqFileError) else exc
    err.print(words("faq.ops.unreadable", path=path, reason=reason))
    return 2


async def faq_import(settings: Settings, path: Path, now: datetime) -> int:
    """Import the file in one transaction, or nothing at all when a line is bad (each bad
    line printed with its reason): 0 imported, 1 refused, 2 unreadable."""
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        try:
            data = _file(path, faq_file.MAX_FILE_BYTES)
            async with db.transaction() as session:
                outcome = await rules.import_faq(session, data, path.name, now=now)
        except (OSError, FaqFileError) as exc:
            return _unreadable(words, path, exc)
        except BadLines as refused:
            for line in _problems(words, refused.problems):
                print(line)
            print(words("faq.ops.refused", n=len(refused.problems)))
            return 1
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
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        async with db.reader() as session:
            trial = await rules.try_question(session, question,
                                             key=settings.effective_database_url,
                                             settings=settings)
    finally:
        await db.dispose()
    for rank, hit in enumerate(trial.hits, start=1):
        print(words("faq.ops.test_line", rank=rank, score=f"{hit.score:.2f}",
                    confidence=f"{hit.confidence:.0%}", question=hit.entry.question))
    print(words(f"faq.ops.test_verdict.{trial.verdict}"))
    return 0


async def faq_synonyms(settings: Settings, path: Path, now: datetime) -> int:
    """Replace the synonym table with the file's groups (nothing changes if a line is bad)."""
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        try:
            data = _file(path, faq_file.MAX_SYNONYM_BYTES)
            async with db.transaction() as session:
                groups = await rules.set_synonyms(session, data, now=now)
        except (OSError, FaqFileError) as exc:
            return _unreadable(words, path, exc)
        except BadLines as refused:
            for problem in refused.problems:
                print(words("faq.ops.synonym_problem", line=problem.line))
            print(words("faq.ops.refused", n=len(refused.problems)))
            return 1
    finally:
        await db.dispose()
    print(words("faq.ops.synonyms_summary", groups=len(groups)))
    return 0


async def faq_stats(settings: Settings, now: datetime, limit: int = 20) -> int:
    """The wordings the FAQ could not answer this month (the union's time zone), most first."""
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        async with db.reader() as session:
            found = await rules.unanswered(session, now, settings.tz, limit)
    finally:
        await db.dispose()
    label = month_label(words, found.month)
    if not found.top:
        print(words("faq.ops.stats_empty", month=label))
        return 0
    print(words("faq.ops.stats_header", month=label, total=found.total))
    for text, count in found.top:
        print(words("faq.ops.stats_line", count=count, text=text))
    return 0
