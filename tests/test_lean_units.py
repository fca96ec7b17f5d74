"""Lean units of work (storage.driver): on PostgreSQL a 周报 runs on asyncpg directly.

Each lean statement must do what its Core form does; a lean route that asks for more than
the lean session offers is run again on a full session, once, with nothing of the first
attempt kept. PostgreSQL only: the lean path does not exist on SQLite.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.context import Ctx, Incoming
from bot.replies import Reply, Text
from bot.routing import Router
from storage.db import Database
from storage.driver import DriverSession, NeedsSession
from storage.models import DialogState, InboundMessage, LogAttachment, Member, WeeklyLog, WeeklyLogVersion
from storage.queries import weekly_logs as logs
from storage.queries.dialogs import clear_dialog, save_dialog
from storage.queries.inbound import inbound_row, record_inbound
from storage.queries.locks import lock_openid_for_transaction
from storage.queries.records import studio_members_named
from storage.queries.sender import sender_of
from storage.session import Session
from tests.conftest import fresh_postgres
from tests.support import FakeClock, Service, bind_members, import_roster_text, make_settings, start_service

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # Friday, ISO week 2026-W47
ROSTER = """studio,name,employee_no,role,mentor_employee_no,phone
精益工作室,精领衔,LL1,leader,,
精益工作室,精一,LM1,member,,
精益工作室,精二,LM2,member,,
"""
OPENIDS = {"LL1": "o-ll1", "LM1": "o-lm1", "LM2": "o-lm2"}


@pytest.fixture(scope="module")
async def pg_url() -> AsyncIterator[str]:
    async with fresh_postgres("wbl_") as url:
        yield url


def probe_router() -> Router:
    router = Router("lean_probe")

    @router.command("试写", takes_args=True, lean=True)
    async def on_try(msg: Incoming, ctx: Ctx) -> Reply:
        # A lean write, then something only a full session offers (an ORM load).
        assert ctx.member is not None
        await logs.insert_log(ctx.session, member_id=ctx.member.id, studio_id=ctx.member.studio_id,
                              week="2026-W01", content=ctx.args, hours=None, late=False,
                              action="create", now=ctx.now)
        member = await ctx.session.get(Member, ctx.member.id)
        assert member is not None
        return Text(f"写好了：{member.name}")

    return router


@pytest.fixture(scope="module")
async def svc(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Service]:
    var = tmp_path_factory.mktemp("var")
    service = await start_service(make_settings(pg_url, str(var)), clock=FakeClock(NOW),
                                  extra_routers=[probe_router()])
    await import_roster_text(service, tmp_path_factory.mktemp("r") / "roster.csv", ROSTER)
    await bind_members(service, OPENIDS)
    yield service
    await service.client.close()


def fallbacks(svc: Service) -> float:
    value = svc.dispatcher.metrics.registry.get_sample_value(
        "workshop_bot_session_fallbacks_total")
    return float(value or 0.0)


def counting_lean_units(svc: Service, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    units: list[int] = []
    real: Callable[[], Any] = svc.db.driver_unit

    def counted() -> Any:
        units.append(1)
        return real()

    monkeypatch.setattr(svc.db, "driver_unit", counted)
    return units


async def member_id(db: Database, employee_no: str) -> tuple[int, int | None]:
    async with db.transaction() as session:
        member = (await session.scalars(
            select(Member).where(Member.employee_no == employee_no))).one()
        return member.id, member.studio_id


async def one_week_of_work(session: Session, member: int, studio: int | None, openid: str,
                           key: str) -> tuple[Any, ...]:
    """Every lean storage call, in the order a week of messages makes them."""
    await lock_openid_for_transaction(session, openid)
    assert await logs.log_for_week(session, member, "2026-W47") is None
    new = await logs.insert_log(session, member_id=member, studio_id=studio, week="2026-W47",
                                content="调试焊接机器人", hours=2.5, late=False,
                                action="create", now=NOW)
    found = await logs.log_for_week(session, member, "2026-W47")
    changed = logs.LogView(new.id, new.content + "\n整理资料", 4.0, True, 2, new.submitted_at)
    await logs.update_log(session, changed, now=NOW + timedelta(hours=1))
    await logs.add_version(session, changed, action="append", now=NOW + timedelta(hours=1))
    await logs.add_pictures(session, new.id, [logs.Picture("media-1", None),
                                              logs.Picture(None, "http://p/2.jpg")], now=NOW)
    await save_dialog(session, openid, "weekly_logs.content", {"week": "2026-W48", "parts": ["甲"]},
                      now=NOW, expires_at=NOW + timedelta(minutes=30))
    await save_dialog(session, openid, "weekly_logs.hours", {"week": "2026-W48", "parts": ["乙"]},
                      now=NOW, expires_at=NOW + timedelta(minutes=40))
    sender = await sender_of(session, openid, key)
    await record_inbound(session, inbound_row(
        dedupe_key=key, openid=openid, msg_type="text", event=None, content="周报 调试",
        received_at=NOW, status="done", reply={"type": "text", "content": "已提交"}))
    seen = await sender_of(session, openid, key)
    named = (await studio_members_named(session, studio or 0, "精一"),
             await studio_members_named(session, studio or 0, "lm2"))
    return new, found, sender, seen, named


async def stored(db: Database, member: int, openid: str, key: str) -> tuple[Any, ...]:
    async with db.transaction() as session:
        log = (await session.scalars(select(WeeklyLog).where(WeeklyLog.member_id == member))).one()
        versions = [(v.version, v.action, v.content, v.hours, v.changed_at) for v in await
                    session.scalars(select(WeeklyLogVersion).where(WeeklyLogVersion.log_id == log.id)
                                    .order_by(WeeklyLogVersion.version))]
        pictures = [(p.media_id, p.pic_url) for p in await session.scalars(
            select(LogAttachment).where(LogAttachment.log_id == log.id).order_by(LogAttachment.id))]
        dialog = await session.get(DialogState, openid)
        assert dialog is not None
        inbound = (await session.scalars(select(InboundMessage).where(
            InboundMessage.dedupe_key == key))).one()
        return ((log.week, log.content, log.hours, log.late, log.version, log.submitted_at,
                 log.updated_at), versions, pictures,
                (dialog.state, dialog.data, dialog.expires_at),
                (inbound.status, inbound.reply, inbound.content))


async def test_lean_statements_do_what_the_core_ones_do(svc: Service) -> None:
    core_member, studio = await member_id(svc.db, "LM1")
    lean_member, _ = await member_id(svc.db, "LM2")
    async with svc.db.transaction() as session:
        core = await one_week_of_work(session, core_member, studio, "o-lm1", "m:o-lm1:1")
    async with svc.db.driver_unit() as lean_session:
        lean = await one_week_of_work(lean_session, lean_member, studio, "o-lm2", "m:o-lm2:1")
        assert lean_session.wrote
    # What each call returned: the same, but for the row ids and whose they are.
    (core_new, core_found, core_sender, core_seen, core_named) = core
    (lean_new, lean_found, lean_sender, lean_seen, lean_named) = lean
    assert core_named == lean_named and [m.name for m in core_named[1]] == ["精二"]
    assert core_new.content == lean_new.content and core_new.version == lean_new.version == 1
    assert core_found is not None and lean_found is not None
    assert core_found.submitted_at == lean_found.submitted_at == NOW
    assert (core_found.content, core_found.hours, core_found.late) == (
        lean_found.content, lean_found.hours, lean_found.late)
    assert core_sender.dialog == lean_sender.dialog and core_sender.seen is lean_sender.seen is None
    assert core_seen.seen == lean_seen.seen and core_seen.seen is not None
    assert core_sender.member is not None and lean_sender.member is not None
    assert core_sender.member.studio_name == lean_sender.member.studio_name == "精益工作室"
    # What they left in the database: the same.
    assert await stored(svc.db, core_member, "o-lm1", "m:o-lm1:1") == await stored(
        svc.db, lean_member, "o-lm2", "m:o-lm2:1")
    async with svc.db.transaction() as session:
        await clear_dialog(session, "o-lm1")
    async with svc.db.driver_unit() as lean_session:
        await clear_dialog(lean_session, "o-lm2")
    async with svc.db.transaction() as session:
        assert await session.get(DialogState, "o-lm1") is None
        assert await session.get(DialogState, "o-lm2") is None


async def test_a_delivery_recorded_twice_is_an_integrity_error_on_the_lean_path(
        svc: Service) -> None:
    row = inbound_row(dedupe_key="m:o-lm2:twice", openid="o-lm2", msg_type="text", event=None,
                      content="周报 x", received_at=NOW, status="done", reply=None)
    async with svc.db.driver_unit() as session:
        await record_inbound(session, row)
    with pytest.raises(IntegrityError):  # the dispatcher's cue that a retry won the race
        async with svc.db.driver_unit() as session:
            await record_inbound(session, row)


async def test_asking_the_lean_session_for_more_keeps_nothing(svc: Service) -> None:
    lean_member, studio = await member_id(svc.db, "LL1")
    with pytest.raises(NeedsSession):
        async with svc.db.driver_unit() as session:
            await logs.insert_log(session, member_id=lean_member, studio_id=studio,
                                  week="2026-W30", content="不该留下", hours=None, late=False,
                                  action="create", now=NOW)
            session.add(Member())
    async with svc.db.transaction() as core:
        assert await logs.log_for_week(core, lean_member, "2026-W30") is None
    # The connection went back clean: the next lean unit starts its own transaction.
    async with svc.db.driver_unit() as session:
        assert isinstance(session, DriverSession)
        assert await logs.log_for_week(session, lean_member, "2026-W30") is None


async def test_a_lean_route_that_needs_more_runs_again_once_on_a_session(
        svc: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    units = counting_lean_units(svc, monkeypatch)
    before = fallbacks(svc)
    assert await svc.text("o-lm1", "试写 一次就好", msg_id=880001) == "写好了：精一"
    # WeChat's retry: a lean unit finds the delivery recorded and answers from the record.
    assert await svc.text("o-lm1", "试写 一次就好", msg_id=880001) == "写好了：精一"
    assert units == [1, 1] and fallbacks(svc) == before + 1
    member, _ = await member_id(svc.db, "LM1")
    async with svc.db.transaction() as session:
        rows = list(await session.scalars(select(WeeklyLog).where(
            WeeklyLog.member_id == member, WeeklyLog.week == "2026-W01")))
        assert [r.content for r in rows] == ["一次就好"]
        versions = list(await session.scalars(select(WeeklyLogVersion).where(
            WeeklyLogVersion.log_id == rows[0].id)))
        assert len(versions) == 1
        recorded = list(await session.scalars(select(InboundMessage).where(
            InboundMessage.dedupe_key == "m:o-lm1:880001")))
        assert len(recorded) == 1


async def test_weekly_logs_run_lean_without_falling_back(
        svc: Service, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    units = counting_lean_units(svc, monkeypatch)
    before = fallbacks(svc)
    assert "已提交" in (await svc.text("o-ll1", "周报 一次说完：调试 2 台设备") or "")
    assert "已提交过" in (await svc.text("o-ll1", "周报 再写一条") or "")  # asks what to do
    assert "已追加到" in (await svc.text("o-ll1", "2") or "")
    assert await svc.text("o-ll1", "周报") is not None  # the dialog's first question
    await svc.text("o-ll1", "取消")
    assert len(units) == 3 and fallbacks(svc) == before
    member, _ = await member_id(svc.db, "LL1")
    async with svc.db.transaction() as session:
        [log] = list(await session.scalars(select(WeeklyLog).where(
            WeeklyLog.member_id == member, WeeklyLog.week == "2026-W47")))
        assert log.content == "一次说完：调试 2 台设备\n再写一条" and log.version == 2


async def test_the_first_log_of_a_week_is_saved_once_both_ways(svc: Service) -> None:
    """insert_first_log saves a week's first log and its first version, and nothing when the
    week has one: the lean statement (one round trip) as the Core pair does."""
    results = []
    for employee_no, unit in (("LM1", svc.db.transaction), ("LM2", svc.db.driver_unit)):
        member, studio = await member_id(svc.db, employee_no)
        for _ in range(2):
            async with unit() as session:  # type: ignore[attr-defined]
                results.append(await logs.insert_first_log(
                    session, member_id=member, studio_id=studio, week="2026-W46",
                    content="第一份", hours=3.0, late=True, action="create", now=NOW))
        async with svc.db.transaction() as session:
            [log] = list(await session.scalars(select(WeeklyLog).where(
                WeeklyLog.member_id == member, WeeklyLog.week == "2026-W46")))
            versions = list(await session.scalars(select(WeeklyLogVersion).where(
                WeeklyLogVersion.log_id == log.id)))
        assert (log.content, log.hours, log.late, log.version) == ("第一份", 3.0, True, 1)
        assert [(v.version, v.action) for v in versions] == [(1, "create")]
    core_first, core_again, lean_first, lean_again = results
    assert core_again is None and lean_again is None
    assert core_first is not None and lean_first is not None
    assert (core_first.content, core_first.hours, core_first.version) == (
        lean_first.content, lean_first.hours, lean_first.version)
