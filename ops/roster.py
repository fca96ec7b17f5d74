"""`workshop-bot import-roster`: read the file, apply it (domain.roster), report each bad line."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bot.config import Settings
from domain.roster import apply_roster_read, file_error_words, worded
from domain.roster_file import RosterFileError, read_roster
from ops.terminal import err, office_words, progress_bar
from storage.db import Database


async def import_roster(settings: Settings, path: Path, now: datetime) -> int:
    """Import the file; print each bad line with its reason; 0 if every line imported."""
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        try:
            read = read_roster(path)
        except RosterFileError as exc:
            err.print(words("roster.unreadable", path=path, reason=file_error_words(words, exc)))
            return 2
        except OSError as exc:
            err.print(words("roster.unreadable", path=path, reason=exc))
            return 2
        with progress_bar(words("roster.progress"), len(read.entries)) as advance:
            async with db.transaction() as session:
                done = await apply_roster_read(
                    session, read, root_union=settings.workshop_bot_union_name,
                    now=now, today=now.astimezone(settings.tz).date(), progress=advance,
                )
    finally:
        await db.dispose()
    outcome = done.outcome
    problems = worded(words, done.problems)
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
