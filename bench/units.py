"""What a unit of work costs this process on PostgreSQL: SQLAlchemy's session against asyncpg.

    python -m bench.units [--postgres URL] [--units 2000]

Creates a fresh database on the server and runs, one after another on one connection at a
time, `--units` units of work each way, measuring this process's CPU (not the server's):

- five plain statements (an advisory lock, a lookup, three inserts) in a transaction, on an
  AsyncSession, on an AsyncConnection, and on asyncpg directly — the yardstick;
- a one-shot 周报's unit as the dispatcher runs it (lock, sender, the week's log, the new
  log with its first version, the delivery record) on an AsyncSession
  (Database.transaction) and on the lean session (Database.driver_unit, storage.driver).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg
from sqlalchemy import bindparam, column, func, insert, select, table

from bench.inbound import table as print_table
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Member, Studio
from storage.queries import weekly_logs as logs
from storage.queries.inbound import inbound_row, record_inbound
from storage.queries.locks import lock_openid_for_transaction
from storage.queries.sender import sender_of
from storage.session import Session

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def timed(units: int, one: Callable[[int], Awaitable[None]]) -> tuple[float, float]:
    for i in range(50):  # warm: statements prepared, pools filled
        await one(-1 - i)
    cpu0, t0 = cpu(), time.perf_counter()
    for i in range(units):
        await one(i)
    return (cpu() - cpu0) / units * 1e6, (time.perf_counter() - t0) / units * 1e6


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    ap.add_argument("--units", type=int, default=2000)
    args = ap.parse_args()
    name = "wb_units_" + uuid.uuid4().hex[:10]
    admin = await asyncpg.connect(args.postgres)
    await admin.execute(f'CREATE DATABASE "{name}"')
    base = args.postgres.rsplit("/", 1)[0]
    url = base.replace("postgresql://", "postgresql+asyncpg://", 1) + "/" + name
    db = Database(url)
    rows: list[list[str]] = []
    try:
        await upgrade(db.engine)
        raw = await asyncpg.connect(f"{base}/{name}")
        await raw.execute("CREATE TABLE bench_unit (id serial PRIMARY KEY, k text UNIQUE)")
        bench = table("bench_unit", column("id"), column("k"))
        lock = select(func.pg_advisory_xact_lock(bindparam("n")))
        find = select(bench).where(bench.c.k == bindparam("k"))
        add = insert(bench)

        async def on_session(i: int) -> None:
            async with db.sessions() as session, session.begin():
                await session.execute(lock, {"n": i})
                await session.execute(find, {"k": f"s{i}"})
                for p in ("s", "t", "u"):
                    await session.execute(add, {"k": f"{p}{i}"})

        async def on_connection(i: int) -> None:
            async with db.engine.begin() as conn:
                await conn.execute(lock, {"n": i})
                await conn.execute(find, {"k": f"c{i}"})
                for p in ("c", "d", "e"):
                    await conn.execute(add, {"k": f"{p}{i}"})

        async def on_asyncpg(i: int) -> None:
            async with raw.transaction():
                await raw.fetchrow("SELECT pg_advisory_xact_lock($1)", i)
                await raw.fetchrow("SELECT id, k FROM bench_unit WHERE k = $1", f"a{i}")
                for p in ("a", "b", "f"):
                    await raw.execute("INSERT INTO bench_unit (k) VALUES ($1)", f"{p}{i}")

        for label, one in (("5 statements: AsyncSession", on_session),
                           ("5 statements: AsyncConnection", on_connection),
                           ("5 statements: asyncpg (yardstick)", on_asyncpg)):
            cpu_us, wall_us = await timed(args.units, one)
            rows.append([label, f"{cpu_us:,.0f}", f"{wall_us:,.0f}"])
        await raw.close()

        async with db.transaction() as session:
            studio = Studio(name="计时工作室", created_at=NOW)
            session.add(studio)
            await session.flush()
            members = [Member(employee_no=f"U{i:05d}", name=f"计时{i}", role="member",
                              studio_id=studio.id, openid=f"o-unit{i}", created_at=NOW)
                       for i in range(2 * (args.units + 50))]
            session.add_all(members)
            await session.flush()
            ids = [(m.id, m.openid) for m in members]

        def weekly_log(unit: Callable[[], object], offset: int) -> Callable[[int], Awaitable[None]]:
            async def one(i: int) -> None:
                member_id, openid = ids[offset + i + 50]
                async with unit() as session:  # type: ignore[attr-defined]
                    s: Session = session
                    await lock_openid_for_transaction(s, openid)
                    sender = await sender_of(s, openid, f"m:{openid}:1")
                    assert sender.member is not None and sender.seen is None
                    assert await logs.log_for_week(s, member_id, "2026-W47") is None
                    await logs.insert_log(s, member_id=member_id, studio_id=sender.member.studio_id,
                                          week="2026-W47", content="调试设备", hours=None,
                                          late=False, action="create", now=NOW)
                    await record_inbound(s, inbound_row(
                        dedupe_key=f"m:{openid}:1", openid=openid, msg_type="text", event=None,
                        content="周报 调试设备", received_at=NOW, status="done",
                        reply={"type": "text", "content": "已提交"}))
            return one

        half = args.units + 50
        for label, one in (("周报 unit: AsyncSession", weekly_log(db.transaction, 0)),
                           ("周报 unit: lean (storage.driver)", weekly_log(db.driver_unit, half))):
            cpu_us, wall_us = await timed(args.units, one)
            rows.append([label, f"{cpu_us:,.0f}", f"{wall_us:,.0f}"])
    finally:
        await db.dispose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    headers = ["unit of work", "this process's CPU µs/unit", "wall µs/unit"]
    print(f"\nunits of work on PostgreSQL, {args.units:,} each way, one at a time")
    print(print_table(headers, rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
