"""The web console's pages on a union of 2,000 studios and 50,000 members with a year of logs.

    python -m bench.console [--studios 2000] [--members 50000] [--weeks 52] [--requests 60]
                            [--postgres URL] [--sqlite PATH] [--reuse]

Builds the data set bench.monthly builds (the same builder), serves the app on loopback with
the clock on Friday 27 November 2026 (November's figures: four weeks of logs, the studios'
topics, results and suggestions), signs in an admin and a leader, and asks each page
`--requests` times in turn. Prints the server's own time per page (its Server-Timing
header: from the request reaching the console to the response being ready) p50/p95/max,
and the time the client waited, p50/p95.

--sqlite PATH keeps the SQLite database in PATH (default: a temporary folder); --reuse
measures the databases as an earlier run left them, without building the data again.

Goals: 总览 and the studio list (all 2,000 studios sorted by score) p95 ≤ 300 ms; a
studio's page p95 ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import socket
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlalchemy import select, text

from bench.inbound import table
from bench.monthly import build
from bot.app import DB_KEY, create_app
from bot.config import Settings
from domain.console import issue_link_for, redeem_link
from handlers import build_router
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Studio
from web import web_parts

AT = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # Friday 27 November, 10:00 in Shanghai
ADMIN, LEADER = "A000001", "E000000"  # bench.monthly's admin and its first studio's leader
WARM_UP = 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[94]


async def measure(url: str, args: argparse.Namespace) -> tuple[float, list[list[str]]]:
    db = Database(url)
    built = 0.0
    try:
        await upgrade(db.engine)
        if not args.reuse:
            built = await build(db, args.studios, args.members, args.weeks)
        if db.dialect == "postgresql":
            async with db.engine.begin() as conn:
                await conn.execute(text("ANALYZE"))
    finally:
        await db.dispose()
    settings = Settings(database_url=url, wechat_token="bench",
                        workshop_bot_var_dir=Path(tempfile.mkdtemp(prefix="wb-console-")))
    port = free_port()
    settings.workshop_bot_public_url = f"http://127.0.0.1:{port}"
    app = create_app(settings, build_router(), clock=lambda: AT, web_parts=web_parts(settings))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    # The collector as `serve` sets it (ops.cli): what lives as long as the process frozen
    # out of the generations, young collections every 10,000 allocations. Without it full
    # collections land inside requests: 总览's p95 on SQLite was 387 ms instead of 264.
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 100)
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with app[DB_KEY].transaction() as session:
            started = {}
            for who in (ADMIN, LEADER):
                link = await issue_link_for(session, who, via="cli", now=AT)
                started[who] = await redeem_link(session, link.token, now=AT)
            studios = list(await session.scalars(select(Studio.id).order_by(Studio.id)))
        cookies = {who: s.token for who, s in started.items()}
        own = started[LEADER].viewer.studio_id
        rng = random.Random(7)
        cases: list[tuple[str, str, Callable[[int], str]]] = [
            (f"总览 (admin, {len(studios):,} studios)", ADMIN, lambda _i: "/console/"),
            ("studio list by score (admin)", ADMIN, lambda _i: "/console/studios?sort=score"),
            ("studio list by log rate, page 20", ADMIN,
             lambda _i: "/console/studios?sort=rate&order=asc&page=20"),
            ("studio list, name search", ADMIN, lambda i: f"/console/studios?q=第{i % 20:02d}"),
            ("a studio's page (admin)", ADMIN,
             lambda _i: f"/console/studios/{rng.choice(studios)}"),
            ("a studio's page, a past week", ADMIN,
             lambda _i: f"/console/studios/{rng.choice(studios)}?week=2026-W40&month=2026-10"),
            ("总览 (leader)", LEADER, lambda _i: "/console/"),
            ("own studio's page (leader)", LEADER, lambda _i: f"/console/studios/{own}"),
            ("审计 (admin)", ADMIN, lambda _i: "/console/audit"),
            ("邀请: studios to invite (admin)", ADMIN, lambda _i: "/console/invites"),
            ("own studio's invites (leader)", LEADER, lambda _i: f"/console/invites/{own}"),
            ("导出 (admin)", ADMIN, lambda _i: "/console/exports"),
        ]
        rows = []
        async with aiohttp.ClientSession() as http:
            for label, who, path in cases:
                server: list[float] = []
                waited: list[float] = []
                for i in range(WARM_UP + args.requests):
                    started = time.perf_counter()
                    async with http.get(settings.workshop_bot_public_url + path(i),
                                        cookies={"wb_console": cookies[who]},
                                        allow_redirects=False) as resp:
                        await resp.read()
                        assert resp.status == 200, (label, resp.status)
                        took = float(resp.headers["Server-Timing"].split("dur=")[1])
                    if i >= WARM_UP:
                        server.append(took)
                        waited.append((time.perf_counter() - started) * 1000)
                rows.append([label, f"{statistics.median(server):.1f}",
                             f"{p95(server):.1f}", f"{max(server):.1f}",
                             f"{statistics.median(waited):.1f}", f"{p95(waited):.1f}"])
            # The yardstick, in the same run on the same server: a request that reads
            # nothing (/healthz). What a page costs beyond it is the page's own work.
            waited = []
            for i in range(WARM_UP + args.requests):
                started = time.perf_counter()
                async with http.get(settings.workshop_bot_public_url + "/healthz") as resp:
                    await resp.read()
                if i >= WARM_UP:
                    waited.append((time.perf_counter() - started) * 1000)
            rows.append(["yardstick: /healthz (reads nothing)", "-", "-", "-",
                         f"{statistics.median(waited):.1f}", f"{p95(waited):.1f}"])
        return built, rows
    finally:
        await runner.cleanup()


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--studios", type=int, default=2000)
    ap.add_argument("--members", type=int, default=50_000)
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--requests", type=int, default=60, help="per page")
    ap.add_argument("--postgres", metavar="URL", help="also run on this empty PostgreSQL database")
    ap.add_argument("--sqlite", metavar="PATH", type=Path,
                    help="the SQLite database file (default: in a temporary folder)")
    ap.add_argument("--reuse", action="store_true",
                    help="the databases hold the data of an earlier run: do not build it")
    args = ap.parse_args()
    sqlite = args.sqlite or Path(tempfile.mkdtemp()) / "wb.db"
    targets = [("SQLite", f"sqlite+aiosqlite:///{sqlite.resolve()}")]
    if args.postgres:
        url = args.postgres
        if url.startswith("postgresql://"):  # as the other benches take it: asyncpg's driver
            url = "postgresql+asyncpg://" + url.split("://", 1)[1]
        targets.append(("PostgreSQL", url))
    print(f"\nweb console: {args.studios:,} studios, {args.members:,} members, {args.weeks} weeks "
          f"of logs; {args.requests} requests a page, one at a time (ms)")
    for label, url in targets:
        built, rows = await measure(url, args)
        print(f"\n{label}" + (f" (data built in {built:.0f} s)" if built else ""))
        print(table(["page", "server p50", "p95", "max", "client p50", "p95"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
