"""What the scheduled jobs ask of the database, and the record of their runs."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import aliased

from storage.models import (
    ROLE_ADMIN,
    ROLE_LEADER,
    CheckIn,
    JobRun,
    Member,
    MentorshipPair,
    Studio,
    WeeklyLog,
)
from storage.queries.members import union_language
from storage.queries.scope import in_studio
from storage.queries.weekly_logs import LOG_WRITERS
from storage.session import Session


@dataclass(frozen=True)
class Recipient:
    id: int
    name: str
    language: str | None  # the member's choice, else the union's default (None: zh-CN)


@dataclass(frozen=True)
class MissingLogs:
    reachable: list[Recipient]  # bound and following: they get a reminder
    # Expected to log, but no WeChat account is bound to them yet: (name, employee number).
    unbound: list[tuple[str, str]]


async def missing_logs_for_week(session: Session, week: str) -> MissingLogs:
    """Active members and leaders with no log for `week`, following the account or not bound."""
    logged = select(WeeklyLog.member_id).where(WeeklyLog.week == week)
    base = select(Member.id, Member.name, Member.openid, Member.language,
                  Member.employee_no).where(
        Member.active.is_(True), Member.subscribed.is_(True), Member.role.in_(LOG_WRITERS),
        Member.id.not_in(logged),
    ).order_by(Member.id)
    rows = (await session.execute(base)).all()
    default = await union_language(session)
    return MissingLogs(
        reachable=[Recipient(mid, name, language or default)
                   for mid, name, openid, language, _no in rows if openid is not None],
        unbound=[(name, employee_no)
                 for _mid, name, openid, _language, employee_no in rows if openid is None],
    )


async def start_job_run(session: Session, name: str, period: str, now: datetime) -> int:
    run = JobRun(name=name, period=period, started_at=now, queued=0, skipped=0)
    session.add(run)
    await session.flush()
    return run.id


async def finish_job_run(session: Session, run_id: int, *, queued: int, skipped: int,
                         now: datetime) -> None:
    await session.execute(
        update(JobRun).where(JobRun.id == run_id)
        .values(queued=queued, skipped=skipped, finished_at=now)
    )


async def mark_manual(session: Session, run_id: int) -> None:
    """The run was started by the operator (`jobs run`), not by the scheduler."""
    await session.execute(update(JobRun).where(JobRun.id == run_id).values(manual=True))


@dataclass(frozen=True)
class RunView:
    """One run of a job, as `jobs list` and the console's 任务 page show it."""

    id: int
    name: str
    period: str
    started_at: datetime
    finished_at: datetime | None  # None: still running, or died before it finished
    queued: int
    skipped: int  # queued by an earlier run of the same period
    manual: bool  # started by hand (`jobs run`, the console), not by the scheduler


def _run(run: JobRun) -> RunView:
    return RunView(run.id, run.name, run.period, run.started_at, run.finished_at, run.queued,
                   run.skipped, run.manual)


async def last_runs(session: Session) -> dict[str, RunView]:
    """Each job's latest run, by name."""
    latest = select(JobRun.name, func.max(JobRun.id).label("id")).group_by(JobRun.name).subquery()
    rows = await session.scalars(select(JobRun).join(latest, latest.c.id == JobRun.id))
    return {run.name: _run(run) for run in rows}


async def runs_of(session: Session, name: str, limit: int = 20) -> list[RunView]:
    """The job's latest runs, newest first."""
    rows = await session.scalars(select(JobRun).where(JobRun.name == name)
                                 .order_by(JobRun.id.desc()).limit(limit))
    return [_run(run) for run in rows]


async def period_done(session: Session, name: str, period: str) -> bool:
    found = await session.scalar(
        select(JobRun.id).where(JobRun.name == name, JobRun.period == period,
                                JobRun.finished_at.is_not(None)).limit(1)
    )
    return found is not None


@dataclass(frozen=True)
class StalePair:
    mentor_id: int
    mentor_name: str
    apprentice_id: int
    apprentice_name: str
    last_checkin: date | None
    since: date  # the last check-in, or the pairing's start when there was none


async def stale_pairs(session: Session, before: date) -> list[StalePair]:
    """Active pairs whose last check-in (or, with none, whose start) is before `before`."""
    mentor, apprentice = aliased(Member), aliased(Member)
    last = (select(CheckIn.pair_id, func.max(CheckIn.checkin_date).label("last"))
            .group_by(CheckIn.pair_id).subquery())
    rows = (await session.execute(
        select(mentor.id, mentor.name, apprentice.id, apprentice.name, last.c.last,
               MentorshipPair.start_date)
        .join(mentor, mentor.id == MentorshipPair.mentor_id)
        .join(apprentice, apprentice.id == MentorshipPair.apprentice_id)
        .outerjoin(last, last.c.pair_id == MentorshipPair.id)
        .where(MentorshipPair.end_date.is_(None),
               func.coalesce(last.c.last, MentorshipPair.start_date) < before)
        .order_by(MentorshipPair.id)
    )).all()
    return [StalePair(m, mn, a, an, lc, lc or start) for m, mn, a, an, lc, start in rows]


async def reachable_members(session: Session, ids: set[int]) -> dict[int, str | None]:
    """Of `ids`, the active members who follow the account with a bound WeChat, each with
    the language their pushes are written in (their own choice, else the union's default;
    None: zh-CN)."""
    if not ids:
        return {}
    default = await union_language(session)
    found: dict[int, str | None] = {}
    wanted = sorted(ids)
    for start in range(0, len(wanted), 5000):  # IN lists stay within every driver's limits
        rows = await session.execute(
            select(Member.id, Member.language)
            .where(Member.id.in_(wanted[start:start + 5000]), Member.active.is_(True),
                   Member.subscribed.is_(True), Member.openid.is_not(None)))
        found.update({mid: language or default for mid, language in rows.all()})
    return found


@dataclass
class StudioWeek:
    studio_id: int
    studio: str
    leaders: list[int]
    submitted: int
    expected: int
    missing: list[str]
    checkins: int


async def studio_weeks(session: Session, week: str, start: date, end: date
                       ) -> list[StudioWeek]:
    """Per studio, for a leader's digest: submissions for `week`, who is missing, and the
    check-ins dated in [start, end). A few grouped queries, however many studios."""
    logged = select(WeeklyLog.member_id).where(WeeklyLog.week == week).subquery()
    writers = (await session.execute(
        select(Member.studio_id, Member.name, Member.role, Member.id, logged.c.member_id)
        .outerjoin(logged, logged.c.member_id == Member.id)
        .where(Member.active.is_(True), Member.studio_id.is_not(None),
               Member.role.in_(LOG_WRITERS))
        .order_by(Member.studio_id, Member.employee_no)
    )).all()
    apprentice = aliased(Member)
    checkins = dict((await session.execute(
        select(apprentice.studio_id, func.count(CheckIn.id))
        .join(MentorshipPair, MentorshipPair.id == CheckIn.pair_id)
        .join(apprentice, apprentice.id == MentorshipPair.apprentice_id)
        .where(CheckIn.checkin_date >= start, CheckIn.checkin_date < end)
        .group_by(apprentice.studio_id)
    )).all())
    names = dict((await session.execute(select(Studio.id, Studio.name))).all())
    by_studio: dict[int, StudioWeek] = {}
    for studio_id, name, role, member_id, logged_id in writers:
        sw = by_studio.get(studio_id)
        if sw is None:
            sw = by_studio[studio_id] = StudioWeek(studio_id, names[studio_id], [], 0, 0, [],
                                                   int(checkins.get(studio_id, 0)))
        if role == ROLE_LEADER:
            sw.leaders.append(member_id)
        sw.expected += 1
        if logged_id is None:
            sw.missing.append(name)
        else:
            sw.submitted += 1
    return list(by_studio.values())


@dataclass
class StudioMonth:
    studio_id: int
    studio: str
    leaders: list[int] = field(default_factory=list)
    writers: int = 0
    logs: int = 0
    hours: float = 0.0
    checkins: int = 0
    confirmed: int = 0
    top: list[tuple[str, int]] = field(default_factory=list)  # (name, logs + check-ins)
    members: int = 0  # active members of any role
    bound: int = 0  # of those, with WeChat bound
    pairs: int = 0  # active mentorship pairs (by the apprentice's studio)
    by_week: dict[str, tuple[int, float]] = field(default_factory=dict)  # (logs, hours) per week

    def expected(self, weeks: int) -> int:
        return self.writers * weeks

    def rate(self, weeks: int) -> float:
        expected = self.expected(weeks)
        return self.logs / expected if expected else 0.0


async def studio_months(session: Session, weeks: list[str], start: date, end: date,
                        top: int = 3, studio_id: int | None = None,
                        leaders: bool = True) -> dict[int, StudioMonth]:
    """Per studio for a month: writers, logs and hours for its ISO weeks, check-ins dated in
    [start, end) and how many were confirmed, the most active members, head counts and
    active pairs. A fixed number of grouped queries whatever the number of studios."""
    # With studio_id, every query reads only that studio's rows (a leader's 统计). Core, not
    # the ORM: for 2,000 studios the ORM's row handling cost more than the queries.
    conn = await session.connection()
    studios = {sid: StudioMonth(sid, name) for sid, name in
               (await conn.execute(select(Studio.id, Studio.name)
                                      .where(*in_studio(Studio.id, studio_id)))).all()}
    # Head counts grouped in the database (not 50,000 member rows read into Python: the
    # console's 总览 and studio list ask this on every view); the leaders by id.
    for sid, n, bound, writers in (await conn.execute(
            select(Member.studio_id, func.count(Member.id), func.count(Member.openid),
                   func.count(case((Member.role.in_(LOG_WRITERS), Member.id))))
            .where(Member.active.is_(True), Member.studio_id.is_not(None),
                   *in_studio(Member.studio_id, studio_id))
            .group_by(Member.studio_id))).all():
        if sid in studios:
            month = studios[sid]
            month.members, month.bound, month.writers = int(n), int(bound), int(writers)
    for sid, mid in (await conn.execute(
            select(Member.studio_id, Member.id)
            .where(Member.active.is_(True), Member.role == ROLE_LEADER,
                   *in_studio(Member.studio_id, studio_id))
            .order_by(Member.id))).all() if leaders else ():
        if sid in studios:
            studios[sid].leaders.append(mid)
    pair_apprentice = aliased(Member)
    for sid, n in (await conn.execute(
            select(pair_apprentice.studio_id, func.count(MentorshipPair.id))
            .join(pair_apprentice, pair_apprentice.id == MentorshipPair.apprentice_id)
            .where(MentorshipPair.end_date.is_(None), *in_studio(pair_apprentice.studio_id, studio_id))
            .group_by(pair_apprentice.studio_id))).all():
        if sid in studios:
            studios[sid].pairs = int(n)
    # Week by week (the report pages draw them), in the order of the (week, studio, hours)
    # index, which answers this without reading the table.
    for week, sid, n, hours in (await conn.execute(
            select(WeeklyLog.week, WeeklyLog.studio_id, func.count(WeeklyLog.id),
                   func.coalesce(func.sum(WeeklyLog.hours), 0.0))
            .where(WeeklyLog.week.in_(weeks), WeeklyLog.studio_id.is_not(None),
                   *in_studio(WeeklyLog.studio_id, studio_id))
            .group_by(WeeklyLog.week, WeeklyLog.studio_id))).all():
        found = studios.get(sid)
        if found is not None:
            found.by_week[week] = (int(n), float(hours or 0.0))
            found.logs += int(n)
            found.hours += float(hours or 0.0)
    apprentice = aliased(Member)
    for sid, n, confirmed in (await conn.execute(
            select(apprentice.studio_id, func.count(CheckIn.id), func.count(CheckIn.confirmed_at))
            .join(MentorshipPair, MentorshipPair.id == CheckIn.pair_id)
            .join(apprentice, apprentice.id == MentorshipPair.apprentice_id)
            .where(CheckIn.checkin_date >= start, CheckIn.checkin_date < end,
                   *in_studio(apprentice.studio_id, studio_id))
            .group_by(apprentice.studio_id))).all():
        if sid in studios:
            studios[sid].checkins, studios[sid].confirmed = int(n), int(confirmed)
    if top:
        await _most_active(session, studios, weeks, start, end, top)
    return studios


async def _most_active(session: Session, studios: dict[int, StudioMonth], weeks: list[str],
                       start: date, end: date, top: int) -> None:
    conn = await session.connection()
    activity: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for sid, name, n in (await conn.execute(
            select(Member.studio_id, Member.name, func.count(WeeklyLog.id))
            .join(WeeklyLog, WeeklyLog.member_id == Member.id)
            .where(WeeklyLog.week.in_(weeks), Member.studio_id.is_not(None))
            .group_by(Member.studio_id, Member.id, Member.name))).all():
        if sid is not None:
            activity[sid][name] += int(n)
    for sid, name, n in (await conn.execute(
            select(Member.studio_id, Member.name, func.count(CheckIn.id))
            .join(CheckIn, CheckIn.author_id == Member.id)
            .where(CheckIn.checkin_date >= start, CheckIn.checkin_date < end,
                   Member.studio_id.is_not(None))
            .group_by(Member.studio_id, Member.id, Member.name))).all():
        if sid is not None:
            activity[sid][name] += int(n)
    for sid, counts in activity.items():
        if sid in studios:
            studios[sid].top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]


async def admin_ids(session: Session) -> list[int]:
    rows = await session.scalars(
        select(Member.id).where(Member.role == ROLE_ADMIN, Member.active.is_(True),
                                Member.subscribed.is_(True), Member.openid.is_not(None))
    )
    return list(rows)
