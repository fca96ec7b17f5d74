"""`workshop-bot import-roster`: read the file, apply it, report each bad line."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bot.config import Settings
from locales import Words
from ops.roster_file import RosterFileError, read_roster
from ops.terminal import err, office_words, progress_bar
from storage.db import Database
from storage.queries.roster import LineProblem, apply_roster


def problem_words(words: Words, problem: LineProblem) -> str:
    """Why a line was refused (or only partly applied), as the union office reads it."""
    return words(f"roster.problem.{problem.code}", **problem.facts)


def worded(words: Words, problems: list[LineProblem]) -> list[tuple[int, str]]:
    """(line, reason) for each problem, in line order."""
    return [(p.line, problem_words(words, p)) for p in sorted(problems, key=lambda p: p.line)]


async def import_roster(settings: Settings, path: Path, now: datetime) -> int:
    """Import the file; print each bad line with its reason; 0 if every line imported."""
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        try:
            read = read_roster(path)
        except RosterFileError as exc:
            err.print(words("roster.unreadable", path=path,
                            reason=words(f"roster.file.{exc.code}", **exc.facts)))
            return 2
        except OSError as exc:
            err.print(words("roster.unreadable", path=path, reason=exc))
            return 2
        with progress_bar(words("roster.progress"), len(read.entries)) as advance:
            async with db.transaction() as session:
                outcome = await apply_roster(
                    session, read.entries, root_union=settings.workshop_bot_union_name,
                    now=now, today=now.astimezone(settings.tz).date(), progress=advance,
                )
    finally:
        await db.dispose()
    problems = worded(words, read.errors + outcome.problems)
    for line, reason in problems:
        print(words("roster.line", line=line, reason=reason))
    print(words("roster.summary", file=path.name, lines=read.lines, imported=len(read.entries),
                skipped=len(read.errors), created=outcome.members_created,
                updated=outcome.members_updated, unchanged=outcome.members_unchanged,
                studios=outcome.studios_created, pairs_created=outcome.pairs_created,
                pairs_ended=outcome.pairs_ended))
    if outcome.not_in_file:
        print(words("roster.not_in_file", n=outcome.not_in_file))
    return 1 if problems else 0
