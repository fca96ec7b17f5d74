"""`workshop-bot import-roster`: read the file, apply it, report each bad line."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bot.config import Settings
from ops.roster_file import RosterFileError, read_roster
from ops.terminal import err, progress_bar
from storage.db import Database
from storage.queries.roster import apply_roster


async def import_roster(settings: Settings, path: Path, now: datetime) -> int:
    """Import the file; print each bad line with its reason; 0 if every line imported."""
    try:
        read = read_roster(path)
    except (RosterFileError, OSError) as exc:
        err.print(f"无法读取名册 {path}：{exc}")
        return 2
    db = Database(settings.effective_database_url)
    try:
        with progress_bar("导入名册", len(read.entries)) as advance:
            async with db.transaction() as session:
                outcome = await apply_roster(
                    session, read.entries, root_union=settings.workshop_bot_union_name,
                    now=now, today=now.astimezone(settings.tz).date(), progress=advance,
                )
    finally:
        await db.dispose()
    problems = sorted(read.errors + outcome.problems)
    for line, reason in problems:
        print(f"第 {line} 行：{reason}")
    skipped = len(read.errors)
    print(
        f"名册 {path.name}：共 {read.lines} 行，导入 {len(read.entries)} 行，跳过 {skipped} 行；"
        f"新增成员 {outcome.members_created}，更新 {outcome.members_updated}，"
        f"未变 {outcome.members_unchanged}；新增工作室 {outcome.studios_created}；"
        f"师徒结对新增 {outcome.pairs_created}、结束 {outcome.pairs_ended}"
    )
    if outcome.not_in_file:
        print(f"提示：系统中另有 {outcome.not_in_file} 名成员不在本名册中，未做改动。")
    return 1 if problems else 0


