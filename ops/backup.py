"""`workshop-bot db backup FILE`: an online, consistent copy of the database."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import make_url

from bot.config import Settings
from ops.terminal import default_words, err
from storage.db import is_sqlite

KB = 1024


def _pg_url(settings: Settings) -> str:
    """The libpq form of DATABASE_URL (pg_dump knows no "+asyncpg")."""
    url = make_url(settings.effective_database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def backup(settings: Settings, target: Path) -> int:
    """SQLite: the backup API copies page by page while serve keeps writing, and the copy is
    consistent. PostgreSQL: pg_dump, when it is installed; otherwise the recipe.

    Spoken in zh-CN: a backup must not depend on reading the database it copies."""
    words = default_words()
    if target.exists():
        err.print(words("ops.backup.exists", target=target))
        return 1
    url = settings.effective_database_url
    if not is_sqlite(url):
        return _pg_dump(settings, target)
    source = Path(make_url(url).database or "")
    if not source.is_file():
        err.print(words("ops.backup.no_database", source=source))
        return 1
    folder = target.parent if str(target.parent) else Path(".")
    try:
        # Written beside the target and renamed at the end: a failed backup leaves nothing.
        fd, partial = tempfile.mkstemp(prefix=".backup-", suffix=".db", dir=folder)
        os.close(fd)
    except OSError as exc:
        err.print(words("ops.backup.unwritable", target=target, reason=exc.strerror or exc))
        return 1
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(partial)
        try:
            with dst:
                src.backup(dst)
        finally:
            dst.close()
            src.close()
        os.replace(partial, target)
    except (OSError, sqlite3.Error) as exc:
        Path(partial).unlink(missing_ok=True)
        err.print(words("ops.backup.failed", reason=exc))
        return 1
    print(words("ops.backup.done", source=source, target=target,
                kb=target.stat().st_size // KB))
    return 0


def _pg_dump(settings: Settings, target: Path) -> int:
    words = default_words()
    url = _pg_url(settings)
    shown = make_url(url).render_as_string(hide_password=True)
    if shutil.which("pg_dump") is None:
        err.print(words("ops.backup.no_pg_dump"))
        err.print(words("ops.backup.pg_recipe", file=target, url=shown))
        return 1
    # The password goes in the environment, not the argument list that `ps` shows.
    parsed = make_url(url)
    env = {**os.environ, **({"PGPASSWORD": parsed.password} if parsed.password else {})}
    bare = parsed.set(password=None).render_as_string(hide_password=False)
    proc = subprocess.run(["pg_dump", "--format=custom", f"--file={target}", bare],
                          capture_output=True, text=True, check=False, env=env)
    if proc.returncode != 0:
        target.unlink(missing_ok=True)
        first = (proc.stderr.strip().splitlines() or ["pg_dump failed"])[0]
        err.print(words("ops.backup.failed", reason=first))
        return 1
    print(words("ops.backup.pg_done", file=target, url=shown))
    return 0
