"""What the operator sees: honest replies without credentials, stale pushes dropped, the
outbox commands and metrics, JSON logs and backups."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.wechat_api import WeChatAPI
from ops import backup, outbox
from ops.logs import JsonFormatter
from scheduled.delivery import Deliverer, DeliveryReport
from storage.db import Database
from storage.models import CheckIn, Member, OutboxMessage, WeeklyLog
from tests.conftest import IN_CI, PG_ADMIN_DSN
from tests.fakes import FakeWeChatAPI
from tests.support import Service, make_settings, number_in, roster_service

ROSTER = """studio,name,employee_no,role,mentor_employee_no,phone
甲工作室,甲领衔,L1,leader,,
甲工作室,甲师傅,T1,member,,
甲工作室,甲徒弟,A1,member,T1,
甲工作室,甲成员,M1,member,,
"""
OPENIDS = {"L1": "o-l1", "T1": "o-t1", "A1": "o-a1", "M1": "o-m1"}
FRIDAY = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")
SEND = "/cgi-bin/message/custom/send"


@pytest.fixture(scope="module")
async def svc(database_url: str, var_dir: Path,
              tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Service]:
    service = await roster_service(database_url, str(var_dir), tmp_path_factory.mktemp("r"),
                                   ROSTER, OPENIDS, FRIDAY)
    async with service.db.transaction() as session:
        await session.execute(update(Member).values(last_interaction_at=FRIDAY))
    yield service
    await service.client.close()


@pytest.fixture(scope="module")
async def unconfigured(database_url: str, var_dir: Path) -> AsyncIterator[Service]:
    """The same database, served by a process with no WECHAT_APP_ID/SECRET."""
    from tests.support import FakeClock, start_service

    settings = make_settings(database_url, str(var_dir))
    settings.wechat_app_id = settings.wechat_app_secret = ""
    service = await start_service(settings, clock=FakeClock(FRIDAY))
    yield service
    await service.client.close()


async def deliver(svc: Service, fake_api: FakeWeChatAPI) -> DeliveryReport:
    api = WeChatAPI(fake_api.base_url, "wx", "secret", clock=svc.clock, retry_delays=(0, 0))
    try:
        return await Deliverer(svc.db, api, templates={}, tz=TZ, clock=svc.clock).run()
    finally:
        await api.close()


async def rows(svc: Service) -> list[OutboxMessage]:
    async with svc.db.transaction() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


# -- honest wording -------------------------------------------------------------------

async def test_a_checkin_promises_a_reminder_only_when_pushes_can_be_sent(
        svc: Service, unconfigured: Service) -> None:
    sent = await svc.text("o-a1", "打卡 学习焊接 1小时") or ""
    assert "师傅会收到提醒" in sent
    kept = await unconfigured.text("o-a1", "打卡 学习读图 1小时") or ""
    assert "已记录师徒打卡" in kept
    assert "提醒" not in kept and "已通知" not in kept
    assert f"确认 {number_in(kept)}" in kept  # says how the mentor confirms instead
    # Either way the mentor's notice is queued: it goes out once credentials are set.
    notices = [r for r in await rows(svc) if r.kind == "checkin-notice"]
    assert len(notices) == 2 and all(r.status == "pending" for r in notices)


async def test_a_notice_without_credentials_is_recorded_not_sending(
        unconfigured: Service) -> None:
    asked = await unconfigured.text("o-l1", "通知 周五下午安全培训") or ""
    assert "3 名成员" in asked
    done = await unconfigured.text("o-l1", "确认") or ""
    assert "已记录通知" in done and "还没有配置消息发送" in done and "已安排发送" not in done
    status = await unconfigured.text("o-l1", "通知") or ""
    assert "待发送 3" in status and "发送中" not in status


# -- stale pushes ---------------------------------------------------------------------

async def test_stale_pushes_are_dropped_not_sent(svc: Service, fake_api: FakeWeChatAPI) -> None:
    # Everything queued so far goes out first.
    fake_api.calls.clear()
    await deliver(svc, fake_api)
    sent_before = len(fake_api.calls_to(SEND))
    assert sent_before >= 3
    # The apprentice checks in; the mentor confirms before the notice goes out.
    reply = await svc.text("o-a1", "打卡 学习装配 2小时") or ""
    number = number_in(reply)
    assert "已确认" in (await svc.text("o-t1", f"确认 {number}") or "")
    # A weekly-log reminder to a member who then logs, and one to a member who does not.
    from scheduled.scheduler import run_job

    report = await run_job(svc.db, "weekly-log-reminder", FRIDAY, TZ)
    assert report.queued == 4  # nobody has logged this week yet
    assert "已提交" in (await svc.text("o-m1", "周报 完成点检表") or "")
    fake_api.calls.clear()
    report = await deliver(svc, fake_api)
    assert report.outcomes["dropped"] == 2, report.outcomes
    by_key = {(r.kind, r.period, r.recipient_id): r for r in await rows(svc)}
    ids = await member_ids(svc)
    notice = by_key[("checkin-notice", f"checkin:{number}", ids["T1"])]
    assert (notice.status, notice.result) == ("dropped", "stale")
    assert by_key[("weekly-log-reminder", "2026-W47", ids["M1"])].status == "dropped"
    assert by_key[("weekly-log-reminder", "2026-W47", ids["A1"])].status == "sent"
    # The apprentice still hears the confirmation; the mentor hears nothing stale.
    texts = {c.body["touser"]: c.body["text"]["content"] for c in fake_api.calls_to(SEND)}
    assert "o-a1" in texts and f"编号 {number}" not in texts.get("o-t1", "")
    async with svc.db.transaction() as session:
        checkin = await session.get(CheckIn, number)
        logged = await session.scalar(select(WeeklyLog).where(WeeklyLog.member_id == ids["M1"]))
    assert checkin is not None and checkin.confirmed_at is not None and logged is not None


async def member_ids(svc: Service) -> dict[str, int]:
    async with svc.db.transaction() as session:
        return {m.employee_no: m.id for m in await session.scalars(select(Member))}


# -- workshop-bot outbox --------------------------------------------------------------

async def test_outbox_summary_list_retry_and_drop(svc: Service, fake_api: FakeWeChatAPI,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    settings = svc.settings
    ids = await member_ids(svc)
    from storage.queries.outbox import enqueue_many

    async with svc.db.transaction() as session:
        await enqueue_many(session, "notice", "notice:990", {
            ids["L1"]: ("甲", None), ids["T1"]: ("乙", None), ids["A1"]: ("丙", None)}, FRIDAY)
    fake_api.script(SEND, {"errcode": 40003, "errmsg": "invalid openid"})
    fake_api.calls.clear()
    await deliver(svc, fake_api)
    capsys.readouterr()

    assert await outbox.outbox_summary(settings) == 0
    summary = capsys.readouterr().out
    assert "notice" in summary and "weekly-log-reminder" in summary and "已放弃 dropped" in summary

    assert await outbox.outbox_list(settings, state="undeliverable", kind="notice", limit=10) == 0
    listed = capsys.readouterr().out
    [failed] = [r for r in await rows(svc) if r.kind == "notice" and r.status == "undeliverable"]
    assert str(failed.id) in listed and "rejected 40003" in listed and "微信拒绝发送" in listed
    assert "o-" not in listed  # names, never openids
    assert await outbox.outbox_list(settings, state="dropped", kind=None, limit=10) == 0
    assert "已过时" in capsys.readouterr().out

    # retry one, then everything failed
    assert await outbox.outbox_retry(settings, failed.id, all_failed=False) == 0
    assert "已重新排队 1 条" in capsys.readouterr().out
    again = {r.id: r for r in await rows(svc)}[failed.id]
    assert (again.status, again.attempts) == ("pending", 0)
    async with svc.db.transaction() as session:
        await session.execute(update(OutboxMessage).where(OutboxMessage.id == failed.id)
                              .values(status="failed"))
    assert await outbox.outbox_retry(settings, None, all_failed=True) == 0
    assert {r.id: r for r in await rows(svc)}[failed.id].status == "pending"

    # drop it; a sent row cannot be dropped
    assert await outbox.outbox_drop(settings, failed.id) == 0
    assert {r.id: r for r in await rows(svc)}[failed.id].status == "dropped"
    sent = next(r for r in await rows(svc) if r.status == "sent")
    assert await outbox.outbox_drop(settings, sent.id) == 1
    assert "不能放弃" in capsys.readouterr().err


async def test_outbox_commands_refuse_unknown_ids_and_change_nothing(
        svc: Service, capsys: pytest.CaptureFixture[str]) -> None:
    before = [(r.id, r.status, r.attempts) for r in await rows(svc)]
    assert await outbox.outbox_retry(svc.settings, 987654, all_failed=False) == 1
    assert await outbox.outbox_drop(svc.settings, 987654) == 1
    assert await outbox.outbox_retry(svc.settings, None, all_failed=False) == 2
    errors = capsys.readouterr().err
    assert errors.count("没有编号为 987654 的推送") == 2
    assert [(r.id, r.status, r.attempts) for r in await rows(svc)] == before


async def test_metrics_show_the_outbox(svc: Service) -> None:
    resp = await svc.client.get("/metrics")
    text = await resp.text()
    states = {r.status for r in await rows(svc)}
    assert 'workshop_bot_outbox_rows{state="sent"}' in text
    for line in text.splitlines():
        if line.startswith('workshop_bot_outbox_rows{state="dropped"}'):
            assert float(line.split()[-1]) >= 1 and "dropped" in states
    assert "workshop_bot_outbox_oldest_pending_seconds" in text


# -- logs -----------------------------------------------------------------------------

def test_json_log_lines_parse_and_carry_the_traceback() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("workshop_bot", logging.ERROR, __file__, 1, "发送 %d 条",
                                   (3,), sys.exc_info())
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "发送 3 条" and entry["level"] == "ERROR"
    assert "ValueError: boom" in entry["exc"] and entry["time"].endswith("+00:00")


def test_json_log_format_from_the_environment(tmp_path: Path) -> None:
    from tests.test_cli import CLI, _env

    proc = subprocess.run([*CLI, "db", "upgrade"], cwd=tmp_path,
                          env={**_env(), "WORKSHOP_BOT_LOG_FORMAT": "json"},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stderr.splitlines()]
    assert any("database migrated" in e["message"] for e in lines)
    bad = subprocess.run([*CLI, "db", "upgrade"], cwd=tmp_path,
                         env={**_env(), "WORKSHOP_BOT_LOG_FORMAT": "xml"},
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "WORKSHOP_BOT_LOG_FORMAT" in bad.stderr


# -- backups --------------------------------------------------------------------------

async def test_sqlite_backup_restores_the_same_rows(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path}/live.db", str(tmp_path / "var"))
    from tests.conftest import _migrate

    await _migrate(settings.effective_database_url)
    service = await roster_service(settings.effective_database_url, str(tmp_path / "var"),
                                   tmp_path, ROSTER, OPENIDS, FRIDAY)
    try:
        assert "已提交" in (await service.text("o-m1", "周报 备份前的一份周报") or "")
        # Taken while the service holds its connection open: the backup API is online.
        assert backup.backup(settings, tmp_path / "copy.db") == 0
        assert "已备份" in capsys.readouterr().out
        assert "已提交" in (await service.text("o-a1", "周报 备份后的周报") or "")
    finally:
        await service.client.close()
    copy = Database(f"sqlite+aiosqlite:///{tmp_path}/copy.db")
    try:
        async with copy.transaction() as session:
            names = sorted(m.name for m in await session.scalars(select(Member)))
            logs = [w.content for w in await session.scalars(select(WeeklyLog))]
    finally:
        await copy.dispose()
    assert names == sorted(["甲领衔", "甲师傅", "甲徒弟", "甲成员"])
    assert logs == ["备份前的一份周报"]  # what was there when the backup was taken


def test_backup_to_an_unwritable_place_says_so_and_leaves_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path}/live.db", str(tmp_path / "var"))
    (tmp_path / "live.db").write_bytes(b"")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    assert backup.backup(settings, blocker / "copy.db") == 1
    assert "无法写入" in capsys.readouterr().err
    (tmp_path / "exists.db").write_text("keep me")
    assert backup.backup(settings, tmp_path / "exists.db") == 1
    assert (tmp_path / "exists.db").read_text() == "keep me"
    assert "已存在" in capsys.readouterr().err


async def test_postgresql_backup_recipe_restores_the_same_rows(
        tmp_path: Path, var_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import asyncpg

    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        if IN_CI:
            pytest.fail("pg_dump and pg_restore are needed in CI (postgresql-client)")
        pytest.skip("pg_dump not installed")
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    names = ["wbb_" + uuid.uuid4().hex[:10], "wbr_" + uuid.uuid4().hex[:10]]
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    try:
        for name in names:
            await admin.execute(f'CREATE DATABASE "{name}"')
        source = base.replace("postgresql://", "postgresql+asyncpg://", 1) + "/" + names[0]
        from tests.conftest import _migrate

        await _migrate(source)
        service = await roster_service(source, str(var_dir), tmp_path, ROSTER, OPENIDS, FRIDAY)
        try:
            assert "已提交" in (await service.text("o-t1", "周报 要备份的周报") or "")
        finally:
            await service.client.close()
        settings = make_settings(source, str(var_dir))
        assert backup.backup(settings, tmp_path / "pg.dump") == 0
        assert "pg_restore" in capsys.readouterr().out
        restore = await asyncio.create_subprocess_exec(
            "pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={base}/{names[1]}",
            str(tmp_path / "pg.dump"), stderr=asyncio.subprocess.PIPE)
        _, stderr = await asyncio.wait_for(restore.communicate(), 120)
        assert restore.returncode == 0, stderr.decode()
        copy = await asyncpg.connect(f"{base}/{names[1]}")
        try:
            logs = await copy.fetch("SELECT content FROM weekly_log")
            members = await copy.fetchval("SELECT count(*) FROM member")
        finally:
            await copy.close()
        assert [r["content"] for r in logs] == ["要备份的周报"] and members == 4
    finally:
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()



async def test_a_claim_the_crash_rule_took_back_is_not_recorded_by_its_old_sender(
        svc: Service) -> None:
    """A slow sender finishing after its row was requeued and claimed again must not
    overwrite what the new claim records."""
    from datetime import timedelta

    from storage.queries.outbox import claim_pending, enqueue, requeue_in_flight, settle

    ids = await member_ids(svc)
    first = FRIDAY + timedelta(days=30)
    async with svc.db.transaction() as session:
        await enqueue(session, kind="notice", period="notice:slow", recipient_id=ids["T1"],
                      text="慢", now=first)
        [old] = [c for c in await claim_pending(session, first, 100) if c.period == "notice:slow"]
    later = first + timedelta(minutes=6)
    async with svc.db.transaction() as session:
        assert await requeue_in_flight(session, later - timedelta(minutes=5)) >= 1
        [new] = [c for c in await claim_pending(session, later, 100) if c.period == "notice:slow"]
    async with svc.db.transaction() as session:
        # The old sender finally answers: its record is refused.
        await settle(session, old.id, status="failed", channel="custom", result="busy:-1",
                     now=later, claimed_at=first)
    row = {r.id: r for r in await rows(svc)}[new.id]
    assert (row.status, row.result) == ("in_flight", None)
    async with svc.db.transaction() as session:
        await settle(session, new.id, status="sent", channel="custom", result="ok", now=later,
                     claimed_at=later)
    assert {r.id: r for r in await rows(svc)}[new.id].status == "sent"
