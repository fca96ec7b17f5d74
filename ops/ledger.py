"""`workshop-bot export studio-ledger`: a month's 台帐, one XLSX workbook per studio."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, TypeVar

from bot.config import Settings
from handlers.proposals import RESULT_STATUS, SUGGESTION_STATUS
from ops.tables import Cell, write_workbook
from ops.terminal import err, progress_bar
from storage.calendar import month_bounds, weeks_of_month
from storage.db import Database
from storage.indicators import StudioFigures
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
