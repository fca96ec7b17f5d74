"""What the union office runs from the command line: roster import, invites, exports."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from bot.config import Settings
from bot.exports import Cell, write_table
from bot.roster import RosterFileError, read_roster
from bot.wechat_api import WeChatAPI
from storage.calendar import iso_week, month_bounds, week_monday, weeks_of_month
from storage.db import Database
from storage.queries.invites import issue_invite, member_by_employee_no, unbound_members_of_studio
from storage.queries.mentorship import checkins_between
from storage.queries.roster import apply_roster
from storage.queries.studios import studio_summaries
from storage.queries.weekly_logs import logs_for_weeks

err = Console(stderr=True, highlight=False)

STUDIO_COLUMNS = ("studio", "leaders", "members", "bound_members", "stars")
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
    """SPEC §8 exports. Logs default to this week, check-ins to this month."""
    today = now.astimezone(settings.tz).date()
    try:
        if week:
            week_monday(week)  # validates the form
        weeks = weeks_of_month(month) if month else [week or iso_week(today)]
        start, end = month_bounds(month or today.strftime("%Y-%m"))
    except ValueError as exc:
        err.print(f"参数不对：{exc}")
        return 2
    db = Database(settings.effective_database_url)
    rows: list[list[Cell]]
    headers: tuple[str, ...]
    try:
        async with db.transaction() as session:
            if kind == "studios":
                headers, sheet = STUDIO_COLUMNS, "studios"
                rows = [[s.studio, "、".join(s.leaders), s.members, s.bound_members, s.stars]
                        for s in await studio_summaries(session)]
            elif kind == "logs":
                headers, sheet = LOG_COLUMNS, "logs"
                rows = [[r.week, r.studio, r.employee_no, r.name, r.content, r.hours,
                         _iso(r.submitted_at, settings), _flag(r.late)]
                        for r in await logs_for_weeks(session, weeks)]
            else:
                headers, sheet = CHECKIN_COLUMNS, "checkins"
                rows = [[c.day.isoformat(), c.studio, c.mentor_employee_no,
                         c.apprentice_employee_no, c.content, c.hours, _flag(c.confirmed)]
                        for c in await checkins_between(session, start, end)]
    finally:
        await db.dispose()
    write_table(headers, rows, fmt=fmt, output=output, sheet=sheet)
    return 0


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
        report = await run_job(db, name, now, settings.tz)
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
