"""Everything the dispatcher needs before routing a delivery, in one round trip."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage.models import DialogState, InboundMessage, Member


@dataclass(frozen=True)
class StoredDialog:
    state: str
    data: dict[str, Any]
    expires_at: datetime


@dataclass(frozen=True)
class SeenDelivery:
    status: str
    reply: dict[str, Any] | None


@dataclass(frozen=True)
class Sender:
    member: Member | None
    dialog: StoredDialog | None
    seen: SeenDelivery | None  # this very delivery was handled before (a retry)


@functools.cache
def _sender_query() -> Select[Any]:
    # Built once: constructing and hashing this statement costs more than running it.
    src = select(bindparam("openid").label("openid"), bindparam("key").label("key")).subquery()
    m = Member.__table__
    d = DialogState.__table__
    i = InboundMessage.__table__
    return select(m.c.id, d.c.state, d.c.data, d.c.expires_at, i.c.status, i.c.reply).select_from(
        src.outerjoin(m, m.c.openid == src.c.openid)
        .outerjoin(d, d.c.openid == src.c.openid)
        .outerjoin(i, i.c.dedupe_key == src.c.key)
    )


async def sender_of(session: AsyncSession, openid: str, dedupe_key: str) -> Sender:
    """The member bound to `openid`, their stored dialog, and whether this delivery was seen.

    Every message starts here, so it is one Core query rather than three ORM loads; the
    Member entity (with its studio) is loaded only when the openid is bound.
    """
    conn = await session.connection()
    row = (await conn.execute(_sender_query(), {"openid": openid, "key": dedupe_key})).one()
    dialog = None
    if row.state is not None:
        dialog = StoredDialog(row.state, dict(row.data or {}), row.expires_at)
    seen = SeenDelivery(row.status, row.reply) if row.status is not None else None
    member = None
    if row.id is not None and seen is None:
        member = await session.get(Member, row.id, options=[joinedload(Member.studio)])
    return Sender(member=member, dialog=dialog, seen=seen)
