"""The outbox: messages to people other than the sender, at most once per (kind, period, recipient)."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import Executable

from storage.models import OutboxMessage

_OUTBOX = cast(Table, OutboxMessage.__table__)


async def enqueue(
    session: AsyncSession, *, kind: str, period: str, recipient_id: int, text: str, now: datetime
) -> bool:
    """Queue a message; False if one with the same key exists (the re-run case)."""
    conn = await session.connection()
    values = {"kind": kind, "period": period, "recipient_id": recipient_id, "text": text,
              "status": "pending", "created_at": now}
    stmt: Executable
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(_OUTBOX).values(values).on_conflict_do_nothing(
            index_elements=["kind", "period", "recipient_id"])
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(_OUTBOX).values(values).on_conflict_do_nothing(
            index_elements=["kind", "period", "recipient_id"])
    result = await conn.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


async def outbox_for(session: AsyncSession, recipient_id: int) -> list[OutboxMessage]:
    rows = await session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient_id == recipient_id)
        .order_by(OutboxMessage.id)
    )
    return list(rows)
