"""What the report pages read beyond the month's figures (storage.queries.indicators): who
has not written, each pair's check-ins, each topic's history, the union's totals, and one
member's own records. Each is a few grouped queries, whatever the size."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from storage.models import (
    RESULT_VERIFIED,
    Achievement,
    CheckIn,
    Member,
    MentorshipPair,
    Studio,
    Suggestion,
    Topic,
    TopicProgress,
    WeeklyLog,
)
from storage.queries.topics import counted_in
from storage.queries.weekly_logs import LOG_WRITERS
from storage.session import Session


@dataclass(frozen=True)
class Missing:
    name: str
    weeks: list[str]  # of the weeks asked about, those with no log from this member


async def writers_missing(session: Session, studio_id: int, weeks: Sequence[str]
                          ) -> list[Missing]:
    """The studio's active members and leaders who owe a log for some of `weeks`, with the
    weeks they owe; in roster order."""
    writers = (await session.execute(
        select(Member.id, Member.name)
        .where(Member.studio_id == studio_id, Member.active.is_(True),
               Member.role.in_(LOG_WRITERS))
        .order_by(Member.employee_no))).all()
    logged: dict[int, set[str]] = {}
    for mid, week in (await session.execute(
            select(WeeklyLog.member_id, WeeklyLog.week)
            .join(Member, Member.id == WeeklyLog.member_id)
            .where(Member.studio_id == studio_id, WeeklyLog.week.in_(list(weeks))))).all():
        logged.setdefault(mid, set()).add(week)
    found = []
    for mid, name in writers:
        owed = [w for w in weeks if w not in logged.get(mid, set())]
        if owed:
            found.append(Missing(name, owed))
    return found


@dataclass(frozen=True)
class PairCheckIns:
    mentor: str
    apprentice: str
    checkins: int
    confirmed: int
    hours: float


async def pair_checkins(session: Session, studio_id: int, start: date, end: date
                        ) -> list[PairCheckIns]:
    """Each pair of the studio (by the apprentice's studio, as the figures count them):
    the active ones, and any ended one with check-ins dated in [start, end)."""
    mentor, apprentice = aliased(Member), aliased(Member)
    counts = (select(CheckIn.pair_id, func.count(CheckIn.id).label("n"),
                     func.count(CheckIn.confirmed_at).label("confirmed"),
                     func.coalesce(func.sum(CheckIn.hours), 0.0).label("hours"))
              .where(CheckIn.checkin_date >= start, CheckIn.checkin_date < end)
              .group_by(CheckIn.pair_id).subquery())
    rows = (await session.execute(
        select(mentor.name, apprentice.name, counts.c.n, counts.c.confirmed, counts.c.hours)
        .select_from(MentorshipPair)
        .join(mentor, mentor.id == MentorshipPair.mentor_id)
        .join(apprentice, apprentice.id == MentorshipPair.apprentice_id)
        .outerjoin(counts, counts.c.pair_id == MentorshipPair.id)
        .where(apprentice.studio_id == studio_id,
               MentorshipPair.end_date.is_(None) | counts.c.n.is_not(None))
        .order_by(MentorshipPair.id))).all()
    return [PairCheckIns(m, a, int(n or 0), int(c or 0), float(h or 0.0))
            for m, a, n, c, h in rows]


@dataclass(frozen=True)
class TopicPoint:
    at: datetime
    percent: int | None
    kind: str  # topic_progress.kind: progress or status
    status: str | None  # for a status row: the status it set


@dataclass
class TopicLine:
    id: int
    title: str
    kind: str
    status: str  # as of now
    percent: int | None  # the latest figure, as of now
    before: int | None = None  # the last figure given before the window
    points: list[TopicPoint] = field(default_factory=list)


async def topic_lines(session: Session, studio_id: int, since: datetime, until: datetime
                      ) -> list[TopicLine]:
    """The studio's topics that count in a period ending at `until`, oldest first, each
    with its history in [since, until) and the last figure given before `since`."""
    topics = (await session.execute(
        select(Topic.id, Topic.title, Topic.kind, Topic.status, Topic.percent)
        .where(Topic.studio_id == studio_id, Topic.created_at < until, counted_in(until))
        .order_by(Topic.created_at, Topic.id))).all()
    lines = {tid: TopicLine(tid, title, kind, status, percent)
             for tid, title, kind, status, percent in topics}
    if not lines:
        return []
    for tid, at, percent, kind, status in (await session.execute(
            select(TopicProgress.topic_id, TopicProgress.created_at, TopicProgress.percent,
                   TopicProgress.kind, TopicProgress.status)
            .where(TopicProgress.topic_id.in_(list(lines)), TopicProgress.created_at < until)
            .order_by(TopicProgress.created_at, TopicProgress.id))).all():
        line = lines[tid]
        if at < since:
            if percent is not None:
                line.before = int(percent)
            continue
        line.points.append(TopicPoint(at, None if percent is None else int(percent), kind,
                                      status))
    return list(lines.values())


@dataclass(frozen=True)
class Totals:
    """The union's records for a month: the month-on-month line of its page."""

    logs: int
    checkins: int
    results: int
    benefit: float  # 万元, verified results


async def union_totals(session: Session, weeks: Sequence[str], since: datetime,
                       until: datetime, start: date, end: date) -> Totals:
    """Logs for `weeks`, check-ins dated in [start, end), results reported in [since,
    until) and the benefit of those verified, across every studio: what the month's
    figures (storage.queries.indicators.studio_figures) add up to, counted alone."""
    logs = await session.scalar(
        select(func.count(WeeklyLog.id))
        .where(WeeklyLog.week.in_(list(weeks)), WeeklyLog.studio_id.is_not(None)))
    apprentice = aliased(Member)
    checkins = await session.scalar(
        select(func.count(CheckIn.id))
        .join(MentorshipPair, MentorshipPair.id == CheckIn.pair_id)
        .join(apprentice, apprentice.id == MentorshipPair.apprentice_id)
        .where(CheckIn.checkin_date >= start, CheckIn.checkin_date < end,
               apprentice.studio_id.is_not(None)))
    results, benefit = (await session.execute(
        select(func.count(Achievement.id),
               func.coalesce(func.sum(Achievement.economic_benefit)
                             .filter(Achievement.status == RESULT_VERIFIED), 0.0))
        .where(Achievement.created_at >= since, Achievement.created_at < until))).one()
    return Totals(int(logs or 0), int(checkins or 0), int(results or 0), float(benefit or 0.0))


async def studio_name(session: Session, studio_id: int) -> str | None:
    return await session.scalar(select(Studio.name).where(Studio.id == studio_id))


@dataclass(frozen=True)
class MemberCard:
    name: str
    role: str
    studio: str | None


async def member_card(session: Session, member_id: int) -> MemberCard | None:
    row = (await session.execute(
        select(Member.name, Member.role, Studio.name)
        .outerjoin(Studio, Studio.id == Member.studio_id)
        .where(Member.id == member_id))).first()
    return None if row is None else MemberCard(*row)


# A member's own page.

@dataclass(frozen=True)
class MyLog:
    week: str
    hours: float | None
    late: bool
    submitted_at: datetime


async def my_logs(session: Session, member_id: int, weeks: Sequence[str]) -> dict[str, MyLog]:
    rows = await session.execute(
        select(WeeklyLog.week, WeeklyLog.hours, WeeklyLog.late, WeeklyLog.submitted_at)
        .where(WeeklyLog.member_id == member_id, WeeklyLog.week.in_(list(weeks))))
    return {week: MyLog(week, hours, bool(late), at) for week, hours, late, at in rows.all()}


@dataclass(frozen=True)
class MyCheckIn:
    day: date
    role: str  # "mentor" or "apprentice": the member's side of the pair
    other: str  # the other side's name
    content: str
    hours: float | None
    confirmed: bool
    comment: str | None  # the mentor's, when confirming


async def my_checkins(session: Session, member_id: int, start: date, limit: int = 50
                      ) -> list[MyCheckIn]:
    """Check-ins of the member's pairs (either side) dated from `start`, newest first."""
    mentor, apprentice = aliased(Member), aliased(Member)
    rows = (await session.execute(
        select(CheckIn.checkin_date, MentorshipPair.mentor_id, mentor.name, apprentice.name,
               CheckIn.content, CheckIn.hours, CheckIn.confirmed_at, CheckIn.comment)
        .join(MentorshipPair, MentorshipPair.id == CheckIn.pair_id)
        .join(mentor, mentor.id == MentorshipPair.mentor_id)
        .join(apprentice, apprentice.id == MentorshipPair.apprentice_id)
        .where((MentorshipPair.mentor_id == member_id)
               | (MentorshipPair.apprentice_id == member_id),
               CheckIn.checkin_date >= start)
        .order_by(CheckIn.checkin_date.desc(), CheckIn.id.desc()).limit(limit))).all()
    return [MyCheckIn(day, "mentor" if mentor_id == member_id else "apprentice",
                      apprentice_name if mentor_id == member_id else mentor_name,
                      content, hours, confirmed is not None, comment)
            for day, mentor_id, mentor_name, apprentice_name, content, hours, confirmed, comment
            in rows]


@dataclass(frozen=True)
class MyProposal:
    created_at: datetime
    kind: str | None  # a result's type code; None for a suggestion
    text: str  # the suggestion, or the result's title
    status: str
    answer: str | None  # the leader's reply or note
    benefit: float | None


async def my_proposals(session: Session, member_id: int, limit: int = 30
                       ) -> tuple[list[MyProposal], list[MyProposal]]:
    """The member's suggestions and results, newest first."""
    suggestions = (await session.execute(
        select(Suggestion.created_at, Suggestion.content, Suggestion.status, Suggestion.reply)
        .where(Suggestion.member_id == member_id)
        .order_by(Suggestion.created_at.desc(), Suggestion.id.desc()).limit(limit))).all()
    results = (await session.execute(
        select(Achievement.created_at, Achievement.type, Achievement.title, Achievement.status,
               Achievement.note, Achievement.economic_benefit)
        .where(Achievement.member_id == member_id)
        .order_by(Achievement.created_at.desc(), Achievement.id.desc()).limit(limit))).all()
    return ([MyProposal(at, None, text, status, reply, None)
             for at, text, status, reply in suggestions],
            [MyProposal(at, kind, title, status, note, benefit)
             for at, kind, title, status, note, benefit in results])
