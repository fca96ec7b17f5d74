"""A month's 台帐: one XLSX workbook per studio (overview, logs, check-ins, topics, suggestions, results).

Sheet names, column names and every label come from the catalog (``ledger.*``,
``export.header.*``) in the words the caller passes; the 概况 sheet is built from the
studio's figures themselves, never from a reply's text."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import IO, Protocol, TypeVar

from domain import NotFound
from domain.tables import (
    ZIP_TYPE,
    Cell,
    Download,
    ExportError,
    Sheet,
    headers_in,
    safe_name,
    write_workbook,
    xlsx_bytes,
    zip_bytes,
)
from locales import Words, formats
from storage.calendar import month_bounds, weeks_of_month
from storage.indicators import StudioFigures
from storage.models import RESULT_TYPES, SUGGESTION_STATUSES, TOPIC_STATUSES
from storage.queries.indicators import period_instants, studio_figures
from storage.queries.mentorship import CheckInRow, checkins_between
from storage.queries.proposals import AchievementRow, SuggestionRow, achievement_rows, suggestion_rows
from storage.queries.rating import FundingRow, funding_rows
from storage.queries.studios import all_studios, studio_name
from storage.queries.topics import ProgressRow, TopicRow, progress_between, topic_rows
from storage.queries.weekly_logs import LogRow, logs_for_weeks
from storage.session import Session


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
    # One-off funding the star rating granted (rating funding), dated in the month.
    "funding": ("grant_date", "amount", "purpose", "round"),
}
# Decided suggestions first: what a month's figures lead with.
SUGGESTION_ORDER = ("accepted", "implemented", "rejected", "submitted")


@dataclass(frozen=True)
class Ledger:
    """A month's records of its studios (every one, or the one asked for), by studio name."""

    month: str
    weeks: list[str]  # the ISO weeks its weekly-log figures count (storage.calendar)
    studios: list[str]  # the studios it covers, by name
    figures: dict[str, StudioFigures]
    logs: dict[str, list[LogRow]]
    checkins: dict[str, list[CheckInRow]]
    topics: dict[str, list[TopicRow]]
    progress: dict[str, list[ProgressRow]]
    suggestions: dict[str, list[SuggestionRow]]
    results: dict[str, list[AchievementRow]]
    funding: dict[str, list[FundingRow]] = field(default_factory=dict)


async def load_ledger(session: Session, month: str, *, tz: tzinfo,
                      studio_id: int | None = None) -> Ledger:
    """Every record of `month` (YYYY-MM) the ledger shows, read in a few queries; with
    `studio_id` only that studio's. ExportError ``period_bad`` for a month not written
    YYYY-MM; NotFound for an unknown studio."""
    try:
        weeks = weeks_of_month(month)
        start, end = month_bounds(month)
    except ValueError as exc:
        raise ExportError("period_bad", value=month, reason=str(exc)) from exc
    since, until = period_instants(start, end, tz)
    if studio_id is None:
        studios = [s.name for s in await all_studios(session)]
    else:
        name = await studio_name(session, studio_id)
        if name is None:
            raise NotFound()
        studios = [name]
    figures = {f.studio: f for f in (await studio_figures(
        session, weeks, start, end, tz, studio_id)).values()}
    return Ledger(
        month, weeks, studios, figures,
        logs=_by_studio(await logs_for_weeks(session, weeks, studio_id)),
        checkins=_by_studio(await checkins_between(session, start, end, studio_id)),
        topics=_by_studio(await topic_rows(session, studio_id=studio_id)),
        progress=_by_studio(await progress_between(session, since, until, studio_id)),
        suggestions=_by_studio(await suggestion_rows(session, since, until, studio_id)),
        results=_by_studio(await achievement_rows(session, since, until, studio_id)),
        funding=_by_studio(await funding_rows(session, start, end, studio_id)),
    )


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


def ledger_sheets(ledger: Ledger, studio: str, *, tz: tzinfo, weights: Mapping[str, float],
                  words: Words) -> list[Sheet]:
    """The sheets of one studio's workbook, in order, worded in `words`."""
    yes, no = words("ledger.yes"), words("ledger.no")

    def when(moment: datetime | None) -> datetime | None:
        """A date cell in local time (a spreadsheet knows no time zones), to the minute."""
        if moment is None:
            return None
        return moment.astimezone(tz).replace(tzinfo=None, second=0, microsecond=0)

    def flag(value: bool) -> str:
        return yes if value else no

    def sheet(name: str, rows: Iterable[Sequence[Cell]]) -> Sheet:
        return words(f"ledger.sheet.{name}"), headers_in(words, LEDGER_SHEETS[name]), rows

    updates: dict[str, list[ProgressRow]] = {}
    for p in ledger.progress.get(studio, []):
        updates.setdefault(p.topic, []).append(p)
    topic_sheet: list[list[Cell]] = []
    for t in ledger.topics.get(studio, []):
        head: list[Cell] = [t.title, words.named("topic.kind", t.kind),
                            words.named("topic.status", t.status), t.percent,
                            t.owner_employee_no or "", t.owner or "",
                            t.monthly_target or "", t.quarterly_target or "",
                            t.start_date, t.due_date]
        topic_sheet += [[*head, when(p.created_at), p.author_employee_no, p.author,
                         p.content, p.percent]
                        for p in updates.get(t.title, [])] or [[*head, None, "", "", "", None]]
    return [
        sheet("overview", overview_rows(words, studio, ledger.month, ledger.figures[studio],
                                        ledger.weeks, weights)),
        sheet("logs", [[r.week, r.employee_no, r.name, r.content, r.hours,
                        when(r.submitted_at), flag(r.late)]
                       for r in ledger.logs.get(studio, [])]),
        sheet("checkins", [[c.day, c.mentor_employee_no, c.mentor_name,
                            c.apprentice_employee_no, c.apprentice_name, c.content,
                            c.hours, flag(c.confirmed), c.comment or ""]
                           for c in ledger.checkins.get(studio, [])]),
        sheet("topics", topic_sheet),
        sheet("suggestions", [[when(s.submitted_at), s.employee_no, s.name, s.content,
                               words.named("suggestion.status", s.status),
                               s.reply or "", when(s.decided_at)]
                              for s in ledger.suggestions.get(studio, [])]),
        sheet("results", [[when(a.reported_at), a.employee_no, a.name,
                           words.named("result.type", a.type), a.title,
                           words.named("result.status", a.status),
                           a.economic_benefit, flag(a.promoted), a.note or "",
                           when(a.verified_at)] for a in ledger.results.get(studio, [])]),
        sheet("funding", [[g.grant_date, g.amount, g.purpose, g.round or ""]
                          for g in ledger.funding.get(studio, [])]),
    ]


def ledger_filename(studio: str, month: str) -> str:
    """王建国劳模创新工作室-2026-11.xlsx"""
    return f"{safe_name(studio)}-{month}.xlsx"


def write_ledger(target: Path | IO[bytes], ledger: Ledger, studio: str, *, tz: tzinfo,
                 weights: Mapping[str, float], words: Words) -> None:
    """One studio's workbook into a file or a stream."""
    write_workbook(target, ledger_sheets(ledger, studio, tz=tz, weights=weights, words=words))


def ledger_zip(ledger: Ledger, *, tz: tzinfo, weights: Mapping[str, float], words: Words,
               progress: Callable[[int], None] | None = None) -> Download:
    """Every studio's workbook of the ledger in one ZIP: ledger-2026-11.zip, or for a ledger
    of one studio 王建国劳模创新工作室-ledger-2026-11.zip. CPU only (no session): a web
    request can run it in a thread."""
    def workbooks() -> Iterable[tuple[str, bytes]]:
        for studio in ledger.studios:
            yield ledger_filename(studio, ledger.month), xlsx_bytes(
                ledger_sheets(ledger, studio, tz=tz, weights=weights, words=words))
            if progress is not None:
                progress(1)

    prefix = f"{safe_name(ledger.studios[0])}-" if len(ledger.studios) == 1 else ""
    return Download(f"{prefix}ledger-{ledger.month}.zip", ZIP_TYPE, zip_bytes(workbooks()))


async def ledger_download(session: Session, month: str, *, tz: tzinfo,
                          weights: Mapping[str, float], words: Words,
                          studio_id: int | None = None) -> Download:
    """The month's ledger as a ZIP of workbooks: every studio's, or with `studio_id` (a
    leader's download) that studio's alone. Errors as load_ledger. The workbooks are
    written in a thread: the union's ledger takes a while, and the event loop serves on."""
    ledger = await load_ledger(session, month, tz=tz, studio_id=studio_id)
    return await asyncio.to_thread(ledger_zip, ledger, tz=tz, weights=weights, words=words)


def _by_studio(rows: Sequence[RowT]) -> dict[str, list[RowT]]:
    grouped: dict[str, list[RowT]] = {}
    for row in rows:
        grouped.setdefault(row.studio, []).append(row)
    return grouped
