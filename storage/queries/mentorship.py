"""Mentorship pairs as their members see them, the rule of who may be paired (the roster
import and the console share it), the pairs begun and ended, and their check-ins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import aliased

from storage.models import ROLE_ADMIN, CheckIn, Member, MentorshipPair, Studio
from storage.queries.scope import in_studio
from storage.session import Session

# Outbox kinds of the pushes a check-in causes; their period is checkin_period(id), so each
# check-in tells each person at most once (storage.queries.outbox drops a stale request).
CHECKIN_NOTICE_KIND = "checkin-notice"  # to the partner of whoever wrote the check-in
CHECKIN_CONFIRMED_KIND = "checkin-confirmed"  # to the apprentice, once the mentor confirms


def checkin_period(checkin_id: int) -> str:
    return f"checkin:{checkin_id}"


# Why a member may not be paired with a mentor: codes the roster import
# (``roster.problem.<code>``) and the console's member pages share.
MENTOR_UNKNOWN = "mentor_unknown"  # no such member
MENTOR_SELF = "mentor_self"  # one's own mentor
ADMIN_MENTOR = "admin_mentor"  # a union admin has no mentor
MENTOR_IS_ADMIN = "mentor_is_admin"  # union admins take no apprentices
MENTOR_INACTIVE = "mentor_inactive"  # a deactivated member takes no apprentices


def pairing_refusal(*, same_person: bool, apprentice_role: str, mentor_role: str,
                    mentor_active: bool = True) -> str | None:
    """Why a member may not have that mentor (a code above), or None: a pair joins two
    different active members, neither of them a union admin."""
    if same_person:
        return MENTOR_SELF
    if apprentice_role == ROLE_ADMIN:
        return ADMIN_MENTOR
    if mentor_role == ROLE_ADMIN:
        return MENTOR_IS_ADMIN
    if not mentor_active:
        return MENTOR_INACTIVE
    return None


async def end_pairs_of(session: Session, member_id: int, today: date, *,
                       as_mentor: bool = True, as_apprentice: bool = True) -> list[int]:
    """End the member's active pairs on either side asked for, as of `today`; their ids."""
    sides = [*([MentorshipPair.mentor_id == member_id] if as_mentor else []),
             *([MentorshipPair.apprentice_id == member_id] if as_apprentice else [])]
    if not sides:
        return []
    ids = list(await session.scalars(
        select(MentorshipPair.id).where(or_(*sides), MentorshipPair.end_date.is_(None))
        .order_by(MentorshipPair.id)))
    if ids:
        await session.execute(update(MentorshipPair).where(MentorshipPair.id.in_(ids))
                              .values(end_date=today)
                              .execution_options(synchronize_session=False))
    return ids


async def begin_pair(session: Session, mentor_id: int, apprentice_id: int, today: date) -> int:
    """A new active pair from `today`; its id."""
    pair = MentorshipPair(mentor_id=mentor_id, apprentice_id=apprentice_id, start_date=today)
    session.add(pair)
    await session.flush()
    return pair.id


async def end_pairs_with_admins(session: Session, today: date) -> int:
    """End every active pair one side of which is a union admin now (a roster made them
    one); how many."""
    admins = select(Member.id).where(Member.role == ROLE_ADMIN)
    result = await session.execute(
        update(MentorshipPair)
        .where(MentorshipPair.end_date.is_(None),
               or_(MentorshipPair.mentor_id.in_(admins), MentorshipPair.apprentice_id.in_(admins)))
        .values(end_date=today).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class PairView:
    pair_id: int
    side: str  # the viewer's side: "mentor" or "apprentice"
    partner_id: int
    partner_name: str


async def active_pairs_of(session: Session, member_id: int) -> list[PairView]:
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


async def in_a_pair(session: Session, member_id: int) -> bool:
    """Whether the member is on either side of an active pair: one query, on the indexes of
    both sides."""
    found = await session.scalar(
        select(MentorshipPair.id)
        .where(or_(MentorshipPair.mentor_id == member_id,
                   MentorshipPair.apprentice_id == member_id),
               MentorshipPair.end_date.is_(None))
        .limit(1))
    return found is not None


@dataclass(frozen=True)
class PairRow:
    """One pair with both names, as the rules about it need them."""

    pair_id: int
    mentor_id: int
    mentor_name: str
    apprentice_id: int
    apprentice_name: str
    active: bool  # not ended


async def pair_row(session: Session, pair_id: int) -> PairRow | None:
    mentor = aliased(Member)
    apprentice = aliased(Member)
    row = (await session.execute(
        select(MentorshipPair.id, mentor.id, mentor.name, apprentice.id, apprentice.name,
               MentorshipPair.end_date)
        .join(mentor, mentor.id == MentorshipPair.mentor_id)
        .join(apprentice, apprentice.id == MentorshipPair.apprentice_id)
        .where(MentorshipPair.id == pair_id)
    )).first()
    if row is None:
        return None
    pid, mid, mname, aid, aname, ended = row
    return PairRow(pid, mid, mname, aid, aname, ended is None)


async def add_checkin(
    session: Session, *, pair_id: int, author_id: int, day: date, content: str,
    hours: float | None, now: datetime, confirmed: bool,
) -> int:
    """Write a check-in; its id."""
    checkin = CheckIn(pair_id=pair_id, author_id=author_id, checkin_date=day, content=content,
                      hours=hours, created_at=now, confirmed_at=now if confirmed else None)
    session.add(checkin)
    await session.flush()
    return checkin.id


@dataclass(frozen=True)
class CheckInView:
    checkin_id: int
    mentor_id: int
    mentor_name: str
    apprentice_id: int
    apprentice_name: str
    confirmed_at: datetime | None
    comment: str | None


async def checkin_view(session: Session, checkin_id: int) -> CheckInView | None:
    mentor = aliased(Member)
    apprentice = aliased(Member)
    row = (await session.execute(
        select(CheckIn.id, mentor.id, mentor.name, apprentice.id, apprentice.name,
               CheckIn.confirmed_at, CheckIn.comment)
        .join(MentorshipPair, MentorshipPair.id == CheckIn.pair_id)
        .join(mentor, mentor.id == MentorshipPair.mentor_id)
        .join(apprentice, apprentice.id == MentorshipPair.apprentice_id)
        .where(CheckIn.id == checkin_id)
    )).first()
    return None if row is None else CheckInView(*row)


async def mark_confirmed(session: Session, checkin_id: int, *, now: datetime,
                         comment: str | None) -> bool:
    """Confirm a check-in not yet confirmed; False if it already was (or is gone). The
    condition is in the UPDATE, so two confirmations racing cannot both count."""
    result = await session.execute(
        update(CheckIn).where(CheckIn.id == checkin_id, CheckIn.confirmed_at.is_(None))
        .values(confirmed_at=now, comment=comment)
        .execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


@dataclass(frozen=True)
class PendingCheckIn:
    checkin_id: int
    apprentice_name: str
    day: date
    hours: float | None
    content: str


async def pending_for_mentor(session: Session, mentor_id: int, *,
                             limit: int | None = None) -> tuple[list[PendingCheckIn], int]:
    """The unconfirmed check-ins of the mentor's pairs (ended pairs included: what was
    recorded still waits), oldest first, at most `limit`; and how many there are in all."""
    apprentice = aliased(Member)
    where = (MentorshipPair.mentor_id == mentor_id, CheckIn.confirmed_at.is_(None))
    rows = (await session.execute(
        select(CheckIn.id, apprentice.name, CheckIn.checkin_date, CheckIn.hours, CheckIn.content)
        .join(MentorshipPair, MentorshipPair.id == CheckIn.pair_id)
        .join(apprentice, apprentice.id == MentorshipPair.apprentice_id)
        .where(*where).order_by(CheckIn.checkin_date, CheckIn.id).limit(limit)
    )).all()
    total = int(await session.scalar(
        select(func.count(CheckIn.id)).join(MentorshipPair, MentorshipPair.id == CheckIn.pair_id)
        .where(*where)) or 0)
    return [PendingCheckIn(*row) for row in rows], total


@dataclass(frozen=True)
class CheckInStats:
    count: int
    hours: float
    confirmed: int


async def checkin_stats(session: Session, member_id: int, since: date) -> CheckInStats:
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
    mentor_name: str
    apprentice_name: str
    comment: str | None  # the mentor's, on confirming


async def checkins_between(session: Session, start: date, end: date,
                           studio_id: int | None = None) -> list[CheckInRow]:
    """Check-ins dated in [start, end), for export; the studio is the apprentice's."""
    mentor = aliased(Member)
    apprentice = aliased(Member)
    rows = (await session.execute(
        select(CheckIn.checkin_date, Studio.name, mentor.employee_no, apprentice.employee_no,
               CheckIn.content, CheckIn.hours, CheckIn.confirmed_at, mentor.name,
               apprentice.name, CheckIn.comment)
        .join(MentorshipPair, MentorshipPair.id == CheckIn.pair_id)
        .join(mentor, mentor.id == MentorshipPair.mentor_id)
        .join(apprentice, apprentice.id == MentorshipPair.apprentice_id)
        .outerjoin(Studio, Studio.id == apprentice.studio_id)
        .where(CheckIn.checkin_date >= start, CheckIn.checkin_date < end,
               *in_studio(apprentice.studio_id, studio_id))
        .order_by(CheckIn.checkin_date, CheckIn.id)
    )).all()
    return [CheckInRow(d, s or "", m, a, c, h, at is not None, mn, an, comment)
            for d, s, m, a, c, h, at, mn, an, comment in rows]
