"""The inbound-message log: de-duplication keys and the replies given."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement, Executable

from storage.db import WROTE, insert_ignoring_duplicates
from storage.driver import raw_postgres, run
from storage.inline import raw_sqlite, sqlite_datetime
from storage.models import InboundMessage
from storage.session import Session

_TABLE = cast(Table, InboundMessage.__table__)
# One statement object for every message: building it anew each time costs more than running it.
_INSERT = insert(_TABLE)


def inbound_row(
    *,
    dedupe_key: str,
    openid: str,
    msg_type: str,
    event: str | None,
    content: str | None,
    received_at: datetime,
    status: str,
    reply: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "dedupe_key": dedupe_key,
        "openid": openid,
        "msg_type": msg_type,
        "event": event,
        "content": content,
        "received_at": received_at,
        "status": status,
        "reply": reply,
    }


async def inbound_by_key(session: Session, dedupe_key: str) -> InboundMessage | None:
    return await session.scalar(
        select(InboundMessage).where(InboundMessage.dedupe_key == dedupe_key))


async def record_inbound(session: Session, row: dict[str, Any]) -> None:
    """Record one delivery in the caller's transaction.

    Raises IntegrityError if it was recorded already (by another process), which rolls
    back everything that delivery did: that is what makes a retry apply exactly once.
    """
    if raw_postgres(session) is not None:
        from asyncpg.exceptions import UniqueViolationError

        encoded = {**row, "reply": json.dumps(row["reply"]) if row["reply"] is not None else None}
        try:
            await run(session, _INSERT, encoded, _COLUMNS)
        except UniqueViolationError as exc:  # as SQLAlchemy would raise it (the caller's cue)
            raise IntegrityError(str(_INSERT), None, exc) from exc
        return
    conn = await session.connection()
    await conn.execute(_INSERT, row)


def _insert_new(dialect: str) -> Executable:
    return insert_ignoring_duplicates(_TABLE, dialect, ("dedupe_key",))


@functools.cache
def _sqlite_insert_new() -> tuple[str, tuple[str, ...]]:
    from sqlalchemy.dialects import sqlite

    stmt = cast(ClauseElement, _insert_new("sqlite"))
    compiled = cast(SQLCompiler, stmt.compile(dialect=sqlite.dialect(),
                                              column_keys=list(_COLUMNS)))
    return str(compiled), tuple(compiled.positiontup or ())


_COLUMNS = ("dedupe_key", "openid", "msg_type", "event", "content", "received_at", "status",
            "reply")


async def record_inbound_batch(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Record deliveries that changed nothing; one already recorded elsewhere is skipped.

    On the embedded SQLite the batch goes straight to sqlite3's executemany (it runs
    several times a second under load, on the event loop), with the time and JSON
    columns encoded as SQLAlchemy would.
    """
    if not rows:
        return
    conn = await session.connection()
    raw = raw_sqlite(conn)
    if raw is not None:
        sql, order = _sqlite_insert_new()
        encode: dict[str, Callable[[Any], str]] = {"received_at": sqlite_datetime,
                                                   "reply": json.dumps}
        raw.executemany(sql, [
            tuple(encode[k](r[k]) if k in encode and r[k] is not None else r[k] for k in order)
            for r in rows
        ])
        conn.info[WROTE] = True
        return
    # Dialect modules are imported on first use: the app needs only the one it runs on.
    await conn.execute(_insert_new(conn.dialect.name), list(rows))


async def mark_inbound_deferred(session: Session, dedupe_key: str) -> None:
    await session.execute(
        update(InboundMessage)
        .where(InboundMessage.dedupe_key == dedupe_key)
        .values(status="deferred")
    )
