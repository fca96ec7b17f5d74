"""weekly-log-reminder to 10,000 members through a WeChat API that takes 20 ms a call.

    python -m bench.fanout [--members 10000] [--latency-ms 20] [--in-flight 50]

Queues the reminder (one outbox row each), sends them all, then runs the job and the
sender again to show that nothing goes out twice. Goal: ≥ 500 sends/s, bounded memory.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import update

from bench.inbound import free_port, start
from bot.wechat_api import WeChatAPI
from scheduled.delivery import Deliverer
from scheduled.scheduler import run_job
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Member
from storage.queries.roster import RosterEntry, apply_roster

TZ = ZoneInfo("Asia/Shanghai")
FRIDAY = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=10_000)
    ap.add_argument("--latency-ms", type=float, default=20)
    ap.add_argument("--in-flight", type=int, default=50, help="API calls in flight at most")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wb-fanout-"))
    db = Database(f"sqlite+aiosqlite:///{work / 'wb.db'}")
    await upgrade(db.engine)
    entries = [RosterEntry(i + 2, f"第{i // 25:04d}工作室", f"职工{i:05d}", f"E{i:06d}",
                           "member", None, None) for i in range(args.members)]
    async with db.transaction() as session:
        await apply_roster(session, entries, root_union="总工会", now=FRIDAY, today=FRIDAY.date())
        conn = await session.connection()
        table = Member.__table__
        await conn.execute(update(table).values(openid="oF" + table.c.employee_no,  # type: ignore[arg-type]
                                                last_interaction_at=FRIDAY))
    port = free_port()
    fake, _ = await start([sys.executable, "-m", "bench.fake_wechat", str(port),
                           str(args.latency_ms)], Path.cwd(), dict(os.environ), "fake ready")
    api = WeChatAPI(f"http://127.0.0.1:{port}", "wx", "secret", clock=lambda: FRIDAY,
                    max_in_flight=args.in_flight)
    deliverer = Deliverer(db, api, templates={}, tz=TZ, clock=lambda: FRIDAY)
    rows = []
    try:
        before = rss_mib()
        t0 = time.perf_counter()
        first = await run_job(db, "weekly-log-reminder", FRIDAY, TZ)
        queued_at = time.perf_counter()
        sent = await deliverer.run()
        done = time.perf_counter()
        rows.append(("first run", first.queued, sent.total, queued_at - t0, done - queued_at,
                     sent.total / (done - queued_at)))
        t1 = time.perf_counter()
        again = await run_job(db, "weekly-log-reminder", FRIDAY, TZ)
        resent = await deliverer.run()
        rows.append(("second run", again.queued, resent.total, 0.0, time.perf_counter() - t1, 0.0))
        async with aiohttp.ClientSession() as http, http.get(
                f"http://127.0.0.1:{port}/stats") as resp:
            calls = (await resp.json())["calls"]
        growth = rss_mib() - before
    finally:
        await api.close()
        fake.terminate()
        await fake.wait()
        await db.dispose()
    print(f"\nfan-out: {args.members:,} members, WeChat API latency {args.latency_ms:g} ms, "
          f"{args.in_flight} calls in flight at most, SQLite")
    print(f"{'':>11} {'queued':>7} {'sent':>7} {'queue s':>8} {'send s':>7} {'sends/s':>8}")
    for label, q, s, qs, ss, rate in rows:
        print(f"{label:>11} {q:>7,} {s:>7,} {qs:>8.2f} {ss:>7.2f} {rate:>8,.0f}")
    print(f"API calls the fake server answered: {calls:,} (one per member)")
    print(f"peak memory grew by {growth:.0f} MiB during the run")
    return 0 if calls == args.members and rows[1][2] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
