"""monthly-summary for a union of 2,000 studios and 50,000 members with a year of logs.

    python -m bench.monthly [--studios 2000] [--members 50000] [--weeks 52] [--postgres URL]

Builds the data (about 80% of members log each week), then times the job itself:
goal under 10 s on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, text, update

from scheduled.scheduler import run_job
from storage.calendar import iso_week
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Member, WeeklyLog
from storage.queries.roster import RosterEntry, apply_roster

TZ = ZoneInfo("Asia/Shanghai")
RUN_AT = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 1 December, 09:00 in Shanghai


async def build(db: Database, studios: int, members: int, weeks: int) -> float:
    t0 = time.perf_counter()
    per = members // studios
    entries = [RosterEntry(i + 2, f"第{i // per:04d}工作室", f"职工{i:05d}", f"E{i:06d}",
                           "leader" if i % per == 0 else "member", None, None)
               for i in range(members)]
    entries.append(RosterEntry(members + 2, None, "管理员", "A000001", "admin", None, None))
    async with db.transaction() as session:
        await apply_roster(session, entries, root_union="总工会", now=RUN_AT, today=RUN_AT.date())
        conn = await session.connection()
        table = Member.__table__
        await conn.execute(update(table).values(openid="oM" + table.c.employee_no))  # type: ignore[arg-type]
        ids = [(mid, sid) for mid, sid in (await conn.execute(
            select(Member.id, Member.studio_id).where(Member.studio_id.is_not(None)))).all()]
    rng = random.Random(7)
    log_table = WeeklyLog.__table__
    for back in range(weeks):
        day = RUN_AT.date() - timedelta(weeks=back + 1)
        week = iso_week(day)
        rows = [{"member_id": mid, "studio_id": sid, "week": week, "content": "本周工作",
                 "hours": 4.0, "late": False, "version": 1, "submitted_at": RUN_AT,
                 "updated_at": RUN_AT} for mid, sid in ids if rng.random() < 0.8]
        async with db.transaction() as session:
            await (await session.connection()).execute(insert(log_table), rows)  # type: ignore[arg-type]
    return time.perf_counter() - t0


async def measure(url: str, args: argparse.Namespace) -> tuple[float, float, int]:
    db = Database(url)
    try:
        await upgrade(db.engine)
        built = await build(db, args.studios, args.members, args.weeks)
        if db.dialect == "postgresql":
            async with db.engine.begin() as conn:
                await conn.execute(text("ANALYZE"))
        t0 = time.perf_counter()
        report = await run_job(db, "monthly-summary", RUN_AT, TZ)
        return built, time.perf_counter() - t0, report.queued
    finally:
        await db.dispose()


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--studios", type=int, default=2000)
    ap.add_argument("--members", type=int, default=50_000)
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--postgres", metavar="URL", help="also run on this empty PostgreSQL database")
    args = ap.parse_args()
    targets = [("SQLite", f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'wb.db'}")]
    if args.postgres:
        targets.append(("PostgreSQL", args.postgres))
    print(f"\nmonthly-summary: {args.studios:,} studios, {args.members:,} members, "
          f"{args.weeks} weeks of logs (~80% submitted)")
    print(f"{'database':>10}  {'build data':>10}  {'job':>6}  {'queued':>6}")
    for label, url in targets:
        built, job, queued = await measure(url, args)
        print(f"{label:>10}  {built:>9.1f}s  {job:>5.2f}s  {queued:>6,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
