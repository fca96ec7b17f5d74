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
from ops.terminal import err
from storage.db import is_sqlite

PG_RECIPE = (
    "PostgreSQL 的备份请用 pg_dump：\n"
    "  pg_dump --format=custom --file={file} \"{url}\"\n"
    "恢复：\n"
    "  pg_restore --clean --if-exists --no-owner --dbname=\"{url}\" {file}"
)


def _pg_url(settings: Settings) -> str:
    """The libpq form of DATABASE_URL (pg_dump knows no "+asyncpg")."""
    url = make_url(settings.effective_database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def backup(settings: Settings, target: Path) -> int:
    """SQLite: the backup API copies page by page while serve keeps writing, and the copy is
    consistent. PostgreSQL: pg_dump, when it is installed; otherwise the recipe."""
    if target.exists():
        err.print(f"{target} 已存在：请换一个文件名（备份不会覆盖已有文件）")
        return 1
    url = settings.effective_database_url
    if not is_sqlite(url):
        return _pg_dump(settings, target)
    source = Path(make_url(url).database or "")
    if not source.is_file():
        err.print(f"没有可备份的数据库：{source} 不存在")
        return 1
    folder = target.parent if str(target.parent) else Path(".")
    try:
        # Written beside the target and renamed at the end: a failed backup leaves nothing.
        fd, partial = tempfile.mkstemp(prefix=".backup-", suffix=".db", dir=folder)
        os.close(fd)
    except OSError as exc:
        err.print(f"无法写入 {target}：{exc.strerror or exc}。请换一个可写的位置。")
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
        err.print(f"备份失败：{exc}")
        return 1
    print(f"已备份 {source} → {target}（{target.stat().st_size // 1024} KB）")
    return 0


def _pg_dump(settings: Settings, target: Path) -> int:
    url = _pg_url(settings)
    shown = make_url(url).render_as_string(hide_password=True)
    if shutil.which("pg_dump") is None:
        err.print("没有找到 pg_dump（Debian：apt-get install postgresql-client）。")
        err.print(PG_RECIPE.format(file=target, url=shown))
        return 1
    proc = subprocess.run(["pg_dump", "--format=custom", f"--file={target}", url],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        target.unlink(missing_ok=True)
        first = (proc.stderr.strip().splitlines() or ["pg_dump failed"])[0]
        err.print(f"备份失败：{first}")
        return 1
    print(f"已用 pg_dump 备份到 {target}。恢复：")
    print(f"  pg_restore --clean --if-exists --no-owner --dbname=\"{shown}\" {target}")
    return 0
