"""weekly-log-reminder: everyone who has not logged this ISO week gets one reminder."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, tzinfo
from functools import partial

from domain.report_links import LinkBook
from locales import Words, compose, formats
from scheduled.jobs.common import Fields, Messages, queue_run
from scheduled.jobs.report import JobReport, Note, People
from storage.calendar import iso_week, week_monday
from storage.db import Database
from storage.indicators import DEFAULT_WEIGHTS
from storage.queries.jobs import missing_logs_for_week
from storage.session import Session

NAME = "weekly-log-reminder"
# The deadline is the end of the week's Sunday (what time2 says to a template).
DEADLINE_TIME = "24:00"
UNBOUND_NAMED = 10  # members not bound that the run's note names; the export lists them all


async def weekly_log_reminder(db: Database, now: datetime, tz: tzinfo,
                              weights: Mapping[str, float] = DEFAULT_WEIGHTS, *,
                              links: LinkBook | None = None) -> JobReport:
    del links  # a reminder asks for something to be done: it carries no report link
    week = iso_week(now.astimezone(tz).date())
    sunday = week_monday(week) + timedelta(days=6)
    fields = Fields(lambda w: {"thing1": w("push.weekly_log_reminder.thing1"),
                               "time2": f"{sunday.isoformat()} {DEADLINE_TIME}"})
    # What every reminder of a language shares, put into words once per language: with
    # 50,000 members only the name differs from one reminder to the next.
    shared: dict[str, dict[str, str]] = {}

    def parts(words: Words) -> dict[str, str]:
        found = shared.get(words.language)
        if found is None:
            found = shared[words.language] = {
                "week": formats.week_label(words, week),
                "deadline": words("push.weekly_log_reminder.deadline",
                                  day=formats.month_day(words, sunday), time=DEADLINE_TIME)}
        return found

    def text(words: Words, name: str) -> str:
        return words("push.weekly_log_reminder.text", name=name, **parts(words))

    async def messages(session: Session, report: JobReport) -> Messages:
        missing = await missing_logs_for_week(session, week)
        if missing.unbound:
            # Named, so the office can hand them a code; the rest are in the export.
            named = People(tuple(missing.unbound[:UNBOUND_NAMED]), len(missing.unbound))
            report.notes.append(Note("job.note.unbound", {"n": len(missing.unbound),
                                                          "names": named}))
        return {r.id: (compose(r.language, partial(text, name=r.name)), fields(r.language))
                for r in missing.reachable}

    return await queue_run(db, NAME, week, now, messages)
