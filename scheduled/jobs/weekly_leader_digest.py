"""weekly-leader-digest: each leader gets last week's submissions, check-ins and topic
progress."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta, tzinfo
from functools import partial

from domain.report_links import LinkBook, studio_page
from locales import Words, formats
from scheduled.jobs.common import Fields, Links, Messages, Shared, linked, queue_run
from scheduled.jobs.report import JobReport
from storage.calendar import iso_week, month_of_week, previous_week, week_monday
from storage.db import Database
from storage.indicators import DEFAULT_WEIGHTS
from storage.queries.indicators import period_instants
from storage.queries.jobs import StudioWeek, reachable_members, studio_weeks
from storage.queries.topics import progress_between
from storage.session import Session

NAME = "weekly-leader-digest"
MISSING_SHOWN = 20
TOPICS_SHOWN = 5


def _share(done: int, expected: int) -> float:
    """The share handed in, as a whole percent rounded as everywhere (formats.percent: 1 of
    6 is 17%), except that it never reaches an end it has not: 199 of 200 is 99%, not a
    100% that would hide the one missing log, and 1 of 300 is 1%, not 0%."""
    whole = formats.half_up(done * 100 / expected)
    if done < expected:
        whole = min(whole, 99)
    if done > 0:
        whole = max(whole, 1)
    return whole / 100


def _fields(words: Words, studio: StudioWeek, monday: date) -> dict[str, str]:
    return {"thing1": words("push.weekly_leader_digest.thing1", done=studio.submitted,
                            expected=studio.expected),
            "time2": monday.isoformat()}


def _digest(words: Words, studio: StudioWeek, week: str, updated: dict[str, int | None]) -> str:
    done, expected = studio.submitted, studio.expected
    rate = (formats.percent(words, _share(done, expected)) if expected
            else words("push.weekly_leader_digest.no_rate"))
    lines = [words("push.weekly_leader_digest.head", studio=studio.studio,
                   week=formats.week_label(words, week), done=done, expected=expected, rate=rate)]
    if studio.missing:
        shown = formats.join(words, studio.missing[:MISSING_SHOWN])
        if len(studio.missing) > MISSING_SHOWN:
            shown += words("push.weekly_leader_digest.more", n=len(studio.missing))
        lines.append(words("push.weekly_leader_digest.missing", names=shown))
    else:
        lines.append(words("push.weekly_leader_digest.all_in"))
    lines.append(words("push.weekly_leader_digest.checkins", n=studio.checkins))
    if updated:
        named = [t if pct is None else words("push.weekly_leader_digest.topic_percent", topic=t,
                                             percent=formats.percent(words, pct / 100))
                 for t, pct in list(updated.items())[:TOPICS_SHOWN]]
        topics = formats.join(words, named)
        if len(updated) > TOPICS_SHOWN:
            topics += words("push.weekly_leader_digest.more_topics", n=len(updated))
        lines.append(words("push.weekly_leader_digest.progress", topics=topics))
    else:
        lines.append(words("push.weekly_leader_digest.no_progress"))
    return "\n".join(lines)


async def weekly_leader_digest(db: Database, now: datetime, tz: tzinfo,
                               weights: Mapping[str, float] = DEFAULT_WEIGHTS, *,
                               links: LinkBook | None = None) -> JobReport:
    """With `links`, each digest links the studio's page for the month the week counts in."""
    week = previous_week(iso_week(now.astimezone(tz).date()))
    start = week_monday(week)
    handed = Links(links, now, NAME) if links is not None else None

    async def messages(session: Session, report: JobReport) -> Messages:
        studios = await studio_weeks(session, week, start, start + timedelta(days=7))
        since, until = period_instants(start, start + timedelta(days=7), tz)
        progress: dict[str, dict[str, int | None]] = {}
        for p in await progress_between(session, since, until):
            topics = progress.setdefault(p.studio, {})
            # The latest figure given for each topic, in the order they were first updated.
            topics[p.topic] = p.percent if p.percent is not None else topics.get(p.topic)
        reachable = await reachable_members(session, {lid for s in studios for lid in s.leaders})
        out: Messages = {}
        for s in studios:
            leaders = [lid for lid in s.leaders if lid in reachable]
            if not leaders:
                continue
            # A studio's leaders share its digest: written once per language.
            digest = Shared(partial(_digest, studio=s, week=week,
                                    updated=progress.get(s.studio, {})))
            fields = Fields(partial(_fields, studio=s, monday=start))
            for leader in leaders:
                choice = reachable[leader]
                out[leader] = (linked(handed, leader, studio_page(s.studio_id),
                                      month_of_week(week), digest(choice), choice),
                               fields(choice))
        return out

    return await queue_run(db, NAME, week, now, messages, handed)
