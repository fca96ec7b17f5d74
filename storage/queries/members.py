"""Who is talking: members looked up by openid."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Member

_MEMBER = cast(Table, Member.__table__)
_TOUCH = (
    update(_MEMBER)
    .where(_MEMBER.c.id == bindparam("member_id"))
    .values(last_interaction_at=bindparam("now"))
)


async def touch_members(session: AsyncSession, last_seen: dict[int, datetime]) -> None:
    """Remember when members last wrote to us: it opens WeChat's 48-hour reply window."""
    if not last_seen:
        return
    conn = await session.connection()
    await conn.execute(_TOUCH, [{"member_id": k, "now": v} for k, v in last_seen.items()])


async def set_subscribed(session: AsyncSession, member_id: int, subscribed: bool) -> None:
    await session.execute(
        update(Member).where(Member.id == member_id).values(subscribed=subscribed)
    )
