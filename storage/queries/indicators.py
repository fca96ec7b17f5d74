"""Per-studio figures for a period: what 统计, 排名, the monthly summary and the quarterly
review read. A fixed number of grouped queries, whatever the number of studios."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from storage.calendar import counted_weeks, month_bounds
from storage.indicators import Rating, StudioFigures, ratings
from storage.models import (
    RESULT_VERIFIED,
    TOPIC_PAUSED,
    Achievement,
    CheckIn,
    Member,
    MentorshipPair,
    Suggestion,
    Topic,
    TopicProgress,
)
from storage.queries.jobs import studio_months
from storage.queries.scope import in_studio
from storage.queries.topics import counted_in
from storage.session import Session


def period_instants(start: date, end: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) in local days as aware instants, for columns stored as times."""
    return datetime.combine(start, time(), tz), datetime.combine(end, time(), tz)


async def studio_figures(session: Session, weeks: list[str], start: date, end: date,
                         tz: tzinfo, studio_id: int | None = None) -> dict[int, StudioFigures]:
    """Figures per studio for the ISO weeks `weeks` (logs) and the days [start, end)
    (everything dated); one studio when `studio_id` is given."""
    since, until = period_instants(start, end, tz)
    # Core, not the ORM: these are columns, and for 2,000 studios the ORM's row handling cost
    # more than the queries.
    conn = await session.connection()
    figures: dict[int, StudioFigures] = {}
    for key, m in (await studio_months(session, weeks, start, end, top=0,
                                       studio_id=studio_id, leaders=False)).items():
        figures[key] = StudioFigures(
            studio_id=key, studio=m.studio, members=m.members, bound=m.bound, writers=m.writers,
            logs=m.logs, log_hours=m.hours, pairs=m.pairs, checkins=m.checkins,
            checkins_confirmed=m.confirmed, by_week=m.by_week)

    apprentice = aliased(Member)
    for sid, hours in (await conn.execute(
            select(apprentice.studio_id, func.coalesce(func.sum(CheckIn.hours), 0.0))
            .join(MentorshipPair, MentorshipPair.id == CheckIn.pair_id)
            .join(apprentice, apprentice.id == MentorshipPair.apprentice_id)
            .where(CheckIn.checkin_date >= start, CheckIn.checkin_date < end,
                   *in_studio(apprentice.studio_id, studio_id))
            .group_by(apprentice.studio_id))).all():
        if sid in figures:
            figures[sid].checkin_hours = float(hours or 0.0)

    # A topic deleted since the period ended still counts in it (storage.queries.topics).
    topic_filter = in_studio(Topic.studio_id, studio_id)
    for sid, status, n in (await conn.execute(
            # Topics that existed by the month's end: a past month does not count one
            # created since.
            select(Topic.studio_id, Topic.status, func.count(Topic.id))
            .where(Topic.created_at < until, counted_in(until), *topic_filter)
            .group_by(Topic.studio_id, Topic.status))).all():
        if sid in figures:
            figures[sid].topics_by_status[status] = int(n)
    for sid, n in (await conn.execute(
            select(Topic.studio_id, func.count(Topic.id))
            .where(Topic.status != TOPIC_PAUSED, Topic.created_at < until, counted_in(until),
                   *topic_filter)
            .group_by(Topic.studio_id))).all():
        if sid in figures:
            figures[sid].topics_active = int(n)
    for sid, topics, updates in (await conn.execute(
            select(Topic.studio_id, func.count(func.distinct(Topic.id)), func.count(TopicProgress.id))
            .join(TopicProgress, TopicProgress.topic_id == Topic.id)
            .where(TopicProgress.created_at >= since, TopicProgress.created_at < until,
                   Topic.status != TOPIC_PAUSED, counted_in(until), *topic_filter)
            .group_by(Topic.studio_id))).all():
        if sid in figures:
            figures[sid].topics_progressed = int(topics)
            figures[sid].progress_updates = int(updates)

    a = Achievement
    for sid, kind, status, promoted, n, benefit in (await conn.execute(
            select(a.studio_id, a.type, a.status, a.promoted, func.count(a.id),
                   func.coalesce(func.sum(a.economic_benefit), 0.0))
            .where(a.created_at >= since, a.created_at < until,
                   *in_studio(a.studio_id, studio_id))
            .group_by(a.studio_id, a.type, a.status, a.promoted))).all():
        f = figures.get(sid)
        if f is None:
            continue
        f.results_by_type[kind] = f.results_by_type.get(kind, 0) + int(n)
        f.benefit_reported += float(benefit or 0.0)
        if promoted:
            f.results_promoted += int(n)
        if status == RESULT_VERIFIED:
            f.results_verified += int(n)
            f.benefit_verified += float(benefit or 0.0)

    for sid, status, n in (await conn.execute(
            select(Suggestion.studio_id, Suggestion.status, func.count(Suggestion.id))
            .where(Suggestion.created_at >= since, Suggestion.created_at < until,
                   *in_studio(Suggestion.studio_id, studio_id))
            .group_by(Suggestion.studio_id, Suggestion.status))).all():
        if sid in figures:
            figures[sid].suggestions_by_status[status] = int(n)
    return figures


async def month_ratings(session: Session, month: str, tz: tzinfo,
                        weights: Mapping[str, float], today: date) -> list[Rating]:
    """The studios rated for `month` (YYYY-MM) as seen on `today` (the weeks counted so far:
    storage.calendar.counted_weeks), best first: 排名, 统计 and `export studios`."""
    weeks = counted_weeks(month, today)
    figures = await studio_figures(session, weeks, *month_bounds(month), tz)
    return ratings(figures.values(), weights, len(weeks))
