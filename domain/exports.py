"""The SPEC §8 exports as tables and downloads (CSV with BOM or XLSX), for the CLI and the console.

Column names are machine-readable English unless the caller passes words to name them
(``export.header.<column>``). A stored code keeps its column and gets a label column beside
it, worded from the catalog in the caller's words."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from domain import NotFound
from domain.tables import (
    CONTENT_TYPES,
    FORMATS,
    Cell,
    Download,
    ExportError,
    headers_in,
    safe_name,
    table_bytes,
)
from locales import Words, formats
from storage.calendar import iso_week, month_bounds, week_monday, weeks_of_month
from storage.queries.indicators import month_ratings, period_instants
from storage.queries.mentorship import CheckInRow, checkins_between
from storage.queries.proposals import AchievementRow, SuggestionRow, achievement_rows, suggestion_rows
from storage.queries.studios import studio_name, studio_summaries, unbound_members
from storage.queries.weekly_logs import logs_for_weeks
from storage.session import Session

STUDIO_COLUMNS = ("studio", "leaders", "members", "bound_members", "stars", "score")
SUGGESTION_COLUMNS = ("submitted_at", "studio", "employee_no", "content", "status", "name",
                      "status_label", "reply", "decided_at")
RESULT_COLUMNS = ("reported_at", "studio", "employee_no", "type", "title", "status",
                  "economic_benefit", "name", "status_label", "promoted", "note", "decided_at",
                  "type_label")
# `status` and `type` keep the code for scripts; `status_label` and `type_label` say it as
# the union office does (new columns go last, so scripts reading by position keep working).
LOG_COLUMNS = ("week", "studio", "employee_no", "name", "content", "hours", "submitted_at", "late")
CHECKIN_COLUMNS = ("date", "studio", "mentor_employee_no", "apprentice_employee_no", "content",
                   "hours", "confirmed", "mentor_name", "apprentice_name", "comment")
# Who still has to bind (`export studios --unbound`), to hand them a code.
UNBOUND_COLUMNS = ("studio", "name", "employee_no", "role", "role_label")
COLUMNS: dict[str, tuple[str, ...]] = {
    "logs": LOG_COLUMNS, "checkins": CHECKIN_COLUMNS, "suggestions": SUGGESTION_COLUMNS,
    "results": RESULT_COLUMNS, "studios": STUDIO_COLUMNS, "unbound": UNBOUND_COLUMNS}
KINDS = tuple(COLUMNS)  # each is also its sheet's name (export.sheet.<kind>)


@dataclass(frozen=True)
class Period:
    """What an export covers: the ISO weeks (logs), the days [start, end) (check-ins) and,
    when a month was asked for, its instants [since, until) (suggestions, results)."""

    weeks: list[str]
    start: date
    end: date
    since: datetime | None
    until: datetime | None
    label: str  # for a file name: 2026-W47, 2026-11


def export_period(today: date, tz: tzinfo, *, week: str | None = None,
                  month: str | None = None) -> Period:
    """Logs default to this week, check-ins to this month, suggestions and results to all of
    them (a month: those made in it). ExportError ``period_bad`` (facts ``value``,
    ``reason``) for a week or month not written YYYY-Www / YYYY-MM."""
    try:
        if week:
            week_monday(week)  # validates the form
        weeks = weeks_of_month(month) if month else [week or iso_week(today)]
        start, end = month_bounds(month or today.strftime("%Y-%m"))
    except ValueError as exc:
        raise ExportError("period_bad", value=month or week, reason=str(exc)) from exc
    since, until = period_instants(start, end, tz) if month else (None, None)
    return Period(weeks, start, end, since, until, month or week or weeks[0])


@dataclass(frozen=True)
class ExportTable:
    kind: str  # also the sheet's name: export.sheet.<kind>
    columns: tuple[str, ...]
    rows: list[list[Cell]]
    label: str  # the period, for a file name


async def export_table(session: Session, kind: str, *, now: datetime, tz: tzinfo,
                       words: Words, weights: Mapping[str, float], week: str | None = None,
                       month: str | None = None, studio_id: int | None = None) -> ExportTable:
    """The rows of one export: `kind` is one of KINDS (`unbound`: the members who have not
    bound WeChat yet); `studio_id` keeps one studio's rows only. Studios carry this month's
    indicator score and stars (those 排名 shows). Labels are in `words`. ExportError
    ``kind_unknown``, ``period_bad``."""
    if kind not in COLUMNS:
        raise ExportError("kind_unknown", kind=kind)
    today = now.astimezone(tz).date()
    period = export_period(today, tz, week=week, month=month)
    this_month = today.strftime("%Y-%m")
    rows: list[list[Cell]]
    label = period.label
    if kind == "unbound":
        label = today.isoformat()
        rows = [[m.studio, m.name, m.employee_no, m.role, words.named("role", m.role)]
                for m in await unbound_members(session, studio_id)]
    elif kind == "studios":
        label = this_month
        # Studios nobody belongs to are not rated: no score, no stars.
        rated = {r.studio_id: r for r in await month_ratings(session, this_month, tz, weights,
                                                              today)}
        rows = []
        for s in await studio_summaries(session, studio_id):
            r = rated.get(s.studio_id)
            rows.append([s.studio, formats.join(words, s.leaders), s.members, s.bound_members,
                         r.stars if r else None, r.score if r else None])
    elif kind == "logs":
        rows = [[r.week, r.studio, r.employee_no, r.name, r.content, r.hours,
                 _iso(r.submitted_at, tz), _flag(r.late)]
                for r in await logs_for_weeks(session, period.weeks, studio_id)]
    elif kind == "suggestions":
        label = month or "all"
        rows = [_suggestion_row(r, tz, words) for r in await suggestion_rows(
            session, period.since, period.until, studio_id)]
    elif kind == "results":
        label = month or "all"
        rows = [_result_row(r, tz, words) for r in await achievement_rows(
            session, period.since, period.until, studio_id)]
    else:
        label = month or this_month
        rows = [_checkin_row(c) for c in await checkins_between(
            session, period.start, period.end, studio_id)]
    return ExportTable(kind, COLUMNS[kind], rows, label)


async def export_download(session: Session, kind: str, fmt: str = "csv", *, now: datetime,
                          tz: tzinfo, words: Words, weights: Mapping[str, float],
                          week: str | None = None, month: str | None = None,
                          studio_id: int | None = None,
                          headers: Words | None = None) -> Download:
    """One export as a file: `fmt` csv or xlsx; column and sheet names in `headers` (None:
    machine-readable English). The name says what it holds: logs-2026-W47.csv, or with
    `studio_id` 王建国劳模创新工作室-logs-2026-W47.csv. NotFound for an unknown studio;
    ExportError ``format_unknown``, ``kind_unknown``, ``period_bad``."""
    if fmt not in FORMATS:
        raise ExportError("format_unknown", format=fmt)
    prefix = ""
    if studio_id is not None:
        name = await studio_name(session, studio_id)
        if name is None:
            raise NotFound()
        prefix = safe_name(name) + "-"
    table = await export_table(session, kind, now=now, tz=tz, words=words, weights=weights,
                               week=week, month=month, studio_id=studio_id)
    # In a thread: a month of a large union's logs is seconds of openpyxl.
    data = await asyncio.to_thread(table_bytes, fmt, sheet_name(headers, kind),
                                   headers_in(headers, table.columns), table.rows)
    return Download(f"{prefix}{kind}-{table.label}.{fmt}", CONTENT_TYPES[fmt], data)


def sheet_name(words: Words | None, kind: str) -> str:
    """A table's sheet: its kind, or the catalog's name for it (``export.sheet.<kind>``)."""
    return kind if words is None else words(f"export.sheet.{kind}")


def _iso(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).isoformat(timespec="seconds")


def _checkin_row(c: CheckInRow) -> list[Cell]:
    return [c.day.isoformat(), c.studio, c.mentor_employee_no, c.apprentice_employee_no,
            c.content, c.hours, _flag(c.confirmed), c.mentor_name, c.apprentice_name,
            c.comment or ""]


def _suggestion_row(r: SuggestionRow, tz: tzinfo, words: Words) -> list[Cell]:
    return [_iso(r.submitted_at, tz), r.studio, r.employee_no, r.content, r.status, r.name,
            words.named("suggestion.status", r.status), r.reply or "",
            _iso(r.decided_at, tz) if r.decided_at else ""]


def _result_row(r: AchievementRow, tz: tzinfo, words: Words) -> list[Cell]:
    return [_iso(r.reported_at, tz), r.studio, r.employee_no, r.type, r.title, r.status,
            r.economic_benefit, r.name, words.named("result.status", r.status),
            _flag(r.promoted), r.note or "",
            _iso(r.verified_at, tz) if r.verified_at else "",
            words.named("result.type", r.type)]


def _flag(value: bool) -> str:
    return "true" if value else "false"
