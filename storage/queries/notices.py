"""Notices (通知) to a studio and how their deliveries went."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from storage.models import ROLE_LEADER, ROLE_MEMBER, Member, Notice, OutboxMessage
from storage.session import Session

NOTICE_KIND = "notice"


def notice_period(notice_id: int) -> str:
    return f"notice:{notice_id}"


@dataclass(frozen=True)
class Audience:
    reachable: list[int]  # bound, following, active: they get the notice
    unbound: int  # active members with no WeChat bound yet: they cannot
    unfollowed: int  # bound but no longer following the account


def _audience_filter(audience: str, studio_id: int | None) -> Any:
    """Who an audience is: a studio's members, or the union's leaders or members."""
    if audience == "studio":
        return Member.studio_id == studio_id
    if audience == "leaders":
        return Member.role == ROLE_LEADER
    return Member.role.in_((ROLE_LEADER, ROLE_MEMBER))


async def audience_of(session: Session, audience: str, studio_id: int | None,
                      sender_id: int) -> Audience:
    """Who a notice reaches: every active member of the audience except the sender."""
    rows = (await session.execute(
        select(Member.id, Member.openid, Member.subscribed)
        .where(_audience_filter(audience, studio_id), Member.active.is_(True),
               Member.id != sender_id)
        .order_by(Member.id)
    )).all()
    return Audience(
        reachable=[mid for mid, openid, sub in rows if openid is not None and sub],
        unbound=sum(1 for _, openid, _ in rows if openid is None),
        unfollowed=sum(1 for _, openid, sub in rows if openid is not None and not sub),
    )


async def studio_audience(session: Session, studio_id: int, sender_id: int) -> Audience:
    """Who a notice to the studio reaches: every active member except the sender."""
    return await audience_of(session, "studio", studio_id, sender_id)


@dataclass(frozen=True)
class Unreachable:
    unbound: list[str]  # names of active members with no WeChat bound
    unfollowed: list[str]  # names of those who stopped following the account


async def unreachable_in_studio(session: Session, studio_id: int,
                                sender_id: int) -> Unreachable:
    """Who a notice to the studio cannot reach now, by name (通知 未送达)."""
    rows = (await session.execute(
        select(Member.name, Member.openid, Member.subscribed)
        .where(Member.studio_id == studio_id, Member.active.is_(True), Member.id != sender_id)
        .order_by(Member.employee_no))).all()
    return Unreachable(unbound=[name for name, openid, _ in rows if openid is None],
                       unfollowed=[name for name, openid, sub in rows
                                   if openid is not None and not sub])


async def add_notice(session: Session, *, studio_id: int | None, author_id: int, content: str,
                     recipients: int, now: datetime, audience: str = "studio") -> Notice:
    notice = Notice(studio_id=studio_id, author_id=author_id, content=content,
                    recipients=recipients, created_at=now, audience=audience)
    session.add(notice)
    await session.flush()
    return notice


@dataclass(frozen=True)
class NoticeStatus:
    id: int
    content: str
    created_at: datetime
    recipients: int
    delivered: int
    failed: int
    waiting: int


async def recent_notices(session: Session, studio_id: int | None,
                         limit: int = 5) -> list[NoticeStatus]:
    """The studio's latest notices (None: the union's, an admin's) with their deliveries
    counted by outcome."""
    where = Notice.studio_id == studio_id if studio_id is not None else Notice.studio_id.is_(None)
    notices = list(await session.scalars(
        select(Notice).where(where)
        .order_by(Notice.created_at.desc(), Notice.id.desc()).limit(limit)))
    if not notices:
        return []
    periods = {notice_period(n.id): n.id for n in notices}
    counts: dict[int, dict[str, int]] = {n.id: {} for n in notices}
    for period, status, n in (await session.execute(
            select(OutboxMessage.period, OutboxMessage.status, func.count(OutboxMessage.id))
            .where(OutboxMessage.kind == NOTICE_KIND, OutboxMessage.period.in_(periods))
            .group_by(OutboxMessage.period, OutboxMessage.status))).all():
        counts[periods[period]][status] = int(n)
    result = []
    for notice in notices:
        c = counts[notice.id]
        result.append(NoticeStatus(
            id=notice.id, content=notice.content, created_at=notice.created_at,
            recipients=notice.recipients, delivered=c.get("sent", 0),
            failed=c.get("undeliverable", 0) + c.get("failed", 0),
            waiting=c.get("pending", 0) + c.get("in_flight", 0)))
    return result


@dataclass(frozen=True)
class NoticeRow:
    """A notice with its author's name."""

    id: int
    studio_id: int | None  # None: the union's (an admin's)
    audience: str  # storage.models.NOTICE_AUDIENCES
    author_id: int
    author: str
    content: str
    recipients: int  # queued when it was sent
    created_at: datetime


def _notice_rows() -> Any:
    return (select(Notice.id, Notice.studio_id, Notice.audience, Notice.author_id,
                   Member.name.label("author"), Notice.content, Notice.recipients,
                   Notice.created_at)
            .join(Member, Member.id == Notice.author_id))


async def notice_row(session: Session, notice_id: int) -> NoticeRow | None:
    row = (await session.execute(_notice_rows().where(Notice.id == notice_id))).first()
    return None if row is None else NoticeRow(**row._mapping)


async def notice_rows(session: Session, studio_id: int | None, *, limit: int = 20,
                      before: int | None = None) -> list[NoticeRow]:
    """The studio's notices (None: the union's), newest first; `before`: only those
    numbered below it (the next page)."""
    where = Notice.studio_id == studio_id if studio_id is not None else Notice.studio_id.is_(None)
    query = _notice_rows().where(where).order_by(Notice.id.desc()).limit(limit)
    if before is not None:
        query = query.where(Notice.id < before)
    return [NoticeRow(**row._mapping) for row in (await session.execute(query)).all()]


async def notice_deliveries(session: Session, notice_ids: list[int]
                            ) -> dict[int, dict[tuple[str, str | None, str | None], int]]:
    """For each notice, its outbox rows by (state, channel, stored reason)."""
    periods = {notice_period(i): i for i in notice_ids}
    found: dict[int, dict[tuple[str, str | None, str | None], int]] = {i: {} for i in notice_ids}
    if not periods:
        return found
    for period, status, channel, result, n in (await session.execute(
            select(OutboxMessage.period, OutboxMessage.status, OutboxMessage.channel,
                   OutboxMessage.result, func.count(OutboxMessage.id))
            .where(OutboxMessage.kind == NOTICE_KIND, OutboxMessage.period.in_(periods))
            .group_by(OutboxMessage.period, OutboxMessage.status, OutboxMessage.channel,
                      OutboxMessage.result))).all():
        found[periods[period]][(status, channel, result)] = int(n)
    return found
