"""The inbound-message log: de-duplication keys and the replies given."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboundMessage

# One statement object for every message: building it anew each time costs more than running it.
_INSERT = insert(InboundMessage)


async def inbound_by_key(session: AsyncSession, dedupe_key: str) -> InboundMessage | None:
    result = await session.execute(
        select(InboundMessage).where(InboundMessage.dedupe_key == dedupe_key)
    )
    return result.scalar_one_or_none()


async def record_inbound(
    session: AsyncSession,
    *,
    dedupe_key: str,
    openid: str,
    msg_type: str,
    event: str | None,
    content: str | None,
    received_at: datetime,
    status: str,
    reply: dict[str, Any] | None,
) -> None:
    """Raises IntegrityError if this delivery was recorded already (by another process)."""
    conn = await session.connection()
    await conn.execute(
        _INSERT,
        {
            "dedupe_key": dedupe_key,
            "openid": openid,
            "msg_type": msg_type,
            "event": event,
            "content": content,
            "received_at": received_at,
            "status": status,
            "reply": reply,
        },
    )


async def mark_inbound_deferred(session: AsyncSession, dedupe_key: str) -> None:
    await session.execute(
        update(InboundMessage)
        .where(InboundMessage.dedupe_key == dedupe_key)
        .values(status="deferred")
    )
