"""What each report page shows, read from storage: the facts, no words.

The score is the one 排名, 统计 and the monthly summary give (storage.indicators, over
storage.queries.indicators.studio_figures); the 12-month lines read the scores recorded
when each month was summed up (storage.queries.scores), and the page's own month is worked
out live like 统计's.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from domain.weekly_logs import current_streak
from storage.calendar import (
    counted_weeks,
    iso_week,
    month_bounds,
    month_of_week,
    quarter_start,
    week_monday,
    weeks_of_month,
)
from storage.indicators import AT_RISK, FULL_MARKS, Rating, StudioFigures, ratings, stars
from storage.queries.indicators import period_instants, studio_figures
from storage.queries.members import union_name
from storage.queries.reports import (
    Missing,
    MyCheckIn,
    MyLog,
    MyProposal,
    PairCheckIns,
    TopicLine,
    Totals,
    member_card,
    my_checkins,
    my_logs,
    my_proposals,
    pair_checkins,
    topic_lines,
    union_totals,
    writers_missing,
)
from storage.queries.scores import studio_scores, union_medians
from storage.session import Session

HISTORY_MONTHS = 12  # the score line: this month and the eleven before
TOPIC_MONTHS = 6  # a topic's line: this month and the five before
BUCKET = 10  # points per bar of the union's distribution of scores


def shift_month(month: str, back: int) -> str:
    """The month `back` months before `month` (negative: after)."""
    index = int(month[:4]) * 12 + int(month[5:]) - 1 - back
    return f"{index // 12}-{index % 12 + 1:02d}"


def latest_month(today: date) -> str:
    """The latest month with a page: the one holding this week's Thursday (as 统计)."""
    return month_of_week(iso_week(today))


def valid_month(month: str, today: date) -> bool:
    try:
        month_bounds(month)
    except ValueError:
        return False
    return 1 <= int(month[5:]) <= 12 and "2000-01" <= month <= latest_month(today)


@dataclass(frozen=True)
class Part:
    """One indicator of a score: its share of the full marks and what was earned of it."""

    name: str  # indicator.<name> in the catalogs
    value: float  # 0–1
    full: float  # points it is worth
    points: float  # points earned


def parts_of(f: StudioFigures, weights: Mapping[str, float], weeks: int) -> list[Part]:
    total = sum(weights.values())
    return [Part(name, value, FULL_MARKS * weights.get(name, 0) / total,
                 FULL_MARKS * weights.get(name, 0) * value / total)
            for name, value in f.indicators(weeks).items() if weights.get(name, 0)]


def dragging(parts: list[Part]) -> Part:
    """The indicator that costs the score most points."""
    return max(parts, key=lambda p: (p.full - p.points, p.full))


@dataclass(frozen=True)
class WeekRow:
    week: str
    logs: int
    expected: int
    hours: float


@dataclass(frozen=True)
class HistoryPoint:
    month: str
    score: float | None
    median: float | None


@dataclass
class StudioMonth:
    studio_id: int
    studio: str
    month: str
    weeks: list[str]
    figures: StudioFigures
    score: float
    stars: int
    parts: list[Part]
    before: float | None  # last month's score
    week_rows: list[WeekRow]
    missing: list[Missing]
    pairs: list[PairCheckIns]
    topics: list[TopicLine]
    topics_since: datetime
    topics_until: datetime  # the month's end, or now while the month runs
    history: list[HistoryPoint]
    in_progress: bool  # the month has not ended


async def studio_month(session: Session, studio_id: int, month: str, now: datetime,
                       tz: tzinfo, weights: Mapping[str, float]) -> StudioMonth | None:
    """The studio's month as of `now`; None when there is no such studio."""
    today = now.astimezone(tz).date()
    weeks = counted_weeks(month, today)
    start, end = month_bounds(month)
    found = await studio_figures(session, weeks, start, end, tz, studio_id=studio_id)
    f = found.get(studio_id)
    if f is None:
        return None
    score = f.score(weights, len(weeks))
    before_month = shift_month(month, 1)
    months = [shift_month(month, back) for back in range(HISTORY_MONTHS - 1, -1, -1)]
    recorded = await studio_scores(session, studio_id, months)
    medians = await union_medians(session, months)
    before = recorded.get(before_month)
    if before is None:
        # Not recorded (the month was never summed up): worked out as 统计 would.
        weeks_before = weeks_of_month(before_month)
        prior = await studio_figures(session, weeks_before, *month_bounds(before_month), tz,
                                     studio_id=studio_id)
        if studio_id in prior and prior[studio_id].members:
            before = prior[studio_id].score(weights, len(weeks_before))
    recorded[month] = score  # the page's month as it stands now
    since, until = period_instants(month_bounds(shift_month(month, TOPIC_MONTHS - 1))[0], end,
                                   tz)
    return StudioMonth(
        studio_id=studio_id, studio=f.studio, month=month, weeks=weeks, figures=f,
        score=score, stars=stars(score), parts=parts_of(f, weights, len(weeks)), before=before,
        week_rows=[WeekRow(w, logs, f.writers, hours)
                   for w in weeks for logs, hours in [f.by_week.get(w, (0, 0.0))]],
        missing=await writers_missing(session, studio_id, weeks),
        pairs=await pair_checkins(session, studio_id, start, end),
        topics=await topic_lines(session, studio_id, since, until),
        topics_since=since, topics_until=min(until, now),
        history=[HistoryPoint(m, recorded.get(m), medians.get(m)) for m in months],
        in_progress=today < end)


@dataclass(frozen=True)
class AtRisk:
    studio_id: int
    studio: str
    score: float
    drag: Part  # the indicator that costs it most


@dataclass(frozen=True)
class HeatRow:
    studio_id: int
    studio: str
    rates: list[float | None]  # per week: logs / writers (None: nobody owes a log)
    mean: float


@dataclass
class UnionMonth:
    month: str
    union: str | None
    weeks: list[str]
    ranked: list[Rating]
    median: float | None
    buckets: list[int]  # studios per BUCKET points, 0–9 … 90–100
    star_counts: dict[int, int]  # stars → studios (0: below AT_RISK)
    heat: list[HeatRow]  # lowest submission first
    at_risk: list[AtRisk]  # lowest first
    totals: Totals
    totals_before: Totals
    medians: list[HistoryPoint] = field(default_factory=list)  # recorded months
    in_progress: bool = False


async def union_month(session: Session, month: str, now: datetime, tz: tzinfo,
                      weights: Mapping[str, float]) -> UnionMonth:
    """The union's month as of `now`: every studio rated as 排名 rates them."""
    today = now.astimezone(tz).date()
    weeks = counted_weeks(month, today)
    start, end = month_bounds(month)
    figures = await studio_figures(session, weeks, start, end, tz)
    ranked = ratings(figures.values(), weights, len(weeks))
    buckets = [0] * (FULL_MARKS // BUCKET)
    for r in ranked:
        buckets[min(len(buckets) - 1, int(r.score // BUCKET))] += 1
    star_counts = {n: sum(1 for r in ranked if r.stars == n) for n in (3, 2, 1, 0)}
    heat = []
    for r in ranked:
        f = figures[r.studio_id]
        cells: list[float | None] = [
            (f.by_week.get(w, (0, 0.0))[0] / f.writers) if f.writers else None for w in weeks]
        known = [c for c in cells if c is not None]
        heat.append(HeatRow(r.studio_id, r.studio, cells,
                            sum(known) / len(known) if known else 0.0))
    heat.sort(key=lambda h: (h.mean, h.studio))
    before = shift_month(month, 1)
    before_start, before_end = month_bounds(before)
    months = [shift_month(month, back) for back in range(HISTORY_MONTHS - 1, -1, -1)]
    medians = await union_medians(session, months)
    median = round(statistics.median(r.score for r in ranked), 1) if ranked else None
    if median is not None:
        medians[month] = median
    return UnionMonth(
        month=month, union=await union_name(session), weeks=weeks, ranked=ranked, median=median,
        buckets=buckets, star_counts=star_counts, heat=heat,
        at_risk=[AtRisk(r.studio_id, r.studio, r.score,
                        dragging(parts_of(figures[r.studio_id], weights, len(weeks))))
                 for r in sorted(ranked, key=lambda r: (r.score, r.studio)) if r.score < AT_RISK],
        # This month's from the figures already read, last month's counted the same way.
        totals=Totals(sum(f.logs for f in figures.values()),
                      sum(f.checkins for f in figures.values()),
                      sum(f.results for f in figures.values()),
                      sum(f.benefit_verified for f in figures.values())),
        totals_before=await union_totals(session, weeks_of_month(before),
                                         *period_instants(before_start, before_end, tz),
                                         before_start, before_end),
        medians=[HistoryPoint(m, None, medians.get(m)) for m in months],
        in_progress=today < end)


@dataclass
class MyPage:
    name: str
    role: str
    studio: str | None
    quarter_start: date
    weeks: list[tuple[str, MyLog | None]]  # this quarter's weeks so far, oldest first
    streak: int
    checkins: list[MyCheckIn]
    suggestions: list[MyProposal]
    results: list[MyProposal]


async def my_page(session: Session, member_id: int, now: datetime, tz: tzinfo) -> MyPage | None:
    today = now.astimezone(tz).date()
    card = await member_card(session, member_id)
    if card is None:
        return None
    first = quarter_start(today)
    this_week = iso_week(today)
    weeks = []
    monday = week_monday(iso_week(first))
    while monday <= today:
        week = iso_week(monday)
        # A week counts in the quarter that holds its Thursday, as in a month.
        if monday + timedelta(days=3) >= first:
            weeks.append(week)
        monday += timedelta(days=7)
    logs = await my_logs(session, member_id, weeks)
    suggestions, results = await my_proposals(session, member_id)
    return MyPage(
        name=card.name, role=card.role, studio=card.studio, quarter_start=first,
        weeks=[(w, logs.get(w)) for w in weeks],
        streak=await current_streak(session, member_id, this_week),
        checkins=await my_checkins(session, member_id, first),
        suggestions=suggestions, results=results)
