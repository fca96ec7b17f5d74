"""Inbound 帮助 while the monthly summary for 2,000 studios runs in the same process.

    python -m bench.stall [--studios 2000] [--members 50000] [--weeks 8] [--postgres URL]

Builds the data of bench.monthly, serves the app in this process (the job runs on the
same event loop and database as the endpoint, as in `serve`), and loads it with fresh
signed 帮助 from a second process: once quietly, once while `monthly-summary` runs. The
goal: p99 ≤ 100 ms during the job. Prints a table per database.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.inbound import AES_KEY, APP_ID, TOKEN, drop_postgres, free_port, fresh_postgres
from bench.monthly import RUN_AT, TZ, build

LOAD = 8000  # requests per phase, at concurrency 50: enough to outlast the job


async def load_from_another_process(port: int, requests: int) -> dict[str, float]:
    """bench.inbound's load generator in a process of its own (not on the app's loop)."""
    code = (
        "import asyncio, json, sys\n"
        "from bench.inbound import deliveries, run_load, TOKEN, AES_KEY, APP_ID\n"
        "from bot.simulator import WeChatSide\n"
        "side = WeChatSide(TOKEN, aes_key=AES_KEY, app_id=APP_ID)\n"
        f"batch = deliveries(side, {requests}, 1000, 'plain', '帮助')\n"
        f"errors, seconds, lat = asyncio.run(run_load('http://127.0.0.1:{port}/wechat', batch, 50,"
        " side, '绑定'))\n"
        "print(json.dumps({'errors': errors, 'seconds': seconds, 'lat': lat}))\n")
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", code,
                                                stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    data = json.loads(out)
    lat = sorted(data["lat"])
    q = statistics.quantiles(lat, n=100)
    return {"req/s": len(lat) / data["seconds"], "p50": q[49] * 1000, "p99": q[98] * 1000,
            "max": lat[-1] * 1000, "errors": data["errors"]}


async def measure(url: str, args: argparse.Namespace) -> list[tuple[str, dict[str, float]]]:
    from aiohttp import web

    from bot.app import create_app
    from bot.config import Settings
    from handlers import build_router
    from scheduled.scheduler import run_job
    from storage.db import Database
    from storage.migrate import upgrade

    setup = Database(url)
    try:
        await upgrade(setup.engine)
        await build(setup, args.studios, args.members, args.weeks)
    finally:
        await setup.dispose()
    settings = Settings(database_url=url, wechat_token=TOKEN, wechat_encoding_aes_key=AES_KEY,
                        wechat_app_id=APP_ID, workshop_bot_var_dir=Path(tempfile.mkdtemp()))
    app = create_app(settings, build_router())
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    # As `serve` does (ops/cli.py): what lives as long as the process leaves the collector's
    # generations, and young collections are rarer.
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 100)
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    rows = []
    try:
        from bot.app import DB_KEY

        db = app[DB_KEY]
        rows.append(("帮助, quiet", await load_from_another_process(port, LOAD)))
        load = asyncio.create_task(load_from_another_process(port, LOAD))
        await asyncio.sleep(0.3)  # let the load get going before the job starts
        t0 = time.perf_counter()
        report = await run_job(db, "monthly-summary", RUN_AT, TZ)
        job = time.perf_counter() - t0
        during = await load
        during["job s"] = job
        during["queued"] = report.queued
        rows.append(("帮助, during monthly-summary", during))
    finally:
        await runner.cleanup()
    return rows


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--studios", type=int, default=2000)
    ap.add_argument("--members", type=int, default=50_000)
    ap.add_argument("--weeks", type=int, default=8)
    ap.add_argument("--postgres", metavar="URL", help="also measure on a fresh database there")
    args = ap.parse_args()
    targets = [("SQLite", f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'wb.db'}", None)]
    if args.postgres:
        name, url = await fresh_postgres(args.postgres)
        targets.append(("PostgreSQL", url, name))
    print(f"\ninbound 帮助 (c=50, {LOAD} requests a phase) with monthly-summary for "
          f"{args.studios:,} studios in the same process")
    print(f"{'database':>10}  {'phase':<28}  {'req/s':>6}  {'p50 ms':>6}  {'p99 ms':>6}  "
          f"{'max ms':>6}  {'errors':>6}  {'job':>6}")
    try:
        for label, url, _name in targets:
            for phase, r in await measure(url, args):
                job = f"{r['job s']:.1f}s" if "job s" in r else ""
                print(f"{label:>10}  {phase:<28}  {r['req/s']:>6,.0f}  {r['p50']:>6.1f}  "
                      f"{r['p99']:>6.1f}  {r['max']:>6.1f}  {r['errors']:>6.0f}  {job:>6}")
    finally:
        for _label, _url, name in targets:
            if name and args.postgres:
                await drop_postgres(args.postgres, name)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
