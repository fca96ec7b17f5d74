"""The web console's sign-in links and sessions, looked up by the hash of their token."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import ColumnElement, exists, func, select, update
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import (
    ROUND_FINALISED,
    ConsoleLink,
    ConsoleSession,
    Member,
    RatingExpert,
    RatingRound,
    Studio,
    TradeUnion,
)
from storage.session import Session


async def add_link(session: Session, *, token_hash: str, member_id: int, via: str,
                   now: datetime, expires_at: datetime) -> int:
    link = ConsoleLink(token_hash=token_hash, member_id=member_id, via=via, created_at=now,
                       expires_at=expires_at)
    session.add(link)
    await session.flush()
    return link.id


async def link_by_hash(session: Session, token_hash: str) -> ConsoleLink | None:
    return await session.scalar(select(ConsoleLink).where(ConsoleLink.token_hash == token_hash))


async def use_link(session: Session, link_id: int, now: datetime) -> bool:
    """Mark the link used; False when it was used already. The condition is in the UPDATE,
    so two browsers opening one link at once cannot both sign in."""
    result = await session.execute(
        update(ConsoleLink).where(ConsoleLink.id == link_id, ConsoleLink.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


async def add_session(session: Session, *, token_hash: str, member_id: int,
                      link_id: int | None, now: datetime) -> int:
    row = ConsoleSession(token_hash=token_hash, member_id=member_id, link_id=link_id,
                         created_at=now, last_seen_at=now)
    session.add(row)
    await session.flush()
    return row.id


def _reviewing(member_id: InstrumentedAttribute[int] | int) -> ColumnElement[bool]:
    """Whether the member is an expert of a rating round not finalised yet (open, or in
    its 公示): what lets a member who is neither admin nor leader into the console."""
    return exists().where(RatingExpert.member_id == member_id,
                          RatingRound.id == RatingExpert.round_id,
                          RatingRound.status != ROUND_FINALISED)


async def reviewing(session: Session, member_id: int) -> bool:
    return bool(await session.scalar(select(_reviewing(member_id))))


@dataclass(frozen=True)
class SessionMember:
    """A console session with what the console needs of its member."""

    session_id: int
    last_seen_at: datetime
    ended_at: datetime | None
    member_id: int
    name: str
    role: str
    active: bool
    studio_id: int | None
    studio_name: str | None
    language: str | None  # the member's choice, else the union's default (None: zh-CN)
    expert: bool  # an expert of a round under way (domain.rating)


_UNION_LANGUAGE = (select(TradeUnion.language).where(TradeUnion.parent_id.is_(None))
                   .order_by(TradeUnion.id).limit(1).scalar_subquery())


async def session_by_hash(session: Session, token_hash: str) -> SessionMember | None:
    """The session and its member in one query (every console request asks it)."""
    row = (await session.execute(
        select(ConsoleSession.id, ConsoleSession.last_seen_at, ConsoleSession.ended_at,
               Member.id, Member.name, Member.role, Member.active, Member.studio_id,
               Studio.name, func.coalesce(Member.language, _UNION_LANGUAGE),
               _reviewing(Member.id))
        .join(Member, Member.id == ConsoleSession.member_id)
        .outerjoin(Studio, Studio.id == Member.studio_id)
        .where(ConsoleSession.token_hash == token_hash))).first()
    if row is None:
        return None
    found = SessionMember(*row)
    return replace(found, expert=bool(found.expert))  # SQLite answers EXISTS with 0 or 1


async def touch_session(session: Session, session_id: int, now: datetime) -> None:
    await session.execute(
        update(ConsoleSession).where(ConsoleSession.id == session_id,
                                     ConsoleSession.ended_at.is_(None))
        .values(last_seen_at=now).execution_options(synchronize_session=False))


async def end_session(session: Session, session_id: int, now: datetime, reason: str) -> bool:
    """End a session still open; False when there is none such."""
    result = await session.execute(
        update(ConsoleSession).where(ConsoleSession.id == session_id,
                                     ConsoleSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason).execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


@dataclass(frozen=True)
class SessionRow:
    id: int
    name: str
    employee_no: str
    role: str
    via: str | None  # how its link was asked for (chat, cli)
    created_at: datetime
    last_seen_at: datetime
    ended_at: datetime | None
    end_reason: str | None


async def sessions_listed(session: Session, *, open_since: datetime | None,
                          limit: int = 100) -> list[SessionRow]:
    """The newest sessions first; with `open_since`, only those not ended and seen since."""
    query = (select(ConsoleSession.id, Member.name, Member.employee_no, Member.role,
                    ConsoleLink.via, ConsoleSession.created_at, ConsoleSession.last_seen_at,
                    ConsoleSession.ended_at, ConsoleSession.end_reason)
             .join(Member, Member.id == ConsoleSession.member_id)
             .outerjoin(ConsoleLink, ConsoleLink.id == ConsoleSession.link_id)
             .order_by(ConsoleSession.id.desc()).limit(limit))
    if open_since is not None:
        query = query.where(ConsoleSession.ended_at.is_(None),
                            ConsoleSession.last_seen_at >= open_since)
    return [SessionRow(*row) for row in (await session.execute(query)).all()]


async def session_member_id(session: Session, session_id: int) -> int | None:
    return await session.scalar(
        select(ConsoleSession.member_id).where(ConsoleSession.id == session_id))
