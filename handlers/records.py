"""One record in full: 建议 3, 成果 3, 打卡 3 (a bare number never becomes content) and
周报 <姓名> [上周] for a studio's leaders. Who may read what is domain.records'."""

from __future__ import annotations

import re
from datetime import datetime

from bot.context import Ctx
from bot.replies import Reply, Text
from domain import NotFound
from domain.records import checkin_for, member_log, members_named, result_for, suggestion_for
from domain.weekly_logs import this_week
from handlers.parsing import says
from locales import Words
from locales.formats import hours, join, month_day, week_label
from storage.calendar import previous_week

# A message whose whole argument is one record number ("建议 3", "成果 #12").
RECORD_ONLY = re.compile(r"^#?(\d{1,9})$")
LOG_SHOWN = 1500  # characters of a log shown in a reply (a reply holds 2,048 bytes)
_THIS_WEEK = "input.week.this"
_LAST_WEEK = "input.week.last"


def record_number(args: str) -> int | None:
    found = RECORD_ONLY.match(args.strip())
    return int(found.group(1)) if found is not None else None


def _day(ctx: Ctx, moment: datetime) -> str:
    return month_day(ctx.words, moment.astimezone(ctx.settings.tz).date())


def _decided(ctx: Ctx, by: str | None, at: datetime | None, note: str | None) -> str:
    said = ctx.t("records.decided", leader=by, day=_day(ctx, at)) if by and at else ""
    return said + (ctx.t("records.note", note=note) if note else "")


async def show_suggestion(ctx: Ctx, suggestion_id: int) -> Reply:
    assert ctx.member is not None
    try:
        s = await suggestion_for(ctx.session, ctx.member, suggestion_id)
    except NotFound:
        return ctx.reply("records.not_found.suggestion", id=suggestion_id)
    return ctx.reply("records.suggestion", id=s.id, name=s.author_name,
                     day=_day(ctx, s.created_at), content=s.text,
                     status=ctx.words.named("suggestion.status", s.status),
                     decided=_decided(ctx, s.decided_by, s.decided_at, s.note))


async def show_result(ctx: Ctx, result_id: int) -> Reply:
    assert ctx.member is not None
    try:
        r = await result_for(ctx.session, ctx.member, result_id)
    except NotFound:
        return ctx.reply("records.not_found.result", id=result_id)
    benefit = (ctx.t("proposals.benefit", benefit=f"{r.benefit:g}")
               if r.benefit is not None else "")
    return ctx.reply("records.result", id=r.id, name=r.author_name, day=_day(ctx, r.created_at),
                     type=ctx.words.named("result.type", r.type or ""), title=r.text,
                     benefit=benefit,
                     promoted=ctx.t("proposals.promoted") if r.promoted else "",
                     status=ctx.words.named("result.status", r.status),
                     decided=_decided(ctx, r.decided_by, r.decided_at, r.note))


async def show_checkin(ctx: Ctx, checkin_id: int) -> Reply:
    assert ctx.member is not None
    try:
        c = await checkin_for(ctx.session, ctx.member, checkin_id)
    except NotFound:
        return ctx.reply("records.not_found.checkin", id=checkin_id)
    if c.confirmed_at is not None:
        state = ctx.t("records.checkin.confirmed", mentor=c.mentor_name,
                      day=_day(ctx, c.confirmed_at))
        if c.comment:
            state += ctx.t("records.checkin.comment", comment=c.comment)
    else:
        state = ctx.t("records.checkin.waiting", mentor=c.mentor_name)
    return ctx.reply("records.checkin", id=c.id, author=c.author_name,
                     mentor=c.mentor_name, apprentice=c.apprentice_name,
                     day=month_day(ctx.words, c.day), hours=hours(ctx.words, c.hours),
                     content=c.content, state=state)


def _asked_week(words: Words, now: datetime, rest: str) -> str | None:
    """The week a leader asks about after the name: this week, or 上周; None: not a week."""
    if not rest or says(rest, _THIS_WEEK):
        return this_week(now)
    if says(rest, _LAST_WEEK):
        return previous_week(this_week(now))
    return None


async def show_member_log(ctx: Ctx) -> Reply | None:
    """周报 <姓名|工号> [上周] from a leader: that member's log, in full. None when the text
    does not name a member of the leader's studio (it is then a log of the leader's own)."""
    assert ctx.member is not None
    parts = ctx.args.split(maxsplit=1)  # any space, the full-width one included
    if not parts:
        return None
    name, rest = parts[0], parts[1] if len(parts) > 1 else ""
    now = ctx.now.astimezone(ctx.settings.tz)
    week = _asked_week(ctx.words, now, rest.strip())
    if week is None:
        return None
    found = await members_named(ctx.session, ctx.member, name)
    if not found:
        return None
    if len(found) > 1:
        return ctx.reply("records.log.which", name=name, choices=join(
            ctx.words, [ctx.t("records.log.choice", name=m.name, no=m.employee_no) for m in found]))
    member = found[0]
    log = await member_log(ctx.session, ctx.member, member, week)
    label = week_label(ctx.words, week)
    if log is None:
        return ctx.reply("records.log.none", name=member.name, week=label)
    content = log.content if len(log.content) <= LOG_SHOWN else ctx.t(
        "records.log.cut", text=log.content[:LOG_SHOWN], chars=len(log.content))
    return Text(ctx.t("records.log", name=member.name, week=label,
                      when=_day(ctx, log.submitted_at), version=log.version,
                      hours=hours(ctx.words, log.hours),
                      late=ctx.t("records.log.late") if log.late else "") + "\n" + content)
