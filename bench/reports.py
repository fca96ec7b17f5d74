"""The report pages on the 2,000-studio union of bench.monthly: a studio's month, the union's
picture and one studio's PDF, served by the real app on loopback.

    python -m bench.reports [--studios 2000] [--members 50000] [--weeks 52]
                            [--pages 200] [--unions 10] [--pdfs 5]
                            [--postgres URL [--postgres-only]]

Builds bench.monthly's data (a year of logs, November's topics, results and suggestions),
records twelve months of scores as the monthly summary would have, hands each sampled
studio's leader and one admin a link, then asks for the pages one after another as of
1 December. Server time is the page's own Server-Timing (reading and drawing, before the
response is compressed and sent); round trip adds that; wire is the gzip-compressed page.

Goals (issue 16): a studio page ≤ 150 ms server-side p95 and ≤ 300 KB over the wire; the
union page for 2,000 studios ≤ 500 ms; a PDF ≤ 3 s.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlalchemy import select, text

from bench.inbound import table
from bench.monthly import RUN_AT, TZ, build
from bot.app import create_app
from bot.config import Settings
from domain.report_links import LinkBook, studio_page, studio_path, union_path
from handlers import build_router
from storage.db import Database
from storage.migrate import upgrade
from storage.models import PAGE_UNION, ROLE_ADMIN, ROLE_LEADER, Member
from storage.queries.indicators import month_ratings
from storage.queries.scores import record_scores
from web import web_parts
from web.reports.data import shift_month

MONTH = "2026-11"


def percentiles(values: list[float]) -> tuple[float, float]:
    if len(values) == 1:
        return values[0], values[0]
    q = statistics.quantiles(values, n=100, method="inclusive")
    return statistics.median(values), q[94]


async def record_year(db: Database) -> float:
    """Twelve months of scores, as twelve monthly summaries would have recorded them."""
    t0 = time.perf_counter()
    for back in range(12):
        month = shift_month(MONTH, back)
        async with db.transaction() as session:
            rated = await month_ratings(session, month, TZ, Settings().rank_weights,
                                        RUN_AT.astimezone(TZ).date())
            await record_scores(session, month, rated, RUN_AT)
    return time.perf_counter() - t0


async def hand_out_links(db: Database, book: LinkBook, sample: int
                         ) -> tuple[list[tuple[int, str]], str]:
    """(studio id, a leader's token) for `sample` studios, and an admin's union token."""
    rng = random.Random(16)
    async with db.transaction() as session:
        leaders = (await session.execute(
            select(Member.id, Member.studio_id).where(Member.role == ROLE_LEADER))).all()
        admin = await session.scalar(select(Member.id).where(Member.role == ROLE_ADMIN))
        assert admin is not None
        chosen = rng.sample(leaders, min(sample, len(leaders)))
        tokens = []
        for member_id, studio_id in chosen:
            link = await book.issue(session, member_id, studio_page(studio_id), "bench", RUN_AT)
            tokens.append((studio_id, book.token(link)))
        union = book.token(await book.issue(session, admin, PAGE_UNION, "bench", RUN_AT))
    return tokens, union


def ms(value: float) -> str:
    """Milliseconds as the table shows them: a tenth where a whole number would read 0."""
    return f"{value:,.1f}" if value < 10 else f"{value:,.0f}"


async def timed(http: aiohttp.ClientSession, url: str) -> tuple[float, float, int]:
    """(server ms, round trip ms, bytes over the wire) for one page."""
    t0 = time.perf_counter()
    async with http.get(url, headers={"Accept-Encoding": "gzip"}) as response:
        body = await response.read()
        assert response.status == 200, (url, response.status)
    trip = (time.perf_counter() - t0) * 1000
    timing = response.headers.get("Server-Timing", "")
    server = float(timing.split("dur=")[1]) if "dur=" in timing else trip
    return server, trip, len(body)


async def measure(url: str, args: argparse.Namespace) -> list[list[str]]:
    work = Path(tempfile.mkdtemp(prefix="wb-reports-var-"))
    try:
        return await _measure(url, args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


async def _measure(url: str, args: argparse.Namespace, work: Path) -> list[list[str]]:
    settings = Settings(database_url=url, workshop_bot_var_dir=work, wechat_token="benchtoken")
    db = Database(url)
    try:
        await upgrade(db.engine)
        built = await build(db, args.studios, args.members, args.weeks)
        if db.dialect == "postgresql":
            # As autovacuum would have it after a year: statistics, and the visibility map
            # that lets an index answer alone.
            async with db.engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("VACUUM ANALYZE"))
        recorded = await record_year(db)
        print(f"  data built in {built:.0f} s, a year of scores recorded in {recorded:.1f} s")
        book = LinkBook.of(settings)
        tokens, union = await hand_out_links(db, book, args.pages)
    finally:
        await db.dispose()

    app = create_app(settings, build_router(), clock=lambda: RUN_AT, web_parts=web_parts(settings))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}"
    rows = []
    try:
        async with aiohttp.ClientSession(auto_decompress=False) as http:

            async def run(label: str, urls: list[str], goal: str,
                          each: Callable[[str], Awaitable[tuple[float, float, int]]]) -> None:
                await each(urls[0])  # the first request warms the templates and the pools
                found = [await each(u) for u in urls]
                server, trip, size = zip(*found, strict=True)
                s50, s95 = percentiles(list(server))
                r50, r95 = percentiles(list(trip))
                rows.append([label, str(len(urls)), ms(s50), ms(s95), ms(r50), ms(r95),
                             f"{max(size) / 1024:,.0f}", goal])

            def page(u: str) -> Awaitable[tuple[float, float, int]]:
                return timed(http, u)

            await run("studio page", [f"{base}{studio_path(sid, MONTH)}?k={t}"
                                      for sid, t in tokens], "p95 ≤ 150 ms, ≤ 300 KB", page)
            await run("union page", [f"{base}{union_path(MONTH)}?k={union}"] * args.unions,
                      "≤ 500 ms", page)
            await run("studio PDF", [f"{base}{studio_path(sid, MONTH)}.pdf?k={t}"
                                     for sid, t in tokens[:args.pdfs]], "≤ 3 s", page)
            # The yardstick, in the same run on the same server: a request that reads
            # nothing (its "server" time is the round trip: /healthz sends no Server-Timing).
            await run("yardstick: /healthz", [f"{base}/healthz"] * args.pages, "-", page)
    finally:
        await runner.cleanup()
    return rows


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--studios", type=int, default=2000)
    ap.add_argument("--members", type=int, default=50_000)
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--pages", type=int, default=200, help="studio pages (each a studio)")
    ap.add_argument("--unions", type=int, default=10, help="union pages")
    ap.add_argument("--pdfs", type=int, default=5, help="studio PDFs")
    ap.add_argument("--postgres", metavar="URL", help="also run on this empty PostgreSQL database")
    ap.add_argument("--postgres-only", action="store_true", help="with --postgres: only there")
    args = ap.parse_args()
    # The embedded database's folder, removed afterwards: the data set weighs 300 MB.
    folder = Path(tempfile.mkdtemp(prefix="wb-reports-db-"))
    targets = [] if args.postgres and args.postgres_only else [
        ("SQLite", f"sqlite+aiosqlite:///{folder / 'wb.db'}")]
    if args.postgres:
        url = args.postgres
        if url.startswith("postgresql://"):
            url = "postgresql+asyncpg://" + url.split("://", 1)[1]
        targets.append(("PostgreSQL", url))
    print(f"\nreport pages: {args.studios:,} studios, {args.members:,} members, "
          f"{args.weeks} weeks of logs, as of 1 December ({MONTH})")
    try:
        for label, url in targets:
            print(f"\n{label}")
            rows = await measure(url, args)
            print(table(["page", "n", "server p50 ms", "p95", "round trip p50", "p95",
                         "wire KB (max)", "goal"], rows))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
