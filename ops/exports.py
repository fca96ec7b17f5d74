"""`workshop-bot export KIND`: the SPEC §8 tables as CSV (with BOM) or XLSX.

Column names are machine-readable English by default (scripts read them); ``--headers zh``
names them in Chinese from the catalog (``export.header.<column>``). A stored code keeps
its column and gets a label column beside it, worded from the catalog."""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from locales import Words, formats
from ops.tables import Cell, chinese_words, headers_in, write_table
from ops.terminal import err, office_words
from storage.calendar import iso_week, month_bounds, week_monday, weeks_of_month
from storage.db import Database
from storage.queries.indicators import month_ratings, period_instants
from storage.queries.mentorship import CheckInRow, checkins_between
from storage.queries.proposals import AchievementRow, SuggestionRow, achievement_rows, suggestion_rows
from storage.queries.studios import studio_summaries, unbound_members
from storage.queries.weekly_logs import logs_for_weeks

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
# `export studios --unbound`: who still has to bind, to hand them a code.
UNBOUND_COLUMNS = ("studio", "name", "employee_no", "role", "role_label")
HEADERS = ("en", "zh")


def _iso(moment: datetime, settings: Settings) -> str:
    return moment.astimezone(settings.tz).isoformat(timespec="seconds")


async def export(settings: Settings, kind: str, fmt: str, output: str | None, now: datetime, *,
                 week: str | None = None, month: str | None = None,
                 headers: str = "en", unbound: bool = False) -> int:
    """SPEC §8 exports. Logs default to this week, check-ins to this month, suggestions and
    results to all of them (--month: those made in the month); studios carry this month's
    indicator score and stars (those 排名 shows); `unbound`: instead of the studios, their
    members not bound yet."""
    today = now.astimezone(settings.tz).date()
    db = Database(settings.effective_database_url)
    rows: list[list[Cell]]
    columns: tuple[str, ...]
    try:
        words = await office_words(db)
        try:
            if week:
                week_monday(week)  # validates the form
            weeks = weeks_of_month(month) if month else [week or iso_week(today)]
            start, end = month_bounds(month or today.strftime("%Y-%m"))
        except ValueError as exc:
            err.print(words("export.bad_argument", reason=exc))
            return 2
        since, until = period_instants(start, end, settings.tz) if month else (None, None)
        if unbound and kind != "studios":
            err.print(words("export.unbound_only_studios"))
            return 2
        async with db.reader() as session:  # reads only: no write lock held
            if kind == "studios" and unbound:
                columns, sheet = UNBOUND_COLUMNS, "unbound"
                rows = [[m.studio, m.name, m.employee_no, m.role, words.named("role", m.role)]
                        for m in await unbound_members(session)]
            elif kind == "studios":
                columns, sheet = STUDIO_COLUMNS, "studios"
                # Studios nobody belongs to are not rated: no score, no stars.
                rated = {r.studio_id: r for r in await month_ratings(
                    session, today.strftime("%Y-%m"), settings.tz, settings.rank_weights,
                    today)}
                rows = []
                for s in await studio_summaries(session):
                    r = rated.get(s.studio_id)
                    rows.append([s.studio, formats.join(words, s.leaders), s.members,
                                 s.bound_members, r.stars if r else None,
                                 r.score if r else None])
            elif kind == "logs":
                columns, sheet = LOG_COLUMNS, "logs"
                rows = [[r.week, r.studio, r.employee_no, r.name, r.content, r.hours,
                         _iso(r.submitted_at, settings), _flag(r.late)]
                        for r in await logs_for_weeks(session, weeks)]
            elif kind == "suggestions":
                columns, sheet = SUGGESTION_COLUMNS, "suggestions"
                rows = [_suggestion_row(r, settings, words)
                        for r in await suggestion_rows(session, since, until)]
            elif kind == "results":
                columns, sheet = RESULT_COLUMNS, "results"
                rows = [_result_row(r, settings, words)
                        for r in await achievement_rows(session, since, until)]
            else:
                columns, sheet = CHECKIN_COLUMNS, "checkins"
                rows = [_checkin_row(c) for c in await checkins_between(session, start, end)]
    finally:
        await db.dispose()
    named = chinese_words(words) if headers == "zh" else None
    if named is not None:
        sheet = named(f"export.sheet.{sheet}")
    write_table(headers_in(named, columns), rows, fmt=fmt, output=output, sheet=sheet)
    return 0


def _checkin_row(c: CheckInRow) -> list[Cell]:
    return [c.day.isoformat(), c.studio, c.mentor_employee_no, c.apprentice_employee_no,
            c.content, c.hours, _flag(c.confirmed), c.mentor_name, c.apprentice_name,
            c.comment or ""]


def _suggestion_row(r: SuggestionRow, settings: Settings, words: Words) -> list[Cell]:
    return [_iso(r.submitted_at, settings), r.studio, r.employee_no, r.content, r.status, r.name,
            words.named("suggestion.status", r.status), r.reply or "",
            _iso(r.decided_at, settings) if r.decided_at else ""]


def _result_row(r: AchievementRow, settings: Settings, words: Words) -> list[Cell]:
    return [_iso(r.reported_at, settings), r.studio, r.employee_no, r.type, r.title, r.status,
            r.economic_benefit, r.name, words.named("result.status", r.status),
            _flag(r.promoted), r.note or "",
            _iso(r.verified_at, settings) if r.verified_at else "",
            words.named("result.type", r.type)]


def _flag(value: bool) -> str:
    return "true" if value else "false"
