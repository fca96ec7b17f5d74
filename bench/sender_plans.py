"""How PostgreSQL plans the batched sender statement, and what each planner setting costs.

    python -m bench.sender_plans [--postgres URL] [--rows 20000] [--batch 11]

Creates a fresh database on the server, migrates it, and times 1,000 executions of the
statement the dispatcher's fast path runs (storage.queries.sender), on one connection per
planner setting: first on the new, empty tables, then after `--rows` deliveries were
recorded (the plans cached meanwhile), then on new connections after ANALYZE. Prints the
server's CPU (read from /proc, so run it on the database's machine) and the wall time per
execution. The settings the raw pool uses are storage.db.RAW_PLANNING.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from typing import Any

import asyncpg

from bench.inbound import table
from storage.db import RAW_PLANNING
from storage.queries.sender import _postgres_sql

SETTINGS: dict[str, dict[str, str]] = {
    "PostgreSQL's choice": {},
    "RAW_PLANNING (ours)": RAW_PLANNING,
}


def server_cpu(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def timed(conn: asyncpg.Connection, args: tuple[Any, ...], n: int = 1000) -> tuple[float, float]:
    sql = _postgres_sql()
    for _ in range(20):
        await conn.fetch(sql, *args)
    pid = conn.get_server_pid()
    cpu0, t0 = server_cpu(pid), time.perf_counter()
    for _ in range(n):
        await conn.fetch(sql, *args)
    return (server_cpu(pid) - cpu0) / n * 1000, (time.perf_counter() - t0) / n * 1000


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--batch", type=int, default=11, help="deliveries per execution")
    args = ap.parse_args()
    name = "wb_plans_" + uuid.uuid4().hex[:10]
    admin = await asyncpg.connect(args.postgres)
    await admin.execute(f'CREATE DATABASE "{name}"')
    base = args.postgres.rsplit("/", 1)[0]
    try:
        env = {**os.environ, "DATABASE_URL": f"{base.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"}
        upgrade = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "db", "upgrade", env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        if await upgrade.wait() != 0:
            raise SystemExit("db upgrade failed")
        conns = {label: await asyncpg.connect(f"{base}/{name}", server_settings=settings)
                 for label, settings in SETTINGS.items()}
        pairs = ([f"oBench{i:06d}" for i in range(args.batch)],
                 [f"m:oBench{i:06d}:{i}" for i in range(args.batch)])
        rows: list[list[str]] = []
        for label, conn in conns.items():
            cpu, wall = await timed(conn, pairs)
            rows.append([label, "new, empty tables", f"{cpu:.3f}", f"{wall:.3f}"])
        await admin.close()
        admin = await asyncpg.connect(f"{base}/{name}")
        await admin.execute(
            "INSERT INTO inbound_message (dedupe_key, openid, msg_type, received_at, status) "
            "SELECT 'm:o' || g || ':' || g, 'o' || g, 'text', now(), 'done' "
            "FROM generate_series(1, $1::int) g", args.rows)
        for label, conn in conns.items():
            cpu, wall = await timed(conn, pairs)
            rows.append([label, f"after {args.rows:,} deliveries", f"{cpu:.3f}", f"{wall:.3f}"])
        for conn in conns.values():
            await conn.close()
        await admin.execute("ANALYZE")
        for label, settings in SETTINGS.items():
            conn = await asyncpg.connect(f"{base}/{name}", server_settings=settings)
            cpu, wall = await timed(conn, pairs)
            rows.append([label, "new connection, analyzed", f"{cpu:.3f}", f"{wall:.3f}"])
            await conn.close()
    finally:
        await admin.close()
        admin = await asyncpg.connect(args.postgres)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    headers = ["planner setting", "tables", "server CPU ms/exec", "wall ms/exec"]
    print(f"\nbatched sender statement, {args.batch} deliveries per execution, 1,000 executions")
    print(table(headers, rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
