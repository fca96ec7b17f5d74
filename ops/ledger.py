"""`workshop-bot export studio-ledger`: a month's 台帐 (domain.ledger), one XLSX workbook per
studio in a folder, in the union office's language."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bot.config import Settings
from domain.exports import export_period
from domain.ledger import Ledger, ledger_filename, load_ledger, write_ledger
from domain.tables import ExportError
from locales import Words
from ops.studios import pick_studio
from ops.terminal import err, office_words, progress_bar
from storage.db import Database
from storage.queries.studios import studio_by_name


async def export_ledger(settings: Settings, month: str | None, studio: str | None,
                        output: str | None, now: datetime) -> int:
    """The 台帐 of a month: one XLSX workbook per studio in a folder, a sheet each for the
    overview, logs, check-ins, topics and progress, suggestions and results."""
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        if not month:
            err.print(words("ledger.month_needed"))
            return 2
        try:
            export_period(now.astimezone(settings.tz).date(), settings.tz, month=month)
        except ExportError as exc:
            err.print(words("export.bad_argument", reason=exc.facts["reason"]))
            return 2
        async with db.reader() as session:  # reads only: no write lock held
            studio_id = None
            if studio is not None:
                picked = await pick_studio(session, words, studio)
                found = await studio_by_name(session, picked) if picked is not None else None
                if found is None:
                    return 2
                studio_id = found.id
            ledger = await load_ledger(session, month, tz=settings.tz, studio_id=studio_id)
    finally:
        await db.dispose()
    folder = Path(output or f"ledger-{month}")
    write_folder(folder, ledger, settings, words)
    print(words("ledger.done", n=len(ledger.studios), month=month, folder=folder))
    return 0


def write_folder(folder: Path, ledger: Ledger, settings: Settings, words: Words) -> None:
    """A workbook per studio of the ledger into `folder`, with a progress bar."""
    folder.mkdir(parents=True, exist_ok=True)
    with progress_bar(words("ledger.progress"), len(ledger.studios)) as advance:
        for name in ledger.studios:
            write_ledger(folder / ledger_filename(name, ledger.month), ledger, name,
                         tz=settings.tz, weights=settings.rank_weights, words=words)
            advance(1)
