"""我的: who I am here, and my mentorship circle."""

from __future__ import annotations

from bot.context import Ctx, Incoming
from bot.replies import Reply, Text
from bot.routing import Router
from handlers.common import role_name
from handlers.parsing import format_hours
from handlers.weekly_logs import streak, weeks_back
from storage.calendar import iso_week, quarter_start
from storage.models import ROLE_ADMIN, ROLE_LEADER, ROLE_MEMBER
from storage.queries.mentorship import checkin_stats
from storage.queries.proposals import achievement_counts, suggestion_counts
from storage.queries.studios import mentorship_circle
from storage.queries.weekly_logs import LOG_WRITERS, log_for_week, weeks_logged

router = Router("me")

HEADER = "{name}（工号 {employee_no}）\n工作室：{studio}\n身份：{role}"
MENTORS = "师傅：{names}"
APPRENTICES = "徒弟：{names}"
NO_PAIR = "师徒结对：暂无"
WEEK_DONE = "本周周报：已提交（{when}）"
WEEK_OPEN = "本周周报：还没交，发送“周报 内容”即可提交"
STREAK = "连续提交：{n} 周"
CHECKINS = "本季度师徒打卡：{count} 次，共 {hours}，已确认 {confirmed} 次"
SUGGESTIONS = "我的合理化建议：{total} 条（已采纳 {accepted}，已实施 {implemented}，待处理 {pending}）"
RESULTS = "我登记的成果：{total} 项（已认定 {verified}，待认定 {pending}）"
TO_REVIEW = "待我处理：建议 {suggestions} 条，成果 {results} 项（发送“建议”“成果”查看）"
STREAK_WEEKS = 60  # how far back the streak looks


@router.command("我的", aliases=("me",), roles=(ROLE_MEMBER, ROLE_LEADER, ROLE_ADMIN),
                summary="查看我的信息")
async def on_me(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None  # the router lets only bound users through
    lines = [HEADER.format(
        name=member.name,
        employee_no=member.employee_no,
        studio=member.studio_name or "工会（不属于具体工作室）",
        role=role_name(ctx, member.role),
    )]
    circle = await mentorship_circle(ctx.session, member.id)
    if circle.mentors:
        lines.append(MENTORS.format(names="、".join(circle.mentors)))
    if circle.apprentices:
        lines.append(APPRENTICES.format(names="、".join(circle.apprentices)))
    if not circle.mentors and not circle.apprentices and member.role != ROLE_ADMIN:
        lines.append(NO_PAIR)
    if member.role in LOG_WRITERS:
        local = ctx.now.astimezone(ctx.settings.tz)
        week = iso_week(local.date())
        log = await log_for_week(ctx.session, member.id, week)
        if log is None:
            lines.append(WEEK_OPEN)
        else:
            when = log.submitted_at.astimezone(ctx.settings.tz).strftime("%m月%d日 %H:%M")
            lines.append(WEEK_DONE.format(when=when))
        logged = await weeks_logged(ctx.session, member.id, weeks_back(week, STREAK_WEEKS))
        lines.append(STREAK.format(n=streak(logged, week)))
    if circle.mentors or circle.apprentices:
        since = quarter_start(ctx.now.astimezone(ctx.settings.tz).date())
        stats = await checkin_stats(ctx.session, member.id, since)
        lines.append(CHECKINS.format(count=stats.count, hours=format_hours(stats.hours),
                                     confirmed=stats.confirmed))
    if member.studio_id is not None and member.role in LOG_WRITERS:
        lines += await _proposals(ctx, member.id, member.studio_id, member.role == ROLE_LEADER)
    return Text("\n".join(lines))


async def _proposals(ctx: Ctx, member_id: int, studio_id: int, leader: bool) -> list[str]:
    mine = await suggestion_counts(ctx.session, member_id=member_id)
    results = await achievement_counts(ctx.session, member_id=member_id)
    lines = [
        SUGGESTIONS.format(total=sum(mine.values()), accepted=mine.get("accepted", 0),
                           implemented=mine.get("implemented", 0), pending=mine.get("submitted", 0)),
        RESULTS.format(total=sum(results.values()), verified=results.get("verified", 0),
                       pending=results.get("reported", 0)),
    ]
    if leader:
        studio_suggestions = await suggestion_counts(ctx.session, studio_id=studio_id)
        studio_results = await achievement_counts(ctx.session, studio_id=studio_id)
        lines.append(TO_REVIEW.format(suggestions=studio_suggestions.get("submitted", 0),
                                      results=studio_results.get("reported", 0)))
    return lines
