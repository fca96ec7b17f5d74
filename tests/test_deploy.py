"""The deployment recipes in deploy/ and compose.yaml, used for real: nginx (Debian's
package) in front of `serve --workers 2` on PostgreSQL, a worker killed mid-load, and the
systemd unit checked by systemd-analyze."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.simulator import WeChatSide, text_xml
from tests.conftest import IN_CI, PG_ADMIN_DSN, _pg_admin
from tests.test_cli import CLI, _env, _free_port

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
TOKEN = "deploytoken"


def _need(tool: str) -> str:
    found = shutil.which(tool) or (f"/usr/sbin/{tool}" if Path(f"/usr/sbin/{tool}").exists()
                                   else None)
    if found is None:
        if IN_CI:
            pytest.fail(f"{tool} is needed in CI (.ci/run installs it)")
        pytest.skip(f"{tool} not installed")
    return found


def test_the_systemd_unit_verifies(tmp_path: Path) -> None:
    analyze = _need("systemd-analyze")
    unit = (DEPLOY / "systemd" / "workshop-bot.service").read_text(encoding="utf-8")
    assert "serve --workers" in unit and "db upgrade" in unit
    # The unit names the production path; verify it against this checkout's command.
    here = str(Path(sys.executable).parent / "workshop-bot")
    (tmp_path / "workshop-bot.service").write_text(
        unit.replace("/opt/workshop-bot/.venv/bin/workshop-bot", here), encoding="utf-8")
    proc = subprocess.run([analyze, "verify", str(tmp_path / "workshop-bot.service")],
                          capture_output=True, text=True, timeout=60)
    problems = [line for line in (proc.stdout + proc.stderr).splitlines()
                if "workshop-bot.service" in line]
    assert proc.returncode == 0 and problems == [], proc.stdout + proc.stderr


def test_compose_and_nginx_agree_with_the_cli() -> None:
    compose = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    for service in ("postgres:", "redis:", "nginx:", "bot:"):
        assert f"\n  {service}" in compose
    assert "workshop-bot serve --workers 2 --host 0.0.0.0 --port 8080" in compose
    assert "server bot:8080" in (DEPLOY / "nginx" / "compose.conf").read_text(encoding="utf-8")
    site = (DEPLOY / "nginx" / "workshop-bot.conf").read_text(encoding="utf-8")
    unit = (DEPLOY / "systemd" / "workshop-bot.service").read_text(encoding="utf-8")
    assert "server 127.0.0.1:8080" in site and "--host 127.0.0.1 --port 8080" in unit
    # Every option the recipes pass exists.
    help_text = subprocess.run([*CLI, "serve", "--help"], capture_output=True, text=True,
                               timeout=30).stdout
    for option in ("--workers", "--host", "--port"):
        assert option in help_text


async def _read_until(stream: asyncio.StreamReader, marker: str, seen: list[str]) -> None:
    while True:
        line = (await asyncio.wait_for(stream.readline(), 60)).decode()
        assert line, "exited early:\n" + "".join(seen)
        seen.append(line)
        if marker in line:
            return


@pytest.fixture
async def behind_nginx(tmp_path: Path
                       ) -> AsyncIterator[tuple[str, asyncio.subprocess.Process, set[int]]]:
    """nginx on loopback with deploy/nginx/locations.conf, in front of two workers."""
    nginx = _need("nginx")
    admin = await _pg_admin()
    name = "wbd_" + uuid.uuid4().hex[:10]
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    env = {**_env(), "DATABASE_URL": f"{url}/{name}", "WECHAT_TOKEN": TOKEN}
    bot_port, web_port = _free_port(), _free_port()
    site = DEPLOY / "nginx" / "workshop-bot.conf"
    upstream = site.read_text(encoding="utf-8").split("server {")[0].replace(
        "127.0.0.1:8080", f"127.0.0.1:{bot_port}")
    (tmp_path / "nginx.conf").write_text(f"""
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {tmp_path}; proxy_temp_path {tmp_path};
    fastcgi_temp_path {tmp_path}; uwsgi_temp_path {tmp_path}; scgi_temp_path {tmp_path};
    {upstream}
    server {{
        listen 127.0.0.1:{web_port};
        include {DEPLOY}/nginx/locations.conf;
    }}
}}
""", encoding="utf-8")
    conf = ["-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")]
    checked = await asyncio.create_subprocess_exec(nginx, "-t", *conf,
                                                   stderr=asyncio.subprocess.PIPE)
    _, said = await asyncio.wait_for(checked.communicate(), 30)
    assert checked.returncode == 0, said.decode()
    upgrade = await asyncio.create_subprocess_exec(*CLI, "db", "upgrade", cwd=tmp_path, env=env)
    assert await upgrade.wait() == 0
    serve = await asyncio.create_subprocess_exec(
        *CLI, "serve", "--workers", "2", "--host", "127.0.0.1", "--port", str(bot_port),
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    web = await asyncio.create_subprocess_exec(nginx, *conf, "-g", "daemon off;")
    assert serve.stdout is not None
    try:
        seen: list[str] = []
        await _read_until(serve.stdout, "workshop-bot ready", seen)
        for _attempt in range(200):  # nginx listens within moments of starting
            try:
                _reader, writer = await asyncio.open_connection("127.0.0.1", web_port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            break
        workers = {int(line.split("(pid ")[1].split(")")[0]) for line in seen
                   if "worker ready" in line}
        drain = asyncio.get_running_loop().create_task(serve.stdout.read())
        yield f"http://127.0.0.1:{web_port}", serve, workers
        drain.cancel()
    finally:
        for proc in (web, serve):
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                await asyncio.wait_for(proc.wait(), 30)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_nginx_in_front_of_two_workers_survives_a_kill(
        behind_nginx: tuple[str, asyncio.subprocess.Process, set[int]]) -> None:
    base, serve, workers = behind_nginx
    assert len(workers) == 2
    side = WeChatSide(TOKEN)
    ids = iter(range(1, 10_000))
    async with aiohttp.ClientSession() as http:

        async def ask(openid: str) -> int:
            now = int(time.time())
            delivery = side.deliver(text_xml(openid, "帮助", msg_id=next(ids), create_time=now),
                                    timestamp=now)
            async with http.post(base + delivery.path, data=delivery.body) as resp:
                body = await resp.text()
                if resp.status == 200:
                    assert "绑定" in (side.read_reply(body) or {}).get("Content", "")
                return resp.status

        async with http.get(base + "/healthz") as resp:
            serving = (await resp.json())["pid"]
        assert serving in workers
        assert {await ask(f"o-nginx-{i}") for i in range(20)} == {200}
        # WeChat's bodies are small; nginx refuses a big one before the service sees it.
        async with http.post(base + "/wechat", data=b"x" * (70 * 1024)) as resp:
            assert resp.status == 413
        # A worker (one that answered) is killed mid-load: nginx retries what it had
        # in flight on a new connection, which reaches the other worker; nobody sees a 5xx.
        statuses: list[int] = []
        under_way = asyncio.Event()

        async def load() -> None:
            for i in range(60):
                statuses.append(await ask(f"o-kill-{i % 7}"))
                if len(statuses) == 10:
                    under_way.set()

        task = asyncio.create_task(load())
        await under_way.wait()
        os.kill(serving, signal.SIGKILL)
        await task
        assert set(statuses) == {200}, statuses
        assert serve.returncode is None  # the parent goes on, with the other worker and a new one
