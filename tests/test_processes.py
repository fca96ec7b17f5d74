"""Two `serve` processes on one PostgreSQL database, as two machines behind a proxy would
be: WeChat's retries of one message reaching both at once are applied once, same reply."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from pathlib import Path

import aiohttp
import asyncpg

from bot.simulator import WeChatSide, text_xml
from tests.conftest import PG_ADMIN_DSN, _pg_admin
from tests.test_cli import CLI, _env, _free_port

ROSTER = """studio,name,employee_no,role,mentor_employee_no,phone
双机工作室,双机领衔,L1,leader,,
双机工作室,双机成员,M1,member,,
"""


async def test_one_message_at_both_processes_is_applied_once(tmp_path: Path) -> None:
    admin = await _pg_admin()
    name = "wbp_" + uuid.uuid4().hex[:10]
    await admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    env = {**_env(), "DATABASE_URL": f"{base}/{name}", "WECHAT_TOKEN": "twoprocesses"}
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    serves: list[asyncio.subprocess.Process] = []
    drains: list[asyncio.Task[bytes]] = []
    try:
        for argv in (["db", "upgrade"], ["import-roster", str(tmp_path / "roster.csv")]):
            proc = await asyncio.create_subprocess_exec(*CLI, *argv, cwd=tmp_path, env=env,
                                                        stdout=asyncio.subprocess.DEVNULL)
            assert await proc.wait() == 0
        db = await asyncpg.connect(f"{base}/{name}")
        try:
            await db.execute("UPDATE member SET openid = 'o-both' WHERE employee_no = 'M1'")
        finally:
            await db.close()
        ports = [_free_port(), _free_port()]
        for port in ports:
            serve = await asyncio.create_subprocess_exec(
                *CLI, "serve", "--host", "127.0.0.1", "--port", str(port), cwd=tmp_path,
                env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
            serves.append(serve)
            assert serve.stdout is not None
            while b"ready" not in (line := await asyncio.wait_for(serve.stdout.readline(), 60)):
                assert line, "serve exited early"
            # Keep reading what it prints, so a full pipe never blocks it.
            drains.append(asyncio.get_running_loop().create_task(serve.stdout.read()))
        side = WeChatSide("twoprocesses")
        now = int(time.time())
        xml = text_xml("o-both", "周报 本周完成二号线点检", msg_id=424242, create_time=now)
        deliveries = [side.deliver(xml, timestamp=now) for _ in ports]  # WeChat's retry
        async with aiohttp.ClientSession() as http:

            async def post(port: int, index: int) -> str:
                d = deliveries[index]
                async with http.post(f"http://127.0.0.1:{port}{d.path}", data=d.body) as resp:
                    assert resp.status == 200
                    return str((side.read_reply(await resp.text()) or {}).get("Content"))

            replies = await asyncio.gather(*(post(port, i) for i, port in enumerate(ports)))
        assert replies[0] == replies[1] and "已提交" in replies[0]
        db = await asyncpg.connect(f"{base}/{name}")
        try:
            logs = await db.fetchval("SELECT count(*) FROM weekly_log")
            versions = await db.fetchval("SELECT count(*) FROM weekly_log_version")
            deliveries_kept = await db.fetchval(
                "SELECT count(*) FROM inbound_message WHERE dedupe_key = 'm:o-both:424242'")
        finally:
            await db.close()
        assert (logs, versions, deliveries_kept) == (1, 1, 1)
    finally:
        for serve in serves:
            serve.send_signal(signal.SIGTERM)
            await asyncio.wait_for(serve.wait(), 30)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
