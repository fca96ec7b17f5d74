"""Members: when they last wrote, what they read, and their records as the console manages
them (role, studio, active, mentor)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import aliased

from storage.models import ROLE_ADMIN, Member, MentorshipPair, Studio, TradeUnion
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


@dataclass(frozen=True)
class MemberRecord:
    """A member as the console shows and changes them: what a change's before and after
    are made of (the audit log keeps both)."""

    id: int
    employee_no: str
    name: str
    role: str  # storage.models.ROLES
    studio_id: int | None  # None: a union admin who sits in no studio
    studio: str | None  # the studio's name
    active: bool
    bound: bool  # a WeChat account is bound
    subscribed: bool  # still following the account
    phone_masked: str | None
    mentor_id: int | None  # the mentor of the member's active pair as apprentice
    mentor: str | None  # that mentor's name
    apprentice_ids: tuple[int, ...] = ()  # of the member's active pairs as mentor


def _records() -> Any:
    """Members with their studio's name (a Select)."""
    return (select(Member.id, Member.employee_no, Member.name, Member.role, Member.studio_id,
                   Studio.name, Member.active, Member.openid.is_not(None), Member.subscribed,
                   Member.phone_masked)
            .outerjoin(Studio, Studio.id == Member.studio_id))


async def _with_pairs(session: Session, rows: list[Any]) -> list[MemberRecord]:
    ids = [row[0] for row in rows]
    mentors: dict[int, tuple[int, str]] = {}
    apprentices: dict[int, list[int]] = {}
    mentor = aliased(Member)
    for start in range(0, len(ids), 5000):  # IN lists stay within every driver's limits
        some = ids[start:start + 5000]
        for apprentice_id, mentor_id, mentor_name in (await session.execute(
                select(MentorshipPair.apprentice_id, mentor.id, mentor.name)
                .join(mentor, mentor.id == MentorshipPair.mentor_id)
                .where(MentorshipPair.apprentice_id.in_(some), MentorshipPair.end_date.is_(None))
                .order_by(MentorshipPair.id))).all():
            mentors[apprentice_id] = (mentor_id, mentor_name)
        for mentor_id, apprentice_id in (await session.execute(
                select(MentorshipPair.mentor_id, MentorshipPair.apprentice_id)
                .where(MentorshipPair.mentor_id.in_(some), MentorshipPair.end_date.is_(None))
                .order_by(MentorshipPair.apprentice_id))).all():
            apprentices.setdefault(mentor_id, []).append(apprentice_id)
    records = []
    for mid, employee_no, name, role, studio_id, studio, active, bound, subscribed, phone in rows:
        mentor_id, mentor_name = mentors.get(mid, (None, None))
        records.append(MemberRecord(mid, employee_no, name, role, studio_id, studio, bool(active),
                                    bool(bound), bool(subscribed), phone, mentor_id, mentor_name,
                                    tuple(apprentices.get(mid, ()))))
    return records


async def member_record(session: Session, member_id: int) -> MemberRecord | None:
    rows = (await session.execute(_records().where(Member.id == member_id))).all()
    found = await _with_pairs(session, list(rows))
    return found[0] if found else None


async def member_records(session: Session, *, studio_id: int | None = None,
                         active: bool | None = None) -> list[MemberRecord]:
    """The members of a studio (None: the whole union), active or not as asked (None:
    both), by employee number."""
    query = _records().order_by(Member.employee_no)
    if studio_id is not None:
        query = query.where(Member.studio_id == studio_id)
    if active is not None:
        query = query.where(Member.active.is_(active))
    return await _with_pairs(session, list((await session.execute(query)).all()))


async def active_admins(session: Session) -> int:
    """How many active union admins there are."""
    return int(await session.scalar(select(func.count(Member.id)).where(
        Member.role == ROLE_ADMIN, Member.active.is_(True))) or 0)


async def set_role(session: Session, member_id: int, role: str) -> None:
    await session.execute(update(Member).where(Member.id == member_id).values(role=role)
                          .execution_options(synchronize_session=False))


async def set_studio(session: Session, member_id: int, studio_id: int | None) -> None:
    await session.execute(update(Member).where(Member.id == member_id).values(studio_id=studio_id)
                          .execution_options(synchronize_session=False))


async def set_active(session: Session, member_id: int, active: bool) -> None:
    await session.execute(update(Member).where(Member.id == member_id).values(active=active)
                          .execution_options(synchronize_session=False))


async def studio_name(session: Session, studio_id: int) -> str | None:
    return await session.scalar(select(Studio.name).where(Studio.id == studio_id))
