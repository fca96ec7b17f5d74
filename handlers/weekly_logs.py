"""周报, 上周周报 (with the content → hours → confirm dialog) and 本周 for leaders."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from bot.context import Ctx, Incoming
from bot.replies import Reply, Text
from bot.routing import Router
from handlers.parsing import SKIPPED, format_hours, hours_reply, is_yes
from storage.calendar import iso_week, previous_week, week_label, week_monday
from storage.models import ROLE_LEADER, ROLE_MEMBER
from storage.queries.weekly_logs import (
    Picture,
    log_for_week,
    save_log,
    submissions_for_week,
)

router = Router("weekly_logs")

CONTENT = "weekly_logs.content"
HOURS = "weekly_logs.hours"
CONFIRM = "weekly_logs.confirm"
EXISTING = "weekly_logs.existing"

MAX_CHARS = 2000
LAST_WEEK_DEADLINE = time(12, 0)  # Monday noon, local time
MISSING_SHOWN = 40  # names listed in 本周 before pointing to the export

ASK_CONTENT = ("开始填写{week}的周报。请发送本周在工作室的工作内容，可分多条发送，也可以发图片；"
               "发完后回复“完成”。发送“取消”可放弃。")
NOTED = "已记下（共 {parts} 条，{chars} 字{pics}）。继续发送，或回复“完成”。"
PICTURE_NOTED = "已收到图片（共 {pics} 张）。继续发送内容，或回复“完成”。"
NOTHING_YET = "还没有收到周报内容，请先发送本周的工作内容。"
ONLY_TEXT_AND_PICTURES = "周报里可以写文字、发图片；这类消息无法加入。继续发送内容，或回复“完成”。"
ASK_HOURS = "本周在工作室的工作时长是多少小时？请回复数字（如 6 或 6.5）；不填写请回复“跳过”。"
BAD_HOURS = "请回复一个 0 到 168 之间的数字（如 6 或 6.5），或回复“跳过”。"
ASK_CONFIRM = ("请确认{week}的周报：\n{preview}\n——\n字数：{chars}　时长：{hours}　图片：{pics} 张\n"
               "回复“确认”提交，回复“取消”放弃。")
NOT_CONFIRMED = "请回复“确认”提交这份周报，或回复“取消”放弃。"
ASK_EXISTING = ("您已提交过{week}的周报（{chars} 字，{when} 提交）。这次的内容要怎么处理？\n"
                "回复 1 替换原周报；2 追加到原周报后面；3 保留原周报（本次内容不保存）。")
BAD_EXISTING = "请回复 1（替换）、2（追加）或 3（保留原周报）。"
KEPT = "已保留原周报，本次内容没有保存。"
SAVED = "已{verb}{week}的周报（{chars} 字，时长 {hours}{pics}）。{late}谢谢！"
LATE_NOTE = "本周报为补交，将标记为迟交。"
TOO_LONG = "周报内容最多 {limit} 字，这次有 {chars} 字。请精简后再发，或不带内容发送“周报”分多条填写。"
TOO_LONG_PART = "加上这条就超过 {limit} 字了（已有 {chars} 字）。请精简后再发，或回复“完成”。"
LAST_WEEK_CLOSED = "上周周报的补交截止到本周一 12:00，现在已经过了。如确需补交，请联系工作室领衔人。"
WEEK_SUMMARY = "{studio}\n{week}周报：已交 {done}/{expected} 人"
ALL_IN = "全部已交，辛苦了！"
MISSING = "未交（{n} 人）：{names}"
MORE_MISSING = "……等 {n} 人，完整名单请用“workshop-bot export logs”导出核对。"
NO_STUDIO = "您不属于具体的工作室，没有本周周报统计。"

_DONE_WORDS = {"完成", "好了", "结束", "done", "ok", "完毕"}
_VERBS = {"create": "提交", "replace": "替换", "append": "追加到"}


def _local(ctx: Ctx) -> datetime:
    return ctx.now.astimezone(ctx.settings.tz)


def _draft_text(data: dict[str, Any]) -> str:
    return "\n".join(data.get("parts", []))


def _pictures(data: dict[str, Any]) -> list[Picture]:
    return [Picture(p.get("media_id"), p.get("pic_url")) for p in data.get("pictures", [])]


async def _save(ctx: Ctx, data: dict[str, Any], action: str, *, known_new: bool = False
                ) -> Reply:
    assert ctx.member is not None
    log = await save_log(
        ctx.session, member=ctx.member, week=data["week"], content=_draft_text(data),
        hours=data.get("hours"), late=bool(data.get("late")), action=action, now=ctx.now,
        pictures=_pictures(data), known_new=known_new,
    )
    ctx.dialog.end()
    pics = len(data.get("pictures", []))
    return Text(SAVED.format(
        verb=_VERBS["create" if log.version == 1 else action], week=week_label(data["week"]),
        chars=len(log.content), hours=format_hours(log.hours),
        pics=f"，图片 {pics} 张" if pics else "", late=LATE_NOTE if data.get("late") else "",
    ))


async def _submit(ctx: Ctx, data: dict[str, Any]) -> Reply:
    """Save a finished draft, unless the week has a log: then ask what to do with it."""
    assert ctx.member is not None
    existing = await log_for_week(ctx.session, ctx.member.id, data["week"])
    if existing is None:
        # Nothing for the week yet: save_log need not look again.
        return await _save(ctx, data, "create", known_new=True)
    ctx.dialog.go(EXISTING, data)
    when = existing.submitted_at.astimezone(ctx.settings.tz).strftime("%m月%d日 %H:%M")
    return Text(ASK_EXISTING.format(week=week_label(data["week"]), chars=len(existing.content),
                                    when=when))


async def _start(ctx: Ctx, week: str, late: bool) -> Reply:
    data: dict[str, Any] = {"week": week, "late": late, "parts": [], "pictures": [],
                            "hours": None}
    content = ctx.args.strip()
    if not content:
        ctx.dialog.go(CONTENT, data)
        return Text(ASK_CONTENT.format(week=week_label(week)))
    if len(content) > MAX_CHARS:
        return Text(TOO_LONG.format(limit=MAX_CHARS, chars=len(content)))
    data["parts"] = [content]
    return await _submit(ctx, data)


@router.command("周报", aliases=("log", "日志"), takes_args=True,
                roles=(ROLE_MEMBER, ROLE_LEADER), summary="提交本周工作日志",
                usage="周报 [内容]")
async def on_log(msg: Incoming, ctx: Ctx) -> Reply:
    return await _start(ctx, iso_week(_local(ctx).date()), late=False)


@router.command("上周周报", aliases=("lastweek",), takes_args=True,
                roles=(ROLE_MEMBER, ROLE_LEADER), summary="补交上周日志（周一 12:00 前）",
                usage="上周周报 [内容]")
async def on_last_week(msg: Incoming, ctx: Ctx) -> Reply:
    local = _local(ctx)
    this_week = iso_week(local.date())
    deadline = datetime.combine(week_monday(this_week), LAST_WEEK_DEADLINE, local.tzinfo)
    if local >= deadline:
        return Text(LAST_WEEK_CLOSED)
    return await _start(ctx, previous_week(this_week), late=True)


@router.dialog(CONTENT)
async def on_content(msg: Incoming, ctx: Ctx) -> Reply:
    data = ctx.dialog.data
    if msg.msg_type == "image":
        data.setdefault("pictures", []).append({"media_id": msg.media_id, "pic_url": msg.pic_url})
        ctx.dialog.go(CONTENT, data)
        return Text(PICTURE_NOTED.format(pics=len(data["pictures"])))
    if msg.text is None:
        return Text(ONLY_TEXT_AND_PICTURES)
    text = msg.text.strip()
    if text.lower() in _DONE_WORDS:
        if not data.get("parts"):
            return Text(NOTHING_YET)
        ctx.dialog.go(HOURS, data)
        return Text(ASK_HOURS)
    chars = len(_draft_text(data))
    if chars + len(text) + 1 > MAX_CHARS:
        return Text(TOO_LONG_PART.format(limit=MAX_CHARS, chars=chars))
    data.setdefault("parts", []).append(text)
    ctx.dialog.go(CONTENT, data)
    pics = len(data.get("pictures", []))
    return Text(NOTED.format(parts=len(data["parts"]), chars=len(_draft_text(data)),
                             pics=f"，图片 {pics} 张" if pics else ""))


@router.dialog(HOURS)
async def on_hours(msg: Incoming, ctx: Ctx) -> Reply:
    data = ctx.dialog.data
    answer = hours_reply(msg.text or "")
    if answer is None:
        return Text(BAD_HOURS)
    data["hours"] = None if answer == SKIPPED else answer
    ctx.dialog.go(CONFIRM, data)
    content = _draft_text(data)
    preview = content if len(content) <= 300 else content[:300] + "……"
    return Text(ASK_CONFIRM.format(week=week_label(data["week"]), preview=preview,
                                   chars=len(content), hours=format_hours(data["hours"]),
                                   pics=len(data.get("pictures", []))))


@router.dialog(CONFIRM)
async def on_confirm(msg: Incoming, ctx: Ctx) -> Reply:
    if not is_yes(msg.text or ""):
        return Text(NOT_CONFIRMED)
    return await _submit(ctx, ctx.dialog.data)


@router.dialog(EXISTING)
async def on_existing(msg: Incoming, ctx: Ctx) -> Reply:
    answer = (msg.text or "").strip()
    if answer in ("1", "替换", "覆盖"):
        return await _save(ctx, ctx.dialog.data, "replace")
    if answer in ("2", "追加", "补充"):
        return await _save(ctx, ctx.dialog.data, "append")
    if answer in ("3", "保留", "不变"):
        ctx.dialog.end()
        return Text(KEPT)
    return Text(BAD_EXISTING)


@router.command("本周", aliases=("week",), roles=(ROLE_LEADER,), summary="本周谁交了周报、谁还没交")
async def on_week(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None
    if member.studio_id is None:
        return Text(NO_STUDIO)
    week = iso_week(_local(ctx).date())
    subs = await submissions_for_week(ctx.session, member.studio_id, week)
    lines = [WEEK_SUMMARY.format(studio=member.studio_name, week=week_label(week),
                                 done=len(subs.submitted), expected=subs.expected)]
    if not subs.missing:
        lines.append(ALL_IN)
    else:
        shown = "、".join(subs.missing[:MISSING_SHOWN])
        lines.append(MISSING.format(n=len(subs.missing), names=shown))
        if len(subs.missing) > MISSING_SHOWN:
            lines.append(MORE_MISSING.format(n=len(subs.missing)))
    return Text("\n".join(lines))


def streak(weeks: set[str], this_week: str) -> int:
    """Consecutive weeks with a log, up to this week (or last week while this one is open)."""
    week = this_week if this_week in weeks else previous_week(this_week)
    count = 0
    while week in weeks:
        count += 1
        week = previous_week(week)
    return count


def weeks_back(this_week: str, n: int) -> str:
    return iso_week(week_monday(this_week) - timedelta(weeks=n))
