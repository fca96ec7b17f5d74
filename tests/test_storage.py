"""Storage behaviour that the endpoint tests cannot reach."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from storage import db as storage_db
from storage.db import Database
from storage.migrate import upgrade


@pytest.fixture
async def held_elsewhere(tmp_path: Path) -> AsyncIterator[tuple[Database, sqlite3.Connection]]:
    """A database whose write lock another process (a plain sqlite3 connection) holds."""
    path = tmp_path / "wb.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await upgrade(db.engine)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    yield db, other
    if other.in_transaction:
        other.execute("ROLLBACK")
    other.close()
    await db.dispose()


def release_on_first_retry(monkeypatch: pytest.MonkeyPatch, other: sqlite3.Connection
                           ) -> list[float]:
    """Make the first back-off pause the moment the other process commits; returns the
    pauses taken, so a test can see that the wait happened."""
    pauses: list[float] = []
    real_sleep = storage_db.asyncio.sleep

    async def sleep_and_release(delay: float) -> None:
        pauses.append(delay)
        if len(pauses) == 1:
            other.execute("COMMIT")
        await real_sleep(0)

    monkeypatch.setattr(storage_db.asyncio, "sleep", sleep_and_release)
    return pauses


async def test_sqlite_waits_for_another_process_write_lock(
    held_elsewhere: tuple[Database, sqlite3.Connection], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A roster import in another process holds the write lock: we wait, then go on."""
    db, other = held_elsewhere
    waits = release_on_first_retry(monkeypatch, other)
    async with db.transaction() as session:
        assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
    assert len(waits) == 1


async def test_sqlite_gives_up_after_the_wait_limit(
    held_elsewhere: tuple[Database, sqlite3.Connection], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, _other = held_elsewhere
    monkeypatch.setattr(storage_db, "SQLITE_LOCK_WAIT", 0.0)
    with pytest.raises(Exception, match="locked"):
        async with db.transaction():
            pass


async def test_raw_and_core_writes_of_the_inbound_log_agree(tmp_path: Path) -> None:
    """The SQLite fast path encodes times and JSON exactly as SQLAlchemy reads them."""
    from datetime import UTC, datetime

    from storage.queries.inbound import inbound_by_key, inbound_row, record_inbound_batch

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'wb.db'}")
    await upgrade(db.engine)
    at = datetime(2026, 11, 20, 8, 0, 1, 123456, tzinfo=UTC)
    row = inbound_row(dedupe_key="m:o:1", openid="o", msg_type="text", event=None,
                      content="帮助", received_at=at, status="done",
                      reply={"type": "text", "content": "您好"})
    try:
        async with db.transaction() as session:
            await record_inbound_batch(session, [row, row])  # the duplicate is skipped
        async with db.transaction() as session:
            stored = await inbound_by_key(session, "m:o:1")
        assert stored is not None
        assert stored.received_at == at
        assert stored.reply == {"type": "text", "content": "您好"}
        assert stored.content == "帮助"
    finally:
        await db.dispose()


async def test_a_unit_that_only_reads_needs_no_write_lock(
    held_elsewhere: tuple[Database, sqlite3.Connection]
) -> None:
    """帮助 and friends go on while another process writes: no BEGIN until a need."""
    from storage.inline import raw_sqlite
    from storage.queries.sender import sender_of

    db, _other = held_elsewhere
    async with db.unit() as session:
        sender = await sender_of(session, "o-someone", "m:o-someone:1")
        assert sender.member is None and sender.seen is None
        assert raw_sqlite(session) is not None
    with pytest.raises(Exception, match="locked"):
        async with db.unit() as session:
            await session.execute(text("DELETE FROM dialog_state"))


async def test_a_message_waits_for_another_process_then_is_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support import bind_members, import_roster_text, make_settings, start_service

    url = f"sqlite+aiosqlite:///{tmp_path / 'wb.db'}"
    setup_db = Database(url)
    await upgrade(setup_db.engine)
    await setup_db.dispose()
    svc = await start_service(make_settings(url, str(tmp_path)))
    try:
        await import_roster_text(svc, tmp_path / "r.csv",
                                 "studio,name,employee_no,role,mentor_employee_no,phone\n"
                                 "丁工作室,丁一,D1,member,,\n")
        await bind_members(svc, {"D1": "o-d1"})
        other = sqlite3.connect(tmp_path / "wb.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # a roster import in another process, say
        pauses = release_on_first_retry(monkeypatch, other)
        reply = await svc.text("o-d1", "周报 等锁之后提交")
        monkeypatch.undo()
        other.close()
        assert reply is not None and "已提交" in reply
        assert pauses  # it did wait
        async with svc.db.transaction() as session:
            n = (await session.execute(text("SELECT count(*) FROM weekly_log"))).scalar_one()
        assert n == 1
    finally:
        await svc.client.close()


async def test_the_hot_sender_statements_read_what_the_core_one_reads(database_url: str) -> None:
    """The per-message sender query runs straight on the driver (sqlite3 on SQLite, a
    prepared asyncpg statement on PostgreSQL); it must read what the Core statement reads."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy.ext.asyncio import AsyncSession

    from storage.inline import InlineSession
    from storage.models import Member, Studio, TradeUnion
    from storage.queries.dialogs import save_dialog
    from storage.queries.inbound import inbound_row, record_inbound
    from storage.queries.sender import SenderReads, sender_of

    # Our SQLite session follows SQLAlchemy's public API: it is no AsyncSession in disguise.
    assert not issubclass(InlineSession, AsyncSession)
    now = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    db = Database(database_url)
    try:
        async with db.transaction() as session:
            union = TradeUnion(name="测试工会 hot", language="mn+zh-CN", created_at=now)
            studio = Studio(name="热路径工作室", created_at=now)
            session.add_all([union, studio])
            await session.flush()
            session.add(Member(employee_no="HOT1", name="热一", role="leader", studio_id=studio.id,
                               openid="o-hot1", language="en", created_at=now))
            await save_dialog(session, "o-hot1", "weekly_logs.hours", {"week": "2026-W47"},
                              now=now, expires_at=now + timedelta(minutes=30))
            await record_inbound(session, inbound_row(
                dedupe_key="m:o-hot1:1", openid="o-hot1", msg_type="text", event=None,
                content="帮助", received_at=now, status="done",
                reply={"type": "text", "content": "好"}))
        cases = [("o-hot1", "m:o-hot1:1"), ("o-hot1", "m:o-hot1:2"), ("o-nobody", "m:x:1")]
        expected = []
        for openid, key in cases:
            async with db.sessions() as core:  # the Core statement, through SQLAlchemy
                expected.append(await sender_of(core, openid, key))
        if db.sqlite:
            hot = []
            for openid, key in cases:
                async with db.unit() as inline:  # sqlite3 straight
                    hot.append(await sender_of(inline, openid, key))
        else:
            # Messages that arrive together share a round trip, each with its own answer,
            # the repeated ones included.
            trips: list[int] = []
            fetch = db.raw_fetch

            async def counted(sql: str, *args: Any) -> list[Any]:
                trips.append(len(args[0]))
                return await fetch(sql, *args)

            db.raw_fetch = counted  # type: ignore[method-assign]
            reads = SenderReads(db, in_flight=1)
            hot = list(await asyncio.gather(*(reads(o, k) for o, k in cases + cases[::-1])))
            assert trips == [6]
            assert hot[3:] == expected[::-1]
            hot = hot[:3]
        assert hot == expected
        assert expected[1].seen is None and expected[0].seen is not None
        assert expected[0].member is not None and expected[0].dialog is not None
        assert expected[2].member is None and expected[2].union_language is not None
    finally:
        await db.dispose()


async def test_sender_reads_leave_no_message_waiting() -> None:
    """Messages arriving at every moment relative to the queries in flight (before, during,
    just as two finish together) are all answered: none waits for a query nobody starts."""
    import asyncio

    from storage.queries.sender import SenderReads

    row = {"id": None, "employee_no": None, "name": None, "role": None, "studio_id": None,
           "studio_name": None, "union_id": None, "language": None, "union_language": None,
           "state": None, "expires_at": None, "status": None, "data": None, "reply": None}

    class Answers:  # a database that answers after a few turns of the event loop
        async def raw_fetch(self, _sql: str, openids: list[str], _keys: list[str]) -> list[Any]:
            for _ in range(len(openids) % 3):
                await asyncio.sleep(0)
            return [row] * len(openids)

    reads = SenderReads(Answers(), in_flight=2)  # type: ignore[arg-type]

    async def arrive(i: int, delay: int) -> None:
        for _ in range(delay):
            await asyncio.sleep(0)  # yield to the loop: arrive some turns later
        sender = await reads(f"o{i}", f"k{i}")
        assert sender.member is None

    for burst in range(1, 40):
        arrivals = [arrive(i, (i * burst) % 5) for i in range(burst % 9 + 1)]
        await asyncio.wait_for(asyncio.gather(*arrivals), 5)
    assert not reads._running and not reads._waiting
