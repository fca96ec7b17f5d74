"""`workshop-bot export KIND`: the SPEC §8 tables (domain.exports) written to a file or stdout.

Column names are machine-readable English by default (scripts read them); ``--headers zh``
names them in Chinese from the catalog (``export.header.<column>``)."""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from domain.exports import export_period, export_table, sheet_name
from domain.tables import ExportError, chinese_words, headers_in
from ops.tables import write_table
from ops.terminal import err, office_words
from storage.db import Database


async def export(settings: Settings, kind: str, fmt: str, output: str | None, now: datetime, *,
                 week: str | None = None, month: str | None = None,
                 headers: str = "en", unbound: bool = False) -> int:
    """SPEC §8 exports. Logs default to this week, check-ins to this month, suggestions and
    results to all of them (--month: those made in the month); studios carry this month's
    indicator score and stars (those 排名 shows); `unbound`: instead of the studios, their
    members not bound yet."""
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        try:
            export_period(now.astimezone(settings.tz).date(), settings.tz, week=week,
                          month=month)
        except ExportError as exc:
            err.print(words("export.bad_argument", reason=exc.facts["reason"]))
            return 2
        if unbound and kind != "studios":
            err.print(words("export.unbound_only_studios"))
            return 2
        async with db.reader() as session:  # reads only: no write lock held
            table = await export_table(session, "unbound" if unbound else kind, now=now,
                                       tz=settings.tz, words=words,
                                       weights=settings.rank_weights, week=week, month=month)
    finally:
        await db.dispose()
    named = chinese_words(words) if headers == "zh" else None
    write_table(headers_in(named, table.columns), table.rows, fmt=fmt, output=output,
                sheet=sheet_name(named, table.kind))
    return 0
