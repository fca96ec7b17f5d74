"""Who is talking: members looked up by openid."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select, update

from storage.models import Member, TradeUnion
from storage.session import Session

_MEMBER = cast(Table, Member.__table__)
_TOUCH = (
    update(_MEMBER)
    .where(_MEMBER.c.id == bindparam("member_id"))
    .values(last_interaction_at=bindparam("now"))
)


async def touch_members(session: Session, last_seen: dict[int, datetime]) -> None:
    """Remember when members last wrote to us: it opens WeChat's 48-hour reply window."""
    if not last_seen:
        return
    conn = await session.connection()
    await conn.execute(_TOUCH, [{"member_id": k, "now": v} for k, v in last_seen.items()])


async def set_subscribed(session: Session, member_id: int, subscribed: bool) -> None:
    await session.execute(
        update(Member).where(Member.id == member_id).values(subscribed=subscribed)
    )


async def union_language(session: Session) -> str | None:
    """The union's default language (on the root union), or None for zh-CN."""
    return await session.scalar(
        select(TradeUnion.language).where(TradeUnion.parent_id.is_(None))
        .order_by(TradeUnion.id).limit(1))


async def union_name(session: Session) -> str | None:
    """The root union's name (what its admins and the union-wide figures are called)."""
    return await session.scalar(
        select(TradeUnion.name).where(TradeUnion.parent_id.is_(None))
        .order_by(TradeUnion.id).limit(1))


async def languages_of(session: Session, member_ids: Iterable[int]) -> dict[int, str | None]:
    """What each member reads: their own choice, else the union's default (None: zh-CN)."""
    ids = list(member_ids)
    if not ids:
        return {}
    default = await union_language(session)
    found: dict[int, str | None] = {}
    for start in range(0, len(ids), 5000):  # IN lists stay within every driver's limits
        rows = await session.execute(select(Member.id, Member.language)
                                     .where(Member.id.in_(ids[start:start + 5000])))
        found.update({mid: language or default for mid, language in rows.all()})
    return found


async def set_member_language(session: Session, member_id: int, language: str | None) -> None:
    await session.execute(update(Member).where(Member.id == member_id).values(language=language))


async def set_union_language(session: Session, language: str | None) -> bool:
    """Set the root union's default language; False when no union exists yet."""
    root = await session.scalar(select(TradeUnion.id).where(TradeUnion.parent_id.is_(None))
                                .order_by(TradeUnion.id).limit(1))
    if root is None:
        return False
    await session.execute(update(TradeUnion).where(TradeUnion.id == root).values(language=language))
    return True
