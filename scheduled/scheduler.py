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
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo

from scheduled.jobs.mentorship_reminder import mentorship_reminder
from scheduled.jobs.monthly_summary import monthly_summary
from scheduled.jobs.quarterly_review import quarterly_review
from scheduled.jobs.report import JobReport
from scheduled.jobs.weekly_leader_digest import weekly_leader_digest
from scheduled.jobs.weekly_log_reminder import weekly_log_reminder
from storage.calendar import iso_week, previous_week
from storage.db import Database
from storage.indicators import DEFAULT_WEIGHTS
from storage.queries.jobs import last_runs, period_done

log = logging.getLogger(__name__)

GRACE = timedelta(hours=6)
LOOKBACK_DAYS = 14  # the longest holiday (Spring Festival) plus margin

# Every job gets the indicator weights; the monthly summary and the quarterly review score with them.
JobFn = Callable[[Database, datetime, tzinfo, Mapping[str, float]], Awaitable[JobReport]]


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
class JobSpec:
    name: str
    description: str
    nominal: Callable[[date], bool]  # the days it is meant for
    when: str  # the same, in words
    at: time  # local time of day
    run: JobFn
    period: Callable[[date], str]  # the period a run on that local day is for

    @property
    def schedule(self) -> str:
        return f"{self.when} {self.at:%H:%M}（遇节假日顺延到下一个工作日）"


def weekday(n: int) -> Callable[[date], bool]:
    return lambda day: day.weekday() == n


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
        if spec.nominal(candidate):
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
        JobSpec("weekly-log-reminder", "提醒本周还没交周报的成员", weekday(4), "每周五",
                time(16, 0), weekly_log_reminder, iso_week),
        JobSpec("weekly-leader-digest", "给领衔人发上周周报提交情况和师徒打卡", weekday(0),
                "每周一", time(9, 0), weekly_leader_digest,
                lambda day: previous_week(iso_week(day))),
        JobSpec("mentorship-reminder", "提醒两周没有打卡的师徒双方", weekday(2), "每周三",
                time(10, 0), mentorship_reminder, iso_week),
        JobSpec("monthly-summary", "给领衔人发工作室月报，给管理员发全会月报和排名",
                lambda day: day.day == 1, "每月 1 日", time(9, 0), monthly_summary,
                previous_month),
        JobSpec("quarterly-review", "给管理员发季度评估：得分、星级和需要关注的工作室",
                lambda day: day.day == 1 and day.month in (1, 4, 7, 10), "每季度第一天",
                time(9, 30), quarterly_review, previous_quarter),
    )
}


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_schedule(text: str) -> tuple[Callable[[date], bool], str, time]:
    """ "fri 16:00", "15 09:00" (day of month, 1–28) or "quarter 09:30" → nominal, words, time.

    Raises ValueError with a message fit for the operator."""
    try:
        when, at = text.strip().lower().split()
        hour, minute = (int(x) for x in at.split(":"))
        moment = time(hour, minute)
    except ValueError:
        raise ValueError(f"{text!r}: expected e.g. 'fri 16:00', '1 09:00' or 'quarter 09:30'") \
            from None
    if when in _WEEKDAYS:
        n = _WEEKDAYS.index(when)
        return weekday(n), "每周" + "一二三四五六日"[n], moment
    if when == "quarter":
        return (lambda day: day.day == 1 and day.month in (1, 4, 7, 10)), "每季度第一天", moment
    if when.isdigit() and 1 <= int(when) <= 28:
        d = int(when)
        return (lambda day: day.day == d), f"每月 {d} 日", moment
    raise ValueError(f"{text!r}: the day must be mon…sun, 1–28 or quarter")


def configured(schedules: dict[str, str]) -> dict[str, JobSpec]:
    """The job table with the schedules from configuration (WORKSHOP_BOT_SCHEDULE_<JOB>)."""
    jobs = dict(JOBS)
    for name, text in schedules.items():
        if name not in jobs:
            raise ValueError(f"no job named {name!r} (jobs: {', '.join(JOBS)})")
        nominal, when, at = parse_schedule(text)
        jobs[name] = replace(jobs[name], nominal=nominal, when=when, at=at)
    return jobs


async def run_job(db: Database, name: str, now: datetime, tz: tzinfo,
                  weights: Mapping[str, float] | None = None) -> JobReport:
    """Run `name` as if at `now`, whatever its schedule (`workshop-bot jobs run`)."""
    report = await JOBS[name].run(db, now, tz, weights or DEFAULT_WEIGHTS)
    log.info("job %s for %s: queued %d, already queued %d", name, report.period, report.queued,
             report.skipped)
    return report


async def catch_up(db: Database, now: datetime, tz: tzinfo,
                   jobs: dict[str, JobSpec] | None = None,
                   weights: Mapping[str, float] | None = None) -> list[JobReport]:
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
        reports.append(await run_job(db, spec.name, now, tz, weights))
    return reports


async def describe(db: Database, now: datetime, tz: tzinfo,
                   jobs: dict[str, JobSpec] | None = None) -> list[tuple[str, str, str, str]]:
    """(name, schedule, next run, last run) for `workshop-bot jobs list`."""
    async with db.transaction() as session:
        last = await last_runs(session)
    rows = []
    for spec in (jobs or JOBS).values():
        run = last.get(spec.name)
        last_text = "从未运行" if run is None else (
            f"{run.started_at.astimezone(tz):%Y-%m-%d %H:%M} {run.period}，排队 {run.queued}")
        rows.append((spec.name, spec.schedule, f"{next_run(spec, now, tz):%Y-%m-%d %H:%M}",
                     last_text))
    return rows
