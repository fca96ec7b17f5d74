"""5,000 members each send a one-shot 周报 through the endpoint (SQLite, one process).

    python -m bench.weekly_logs [--members 5000] [--concurrency 50] [--postgres URL]

Imports a roster, binds every member to an openid, starts `workshop-bot serve`, sends
the logs as WeChat would, then counts what was stored. Goal: p99 ≤ 100 ms, no errors,
exactly one log per member.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import update

from bench.inbound import (
    TOKEN,
    Result,
    drop_postgres,
    free_port,
    fresh_postgres,
    run_load,
    start,
    table,
)
from bot.simulator import Delivery, WeChatSide, text_xml
from storage.db import Database
from storage.models import Member
from storage.queries.weekly_logs import count_logs


def write_roster(path: Path, members: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["studio", "name", "employee_no", "role", "mentor_employee_no", "phone"])
        for i in range(members):
            w.writerow([f"第{i // 25:03d}工作室", f"职工{i:05d}", f"E{i:06d}",
                        "leader" if i % 25 == 0 else "member", "", ""])


async def bind_all(url: str, members: int) -> None:
    db = Database(url)
    try:
        async with db.transaction() as session:
            conn = await session.connection()
            await conn.execute(
                update(Member.__table__)  # type: ignore[arg-type]
                .where(Member.__table__.c.employee_no == Member.__table__.c.employee_no)
                .values(openid="oLog" + Member.__table__.c.employee_no)
            )
    finally:
        await db.dispose()


async def one_database(label: str, url: str | None, args: argparse.Namespace) -> tuple[Result, int]:
    """Import, bind, serve and load one database (the embedded SQLite when `url` is None)."""
    work = Path(tempfile.mkdtemp(prefix="wb-logs-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "DATABASE_URL"))}
    env["WECHAT_TOKEN"] = TOKEN
    if url is not None:
        env["DATABASE_URL"] = url
        up = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "db", "upgrade",
                                                  cwd=work, env=env,
                                                  stdout=asyncio.subprocess.DEVNULL)
        assert await up.wait() == 0
    write_roster(work / "roster.csv", args.members)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "import-roster", str(work / "roster.csv"), cwd=work, env=env,
        stdout=asyncio.subprocess.DEVNULL)
    assert await proc.wait() == 0
    url = url or f"sqlite+aiosqlite:///{work / 'var' / 'workshop-bot.db'}"
    await bind_all(url, args.members)
    port = free_port()
    serve, _ = await start([sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1",
                            "--port", str(port)], work, env, "ready")
    side = WeChatSide(TOKEN)
    now = int(time.time())
    batch: list[Delivery] = [
        side.deliver(text_xml(f"oLogE{i:06d}", f"周报 本周完成第{i}号设备点检，整理QC资料",
                              msg_id=9_000_000 + i, create_time=now), timestamp=now)
        for i in range(args.members)
    ]
    try:
        errors, seconds, lat = await run_load(f"http://127.0.0.1:{port}/wechat", batch,
                                              args.concurrency, side, "已提交")
    finally:
        serve.terminate()
        await serve.wait()
    db = Database(url)
    try:
        async with db.transaction() as session:
            stored = await count_logs(session)
    finally:
        await db.dispose()
    return Result(f"周报 one-shot, {label}", "plain", args.concurrency, len(batch), errors,
                  seconds, lat), stored


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=5000)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--postgres", metavar="URL",
                    help="also measure on a fresh database on this PostgreSQL server")
    args = ap.parse_args()
    rows, ok = [], True
    targets: list[tuple[str, str | None, str | None]] = [("SQLite", None, None)]
    if args.postgres:
        name, url = await fresh_postgres(args.postgres)
        targets.append(("PostgreSQL", url, name))
    try:
        for label, url, _name in targets:
            result, stored = await one_database(label, url, args)
            rows.append(result.row())
            print(f"{label}: logs stored {stored:,} (expected {args.members:,})")
            ok = ok and stored == args.members and result.errors == 0
    finally:
        for _label, _url, name in targets:
            if name and args.postgres:
                await drop_postgres(args.postgres, name)
    print(f"\nweekly logs: {args.members:,} bound members, one 周报 each, one process")
    print(table(["what", "mode", "conc.", "requests", "errors", "req/s", "p50 ms", "p99 ms",
                 "max ms"], rows))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
