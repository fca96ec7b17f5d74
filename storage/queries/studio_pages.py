"""What the web console's pages read: studios listed, one studio in full, what waits for a
decision. Every function takes the studio (or the viewer's scope: None for the whole union)
and narrows its query to it, so a leader's page can hold nothing of another studio."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from storage.models import (
    RESULT_REPORTED,
    ROLE_LEADER,
    Achievement,
    CheckIn,
    Member,
    MentorshipPair,
    Question,
    Studio,
    Suggestion,
    Topic,
    TopicProgress,
    WeeklyLog,
)
from storage.queries.records import ProposalRecord
from storage.queries.scope import in_studio
from storage.queries.weekly_logs import LOG_WRITERS
from storage.session import Session

SUBMITTED = "submitted"


@dataclass(frozen=True)
class StudioHead:
    id: int
    name: str
    level: str | None
    stars: int  # the union's rating on record: 0 not yet rated, else 1–3
    status: str  # a code of STUDIO_STATUSES
    leaders: tuple[str, ...]


def _contains(text: str) -> str:
    """A LIKE pattern for `text` anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def studio_heads(session: Session, *, scope: int | None, search: str = "",
                       studio_id: int | None = None, leaders: bool = True) -> list[StudioHead]:
    """The studios in scope (one, with `studio_id`) whose name holds `search`, by name,
    each with its active leaders (`leaders` False: without them, see leader_names)."""
    query = select(Studio.id, Studio.name, Studio.level, Studio.stars, Studio.status) \
        .where(*in_studio(Studio.id, scope), *in_studio(Studio.id, studio_id)) \
        .order_by(Studio.name)
    if search:
        query = query.where(func.lower(Studio.name).like(_contains(search.lower()), escape="\\"))
    rows = (await session.execute(query)).all()
    names = await leader_names(session, [r.id for r in rows]) if leaders and rows else {}
    return [StudioHead(r.id, r.name, r.level, int(r.stars or 0), r.status,
                       tuple(names.get(r.id, ()))) for r in rows]


async def leader_names(session: Session, studio_ids: list[int]) -> dict[int, list[str]]:
    """The active leaders of these studios, by employee number."""
    found: dict[int, list[str]] = defaultdict(list)
    for start in range(0, len(studio_ids), 1000):  # IN lists stay within every driver's limits
        for sid, name in (await session.execute(
                select(Member.studio_id, Member.name)
                .where(Member.role == ROLE_LEADER, Member.active.is_(True),
                       Member.studio_id.in_(studio_ids[start:start + 1000]))
                .order_by(Member.employee_no))).all():
            found[sid].append(name)
    return found


@dataclass(frozen=True)
class MemberRow:
    id: int
    name: str
    employee_no: str
    role: str
    bound: bool  # WeChat bound to the member
    subscribed: bool
    active: bool
    phone_masked: str | None
    mentors: tuple[str, ...]  # current mentors, by name
    apprentices: tuple[str, ...]


async def studio_members(session: Session, studio_id: int) -> list[MemberRow]:
    """Everyone of the studio (active first, then by employee number) with their mentors
    and apprentices in current pairs."""
    rows = (await session.execute(
        select(Member.id, Member.name, Member.employee_no, Member.role,
               Member.openid.is_not(None), Member.subscribed, Member.active, Member.phone_masked)
        .where(Member.studio_id == studio_id)
        .order_by(Member.active.desc(), Member.employee_no))).all()
    mentor, apprentice = aliased(Member), aliased(Member)
    in_the_studio = select(Member.id).where(Member.studio_id == studio_id).scalar_subquery()
    mentors: dict[int, list[str]] = defaultdict(list)
    apprentices: dict[int, list[str]] = defaultdict(list)
    for mentor_id, mentor_name, apprentice_id, apprentice_name in (await session.execute(
            select(mentor.id, mentor.name, apprentice.id, apprentice.name)
            .select_from(MentorshipPair)
            .join(mentor, mentor.id == MentorshipPair.mentor_id)
            .join(apprentice, apprentice.id == MentorshipPair.apprentice_id)
            # Pairs either side of which is in the studio, found by each side's index.
            .where(MentorshipPair.end_date.is_(None),
                   MentorshipPair.mentor_id.in_(in_the_studio)
                   | MentorshipPair.apprentice_id.in_(in_the_studio))
            .order_by(MentorshipPair.id))).all():
        mentors[apprentice_id].append(mentor_name)
        apprentices[mentor_id].append(apprentice_name)
    return [MemberRow(r[0], r[1], r[2], r[3], bool(r[4]), bool(r[5]), bool(r[6]), r[7],
                      tuple(mentors.get(r[0], ())), tuple(apprentices.get(r[0], ())))
            for r in rows]


@dataclass(frozen=True)
class PairRow:
    id: int
    mentor: str
    apprentice: str
    start_date: date
    last_checkin: date | None
    checkins: int  # in the period asked for
    confirmed: int


async def studio_pairs(session: Session, studio_id: int, start: date, end: date) -> list[PairRow]:
    """The studio's current pairs (the apprentice's studio), with their check-ins in
    [start, end) and the day of their latest check-in."""
    mentor, apprentice = aliased(Member), aliased(Member)
    pairs = (await session.execute(
        select(MentorshipPair.id, mentor.name, apprentice.name, MentorshipPair.start_date)
        .join(mentor, mentor.id == MentorshipPair.mentor_id)
        .join(apprentice, apprentice.id == MentorshipPair.apprentice_id)
        .where(MentorshipPair.end_date.is_(None), apprentice.studio_id == studio_id)
        .order_by(mentor.employee_no, apprentice.employee_no))).all()
    if not pairs:
        return []
    # Only these pairs' check-ins are read (by the pair-and-date index), not everyone's.
    in_period = (CheckIn.checkin_date >= start) & (CheckIn.checkin_date < end)
    counts = {pid: (last, int(n or 0), int(confirmed or 0)) for pid, last, n, confirmed in (
        await session.execute(
            select(CheckIn.pair_id, func.max(CheckIn.checkin_date),
                   func.count(case((in_period, CheckIn.id))),
                   func.count(case((in_period, CheckIn.confirmed_at))))
            .where(CheckIn.pair_id.in_([p[0] for p in pairs]))
            .group_by(CheckIn.pair_id))).all()}
    return [PairRow(pid, m, a, since, *counts.get(pid, (None, 0, 0)))
            for pid, m, a, since in pairs]


@dataclass(frozen=True)
class TopicRow:
    id: int
    studio_id: int
    title: str
    kind: str
    status: str
    percent: int | None
    owner: str | None
    monthly_target: str | None
    quarterly_target: str | None
    start_date: date | None
    due_date: date | None


@dataclass(frozen=True)
class TopicEvent:
    """One row of a topic's history: a progress update or a status set (kind)."""

    kind: str
    content: str
    percent: int | None
    status: str | None
    author: str
    created_at: datetime


async def studio_topics(session: Session, studio_id: int, *, history: int = 20
                        ) -> list[tuple[TopicRow, list[TopicEvent]]]:
    """The studio's live topics (paused last), each with its latest `history` rows of
    history (both kinds), newest first."""
    owner = aliased(Member)
    topics = [TopicRow(*row) for row in (await session.execute(
        select(Topic.id, Topic.studio_id, Topic.title, Topic.kind, Topic.status, Topic.percent,
               owner.name,
               Topic.monthly_target, Topic.quarterly_target, Topic.start_date, Topic.due_date)
        .outerjoin(owner, owner.id == Topic.owner_id)
        .where(Topic.studio_id == studio_id, Topic.deleted_at.is_(None))
        .order_by(Topic.status == "paused", Topic.created_at, Topic.id))).all()]
    if not topics:
        return []
    events: dict[int, list[TopicEvent]] = defaultdict(list)
    for topic_id, *rest in (await session.execute(
            select(TopicProgress.topic_id, TopicProgress.kind, TopicProgress.content,
                   TopicProgress.percent, TopicProgress.status, Member.name,
                   TopicProgress.created_at)
            .join(Member, Member.id == TopicProgress.author_id)
            .where(TopicProgress.topic_id.in_([t.id for t in topics]))
            .order_by(TopicProgress.created_at.desc(), TopicProgress.id.desc()))).all():
        if len(events[topic_id]) < history:
            events[topic_id].append(TopicEvent(*rest))
    return [(t, events.get(t.id, [])) for t in topics]


@dataclass(frozen=True)
class WeekLog:
    member_id: int
    name: str
    employee_no: str
    role: str
    content: str | None  # None: no log this week
    hours: float | None
    late: bool
    version: int
    submitted_at: datetime | None
    updated_at: datetime | None


async def studio_week_logs(session: Session, studio_id: int, week: str) -> list[WeekLog]:
    """Each active member and leader of the studio with their log of `week` in full (or
    none), then logs written in the studio that week by people since gone elsewhere."""
    log = aliased(WeeklyLog)
    rows = (await session.execute(
        select(Member.id, Member.name, Member.employee_no, Member.role, log.content, log.hours,
               log.late, log.version, log.submitted_at, log.updated_at)
        .outerjoin(log, (log.member_id == Member.id) & (log.week == week))
        .where(Member.studio_id == studio_id, Member.active.is_(True),
               Member.role.in_(LOG_WRITERS))
        .order_by(Member.employee_no))).all()
    found = [WeekLog(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), int(r[7] or 0), r[8], r[9])
             for r in rows]
    present = {w.member_id for w in found}
    for r in (await session.execute(
            select(Member.id, Member.name, Member.employee_no, Member.role, WeeklyLog.content,
                   WeeklyLog.hours, WeeklyLog.late, WeeklyLog.version, WeeklyLog.submitted_at,
                   WeeklyLog.updated_at)
            .join(Member, Member.id == WeeklyLog.member_id)
            .where(WeeklyLog.studio_id == studio_id, WeeklyLog.week == week)
            .order_by(Member.employee_no))).all():
        if r[0] not in present:
            found.append(WeekLog(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), int(r[7]),
                                 r[8], r[9]))
    return found


def _latest(model: type[Suggestion] | type[Achievement], scope: int | None,
            studio_id: int | None, status: str | None, limit: int) -> Any:
    """The ids of the latest records asked for, picked before anything is joined to them
    (so that a long list of waiting records costs no more than the few shown)."""
    query = (select(model.id).where(*in_studio(model.studio_id, scope),
                                    *in_studio(model.studio_id, studio_id))
             .order_by(model.created_at.desc(), model.id.desc()).limit(limit))
    if status is not None:
        query = query.where(model.status == status)
    return query.subquery()


async def suggestion_records(session: Session, *, scope: int | None,
                             studio_id: int | None = None, status: str | None = None,
                             limit: int = 50) -> list[ProposalRecord]:
    """Suggestions in scope (and of `studio_id`, in `status`, when given), latest first,
    with who decided them."""
    author, decider = aliased(Member), aliased(Member)
    latest = _latest(Suggestion, scope, studio_id, status, limit)
    query = (select(Suggestion.id, Suggestion.studio_id, author.id, author.name,
                    Suggestion.created_at, Suggestion.content, Suggestion.status,
                    Suggestion.reply, decider.name, Suggestion.decided_at)
             .join(latest, latest.c.id == Suggestion.id)
             .join(author, author.id == Suggestion.member_id)
             .outerjoin(decider, decider.id == Suggestion.decided_by_id)
             .order_by(Suggestion.created_at.desc(), Suggestion.id.desc()))
    return [ProposalRecord(*row) for row in (await session.execute(query)).all()]


async def result_records(session: Session, *, scope: int | None, studio_id: int | None = None,
                         status: str | None = None, limit: int = 50) -> list[ProposalRecord]:
    """Results in scope, as suggestion_records."""
    a = Achievement
    author, decider = aliased(Member), aliased(Member)
    latest = _latest(Achievement, scope, studio_id, status, limit)
    query = (select(a.id, a.studio_id, author.id, author.name, a.created_at, a.title, a.status,
                    a.note, decider.name, a.verified_at, a.type, a.economic_benefit, a.promoted)
             .join(latest, latest.c.id == a.id)
             .join(author, author.id == a.member_id)
             .outerjoin(decider, decider.id == a.verified_by_id)
             .order_by(a.created_at.desc(), a.id.desc()))
    return [ProposalRecord(*row) for row in (await session.execute(query)).all()]


async def suggestion_in_scope(session: Session, suggestion_id: int,
                              scope: int | None) -> ProposalRecord | None:
    """The suggestion, if it is within the scope (another studio's is None, as a missing one)."""
    author, decider = aliased(Member), aliased(Member)
    row = (await session.execute(
        select(Suggestion.id, Suggestion.studio_id, author.id, author.name, Suggestion.created_at,
               Suggestion.content, Suggestion.status, Suggestion.reply, decider.name,
               Suggestion.decided_at)
        .join(author, author.id == Suggestion.member_id)
        .outerjoin(decider, decider.id == Suggestion.decided_by_id)
        .where(Suggestion.id == suggestion_id, *in_studio(Suggestion.studio_id, scope)))).first()
    return None if row is None else ProposalRecord(*row)


async def result_in_scope(session: Session, result_id: int,
                          scope: int | None) -> ProposalRecord | None:
    """The result, if it is within the scope."""
    a = Achievement
    author, decider = aliased(Member), aliased(Member)
    row = (await session.execute(
        select(a.id, a.studio_id, author.id, author.name, a.created_at, a.title, a.status,
               a.note, decider.name, a.verified_at, a.type, a.economic_benefit, a.promoted)
        .join(author, author.id == a.member_id)
        .outerjoin(decider, decider.id == a.verified_by_id)
        .where(a.id == result_id, *in_studio(a.studio_id, scope)))).first()
    return None if row is None else ProposalRecord(*row)


async def topic_in_scope(session: Session, topic_id: int, scope: int | None) -> TopicRow | None:
    """A live topic, if it is within the scope, with its studio."""
    owner = aliased(Member)
    row = (await session.execute(
        select(Topic.id, Topic.studio_id, Topic.title, Topic.kind, Topic.status, Topic.percent,
               owner.name,
               Topic.monthly_target, Topic.quarterly_target, Topic.start_date, Topic.due_date)
        .outerjoin(owner, owner.id == Topic.owner_id)
        .where(Topic.id == topic_id, Topic.deleted_at.is_(None),
               *in_studio(Topic.studio_id, scope)))).first()
    return None if row is None else TopicRow(*row)


@dataclass(frozen=True)
class Waiting:
    """What waits for someone's decision, in scope."""

    suggestions: int  # submitted, undecided
    results: int  # reported, unverified
    checkins: int  # written by an apprentice, unconfirmed by the mentor
    questions: int | None  # 留言 unanswered (the union office's: None for a leader)


async def waiting(session: Session, scope: int | None) -> Waiting:
    suggestions = await session.scalar(
        select(func.count(Suggestion.id)).where(Suggestion.status == SUBMITTED,
                                                *in_studio(Suggestion.studio_id, scope)))
    results = await session.scalar(
        select(func.count(Achievement.id)).where(Achievement.status == RESULT_REPORTED,
                                                 *in_studio(Achievement.studio_id, scope)))
    apprentice = aliased(Member)
    checkins = await session.scalar(
        select(func.count(CheckIn.id))
        .join(MentorshipPair, MentorshipPair.id == CheckIn.pair_id)
        .join(apprentice, apprentice.id == MentorshipPair.apprentice_id)
        .where(CheckIn.confirmed_at.is_(None), *in_studio(apprentice.studio_id, scope)))
    questions = None if scope is not None else await session.scalar(
        select(func.count(Question.id)).where(Question.answered_at.is_(None)))
    return Waiting(int(suggestions or 0), int(results or 0), int(checkins or 0),
                   None if questions is None else int(questions))


async def studio_names(session: Session, studio_ids: list[int]) -> dict[int, str]:
    if not studio_ids:
        return {}
    rows = await session.execute(select(Studio.id, Studio.name).where(Studio.id.in_(studio_ids)))
    return {int(i): str(n) for i, n in rows.all()}
