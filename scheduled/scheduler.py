"""The job table: names, schedules, working-day shifts, catch-up, and running a job once.

A job has a nominal day (e.g. every Friday) and a time of day. It runs on the first
working day on or after its nominal day — Chinese statutory calendar, holidays and
调休 make-up days included — at that time. The scheduler fires every day at each job's
time and asks :func:`due_on`; a job whose time passed while the service was down runs
at start-up if it is still within the grace window. The outbox keys make any re-run
harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Protocol

from domain import NotFound
from domain.report_links import LinkBook
from locales import Words, words_for
from scheduled.jobs.mentorship_reminder import mentorship_reminder
from scheduled.jobs.monthly_summary import monthly_summary
from scheduled.jobs.quarterly_review import quarterly_review
from scheduled.jobs.report import JobReport
from scheduled.jobs.weekly_leader_digest import weekly_leader_digest
from scheduled.jobs.weekly_log_reminder import weekly_log_reminder
from storage.calendar import iso_week, previous_week
from storage.db import Database
from storage.indicators import DEFAULT_WEIGHTS
from storage.queries.jobs import RunView, last_runs, mark_manual, period_done, runs_of
from storage.queries.outbox import outbox_counts_of
from storage.session import Session

log = logging.getLogger(__name__)

GRACE = timedelta(hours=6)
QUARTER_MONTHS = (1, 4, 7, 10)
LOOKBACK_DAYS = 14  # the longest holiday (Spring Festival) plus margin

class JobFn(Protocol):
    """A job. Every job gets the indicator weights (the monthly summary and the quarterly
    review score with them) and the report links' book (the summaries and the digest link
    their pages; without one, their pushes carry no link)."""

    def __call__(self, db: Database, now: datetime, tz: tzinfo, weights: Mapping[str, float],
                 /, *, links: LinkBook | None = None) -> Awaitable[JobReport]: ...


def is_workday(day: date) -> bool:
    """Statutory working day; weekdays where the calendar has no data for the year."""
    import chinese_calendar

    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        log.warning("no statutory calendar for %s; treating Monday–Friday as working days",
                    day.year)
        return day.weekday() < 5


@dataclass(frozen=True)
class When:
    """A job's nominal days: which days it is meant for, and how the catalog words them
    (job.when.<kind>)."""

    kind: str  # "weekday" (day 0–6, Monday first), "month_day" (day 1–28) or "quarter"
    day: int = 0

    def __call__(self, day: date) -> bool:
        """Whether `day` is one of the nominal days."""
        if self.kind == "weekday":
            return day.weekday() == self.day
        if self.kind == "month_day":
            return day.day == self.day
        return day.day == 1 and day.month in QUARTER_MONTHS

    def words(self, words: Words) -> str:
        if self.kind == "weekday":
            return words("job.when.weekday", day=words(f"job.weekday.{self.day}"))
        if self.kind == "month_day":
            return words("job.when.month_day", day=self.day)
        return words("job.when.quarter")


@dataclass(frozen=True)
class JobSpec:
    name: str
    when: When  # the days it is meant for
    at: time  # local time of day
    run: JobFn
    period: Callable[[date], str]  # the period a run on that local day is for

    def description(self, words: Words) -> str:
        """What the job does (job.<name>.description)."""
        return words(f"job.{self.name.replace('-', '_')}.description")

    def schedule_in(self, words: Words) -> str:
        """「每周五 16:00（遇节假日顺延到下一个工作日）」."""
        return words("job.schedule", when=self.when.words(words), at=f"{self.at:%H:%M}")

    @property
    def schedule(self) -> str:
        """The schedule as the union office reads it by default (zh-CN)."""
        return self.schedule_in(words_for(None))


def month_of(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def previous_month(day: date) -> str:
    first = day.replace(day=1) - timedelta(days=1)
    return month_of(first)


def previous_quarter(day: date) -> str:
    q = (day.month - 1) // 3  # 0-based quarter of `day`; the one before it is reviewed
    year, q = (day.year - 1, 4) if q == 0 else (day.year, q)
    return f"{year}-Q{q}"


def due_on(spec: JobSpec, day: date) -> bool:
    """Whether `day` is the working day a nominal day of `spec` lands on."""
    if not is_workday(day):
        return False
    for back in range(LOOKBACK_DAYS):
        candidate = day - timedelta(days=back)
        if back and is_workday(candidate):
            return False  # an earlier working day already took the nominal day
        if spec.when(candidate):
            return True
    return False


def next_run(spec: JobSpec, after: datetime, tz: tzinfo) -> datetime:
    local = after.astimezone(tz)
    day = local.date()
    for _ in range(LOOKBACK_DAYS * 4):
        at = datetime.combine(day, spec.at, tz)
        if at > local and due_on(spec, day):
            return at
        day += timedelta(days=1)
    raise RuntimeError(f"no run of {spec.name} in the next {LOOKBACK_DAYS * 4} days")


JOBS: dict[str, JobSpec] = {
    spec.name: spec
    for spec in (
        JobSpec("weekly-log-reminder", When("weekday", 4), time(16, 0), weekly_log_reminder,
                iso_week),
        JobSpec("weekly-leader-digest", When("weekday", 0), time(9, 0), weekly_leader_digest,
                lambda day: previous_week(iso_week(day))),
        JobSpec("mentorship-reminder", When("weekday", 2), time(10, 0), mentorship_reminder,
                iso_week),
        JobSpec("monthly-summary", When("month_day", 1), time(9, 0), monthly_summary,
                previous_month),
        JobSpec("quarterly-review", When("quarter"), time(9, 30), quarterly_review,
                previous_quarter),
    )
}


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_schedule(text: str) -> tuple[When, time]:
    """ "fri 16:00", "15 09:00" (day of month, 1–28) or "quarter 09:30" → the days and time.

    Raises ValueError with a message fit for the operator."""
    try:
        when, at = text.strip().lower().split()
        hour, minute = (int(x) for x in at.split(":"))
        moment = time(hour, minute)
    except ValueError:
        raise ValueError(f"{text!r}: expected e.g. 'fri 16:00', '1 09:00' or 'quarter 09:30'") \
            from None
    if when in _WEEKDAYS:
        return When("weekday", _WEEKDAYS.index(when)), moment
    if when == "quarter":
        return When("quarter"), moment
    if when.isdigit() and 1 <= int(when) <= 28:
        return When("month_day", int(when)), moment
    raise ValueError(f"{text!r}: the day must be mon…sun, 1–28 or quarter")


def configured(schedules: dict[str, str]) -> dict[str, JobSpec]:
    """The job table with the schedules from configuration (WORKSHOP_BOT_SCHEDULE_<JOB>)."""
    jobs = dict(JOBS)
    for name, text in schedules.items():
        if name not in jobs:
            raise ValueError(f"no job named {name!r} (jobs: {', '.join(JOBS)})")
        when, at = parse_schedule(text)
        jobs[name] = replace(jobs[name], when=when, at=at)
    return jobs


async def run_job(db: Database, name: str, now: datetime, tz: tzinfo,
                  weights: Mapping[str, float] | None = None, *,
                  manual: bool = False, links: LinkBook | None = None) -> JobReport:
    """Run `name` as if at `now`, whatever its schedule; `manual`: the operator asked for it
    (`workshop-bot jobs run`), and `jobs list` says so. With `links`, the pushes that have a
    report page carry a link to it."""
    report = await JOBS[name].run(db, now, tz, weights or DEFAULT_WEIGHTS, links=links)
    if manual and report.run_id is not None:
        async with db.transaction() as session:
            await mark_manual(session, report.run_id)
    log.info("job %s for %s: queued %d, already queued %d", name, report.period, report.queued,
             report.skipped)
    return report


async def catch_up(db: Database, now: datetime, tz: tzinfo,
                   jobs: dict[str, JobSpec] | None = None,
                   weights: Mapping[str, float] | None = None,
                   links: LinkBook | None = None) -> list[JobReport]:
    """At start-up: run each job whose time today passed less than GRACE ago, unless done."""
    reports = []
    local = now.astimezone(tz)
    for spec in (jobs or JOBS).values():
        at = datetime.combine(local.date(), spec.at, tz)
        if not (due_on(spec, local.date()) and at <= local < at + GRACE):
            continue
        async with db.transaction() as session:
            if await period_done(session, spec.name, spec.period(local.date())):
                continue
        reports.append(await run_job(db, spec.name, now, tz, weights, links=links))
    return reports


@dataclass(frozen=True)
class JobListing:
    """One job as `workshop-bot jobs list` and the console's 任务 page show it; the caller
    words it (``spec.description(words)``, ``spec.schedule_in(words)``)."""

    spec: JobSpec
    next_at: datetime  # local time
    last: RunView | None  # the latest run, if any
    # The pushes of the latest run's period by state (sent, pending, undeliverable …):
    # what became of what it queued, an earlier run's of the same period included.
    delivery: Mapping[str, int] = field(default_factory=dict)


async def job_table(session: Session, now: datetime, tz: tzinfo,
                    jobs: Mapping[str, JobSpec] | None = None) -> list[JobListing]:
    """Each job with its next run, its latest one and how that one's pushes went."""
    last = await last_runs(session)
    listed = []
    for spec in (jobs or JOBS).values():
        run = last.get(spec.name)
        delivery: dict[str, int] = {}
        if run is not None:
            by = (await outbox_counts_of(session, spec.name, [run.period]))[run.period]
            for (state, _channel), n in by.items():
                delivery[state] = delivery.get(state, 0) + n
        listed.append(JobListing(spec, next_run(spec, now, tz), run, delivery))
    return listed


async def describe(db: Database, now: datetime, tz: tzinfo,
                   jobs: Mapping[str, JobSpec] | None = None) -> list[JobListing]:
    """job_table in a transaction of its own (`workshop-bot jobs list`)."""
    async with db.reader() as session:
        return await job_table(session, now, tz, jobs)


async def job_runs(session: Session, name: str, limit: int = 20) -> list[RunView]:
    """The job's latest runs, newest first. NotFound (code "unknown_job", facts: name) for a
    name that is no job."""
    if name not in JOBS:
        raise NotFound("unknown_job", name=name)
    return await runs_of(session, name, limit)


async def run_now(db: Database, name: str, now: datetime, tz: tzinfo,
                  weights: Mapping[str, float] | None = None) -> JobReport:
    """Run the job at once, whatever its schedule, as if at `now`, recorded as started by
    hand — what `workshop-bot jobs run` and the console's 任务 page do. The period is the
    one `now` falls in, and anyone an earlier run of it queued is skipped (JobReport.skipped):
    running it again never sends anyone the same push twice. The rows are queued, not sent:
    the service's delivery loop sends them (`jobs run` sends them itself). NotFound (code
    "unknown_job", facts: name) for a name that is no job."""
    if name not in JOBS:
        raise NotFound("unknown_job", name=name)
    return await run_job(db, name, now, tz, weights, manual=True)
