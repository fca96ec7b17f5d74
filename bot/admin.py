"""What the union office runs from the command line: roster import, invites, exports."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, TypeVar

from rich.console import Console
from rich.progress import Progress

from bot.config import Settings
from bot.exports import Cell, write_table, write_workbook
from bot.roster import RosterFileError, read_roster
from bot.wechat_api import WeChatAPI
from handlers.proposals import RESULT_STATUS, SUGGESTION_STATUS
from storage.calendar import iso_week, month_bounds, week_monday, weeks_of_month
from storage.db import Database
from storage.indicators import StudioFigures
from storage.queries.indicators import period_instants, studio_figures
from storage.queries.invites import issue_invite, member_by_employee_no, unbound_members_of_studio
from storage.queries.mentorship import CheckInRow, checkins_between
from storage.queries.proposals import (
    AchievementRow,
    SuggestionRow,
    achievement_rows,
    suggestion_rows,
)
from storage.queries.roster import apply_roster
from storage.queries.studios import all_studios, studio_summaries
from storage.queries.topics import ProgressRow, TopicRow, progress_between, topic_rows
from storage.queries.weekly_logs import LogRow, logs_for_weeks

err = Console(stderr=True, highlight=False)


class _HasStudio(Protocol):
    @property
    def studio(self) -> str: ...


RowT = TypeVar("RowT", bound=_HasStudio)

STUDIO_COLUMNS = ("studio", "leaders", "members", "bound_members", "stars", "score")
SUGGESTION_COLUMNS = ("submitted_at", "studio", "employee_no", "content", "status", "name",
                      "status_label", "reply", "decided_at")
RESULT_COLUMNS = ("reported_at", "studio", "employee_no", "type", "title", "status",
                  "economic_benefit", "name", "status_label", "promoted", "note", "decided_at")
# `status` keeps the code for scripts; `status_label` says it as the union office does.
LOG_COLUMNS = ("week", "studio", "employee_no", "name", "content", "hours", "submitted_at", "late")
CHECKIN_COLUMNS = ("date", "studio", "mentor_employee_no", "apprentice_employee_no", "content",
                   "hours", "confirmed")
SLIP_COLUMNS = ("studio", "name", "employee_no", "code", "expires_at")


@contextlib.contextmanager
def progress_bar(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal; nothing at all when output is piped."""
    if not err.is_terminal:
        yield lambda _n: None
        return
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


async def import_roster(settings: Settings, path: Path, now: datetime) -> int:
    """Import the file; print each bad line with its reason; 0 if every line imported."""
    try:
        read = read_roster(path)
    except (RosterFileError, OSError) as exc:
        err.print(f"无法读取名册 {path}：{exc}")
        return 2
    db = Database(settings.effective_database_url)
    try:
        with progress_bar("导入名册", len(read.entries)) as advance:
            async with db.transaction() as session:
                outcome = await apply_roster(
                    session, read.entries, root_union=settings.workshop_bot_union_name,
                    now=now, today=now.astimezone(settings.tz).date(), progress=advance,
                )
    finally:
        await db.dispose()
    problems = sorted(read.errors + outcome.problems)
    for line, reason in problems:
        print(f"第 {line} 行：{reason}")
    skipped = len(read.errors)
    print(
        f"名册 {path.name}：共 {read.lines} 行，导入 {len(read.entries)} 行，跳过 {skipped} 行；"
        f"新增成员 {outcome.members_created}，更新 {outcome.members_updated}，"
        f"未变 {outcome.members_unchanged}；新增工作室 {outcome.studios_created}；"
        f"师徒结对新增 {outcome.pairs_created}、结束 {outcome.pairs_ended}"
    )
    if outcome.not_in_file:
        print(f"提示：系统中另有 {outcome.not_in_file} 名成员不在本名册中，未做改动。")
    return 1 if problems else 0


async def invite(settings: Settings, employee_no: str, now: datetime, *, qr: bool) -> int:
    db = Database(settings.effective_database_url)
    try:
        async with db.transaction() as session:
            member = await member_by_employee_no(session, employee_no)
            if member is None:
                err.print(f"找不到工号为 {employee_no} 的成员：请先导入名册")
                return 1
            code = await issue_invite(session, member.id, now)
            studio = member.studio.name if member.studio else "工会"
            expires = code.expires_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
    finally:
        await db.dispose()
    print(f"{member.name}（{studio}，工号 {employee_no}）的邀请码，{expires} 前有效，只能使用一次：")
    if qr:
        api = WeChatAPI(settings.wechat_api_base, settings.wechat_app_id,
                        settings.wechat_app_secret, clock=lambda: now)
        try:
            left = int((code.expires_at - now).total_seconds())
            picture = await api.create_qr_code(f"invite:{code.code}", left)
        finally:
            await api.close()
        print(f"扫码绑定二维码（{picture.expire_seconds // 86400} 天内有效）：{picture.image_url}")
    print(code.code)
    return 0


async def invite_studio(settings: Settings, studio: str, now: datetime, output: str | None) -> int:
    """Fresh codes for every unbound member of a studio, as a CSV of slips to print."""
    db = Database(settings.effective_database_url)
    rows: list[list[Cell]] = []
    try:
        async with db.transaction() as session:
            members = await unbound_members_of_studio(session, studio)
            for m in members:
                code = await issue_invite(session, m.id, now)
                expires = code.expires_at.astimezone(settings.tz).isoformat(timespec="minutes")
                rows.append([studio, m.name, m.employee_no, code.code, expires])
    finally:
        await db.dispose()
    if not rows:
        err.print(f"工作室“{studio}”没有未绑定的成员（或工作室不存在）")
        return 1
    where = write_table(SLIP_COLUMNS, rows, fmt="csv", output=output)
    err.print(f"已为 {len(rows)} 名成员生成邀请码 → {where}")
    return 0


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


async def jobs_list(settings: Settings, now: datetime) -> int:
    from scheduled.scheduler import configured, describe

    db = Database(settings.effective_database_url)
    try:
        rows = await describe(db, now, settings.tz, configured(settings.schedules))
    finally:
        await db.dispose()
    for name, schedule, next_at, last in rows:
        print(f"{name}\n  时间：{schedule}\n  下次：{next_at}\n  上次：{last}")
    return 0


async def jobs_run(settings: Settings, name: str, now: datetime) -> int:
    """Run the job as if at `now`, then send what it queued (when the account is set up)."""
    from scheduled.delivery import Deliverer
    from scheduled.scheduler import JOBS, run_job

    if name not in JOBS:
        err.print(f"没有名为“{name}”的任务。可用：{'、'.join(JOBS)}")
        return 2
    db = Database(settings.effective_database_url)
    try:
        report = await run_job(db, name, now, settings.tz, settings.rank_weights)
        print(f"{name}（{report.period}）：新排队 {report.queued} 条，此前已排队 {report.skipped} 条")
        for note in report.notes:
            print("提示：" + note)
        if not (settings.wechat_app_id and settings.wechat_app_secret):
            print("未配置 WECHAT_APP_ID / WECHAT_APP_SECRET：消息已排队，workshop-bot serve 运行时发送。")
            return 0
        api = WeChatAPI(settings.wechat_api_base, settings.wechat_app_id,
                        settings.wechat_app_secret, clock=lambda: now,
                        calls_per_second=settings.wechat_api_calls_per_second)
        try:
            deliverer = Deliverer(db, api, templates=settings.templates, tz=settings.tz,
                                  clock=lambda: now)
            sent = await deliverer.run()
        finally:
            await api.close()
    finally:
        await db.dispose()
    for _id, channel, text in sent.sent:
        print(f"→ [{'客服消息' if channel == 'custom' else '模板消息'}] {text[:60]}")
    summary = "，".join(f"{k} {v}" for k, v in sorted(sent.outcomes.items()))
    print(f"发送结果：{summary or '没有待发送的消息'}（共 {sent.total} 条）")
    if sent.stopped:
        print("提前停止：" + sent.stopped)
    return 0


LEDGER_SHEETS = {
    "概况": ("项目", "数值"),
    "周报": ("周次", "工号", "姓名", "内容", "时长（小时）", "提交时间", "迟交"),
    "师徒打卡": ("日期", "师傅工号", "徒弟工号", "内容", "时长（小时）", "师傅已确认"),
    "课题进展": ("课题", "类型", "状态", "当前进度", "负责人", "月度目标", "季度目标", "开始日期",
                 "截止日期", "进展时间", "填报人", "进展内容", "本次进度"),
    "合理化建议": ("提交时间", "工号", "姓名", "内容", "状态", "处理意见", "处理时间"),
    "成果": ("登记时间", "工号", "姓名", "类型", "名称", "状态", "经济效益（万元）", "推广应用", "说明",
             "认定时间"),
}
_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def _yes(value: bool) -> str:
    return "是" if value else "否"


async def export_ledger(settings: Settings, month: str | None, studio: str | None,
                        output: str | None, now: datetime) -> int:
    """The 台帐 of a month: one XLSX workbook per studio in a folder, a sheet each for the
    overview, logs, check-ins, topics and progress, suggestions and results."""
    if not month:
        err.print("studio-ledger 需要 --month YYYY-MM")
        return 2
    try:
        weeks = weeks_of_month(month)
        start, end = month_bounds(month)
    except ValueError as exc:
        err.print(f"参数不对：{exc}")
        return 2
    since, until = period_instants(start, end, settings.tz)
    db = Database(settings.effective_database_url)
    try:
        async with db.transaction() as session:
            studios = [s.name for s in await all_studios(session)]
            if studio is not None:
                if studio not in studios:
                    err.print(f"没有名为“{studio}”的工作室")
                    return 2
                studios = [studio]
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
    ledger = Ledger(month, len(weeks), figures, logs, checkins, topics, progress, suggestions,
                    results)
    folder = Path(output or f"ledger-{month}")
    write_ledgers(ledger, studios, folder, settings)
    print(f"已写出 {len(studios)} 个工作室 {month} 的台帐到 {folder}")
    return 0


@dataclass(frozen=True)
class Ledger:
    """A month's records of every studio, grouped by studio name."""

    month: str
    weeks: int
    figures: dict[str, StudioFigures]
    logs: dict[str, list[LogRow]]
    checkins: dict[str, list[CheckInRow]]
    topics: dict[str, list[TopicRow]]
    progress: dict[str, list[ProgressRow]]
    suggestions: dict[str, list[SuggestionRow]]
    results: dict[str, list[AchievementRow]]


def write_ledgers(ledger: Ledger, studios: list[str], folder: Path, settings: Settings) -> None:
    from handlers.stats import figure_lines

    folder.mkdir(parents=True, exist_ok=True)
    tz, weights, month = settings.tz, settings.rank_weights, ledger.month

    def when(moment: datetime | None) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""

    with progress_bar("写出台帐", len(studios)) as advance:
        for name in studios:
            f = ledger.figures[name]
            overview: list[list[Cell]] = [["工作室", name], ["月份", month]]
            for line in figure_lines(f, ledger.weeks):
                key, _, value = line.partition("：")
                overview.append([key, value])
            overview.append(["指标得分", f.score(weights, ledger.weeks)])
            updates: dict[str, list[ProgressRow]] = {}
            for p in ledger.progress.get(name, []):
                updates.setdefault(p.topic, []).append(p)
            topic_sheet: list[list[Cell]] = []
            for t in ledger.topics.get(name, []):
                head: list[Cell] = [t.title, t.kind, t.status, t.percent, t.owner or "",
                                    t.monthly_target or "", t.quarterly_target or "",
                                    t.start_date.isoformat() if t.start_date else "",
                                    t.due_date.isoformat() if t.due_date else ""]
                topic_sheet += [[*head, when(p.created_at), p.author, p.content, p.percent]
                                for p in updates.get(t.title, [])] or [[*head, "", "", "", None]]
            write_workbook(folder / f"{_UNSAFE.sub('_', name)}-{month}.xlsx", [
                ("概况", LEDGER_SHEETS["概况"], overview),
                ("周报", LEDGER_SHEETS["周报"],
                 [[r.week, r.employee_no, r.name, r.content, r.hours, when(r.submitted_at),
                   _yes(r.late)] for r in ledger.logs.get(name, [])]),
                ("师徒打卡", LEDGER_SHEETS["师徒打卡"],
                 [[c.day.isoformat(), c.mentor_employee_no, c.apprentice_employee_no, c.content,
                   c.hours, _yes(c.confirmed)] for c in ledger.checkins.get(name, [])]),
                ("课题进展", LEDGER_SHEETS["课题进展"], topic_sheet),
                ("合理化建议", LEDGER_SHEETS["合理化建议"],
                 [[when(s.submitted_at), s.employee_no, s.name, s.content,
                   SUGGESTION_STATUS[s.status], s.reply or "", when(s.decided_at)]
                  for s in ledger.suggestions.get(name, [])]),
                ("成果", LEDGER_SHEETS["成果"],
                 [[when(a.reported_at), a.employee_no, a.name, a.type, a.title,
                   RESULT_STATUS[a.status], a.economic_benefit, _yes(a.promoted), a.note or "",
                   when(a.verified_at)] for a in ledger.results.get(name, [])]),
            ])
            advance(1)


def _by_studio(rows: Sequence[RowT]) -> dict[str, list[RowT]]:
    grouped: dict[str, list[RowT]] = {}
    for row in rows:
        grouped.setdefault(row.studio, []).append(row)
    return grouped
