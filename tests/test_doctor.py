"""`workshop-bot doctor`: each check failing and passing, and the command's exit code."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path

import chinese_calendar
import pytest
import redis.asyncio as aioredis
from alembic.script import ScriptDirectory

from ops.doctor import CHECK_TIMEOUT, CalendarProbe, Check, doctor_main, run_checks
from storage.db import Database
from storage.migrate import alembic_config, head_revision, upgrade
from tests.conftest import IN_CI
from tests.fakes import FakeWeChatAPI

# Days the statutory calendar is known to cover (chinesecalendar>=1.10 has 2025) and not
# to cover: the tests never read the wall clock.
COVERED = date(2025, 3, 1)
UNCOVERED = date(2099, 1, 1)
REDIS_URL = os.environ.get("WORKSHOP_BOT_TEST_REDIS", "redis://127.0.0.1:6379/0")
TEMPLATES = "/cgi-bin/template/get_all_private_template"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A clean slate: no settings from this machine, no stray .env; var/ under tmp_path."""
    for key in list(os.environ):
        if key.startswith(("WECHAT_", "DATABASE_URL", "WORKSHOP_BOT_", "REDIS_URL")):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WORKSHOP_BOT_VAR_DIR", str(tmp_path / "var"))
    return tmp_path


@pytest.fixture
def wechat(env: Path, fake_api: FakeWeChatAPI, monkeypatch: pytest.MonkeyPatch) -> FakeWeChatAPI:
    """Credentials that the fake WeChat API accepts."""
    fake_api.calls.clear()
    fake_api.scripted.clear()
    fake_api.templates = []
    monkeypatch.setenv("WECHAT_API_BASE", fake_api.base_url)
    monkeypatch.setenv("WECHAT_APP_ID", "wxdoctor")
    monkeypatch.setenv("WECHAT_APP_SECRET", "secret")
    monkeypatch.setenv("WECHAT_TOKEN", "workshoptoken")
    return fake_api


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    client = aioredis.from_url(REDIS_URL, socket_connect_timeout=5)
    try:
        await client.ping()
    except Exception as exc:
        if IN_CI:
            pytest.fail(f"Redis at {REDIS_URL} is required in CI: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    finally:
        await client.aclose()
    yield REDIS_URL


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])


def about(checks: list[Check], topic: str) -> list[Check]:
    return [c for c in checks if c.text.startswith(topic + "：")]


def one(checks: list[Check], topic: str) -> Check:
    found = about(checks, topic)
    assert len(found) == 1, [c.line for c in checks]
    return found[0]


async def doctor(today: date = COVERED, *, calendar_probe: CalendarProbe | None = None,
                 seconds: float = CHECK_TIMEOUT) -> list[Check]:
    # A check that hangs fails the test instead of stalling the run.
    return await asyncio.wait_for(
        run_checks(None, today=today, calendar_probe=calendar_probe, seconds=seconds), 30)


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


# --- 1. configuration ---------------------------------------------------------------------


async def test_configuration_error_is_the_only_line(env: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKSHOP_BOT_PORT", "notanumber")
    checks = await doctor()
    assert len(checks) == 1
    assert not checks[0].ok
    assert checks[0].line.startswith("✗ 配置：WORKSHOP_BOT_PORT")


async def test_missing_config_file(env: Path) -> None:
    checks = await asyncio.wait_for(run_checks("nowhere.toml", today=COVERED), 30)
    assert [c.ok for c in checks] == [False]
    assert "nowhere.toml" in checks[0].text


async def test_configuration_from_a_file(env: Path) -> None:
    (env / "bot.toml").write_text('workshop_bot_port = 9000\n', encoding="utf-8")
    checks = await asyncio.wait_for(run_checks("bot.toml", today=COVERED), 30)
    assert one(checks, "配置").ok and "bot.toml" in one(checks, "配置").text


# --- 2. database --------------------------------------------------------------------------


async def test_database_at_head(env: Path, database_url: str,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    check = one(await doctor(), "数据库")
    assert check.ok, check.line
    head = head_revision(database_url)
    assert head is not None and head in check.text


async def test_database_unreachable(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:1/x")
    check = one(await doctor(), "数据库")
    assert not check.ok
    assert "连不上" in check.text and "127.0.0.1:1" in check.text and "DATABASE_URL" in check.text
    assert "Traceback" not in check.text and "\n" not in check.text


async def test_database_password_is_not_shown(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://postgres:s3cret@127.0.0.1:1/x")
    check = one(await doctor(), "数据库")
    assert not check.ok and "s3cret" not in check.text


async def test_missing_sqlite_file_is_behind_and_not_created(
        env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = env / "fresh.db"
    monkeypatch.setenv("DATABASE_URL", sqlite_url(path))
    check = one(await doctor(), "数据库")
    assert not check.ok and "`workshop-bot db upgrade`" in check.text
    assert not path.exists()  # the doctor changes nothing


async def test_empty_sqlite_database_is_behind(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = env / "empty.db"
    sqlite3.connect(path).close()
    monkeypatch.setenv("DATABASE_URL", sqlite_url(path))
    check = one(await doctor(), "数据库")
    assert not check.ok and "`workshop-bot db upgrade`" in check.text and "版本 空" in check.text


async def _at_previous_revision(path: Path) -> str:
    url = sqlite_url(path)
    script = ScriptDirectory.from_config(alembic_config(url))
    head = script.get_revision(head_revision(url))
    assert head is not None and isinstance(head.down_revision, str)
    db = Database(url)
    try:
        await upgrade(db.engine, head.down_revision)
    finally:
        await db.dispose()
    return head.down_revision


async def test_older_database_is_behind(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = env / "old.db"
    previous = await _at_previous_revision(path)
    monkeypatch.setenv("DATABASE_URL", sqlite_url(path))
    check = one(await doctor(), "数据库")
    assert not check.ok and f"版本 {previous}" in check.text and "db upgrade" in check.text
    assert not check.text.startswith("数据库：连不上")


async def test_embedded_database_absent_is_fine_and_not_created(env: Path) -> None:
    checks = await doctor()
    check = one(checks, "数据库")
    assert check.ok and "serve 会自动创建" in check.text
    assert not (env / "var" / "workshop-bot.db").exists()


async def test_embedded_database_behind_is_fine(env: Path) -> None:
    (env / "var").mkdir()
    await _at_previous_revision(env / "var" / "workshop-bot.db")
    check = one(await doctor(), "数据库")
    assert check.ok and "serve 会自动迁移" in check.text


async def test_unknown_revision_fails_even_when_embedded(env: Path) -> None:
    (env / "var").mkdir()
    with sqlite3.connect(env / "var" / "workshop-bot.db") as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('ffff_from_the_future')")
    conn.close()
    check = one(await doctor(), "数据库")
    assert not check.ok and "ffff_from_the_future" in check.text and "升级 workshop-bot" in check.text


async def test_servers_that_never_answer_do_not_hang_the_doctor(
        env: Path, silent_port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"postgresql+asyncpg://postgres@127.0.0.1:{silent_port}/x")
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{silent_port}/0")
    monkeypatch.setenv("WECHAT_API_BASE", f"http://127.0.0.1:{silent_port}")
    monkeypatch.setenv("WECHAT_APP_ID", "wxdoctor")
    monkeypatch.setenv("WECHAT_APP_SECRET", "secret")
    checks = await doctor(seconds=0.2)
    for topic in ("数据库", "Redis", "微信接口"):
        assert not one(checks, topic).ok, [c.line for c in checks]


# --- 3. Redis -------------------------------------------------------------------------------


async def test_redis_unset(env: Path) -> None:
    check = one(await doctor(), "Redis")
    assert check.ok and "未配置 REDIS_URL" in check.text


async def test_redis_reachable(env: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    assert one(await doctor(), "Redis").ok


async def test_redis_unreachable(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://:pw123@127.0.0.1:1/0")
    check = one(await doctor(), "Redis")
    assert not check.ok and "REDIS_URL" in check.text and "127.0.0.1:1" in check.text
    assert "pw123" not in check.text


# --- 4. WeChat credentials ------------------------------------------------------------------


async def test_credentials_unset(env: Path) -> None:
    check = one(await doctor(), "微信凭据")
    assert not check.ok
    assert "WECHAT_APP_ID / WECHAT_APP_SECRET" in check.text and "不会发出" in check.text


async def test_templates_are_not_looked_up_without_credentials(
        env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WECHAT_TEMPLATE_NOTICE", "T1")
    checks = await doctor()
    assert not one(checks, "微信凭据").ok and about(checks, "模板消息") == []


async def test_credentials_get_a_token_without_forcing_a_new_one(wechat: FakeWeChatAPI) -> None:
    check = one(await doctor(), "微信凭据")
    assert check.ok, check.line
    # force_refresh would cut short the token the running service is using.
    assert [c.body["force_refresh"] for c in wechat.calls_to("/cgi-bin/stable_token")] == [False]


async def test_wrong_secret(wechat: FakeWeChatAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WECHAT_TEMPLATE_NOTICE", "T1")
    wechat.script("/cgi-bin/stable_token", {"errcode": 40125, "errmsg": "invalid appsecret"})
    checks = await doctor()
    check = one(checks, "微信凭据")
    assert not check.ok
    assert "WECHAT_APP_SECRET" in check.text and "40125" in check.text and "AppSecret" in check.text
    # No token, so no template lines: the ✗ above already says what to fix.
    assert about(checks, "模板消息") == [] and wechat.calls_to(TEMPLATES) == []


async def test_ip_not_whitelisted(wechat: FakeWeChatAPI) -> None:
    wechat.script("/cgi-bin/stable_token", {
        "errcode": 40164, "errmsg": "invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist"})
    check = one(await doctor(), "微信凭据")
    assert not check.ok and "203.0.113.7" in check.text and "IP白名单" in check.text


async def test_wechat_api_unreachable(wechat: FakeWeChatAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WECHAT_API_BASE", "http://127.0.0.1:1")
    check = one(await doctor(), "微信接口")
    assert not check.ok and "WECHAT_API_BASE=http://127.0.0.1:1" in check.text


# --- 5. templates -----------------------------------------------------------------------


async def test_no_templates_is_a_warning_not_a_failure(wechat: FakeWeChatAPI) -> None:
    check = one(await doctor(), "模板消息")
    assert check.ok and "48 小时" in check.text and "无法送达" in check.text


async def test_templates_present_and_absent(wechat: FakeWeChatAPI,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    wechat.templates = ["T1", "T2"]
    monkeypatch.setenv("WECHAT_TEMPLATE_NOTICE", "T1")
    monkeypatch.setenv("WECHAT_TEMPLATE_WEEKLY_LOG_REMINDER", "T9")
    checks = about(await doctor(), "模板消息")
    assert [c.ok for c in checks] == [True, False]
    assert "WECHAT_TEMPLATE_NOTICE=T1" in checks[0].text
    assert "WECHAT_TEMPLATE_WEEKLY_LOG_REMINDER=T9 不在公众号的模板列表中" in checks[1].text
    assert len(wechat.calls_to(TEMPLATES)) == 1


async def test_template_list_is_a_get_through_the_token_refresh(
        wechat: FakeWeChatAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    # list_templates shares _call's logic: a rejected token is refreshed once, then retried.
    wechat.templates = ["T1"]
    monkeypatch.setenv("WECHAT_TEMPLATE_NOTICE", "T1")
    wechat.script(TEMPLATES, {"errcode": 42001, "errmsg": "access_token expired"})
    assert one(await doctor(), "模板消息").ok
    calls = wechat.calls_to(TEMPLATES)
    assert len(calls) == 2 and calls[0].query["access_token"] != calls[1].query["access_token"]


async def test_template_list_refused(wechat: FakeWeChatAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WECHAT_TEMPLATE_NOTICE", "T1")
    wechat.script(TEMPLATES, {"errcode": 48001, "errmsg": "api unauthorized"})
    check = one(await doctor(), "模板消息")
    assert not check.ok and "48001" in check.text


# --- 6. statutory calendar ----------------------------------------------------------------


async def test_calendar_covers_the_next_60_days(env: Path) -> None:
    check = one(await doctor(COVERED), "法定节假日日历")
    assert check.ok, check.line


async def test_calendar_uncovered_names_the_last_covered_day(env: Path) -> None:
    last_year = max(chinese_calendar.constants.holidays).year
    check = one(await doctor(UNCOVERED), "法定节假日日历")
    assert not check.ok
    assert f"只到 {last_year}-12-31" in check.text
    assert "周一至周五" in check.text and "pip install -U chinesecalendar" in check.text


def _calendar_until_2026(day: date) -> object:
    if day.year > 2026:
        raise NotImplementedError(f"no available data for year {day.year}")
    return True


async def test_calendar_running_out_within_60_days(env: Path) -> None:
    checks = await doctor(date(2026, 12, 1), calendar_probe=_calendar_until_2026)
    check = one(checks, "法定节假日日历")
    assert not check.ok and "只到 2026-12-31" in check.text
    assert one(await doctor(date(2026, 10, 1), calendar_probe=_calendar_until_2026),
               "法定节假日日历").ok


# --- 7. WeChat token ------------------------------------------------------------------------


async def test_trial_token_with_real_credentials(wechat: FakeWeChatAPI,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WECHAT_TOKEN")
    check = one(await doctor(), "WECHAT_TOKEN")
    assert not check.ok and "设置 WECHAT_TOKEN 为公众号后台填写的 Token" in check.text


async def test_token_set(wechat: FakeWeChatAPI) -> None:
    assert one(await doctor(), "WECHAT_TOKEN").ok


async def test_trial_mode_without_credentials_is_fine_and_writes_no_token(env: Path) -> None:
    check = one(await doctor(), "WECHAT_TOKEN")
    assert check.ok and "试用" in check.text
    assert not (env / "var" / "wechat_token").exists()


# --- 8. var folder --------------------------------------------------------------------------


async def test_var_folder_created_and_writable(env: Path) -> None:
    check = one(await doctor(), "数据目录")
    assert check.ok
    assert list((env / "var").iterdir()) == []  # the probe file is gone


async def test_var_folder_unwritable(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests run as root, whom chmod does not stop: a file where a folder should be does.
    (env / "afile").write_text("x", encoding="utf-8")
    monkeypatch.setenv("WORKSHOP_BOT_VAR_DIR", str(env / "afile" / "var"))
    check = one(await doctor(), "数据目录")
    assert not check.ok and str(env / "afile" / "var") in check.text
    assert "WORKSHOP_BOT_VAR_DIR" in check.text


# --- the command --------------------------------------------------------------------------


async def test_all_passing_exits_0(wechat: FakeWeChatAPI, database_url: str, redis_url: str,
                                   monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    wechat.templates = ["T1"]
    monkeypatch.setenv("WECHAT_TEMPLATE_NOTICE", "T1")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("REDIS_URL", redis_url)
    # doctor_main runs its own event loop, so it gets a thread; this loop serves the fake.
    code = await asyncio.wait_for(asyncio.to_thread(doctor_main, None, today=COVERED), 30)
    lines = capsys.readouterr().out.splitlines()
    assert code == 0, lines
    assert len(lines) == 8 and all(line.startswith("✓ ") for line in lines), lines


async def test_one_failure_exits_1(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = await asyncio.to_thread(doctor_main, None, today=UNCOVERED)
    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert len(lines) == 8 and all(line[:2] in ("✓ ", "✗ ") for line in lines), lines


def test_command_line_reports_a_configuration_error(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("WECHAT_", "DATABASE_URL", "WORKSHOP_BOT_", "REDIS_URL"))}
    env["WORKSHOP_BOT_PORT"] = "notanumber"
    proc = subprocess.run([sys.executable, "-m", "bot", "doctor"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines() == [proc.stdout.strip()]
    assert proc.stdout.startswith("✗ 配置：WORKSHOP_BOT_PORT")
    assert "Traceback" not in proc.stderr
