"""Mentorship pairs as their members see them, and their check-ins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import CheckIn, Member, MentorshipPair, Studio
from storage.queries.scope import in_studio


@dataclass(frozen=True)
class PairView:
    pair_id: int
    side: str  # the viewer's side: "mentor" or "apprentice"
    partner_id: int
    partner_name: str


async def active_pairs_of(session: AsyncSession, member_id: int) -> list[PairView]:
    other = aliased(Member)
    views: list[PairView] = []
    for side, mine, theirs in (("mentor", MentorshipPair.mentor_id, MentorshipPair.apprentice_id),
                               ("apprentice", MentorshipPair.apprentice_id,
                                MentorshipPair.mentor_id)):
        rows = (await session.execute(
            select(MentorshipPair.id, other.id, other.name)
            .join(other, other.id == theirs)
            .where(mine == member_id, MentorshipPair.end_date.is_(None))
            .order_by(other.employee_no)
        )).all()
        views += [PairView(pid, side, oid, name) for pid, oid, name in rows]
    return views


async def add_checkin(
    session: AsyncSession, *, pair_id: int, author_id: int, day: date, content: str,
    hours: float | None, now: datetime, confirmed: bool,
) -> CheckIn:
    checkin = CheckIn(pair_id=pair_id, author_id=author_id, checkin_date=day, content=content,
                      hours=hours, created_at=now, confirmed_at=now if confirmed else None)
    session.add(checkin)
    await session.flush()
    return checkin


@dataclass(frozen=True)
class CheckInView:
    checkin: CheckIn
    mentor_id: int
    apprentice_id: int
    apprentice_name: str


async def checkin_view(session: AsyncSession, checkin_id: int) -> CheckInView | None:
    apprentice = aliased(Member)
    row = (await session.execute(
        select(CheckIn, MentorshipPair.mentor_id, MentorshipPair.apprentice_id, apprentice.name)
        .join(MentorshipPair, MentorshipPair.id == CheckIn.pair_id)
        .join(apprentice, apprentice.id == MentorshipPair.apprentice_id)
        .where(CheckIn.id == checkin_id)
    )).first()
    if row is None:
        return None
    return CheckInView(row[0], row[1], row[2], row[3])


@dataclass(frozen=True)
class CheckInStats:
    count: int
    hours: float
    confirmed: int


async def checkin_stats(session: AsyncSession, member_id: int, since: date) -> CheckInStats:
    """Check-ins of every pair the member is in (either side), from `since` on."""
    row = (await session.execute(
        select(func.count(CheckIn.id), func.coalesce(func.sum(CheckIn.hours), 0.0),
               func.count(CheckIn.confirmed_at))
        .join(MentorshipPair, MentorshipPair.id == CheckIn.pair_id)
        .where((MentorshipPair.mentor_id == member_id)
               | (MentorshipPair.apprentice_id == member_id),
               CheckIn.checkin_date >= since)
    )).one()
    return CheckInStats(int(row[0]), float(row[1] or 0.0), int(row[2]))


@dataclass(frozen=True)
class CheckInRow:
    day: date
    studio: str
    mentor_employee_no: str
    apprentice_employee_no: str
    content: str
    hours: float | None
    confirmed: bool


async def checkins_between(session: AsyncSession, start: date, end: date,
                           studio_id: int | None = None) -> list[CheckInRow]:
    """Check-ins dated in [start, end), for export; the studio is the apprentice's."""
    mentor = aliased(Member)
    apprentice = aliased(Member)
    rows = (await session.execute(
        select(CheckIn.checkin_date, Studio.name, mentor.employee_no, apprentice.employee_no,
               CheckIn.content, CheckIn.hours, CheckIn.confirmed_at)
        .join(MentorshipPair, MentorshipPair.id == CheckIn.pair_id)
        .join(mentor, mentor.id == MentorshipPair.mentor_id)
        .join(apprentice, apprentice.id == MentorshipPair.apprentice_id)
        .outerjoin(Studio, Studio.id == apprentice.studio_id)
        .where(CheckIn.checkin_date >= start, CheckIn.checkin_date < end,
               *in_studio(apprentice.studio_id, studio_id))
        .order_by(CheckIn.checkin_date, CheckIn.id)
    )).all()
    return [CheckInRow(d, s or "", m, a, c, h, at is not None) for d, s, m, a, c, h, at in rows]
