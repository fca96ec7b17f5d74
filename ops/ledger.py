"""`workshop-bot export studio-ledger`: a month's 台帐, one XLSX workbook per studio.

Sheet names, column names and every label come from the catalog (``ledger.*``,
``export.header.*``) in the union office's language; the 概况 sheet is built from the
studio's figures themselves, never from a reply's text."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, TypeVar

from bot.config import Settings
from locales import Words, formats, words_for
from ops.studios import pick_studio
from ops.tables import Cell, headers_in, write_workbook
from ops.terminal import err, office_words, progress_bar
from storage.calendar import month_bounds, weeks_of_month
from storage.db import Database
from storage.indicators import StudioFigures
from storage.models import RESULT_TYPES, SUGGESTION_STATUSES, TOPIC_STATUSES
from storage.queries.indicators import period_instants, studio_figures
from storage.queries.mentorship import CheckInRow, checkins_between
from storage.queries.proposals import AchievementRow, SuggestionRow, achievement_rows, suggestion_rows
from storage.queries.studios import all_studios
from storage.queries.topics import ProgressRow, TopicRow, progress_between, topic_rows
from storage.queries.weekly_logs import LogRow, logs_for_weeks


class _HasStudio(Protocol):
    @property
    def studio(self) -> str: ...


RowT = TypeVar("RowT", bound=_HasStudio)

# The sheets in order (ledger.sheet.<name>) and their columns (export.header.<column>).
LEDGER_SHEETS: dict[str, tuple[str, ...]] = {
    "overview": ("item", "value"),
    "logs": ("week", "employee_no", "name", "content", "hours", "submitted_at", "late"),
    "checkins": ("date", "mentor_employee_no", "mentor_name", "apprentice_employee_no",
                 "apprentice_name", "content", "hours", "confirmed", "comment"),
    "topics": ("topic", "kind_label", "status_label", "percent", "owner_employee_no", "owner",
               "monthly_target", "quarterly_target", "start_date", "due_date", "progress_at",
               "author_employee_no", "author", "progress", "progress_percent"),
    "suggestions": ("submitted_at", "employee_no", "name", "content", "status_label", "reply",
                    "decided_at"),
    "results": ("reported_at", "employee_no", "name", "type_label", "title", "status_label",
                "economic_benefit", "promoted", "note", "verified_at"),
}
# Decided suggestions first: what a month's figures lead with.
SUGGESTION_ORDER = ("accepted", "implemented", "rejected", "submitted")
_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


async def export_ledger(settings: Settings, month: str | None, studio: str | None,
                        output: str | None, now: datetime) -> int:
    """The 台帐 of a month: one XLSX workbook per studio in a folder, a sheet each for the
    overview, logs, check-ins, topics and progress, suggestions and results."""
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        if not month:
            err.print(words("ledger.month_needed"))
            return 2
        try:
            weeks = weeks_of_month(month)
            start, end = month_bounds(month)
        except ValueError as exc:
            err.print(words("export.bad_argument", reason=exc))
            return 2
        since, until = period_instants(start, end, settings.tz)
        async with db.reader() as session:  # reads only: no write lock held
            studios = [s.name for s in await all_studios(session)]
            if studio is not None:
                picked = await pick_studio(session, words, studio)
                if picked is None:
                    return 2
                studios = [picked]
            figures = {f.studio: f for f in
                       (await studio_figures(session, weeks, start, end, settings.tz)).values()}
            logs = _by_studio(await logs_for_weeks(session, weeks))
            checkins = _by_studio(await checkins_between(session, start, end))
            topics = _by_studio(await topic_rows(session))
            progress = _by_studio(await progress_between(session, since, until))
            suggestions = _by_studio(await suggestion_rows(session, since, until))
            results = _by_studio(await achievement_rows(session, since, until))
    finally:
        await db.dispose()
    ledger = Ledger(month, weeks, figures, logs, checkins, topics, progress, suggestions,
                    results)
    folder = Path(output or f"ledger-{month}")
    write_ledgers(ledger, studios, folder, settings, words)
    print(words("ledger.done", n=len(studios), month=month, folder=folder))
    return 0


@dataclass(frozen=True)
class Ledger:
    """A month's records of every studio, grouped by studio name."""

    month: str
    weeks: list[str]  # the ISO weeks its weekly-log figures count (storage.calendar)
    figures: dict[str, StudioFigures]
    logs: dict[str, list[LogRow]]
    checkins: dict[str, list[CheckInRow]]
    topics: dict[str, list[TopicRow]]
    progress: dict[str, list[ProgressRow]]
    suggestions: dict[str, list[SuggestionRow]]
    results: dict[str, list[AchievementRow]]


def _counts(words: Words, counts: Mapping[str, int], area: str, order: Iterable[str]) -> str:
    """「已采纳 2，未采纳 1」: the non-zero counts, known codes in their order first, then any
    other value stored (one written before values became codes)."""
    known = list(dict.fromkeys(order))
    keys = known + sorted(k for k in counts if k not in known)
    return words("ledger.overview.separator").join(
        words("ledger.overview.count", label=words.named(area, key), n=counts[key])
        for key in keys if counts.get(key))


def overview_rows(words: Words, studio: str, month: str, f: StudioFigures, iso_weeks: list[str],
                  weights: Mapping[str, float]) -> list[list[Cell]]:
    """The 概况 sheet's rows, (label, value), from the studio's figures for the month; the
    ISO weeks its weekly-log figures count (those whose Thursday falls in the month) are
    named, 第45—48周, for the logs sheet holds those weeks, not the calendar month's days."""
    weeks = len(iso_weeks)
    rows: list[list[Cell]] = [
        [words("ledger.overview.studio"), studio],
        [words("ledger.overview.month"), month],
        [words("ledger.overview.weeks"),
         words("ledger.overview.weeks_value", span=formats.week_span(words, iso_weeks), n=weeks)],
        [words("ledger.overview.logs"),
         words("ledger.overview.logs_value", logs=f.logs, expected=f.expected_logs(weeks),
               rate=formats.percent(words, f.log_rate(weeks)),
               hours=formats.hours(words, round(f.log_hours, 1)))],
        [words("ledger.overview.checkins"),
         words("ledger.overview.checkins_value", n=f.checkins, confirmed=f.checkins_confirmed,
               hours=formats.hours(words, round(f.checkin_hours, 1)))],
        [words("ledger.overview.topics"),
         words("ledger.overview.topics_value",
               by_status=_counts(words, f.topics_by_status, "topic.status", TOPIC_STATUSES),
               progressed=f.topics_progressed, active=f.topics_active,
               updates=f.progress_updates)
         if f.topics_by_status else words("ledger.overview.topics_none")],
        [words("ledger.overview.results"),
         words("ledger.overview.results_value", n=f.results,
               by_type=_counts(words, f.results_by_type, "result.type", RESULT_TYPES),
               verified=f.results_verified, promoted=f.results_promoted)
         if f.results else words("ledger.overview.results_none")],
        [words("ledger.overview.benefit"),
         words("ledger.overview.benefit_value", verified=round(f.benefit_verified, 2),
               reported=round(f.benefit_reported, 2))],
        [words("ledger.overview.suggestions"),
         words("ledger.overview.suggestions_value", n=f.suggestions,
               by_status=_counts(words, f.suggestions_by_status, "suggestion.status",
                                 SUGGESTION_ORDER + SUGGESTION_STATUSES)
               or words("ledger.overview.none"))],
        [words("ledger.overview.score"), f.score(weights, weeks)],
    ]
    return rows


def write_ledgers(ledger: Ledger, studios: list[str], folder: Path, settings: Settings,
                  words: Words | None = None) -> None:
    words = words or words_for(None)
    folder.mkdir(parents=True, exist_ok=True)
    tz, weights, month = settings.tz, settings.rank_weights, ledger.month
    yes, no = words("ledger.yes"), words("ledger.no")

    def when(moment: datetime | None) -> datetime | None:
        """A date cell in local time (a spreadsheet knows no time zones), to the minute."""
        if moment is None:
            return None
        return moment.astimezone(tz).replace(tzinfo=None, second=0, microsecond=0)

    def flag(value: bool) -> str:
        return yes if value else no

    def sheet(name: str, rows: Iterable[Sequence[Cell]]) -> tuple[str, list[str],
                                                                   Iterable[Sequence[Cell]]]:
        return words(f"ledger.sheet.{name}"), headers_in(words, LEDGER_SHEETS[name]), rows

    with progress_bar(words("ledger.progress"), len(studios)) as advance:
        for name in studios:
            updates: dict[str, list[ProgressRow]] = {}
            for p in ledger.progress.get(name, []):
                updates.setdefault(p.topic, []).append(p)
            topic_sheet: list[list[Cell]] = []
            for t in ledger.topics.get(name, []):
                head: list[Cell] = [t.title, words.named("topic.kind", t.kind),
                                    words.named("topic.status", t.status), t.percent,
                                    t.owner_employee_no or "", t.owner or "",
                                    t.monthly_target or "", t.quarterly_target or "",
                                    t.start_date, t.due_date]
                topic_sheet += [[*head, when(p.created_at), p.author_employee_no, p.author,
                                 p.content, p.percent]
                                for p in updates.get(t.title, [])] or [
                                    [*head, None, "", "", "", None]]
            write_workbook(folder / f"{_UNSAFE.sub('_', name)}-{month}.xlsx", [
                sheet("overview", overview_rows(words, name, month, ledger.figures[name],
                                                ledger.weeks, weights)),
                sheet("logs", [[r.week, r.employee_no, r.name, r.content, r.hours,
                                when(r.submitted_at), flag(r.late)]
                               for r in ledger.logs.get(name, [])]),
                sheet("checkins", [[c.day, c.mentor_employee_no, c.mentor_name,
                                    c.apprentice_employee_no, c.apprentice_name, c.content,
                                    c.hours, flag(c.confirmed), c.comment or ""]
                                   for c in ledger.checkins.get(name, [])]),
                sheet("topics", topic_sheet),
                sheet("suggestions", [[when(s.submitted_at), s.employee_no, s.name, s.content,
                                       words.named("suggestion.status", s.status),
                                       s.reply or "", when(s.decided_at)]
                                      for s in ledger.suggestions.get(name, [])]),
                sheet("results", [[when(a.reported_at), a.employee_no, a.name,
                                   words.named("result.type", a.type), a.title,
                                   words.named("result.status", a.status),
                                   a.economic_benefit, flag(a.promoted), a.note or "",
                                   when(a.verified_at)] for a in ledger.results.get(name, [])]),
            ])
            advance(1)


def _by_studio(rows: Sequence[RowT]) -> dict[str, list[RowT]]:
    grouped: dict[str, list[RowT]] = {}
    for row in rows:
        grouped.setdefault(row.studio, []).append(row)
    return grouped
