"""Faults survived, on loopback: PostgreSQL restarted in the middle of a load; a process
killed (-9) in the middle of a 10,000-push fan-out.

    python -m bench.faults --postgres postgresql://postgres@127.0.0.1:5432/test
                           [--scenario restart|kill|all] [--cluster 15/main] [--seconds 15]

kill: two `serve` processes on one PostgreSQL database (and Redis, REDIS_URL, when it
answers) send 10,000 queued weekly-log reminders through a fake WeChat API that takes
20 ms a call; one of them is killed with SIGKILL a third of the way through. Every
member must get exactly one push, except those whose row the dead process had in flight
(the crash rule sends those again: they may get two) — counted from the fake API's log —
and the survivor must hold the scheduler's lease within 90 s.

Serves workshop-bot on a fresh database of that server, binds 200 members, and sends a
steady load of 帮助 (read-only) and one-shot 周报 (a write each) while the script restarts
PostgreSQL (`pg_ctlcluster VERSION NAME restart`) after a few seconds. It checks what the
issue asks of the service and prints a table:
- no request gets a 5xx or waits over 5 s: while the database is away the answer is the
  polite apology, never an error page;
- full service again within 10 s after the database is back;
- nothing doubled: one weekly log per member whose 周报 was answered 「已提交」, and a 周报
  answered with the apology left nothing behind (WeChat's retry, or the member's resend,
  records it).
It restarts the machine's PostgreSQL: run it on a test machine, never beside anything else.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import asyncpg

from bench.inbound import TOKEN, drop_postgres, free_port, fresh_postgres, start, table
from bot.simulator import WeChatSide, text_xml

MEMBERS = 200


def restart(cluster: str) -> None:
    version, name = cluster.split("/")
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "restart"],
                   check=True, capture_output=True)


def redis_answers() -> bool:
    return subprocess.run(["redis-cli", "ping"], capture_output=True,
                          text=True).stdout.strip() == "PONG"


def wait_until_up(url: str) -> None:
    """Block (in a worker thread) until PostgreSQL accepts connections again."""
    while subprocess.run(["pg_isready", "-d", url], capture_output=True).returncode != 0:
        time.sleep(0.1)


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--postgres", required=True, metavar="URL")
    ap.add_argument("--scenario", choices=["restart", "kill", "all"], default="all")
    ap.add_argument("--cluster", default="15/main", help="VERSION/NAME for pg_ctlcluster")
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--members", type=int, default=10_000, help="kill: pushes in the fan-out")
    args = ap.parse_args()
    ok = True
    if args.scenario in ("restart", "all"):
        ok = await restart_under_load(args) and ok
    if args.scenario in ("kill", "all"):
        ok = await kill_during_fanout(args) and ok
    return 0 if ok else 1


async def restart_under_load(args: argparse.Namespace) -> bool:
    name, url = await fresh_postgres(args.postgres)
    plain = url.replace("postgresql+asyncpg://", "postgresql://")
    work = Path(tempfile.mkdtemp(prefix="wb-faults-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "DATABASE_URL"))}
    env.update(WECHAT_TOKEN=TOKEN, DATABASE_URL=url)
    roster = work / "roster.csv"
    roster.write_text("studio,name,employee_no,role,mentor_employee_no,phone\n" + "".join(
        f"故障工作室,成员{i:03d},F{i:03d},member,,\n" for i in range(MEMBERS)), encoding="utf-8")
    for argv in (["db", "upgrade"], ["import-roster", str(roster)]):
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", *argv, cwd=work,
                                                    env=env, stdout=asyncio.subprocess.DEVNULL)
        assert await proc.wait() == 0
    db = await asyncpg.connect(plain)
    await db.execute("UPDATE member SET openid = 'oF' || employee_no")
    await db.close()
    port = free_port()
    serve, _ = await start([sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1",
                            "--port", str(port)], work, env, "ready")
    side = WeChatSide(TOKEN)
    ids = iter(range(1, 1_000_000))
    events: list[tuple[float, str, int, float, str]] = []  # (t, kind, status, seconds, reply)
    submitted: set[str] = set()
    down_at = back_at = None
    t0 = time.perf_counter()
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:

            async def send(openid: str, text: str) -> tuple[int, float, str]:
                now = int(time.time())
                d = side.deliver(text_xml(openid, text, msg_id=next(ids), create_time=now),
                                 timestamp=now)
                started = time.perf_counter()
                try:
                    async with http.post(f"http://127.0.0.1:{port}/wechat?"
                                         + urlencode(d.query), data=d.body) as resp:
                        body = await resp.text()
                        reply = str((side.read_reply(body) or {}).get("Content", "")) \
                            if resp.status == 200 else body
                        return resp.status, time.perf_counter() - started, reply
                except (aiohttp.ClientError, TimeoutError) as exc:
                    return 0, time.perf_counter() - started, repr(exc)

            async def client(k: int) -> None:
                i = 0
                while time.perf_counter() - t0 < args.seconds:
                    openid = f"oFF{(k * 37 + i) % MEMBERS:03d}"
                    kind = "周报" if i % 2 else "帮助"
                    text = f"周报 第{i}次点检" if kind == "周报" else "帮助"
                    status, took, reply = await send(openid, text)
                    events.append((time.perf_counter() - t0, kind, status, took, reply))
                    if kind == "周报" and "已提交" in reply:
                        submitted.add(openid)
                    i += 1

            async def fault() -> None:
                nonlocal down_at, back_at
                await asyncio.sleep(3)
                down_at = time.perf_counter() - t0
                await asyncio.to_thread(restart, args.cluster)
                await asyncio.to_thread(wait_until_up, plain)
                back_at = time.perf_counter() - t0

            await asyncio.gather(fault(), *(client(k) for k in range(8)))
        db = await asyncpg.connect(plain)
        # Versions, not logs: the log is unique per member and week, a doubled write would
        # show as a second version (an append or a replace that nobody asked for).
        logs = await db.fetch("SELECT m.openid, count(*) AS n FROM weekly_log_version v "
                              "JOIN weekly_log w ON w.id = v.log_id "
                              "JOIN member m ON m.id = w.member_id GROUP BY m.openid")
        await db.close()
    finally:
        serve.terminate()
        await serve.wait()
        await drop_postgres(args.postgres, name)
    assert down_at is not None and back_at is not None
    errors = [e for e in events if e[2] != 200]
    slow = [e for e in events if e[3] > 5]
    apologies = [e for e in events if "抱歉" in e[4]]
    after = [e for e in events if e[0] > back_at]
    recovered = next((e[0] for e in after if "抱歉" not in e[4]
                      and all("抱歉" not in x[4] for x in after if x[0] >= e[0])), None)
    doubled = [r["openid"] for r in logs if r["n"] != 1]
    stored = {r["openid"] for r in logs}
    rows = [["requests", str(len(events))], ["5xx or no answer", str(len(errors))],
            ["answers over 5 s", str(len(slow))], ["apologies", str(len(apologies))],
            ["database down → back (s)", f"{down_at:.1f} → {back_at:.1f}"],
            ["full service again after (s)",
             f"{recovered - back_at:.1f}" if recovered is not None else "never"],
            ["members with 「已提交」", str(len(submitted))],
            ["members with a log stored", str(len(stored))],
            ["logs written twice (versions)", str(len(doubled))]]
    print(f"\nPostgreSQL restarted under load: {args.seconds:.0f} s, 8 clients, 帮助 and 周报")
    print(table(["what", "value"], rows))
    ok = (not errors and not slow and recovered is not None and recovered - back_at <= 10
          and not doubled and submitted <= stored)
    print("all as required" if ok else "NOT as required")
    return ok


async def kill_during_fanout(args: argparse.Namespace) -> bool:
    import signal

    name, url = await fresh_postgres(args.postgres)
    plain = url.replace("postgresql+asyncpg://", "postgresql://")
    work = Path(tempfile.mkdtemp(prefix="wb-fanout-kill-"))
    fake_port = free_port()
    fake, _ = await start([sys.executable, "-m", "bench.fake_wechat", str(fake_port), "20"],
                          Path.cwd(), dict(os.environ), "fake ready")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "DATABASE_URL"))}
    env.update(WECHAT_TOKEN=TOKEN, DATABASE_URL=url)
    roster = work / "roster.csv"
    roster.write_text("studio,name,employee_no,role,mentor_employee_no,phone\n" + "".join(
        f"第{i // 25:03d}工作室,职工{i:05d},K{i:05d},member,,\n" for i in range(args.members)),
        encoding="utf-8")
    procs: list[asyncio.subprocess.Process] = [fake]
    try:
        for argv in (["db", "upgrade"], ["import-roster", str(roster)]):
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", *argv, cwd=work, env=env,
                stdout=asyncio.subprocess.DEVNULL)
            assert await proc.wait() == 0
        db = await asyncpg.connect(plain)
        # Bound, following, and wrote within 48 hours: each push is a customer-service message.
        await db.execute("UPDATE member SET openid = 'oK' || employee_no, "
                         "last_interaction_at = now()")
        await db.close()
        queue = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "jobs", "run", "weekly-log-reminder", cwd=work, env=env,
            stdout=asyncio.subprocess.DEVNULL)
        assert await queue.wait() == 0
        sending = {**env, "WECHAT_APP_ID": "wxfaults", "WECHAT_APP_SECRET": "secret",
                   "WECHAT_API_BASE": f"http://127.0.0.1:{fake_port}",
                   "WORKSHOP_BOT_OUTBOX_STUCK_SECONDS": "120"}
        if redis_answers():
            sending["REDIS_URL"] = "redis://127.0.0.1:6379/0"
        servers = []
        for _ in range(2):
            server, _ready = await start(
                [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1",
                 "--port", str(free_port())], work, sending, "ready")
            servers.append(server)
            procs.append(server)
        db = await asyncpg.connect(plain)
        t0 = time.perf_counter()
        for _poll in range(10_000):  # the database is polled: nothing here can be awaited
            if await db.fetchval("SELECT count(*) FROM outbox_message WHERE status = 'sent'") \
                    >= args.members // 3:
                break
            await asyncio.sleep(0.05)
        victim = servers[0]
        victim.send_signal(signal.SIGKILL)
        killed_at = time.perf_counter() - t0
        await victim.wait()
        in_flight = await db.fetchval(
            "SELECT count(*) FROM outbox_message WHERE status = 'in_flight'")
        holder_before = await db.fetchval("SELECT holder FROM lease WHERE name = 'scheduler'")
        done_at = takeover_at = None
        for _poll in range(480):  # half a second each: 240 s at most
            if done_at is not None and takeover_at is not None:
                break
            sent = await db.fetchval(
                "SELECT count(*) FROM outbox_message WHERE status = 'sent'")
            if done_at is None and sent >= args.members:
                done_at = time.perf_counter() - t0
            holder = await db.fetchval("SELECT holder FROM lease WHERE name = 'scheduler' "
                                       "AND expires_at > now()")
            if takeover_at is None and holder is not None and holder != holder_before:
                takeover_at = time.perf_counter() - t0
            await asyncio.sleep(0.5)
        await db.close()
        async with aiohttp.ClientSession() as http, \
                http.get(f"http://127.0.0.1:{fake_port}/stats") as resp:
            per_user: dict[str, int] = (await resp.json())["per_user"]
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.terminate()
                await proc.wait()
        await drop_postgres(args.postgres, name)
    missing = args.members - len(per_user)
    twice = sum(1 for n in per_user.values() if n == 2)
    more = sum(1 for n in per_user.values() if n > 2)
    rows = [["pushes queued", f"{args.members:,}"],
            ["killed after (s)", f"{killed_at:.1f}"],
            ["rows in flight at the kill", str(in_flight)],
            ["members with no push", str(missing)],
            ["members with two (the crash rule)", str(twice)],
            ["members with more than two", str(more)],
            ["all sent after (s)", f"{done_at:.1f}" if done_at else "not within 240 s"],
            ["scheduler taken over after the kill (s)",
             f"{takeover_at - killed_at:.1f}" if takeover_at else "not seen (the survivor may "
             "have held it already)"]]
    print(f"\nA process killed during a {args.members:,}-push fan-out (two processes, fake "
          "WeChat API 20 ms a call)")
    print(table(["what", "value"], rows))
    ok = missing == 0 and more == 0 and twice <= in_flight and done_at is not None
    print("all as required" if ok else "NOT as required")
    return ok


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
