"""What one member's console page reads besides the member (domain.members): the names of
their apprentices and their latest records — weekly logs, check-ins, suggestions, results.

Every list is narrowed to the viewer's scope (None: the whole union), so a member who moved
into a leader's studio brings none of their old studio's records onto that leader's page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import aliased

from storage.models import Achievement, CheckIn, Member, MentorshipPair, Suggestion, WeeklyLog
from storage.queries.scope import in_studio
from storage.session import Session

RECENT = 5  # records of each kind shown


@dataclass(frozen=True)
class LogLine:
    week: str
    content: str
    hours: float | None
    late: bool
    submitted_at: datetime


@dataclass(frozen=True)
class CheckInLine:
    id: int
    day: date
    mentor: str
    apprentice: str
    content: str
    hours: float | None
    confirmed: bool


@dataclass(frozen=True)
class RecordLine:
    """A suggestion or a result: its text (a result's title), status, when."""

    id: int
    studio_id: int
    text: str
    status: str
    created_at: datetime
    type: str | None = None  # results only


@dataclass(frozen=True)
class MemberActivity:
    apprentices: tuple[tuple[int, str], ...]  # (id, name) of current pairs as mentor
    logs: list[LogLine]
    checkins: list[CheckInLine]
    suggestions: list[RecordLine]
    results: list[RecordLine]


async def member_activity(session: Session, member_id: int, scope: int | None, *,
                          limit: int = RECENT) -> MemberActivity:
    """The member's apprentices and latest records of each kind, newest first, as far as
    `scope` (the viewer's studio, None for an admin) reaches."""
    apprentices = tuple((mid, name) for mid, name in (await session.execute(
        select(Member.id, Member.name)
        .join(MentorshipPair, MentorshipPair.apprentice_id == Member.id)
        .where(MentorshipPair.mentor_id == member_id, MentorshipPair.end_date.is_(None),
               *in_studio(Member.studio_id, scope))
        .order_by(Member.employee_no))).all())
    logs = [LogLine(*row) for row in (await session.execute(
        select(WeeklyLog.week, WeeklyLog.content, WeeklyLog.hours, WeeklyLog.late,
               WeeklyLog.submitted_at)
        .where(WeeklyLog.member_id == member_id, *in_studio(WeeklyLog.studio_id, scope))
        .order_by(WeeklyLog.week.desc()).limit(limit))).all()]
    mentor, apprentice = aliased(Member), aliased(Member)
    # A check-in belongs to the apprentice's studio (domain.records): the leader of that
    # studio sees it.
    checkins = [CheckInLine(cid, day, m, a, content, hours, confirmed is not None)
                for cid, day, m, a, content, hours, confirmed in (await session.execute(
                    select(CheckIn.id, CheckIn.checkin_date, mentor.name, apprentice.name,
                           CheckIn.content, CheckIn.hours, CheckIn.confirmed_at)
                    .join(MentorshipPair, MentorshipPair.id == CheckIn.pair_id)
                    .join(mentor, mentor.id == MentorshipPair.mentor_id)
                    .join(apprentice, apprentice.id == MentorshipPair.apprentice_id)
                    .where((MentorshipPair.mentor_id == member_id)
                           | (MentorshipPair.apprentice_id == member_id),
                           *in_studio(apprentice.studio_id, scope))
                    .order_by(CheckIn.checkin_date.desc(), CheckIn.id.desc())
                    .limit(limit))).all()]
    suggestions = [RecordLine(*row) for row in (await session.execute(
        select(Suggestion.id, Suggestion.studio_id, Suggestion.content, Suggestion.status,
               Suggestion.created_at)
        .where(Suggestion.member_id == member_id, *in_studio(Suggestion.studio_id, scope))
        .order_by(Suggestion.created_at.desc(), Suggestion.id.desc()).limit(limit))).all()]
    results = [RecordLine(*row) for row in (await session.execute(
        select(Achievement.id, Achievement.studio_id, Achievement.title, Achievement.status,
               Achievement.created_at, Achievement.type)
        .where(Achievement.member_id == member_id, *in_studio(Achievement.studio_id, scope))
        .order_by(Achievement.created_at.desc(), Achievement.id.desc()).limit(limit))).all()]
    return MemberActivity(apprentices, logs, checkins, suggestions, results)
