"""`serve --workers N`: several processes on one port, sharing PostgreSQL; one stop stops all."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from pathlib import Path

import aiohttp

from bot.simulator import WeChatSide, text_xml
from tests.conftest import PG_ADMIN_DSN, _pg_admin
from tests.test_cli import CLI, _env, _free_port


async def test_two_workers_share_the_port_and_stop_together(tmp_path: Path) -> None:
    admin = await _pg_admin()
    name = "wbw_" + uuid.uuid4().hex[:10]
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + "/" + name
    env = {**_env(), "DATABASE_URL": url, "WECHAT_TOKEN": "workerstoken"}
    port = _free_port()
    try:
        upgrade = await asyncio.create_subprocess_exec(*CLI, "db", "upgrade", cwd=tmp_path, env=env)
        assert await upgrade.wait() == 0
        serve = await asyncio.create_subprocess_exec(
            *CLI, "serve", "--workers", "2", "--host", "127.0.0.1", "--port", str(port),
            cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT)
        assert serve.stdout is not None
        seen: list[str] = []
        drain: asyncio.Task[bytes] | None = None
        try:
            while True:
                line = (await asyncio.wait_for(serve.stdout.readline(), 60)).decode()
                assert line, "serve exited early:\n" + "".join(seen)
                seen.append(line)
                if "workshop-bot ready" in line:
                    break
            assert sum("worker ready" in s for s in seen) == 2 and "(2 workers)" in seen[-1]
            drain = asyncio.get_running_loop().create_task(serve.stdout.read())
            pids: set[int] = set()
            side = WeChatSide("workerstoken")
            # A new connection each time: the kernel spreads connections over the workers.
            connector = aiohttp.TCPConnector(force_close=True)
            async with aiohttp.ClientSession(connector=connector) as http:
                for _attempt in range(60):
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                        pids.add((await resp.json())["pid"])
                    if len(pids) == 2:
                        break
                now = int(time.time())
                delivery = side.deliver(text_xml("o-worker", "帮助", msg_id=9_001,
                                                 create_time=now), timestamp=now)
                async with http.post(f"http://127.0.0.1:{port}{delivery.path}",
                                     data=delivery.body) as resp:
                    assert resp.status == 200 and "绑定" in (side.read_reply(await resp.text())
                                                           or {}).get("Content", "")
            assert len(pids) == 2 and serve.pid not in pids
        finally:
            serve.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(serve.wait(), 30) == 0
            if drain is not None:
                drain.cancel()
        assert [pid for pid in pids if _alive(pid)] == []  # the workers went with it
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def _alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting to be reaped)."""
    try:
        return "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False

