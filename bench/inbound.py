"""Inbound load: WeChat's side against `workshop-bot serve` (SQLite) and the echo yardstick.

    python -m bench.inbound [--requests 5000] [--concurrency 50] [--openids 1000]
                            [--baseline GIT-REV] [--postgres URL]

Starts both servers on loopback, sends fresh signed requests (plain and safe mode) from
~1,000 openids with distinct MsgIds, and prints req/s and latency percentiles.
`--baseline REV` also serves that revision of the code (checked out into a temporary git
worktree) in the same rounds, so a change is measured against what it changed.
`--postgres URL` (a server and a database to connect to, e.g.
postgresql://postgres@127.0.0.1:5432/test) also serves workshop-bot on a fresh database
created there, in the same rounds: SQLite and PostgreSQL side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from yarl import URL

from bot.simulator import Delivery, WeChatSide, text_xml

TOKEN = "benchtoken"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wxbench000000001"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Result:
    target: str
    mode: str
    concurrency: int
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    def row(self) -> list[str]:
        lat = sorted(self.latencies)
        q = statistics.quantiles(lat, n=100) if len(lat) > 1 else [lat[0]] * 99
        return [
            self.target, self.mode, str(self.concurrency), str(self.requests), str(self.errors),
            f"{self.requests / self.seconds:,.0f}", f"{q[49] * 1000:.1f}", f"{q[98] * 1000:.1f}",
            f"{lat[-1] * 1000:.1f}",
        ]


async def start(
    cmd: list[str], cwd: Path, env: dict[str, str], marker: str
) -> tuple[asyncio.subprocess.Process, float]:
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        *cmd, cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    assert proc.stdout is not None
    while True:
        line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
        if not line:
            raise RuntimeError(f"{cmd[0]} exited before it was ready")
        if marker in line:
            break
    ready = time.perf_counter() - started
    asyncio.get_running_loop().create_task(proc.stdout.read())  # keep draining its output
    return proc, ready


_msg_ids = itertools.count(int(time.time()) * 1000)


def deliveries(side: WeChatSide, n: int, openids: int, mode: str, text: str) -> list[Delivery]:
    now = int(time.time())
    return [
        side.deliver(
            text_xml(f"oBench{i % openids:06d}", text, msg_id=next(_msg_ids), create_time=now),
            timestamp=now, mode=mode,
        )
        for i in range(n)
    ]


async def run_load(url: str, batch: list[Delivery], concurrency: int, side: WeChatSide,
                   expect: str) -> tuple[int, float, list[float]]:
    """Send the batch with `concurrency` workers; every reply is checked after the clock
    stops, so the load generator's own decrypting does not slow the server's numbers."""
    latencies: list[float] = []
    bodies: list[str | None] = []
    targets = [(URL(url + "?" + urlencode(d.query), encoded=True), d.body) for d in batch]
    queue = iter(targets)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def worker() -> None:
            for target, body in queue:
                t0 = time.perf_counter()
                try:
                    async with http.post(target, data=body) as resp:
                        text = await resp.text()
                        bodies.append(text if resp.status == 200 else None)
                except aiohttp.ClientError:
                    bodies.append(None)
                latencies.append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - t0
    errors = 0
    for text in bodies:
        reply = side.read_reply(text) if text is not None else None
        if reply is None or expect not in str(reply.get("Content", "")):
            errors += 1
    return errors, seconds, latencies


async def fresh_postgres(url: str) -> tuple[str, str]:
    """A new, empty database on the server at `url`: (its name, its asyncpg URL)."""
    import uuid

    import asyncpg

    name = "wb_bench_" + uuid.uuid4().hex[:10]
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return name, f"{base}/{name}"


async def drop_postgres(url: str, name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def git_worktree(*args: str) -> None:
    """A moment's work before the load starts (or after it ends)."""
    subprocess.run(["git", "worktree", *args], check=True, capture_output=True)


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True))  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=5000, help="per target and mode")
    ap.add_argument("--concurrency", default="10,50",
                    help="comma-separated levels to measure (default 10,50)")
    ap.add_argument("--openids", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3, help="rounds per app; the median is shown")
    ap.add_argument("--baseline", metavar="GIT-REV",
                    help="also measure this revision of workshop-bot in the same rounds")
    ap.add_argument("--postgres", metavar="URL",
                    help="also measure workshop-bot on a fresh database on this PostgreSQL server")
    args = ap.parse_args()

    levels = [int(x) for x in args.concurrency.split(",")]
    side = WeChatSide(TOKEN, aes_key=AES_KEY, app_id=APP_ID)
    work = Path(tempfile.mkdtemp(prefix="wb-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "DATABASE_URL"))}
    env.update(WECHAT_TOKEN=TOKEN, WECHAT_ENCODING_AES_KEY=AES_KEY, WECHAT_APP_ID=APP_ID)
    bot_port, echo_port = free_port(), free_port()
    bot, bot_ready = await start(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(bot_port)],
        work, env, "ready")
    echo, _ = await start([sys.executable, "-m", "bench.echo_app", str(echo_port), TOKEN, AES_KEY, APP_ID],
                          Path.cwd(), env, "echo ready")
    procs = [bot, echo]
    targets: tuple[tuple[str, int, str], ...] = (("workshop-bot 帮助", bot_port, "绑定"),
                                                 ("echo app", echo_port, "echo"))
    if args.baseline:
        tree = work / "baseline"
        git_worktree("add", "--detach", str(tree), args.baseline)
        base_port = free_port()
        (work / "base-var").mkdir()
        base, _ = await start(
            [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(base_port)],
            work / "base-var", {**env, "PYTHONPATH": str(tree)}, "ready")
        procs.append(base)
        targets = (*targets[:1], (f"baseline {args.baseline}", base_port, "绑定"), *targets[1:])
    pg_name = None
    if args.postgres:
        pg_name, pg_url = await fresh_postgres(args.postgres)
        pg_env = {**env, "DATABASE_URL": pg_url}
        (work / "pg-var").mkdir()
        await (await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "db", "upgrade", cwd=work / "pg-var", env=pg_env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)).wait()
        pg_port = free_port()
        pg_proc, _ = await start(
            [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(pg_port)],
            work / "pg-var", pg_env, "ready")
        procs.append(pg_proc)
        targets = (*targets[:1], ("workshop-bot PostgreSQL", pg_port, "绑定"), *targets[1:])
    results: list[Result] = []
    try:
        # The two apps take turns, round after round, so that a machine that slows down
        # for a while slows both; the table shows each one's median round.
        runs: dict[tuple[str, str, int], list[Result]] = {}
        for _round in range(args.rounds):
            for mode in ("plain", "safe"):
                for level in levels:
                    for target, port, expect in targets:
                        url = f"http://127.0.0.1:{port}/wechat"
                        await run_load(url, deliveries(side, 300, args.openids, mode, "帮助"),
                                       level, side, expect)  # warm-up
                        batch = deliveries(side, args.requests, args.openids, mode, "帮助")
                        errors, seconds, lat = await run_load(url, batch, level, side, expect)
                        runs.setdefault((target, mode, level), []).append(
                            Result(target, mode, level, len(batch), errors, seconds, lat))
        for target, _port, _expect in targets:
            for mode in ("plain", "safe"):
                for level in levels:
                    rounds = sorted(runs[(target, mode, level)], key=lambda r: r.seconds)
                    median = rounds[len(rounds) // 2]
                    median.errors = sum(r.errors for r in rounds)
                    results.append(median)
    finally:
        for proc in procs:
            proc.terminate()
            await proc.wait()
        if args.baseline:
            git_worktree("remove", "--force", str(work / "baseline"))
        if pg_name:
            await drop_postgres(args.postgres, pg_name)
    headers = ["target", "mode", "conc.", "requests", "errors", "req/s", "p50 ms", "p99 ms",
               "max ms"]
    print(f"\ninbound load: {args.openids} openids, fresh signed requests, one process each;"
          f" median of {args.rounds} rounds (errors: all rounds)")
    print(table(headers, [r.row() for r in results]))
    by = {(r.target, r.mode, r.concurrency): r for r in results}
    for target in [t for t, _p, _e in targets if t != "echo app"]:
        for mode in ("plain", "safe"):
            for level in levels:
                bot_r, echo_r = by[(target, mode, level)], by[("echo app", mode, level)]
                share = (bot_r.requests / bot_r.seconds) / (echo_r.requests / echo_r.seconds)
                print(f"{target}, {mode}, concurrency {level}: {share:.2f}x the echo app's req/s")
    if args.baseline:
        for mode in ("plain", "safe"):
            for level in levels:
                now_r = by[("workshop-bot 帮助", mode, level)]
                base_r = by[(f"baseline {args.baseline}", mode, level)]
                change = (now_r.requests / now_r.seconds) / (base_r.requests / base_r.seconds) - 1
                print(f"{mode}, concurrency {level}: this code's req/s is {change:+.1%} "
                      f"against {args.baseline}")
    print(f"serve ready in {bot_ready:.2f}s (fresh SQLite, migrations included)")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
