"""`workshop-bot export KIND`: the SPEC §8 tables as CSV (with BOM) or XLSX."""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from handlers.proposals import RESULT_STATUS, SUGGESTION_STATUS
from ops.tables import Cell, write_table
from ops.terminal import err
from storage.calendar import iso_week, month_bounds, week_monday, weeks_of_month
from storage.db import Database
from storage.queries.indicators import period_instants, studio_figures
from storage.queries.mentorship import CheckInRow, checkins_between
from storage.queries.proposals import AchievementRow, SuggestionRow, achievement_rows, suggestion_rows
from storage.queries.studios import studio_summaries
from storage.queries.weekly_logs import logs_for_weeks

STUDIO_COLUMNS = ("studio", "leaders", "members", "bound_members", "stars", "score")
SUGGESTION_COLUMNS = ("submitted_at", "studio", "employee_no", "content", "status", "name",
                      "status_label", "reply", "decided_at")
RESULT_COLUMNS = ("reported_at", "studio", "employee_no", "type", "title", "status",
                  "economic_benefit", "name", "status_label", "promoted", "note", "decided_at")
# `status` keeps the code for scripts; `status_label` says it as the union office does.
LOG_COLUMNS = ("week", "studio", "employee_no", "name", "content", "hours", "submitted_at", "late")
CHECKIN_COLUMNS = ("date", "studio", "mentor_employee_no", "apprentice_employee_no", "content",
                   "hours", "confirmed")


def _iso(moment: datetime, settings: Settings) -> str:
    return moment.astimezone(settings.tz).isoformat(timespec="seconds")


async def export(settings: Settings, kind: str, fmt: str, output: str | None, now: datetime, *,
                 week: str | None = None, month: str | None = None) -> int:
    """SPEC §8 exports. Logs default to this week, check-ins to this month, suggestions and
    results to all of them (--month: those made in the month); studios carry this month's
    indicator score."""
    today = now.astimezone(settings.tz).date()
    try:
        if week:
            week_monday(week)  # validates the form
        weeks = weeks_of_month(month) if month else [week or iso_week(today)]
        start, end = month_bounds(month or today.strftime("%Y-%m"))
    except ValueError as exc:
        err.print(f"参数不对：{exc}")
        return 2
    since, until = period_instants(start, end, settings.tz) if month else (None, None)
    db = Database(settings.effective_database_url)
    rows: list[list[Cell]]
    headers: tuple[str, ...]
    try:
        async with db.transaction() as session:
            if kind == "studios":
                headers, sheet = STUDIO_COLUMNS, "studios"
                this_month = today.strftime("%Y-%m")
                figures = await studio_figures(session, weeks_of_month(this_month),
                                               *month_bounds(this_month), settings.tz)
                score = {f.studio: f.score(settings.rank_weights, len(weeks_of_month(this_month)))
                         for f in figures.values() if f.members}
                rows = [[s.studio, "、".join(s.leaders), s.members, s.bound_members, s.stars,
                         score.get(s.studio)]
                        for s in await studio_summaries(session)]
            elif kind == "logs":
                headers, sheet = LOG_COLUMNS, "logs"
                rows = [[r.week, r.studio, r.employee_no, r.name, r.content, r.hours,
                         _iso(r.submitted_at, settings), _flag(r.late)]
                        for r in await logs_for_weeks(session, weeks)]
            elif kind == "suggestions":
                headers, sheet = SUGGESTION_COLUMNS, "suggestions"
                rows = [_suggestion_row(r, settings)
                        for r in await suggestion_rows(session, since, until)]
            elif kind == "results":
                headers, sheet = RESULT_COLUMNS, "results"
                rows = [_result_row(r, settings)
                        for r in await achievement_rows(session, since, until)]
            else:
                headers, sheet = CHECKIN_COLUMNS, "checkins"
                rows = [_checkin_row(c) for c in await checkins_between(session, start, end)]
    finally:
        await db.dispose()
    write_table(headers, rows, fmt=fmt, output=output, sheet=sheet)
    return 0


def _checkin_row(c: CheckInRow) -> list[Cell]:
    return [c.day.isoformat(), c.studio, c.mentor_employee_no, c.apprentice_employee_no,
            c.content, c.hours, _flag(c.confirmed)]


def _suggestion_row(r: SuggestionRow, settings: Settings) -> list[Cell]:
    return [_iso(r.submitted_at, settings), r.studio, r.employee_no, r.content, r.status, r.name,
            SUGGESTION_STATUS[r.status], r.reply or "",
            _iso(r.decided_at, settings) if r.decided_at else ""]


def _result_row(r: AchievementRow, settings: Settings) -> list[Cell]:
    return [_iso(r.reported_at, settings), r.studio, r.employee_no, r.type, r.title, r.status,
            r.economic_benefit, r.name, RESULT_STATUS[r.status], _flag(r.promoted), r.note or "",
            _iso(r.verified_at, settings) if r.verified_at else ""]


def _flag(value: bool) -> str:
    return "true" if value else "false"


