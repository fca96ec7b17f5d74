"""Who is talking: members looked up by openid."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage.models import Member

_TOUCH = (
    update(Member)
    .where(Member.id == bindparam("member_id"))
    .values(last_interaction_at=bindparam("now"))
)


async def member_by_openid(session: AsyncSession, openid: str) -> Member | None:
    result = await session.execute(
        select(Member).options(joinedload(Member.studio)).where(Member.openid == openid)
    )
    return result.scalar_one_or_none()


async def touch_member(session: AsyncSession, member_id: int, now: datetime) -> None:
    """Remember when the member last wrote to us: it opens WeChat's 48-hour reply window."""
    conn = await session.connection()
    await conn.execute(_TOUCH, {"member_id": member_id, "now": now})


async def set_subscribed(session: AsyncSession, member_id: int, subscribed: bool) -> None:
    await session.execute(
        update(Member).where(Member.id == member_id).values(subscribed=subscribed)
    )
