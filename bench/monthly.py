"""monthly-summary, 统计, 排名 and the studio ledger for a union of 2,000 studios and
50,000 members with a year of logs.

    python -m bench.monthly [--studios 2000] [--members 50000] [--weeks 52] [--postgres URL]

Builds the data (about 80% of members log each week; each studio has 3 topics with 2
updates in November, 2 results and 3 suggestions), then times the monthly-summary job
(goal under 10 s), the figures behind an admin's 排名 / 统计 (all studios) and a
leader's 统计 (one studio) — both answered inside WeChat's 5 s, goal under 1 s — and the
November ledger for every studio.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, text, update

from bot.config import Settings
from ops.ledger import export_ledger
from scheduled.scheduler import run_job
from storage.calendar import iso_week, month_bounds, weeks_of_month
from storage.db import Database
from storage.migrate import upgrade
from storage.models import (
    TOPIC_IN_PROGRESS,
    TOPIC_KIND_DEFAULT,
    Achievement,
    Member,
    Suggestion,
    Topic,
    TopicProgress,
    WeeklyLog,
)
from storage.queries.indicators import studio_figures
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
    staffed = {mid: sid for mid, sid in ids if sid is not None}
    await studio_work(db, sorted(set(staffed.values())), staffed)
    return time.perf_counter() - t0


async def studio_work(db: Database, studio_ids: list[int], members: dict[int, int]) -> None:
    by_studio: dict[int, int] = {}
    for mid, sid in members.items():
        by_studio.setdefault(sid, mid)
    nov = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
    async with db.transaction() as session:
        conn = await session.connection()
        await conn.execute(insert(Topic.__table__), [  # type: ignore[arg-type]
            {"studio_id": sid, "title": f"课题{k}", "kind": TOPIC_KIND_DEFAULT,
             "status": TOPIC_IN_PROGRESS,
             "created_at": RUN_AT - timedelta(days=90), "updated_at": nov}
            for sid in studio_ids for k in range(3)])
        topics = (await conn.execute(select(Topic.id, Topic.studio_id))).all()
        await conn.execute(insert(TopicProgress.__table__), [  # type: ignore[arg-type]
            {"topic_id": tid, "author_id": by_studio[sid], "content": "推进", "percent": 50,
             "created_at": nov + timedelta(days=k)} for tid, sid in topics for k in range(2)])
        await conn.execute(insert(Achievement.__table__), [  # type: ignore[arg-type]
            {"studio_id": sid, "member_id": by_studio[sid], "type": "qc_result", "title": f"成果{k}",
             "economic_benefit": 1.5, "promoted": False, "status": "verified" if k else "reported",
             "created_at": nov} for sid in studio_ids for k in range(2)])
        await conn.execute(insert(Suggestion.__table__), [  # type: ignore[arg-type]
            {"studio_id": sid, "member_id": by_studio[sid], "content": "建议", "status": "submitted",
             "created_at": nov} for sid in studio_ids for k in range(3)])


async def measure(url: str, args: argparse.Namespace) -> tuple[float, float, int, float, float,
                                                                  float]:
    db = Database(url)
    try:
        await upgrade(db.engine)
        built = await build(db, args.studios, args.members, args.weeks)
        if db.dialect == "postgresql":
            async with db.engine.begin() as conn:
                await conn.execute(text("ANALYZE"))
        t0 = time.perf_counter()
        report = await run_job(db, "monthly-summary", RUN_AT, TZ)
        job = time.perf_counter() - t0
        weeks, (start, end) = weeks_of_month("2026-11"), month_bounds("2026-11")
        t0 = time.perf_counter()
        async with db.transaction() as session:
            everyone = await studio_figures(session, weeks, start, end, TZ)
        union = time.perf_counter() - t0
        one_id = next(iter(everyone))
        t0 = time.perf_counter()
        async with db.transaction() as session:
            await studio_figures(session, weeks, start, end, TZ, studio_id=one_id)
        one = time.perf_counter() - t0
        settings = Settings(database_url=url, workshop_bot_var_dir=Path(tempfile.mkdtemp()))
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            await export_ledger(settings, "2026-11", None, tempfile.mkdtemp(), RUN_AT)
        ledger = time.perf_counter() - t0
        return built, job, report.queued, union, one, ledger
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
    print(f"{'database':>10}  {'build data':>10}  {'job':>6}  {'queued':>6}  {'排名/统计 all':>13}"
          f"  {'统计 one':>8}  {'ledger, all studios':>19}")
    for label, url in targets:
        built, job, queued, union, one, ledger = await measure(url, args)
        print(f"{label:>10}  {built:>9.1f}s  {job:>5.2f}s  {queued:>6,}  {union:>12.2f}s"
              f"  {one:>7.3f}s  {ledger:>18.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
