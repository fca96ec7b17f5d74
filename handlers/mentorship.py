"""打卡 (a mentorship check-in) and 确认 (the mentor confirms one)."""

from __future__ import annotations

import re
from typing import Any

from bot.context import Ctx, Incoming
from bot.replies import Reply, Text
from bot.routing import Router
from handlers.parsing import SKIPPED, find_hours, format_hours, hours_reply
from storage.models import ROLE_LEADER, ROLE_MEMBER
from storage.queries.mentorship import PairView, active_pairs_of, add_checkin, checkin_view
from storage.queries.outbox import enqueue

router = Router("mentorship")

PICK = "mentorship.pick"
CONTENT = "mentorship.content"
HOURS = "mentorship.hours"

MAX_CHARS = 1000
SIDE_NAMES = {"mentor": "徒弟", "apprentice": "师傅"}  # what the partner is to the viewer

NO_PAIR = "您目前没有师徒结对，不需要打卡。如有疑问请联系工作室领衔人。"
ASK_PAIR = "您有多个师徒结对，这次打卡是和谁？请回复序号：\n{choices}"
BAD_PAIR = "请回复上面列出的序号（1—{n}）。"
ASK_CONTENT = "请简单写一下这次{what}的内容（如：讲解焊接工艺图纸、现场实操指导）。"
ASK_HOURS = "这次用了多长时间？请回复小时数（如 2 或 1.5）；不填写请回复“跳过”。"
BAD_HOURS = "请回复一个小时数（如 2 或 1.5），或回复“跳过”。"
TOO_LONG = "打卡内容最多 {limit} 字，这次有 {chars} 字，请精简后再发。"
SAVED_BY_APPRENTICE = "已记录师徒打卡（编号 {id}）：和师傅{partner}，{hours}。{then}"
SAVED_BY_MENTOR = "已记录师徒打卡（编号 {id}）：和徒弟{partner}，{hours}。{then}"
# What happens next depends on whether pushes can be sent at all (WECHAT_APP_ID/SECRET):
# a reply must not claim someone was told when nothing will tell them.
THEN_APPRENTICE = {True: "师傅会收到提醒，确认后计入统计。",
                   False: "请告诉师傅发送“确认 {id}”确认。"}
THEN_MENTOR = {True: "徒弟会收到提醒。", False: ""}
NOTICE_TO_MENTOR = ("徒弟{name}提交了师徒打卡（编号 {id}，{day}）：{content}（{hours}）。"
                    "请回复“确认 {id}”确认，可在后面加评语。")
NOTICE_TO_APPRENTICE = "师傅{name}记录了一次师徒带教（编号 {id}，{day}）：{content}（{hours}）。"
CONFIRM_USAGE = "请发送“确认 编号 [评语]”，如“确认 12 讲解很到位”。编号见打卡通知。"
NOT_FOUND = "找不到您可以确认的编号 {id} 的打卡记录。请核对编号，只有该徒弟的师傅可以确认。"
ALREADY = "编号 {id} 的打卡已经确认过了。"
CONFIRMED = "已确认{name}的打卡（编号 {id}）。{comment}"
CONFIRMED_NOTICE = "师傅{name}确认了您的打卡（编号 {id}）。{comment}"

# Nine digits at most: a longer "number" is a typo, and would overflow an INTEGER column.
_CONFIRM_ARGS = re.compile(r"^#?(\d{1,9})(?!\d)\s*(.*)$", re.S)


def _pairs(data: dict[str, Any]) -> list[PairView]:
    return [PairView(*p) for p in data["pairs"]]


async def _advance(ctx: Ctx, data: dict[str, Any]) -> Reply:
    """Ask for what is still missing (pair, content, hours), then record the check-in."""
    pairs = _pairs(data)
    if data.get("pair") is None:
        ctx.dialog.go(PICK, data)
        choices = "\n".join(f"{i}. {p.partner_name}（{SIDE_NAMES[p.side]}）"
                            for i, p in enumerate(pairs, 1))
        return Text(ASK_PAIR.format(choices=choices))
    pair = pairs[data["pair"]]
    if not data.get("content"):
        ctx.dialog.go(CONTENT, data)
        return Text(ASK_CONTENT.format(what="带教" if pair.side == "mentor" else "学习"))
    if data.get("hours") is None and not data.get("hours_skipped"):
        ctx.dialog.go(HOURS, data)
        return Text(ASK_HOURS)
    return await _record(ctx, pair, data["content"], data.get("hours"))


async def _record(ctx: Ctx, pair: PairView, content: str, hours: float | None) -> Reply:
    member = ctx.member
    assert member is not None
    day = ctx.now.astimezone(ctx.settings.tz).date()
    by_mentor = pair.side == "mentor"
    # A check-in the mentor writes is confirmed by writing it.
    checkin = await add_checkin(ctx.session, pair_id=pair.pair_id, author_id=member.id, day=day,
                                content=content, hours=hours, now=ctx.now, confirmed=by_mentor)
    facts = {"name": member.name, "id": checkin.id, "day": f"{day.month}月{day.day}日",
             "content": content[:200], "hours": format_hours(hours)}
    notice = NOTICE_TO_APPRENTICE if by_mentor else NOTICE_TO_MENTOR
    await enqueue(ctx.session, kind="checkin-notice", period=f"checkin:{checkin.id}",
                  recipient_id=pair.partner_id, text=notice.format(**facts), now=ctx.now)
    ctx.dialog.end()
    saved = SAVED_BY_MENTOR if by_mentor else SAVED_BY_APPRENTICE
    then = (THEN_MENTOR if by_mentor else THEN_APPRENTICE)[ctx.settings.can_push]
    return Text(saved.format(id=checkin.id, partner=pair.partner_name, hours=format_hours(hours),
                             then=then.format(id=checkin.id)))


@router.command("打卡", aliases=("checkin",), takes_args=True, roles=(ROLE_MEMBER, ROLE_LEADER),
                summary="师徒打卡：记录一次带教或学习", usage="打卡 [内容]")
async def on_checkin(msg: Incoming, ctx: Ctx) -> Reply:
    assert ctx.member is not None
    pairs = await active_pairs_of(ctx.session, ctx.member.id)
    if not pairs:
        return Text(NO_PAIR)
    content = ctx.args.strip()
    if len(content) > MAX_CHARS:
        return Text(TOO_LONG.format(limit=MAX_CHARS, chars=len(content)))
    data: dict[str, Any] = {
        "pairs": [[p.pair_id, p.side, p.partner_id, p.partner_name] for p in pairs],
        "pair": 0 if len(pairs) == 1 else None,
        "content": content,
        "hours": find_hours(content) if content else None,
    }
    return await _advance(ctx, data)


@router.dialog(PICK)
async def on_pick(msg: Incoming, ctx: Ctx) -> Reply:
    data = ctx.dialog.data
    n = len(data["pairs"])
    answer = (msg.text or "").strip()
    if not answer.isdigit() or not 1 <= int(answer) <= n:
        return Text(BAD_PAIR.format(n=n))
    data["pair"] = int(answer) - 1
    return await _advance(ctx, data)


@router.dialog(CONTENT)
async def on_content(msg: Incoming, ctx: Ctx) -> Reply:
    data = ctx.dialog.data
    content = (msg.text or "").strip()
    if not content:
        return Text(ASK_CONTENT.format(what="打卡"))
    if len(content) > MAX_CHARS:
        return Text(TOO_LONG.format(limit=MAX_CHARS, chars=len(content)))
    data["content"] = content
    data["hours"] = find_hours(content)
    return await _advance(ctx, data)


@router.dialog(HOURS)
async def on_hours(msg: Incoming, ctx: Ctx) -> Reply:
    data = ctx.dialog.data
    answer = hours_reply(msg.text or "")
    if answer is None:
        return Text(BAD_HOURS)
    if answer == SKIPPED:
        data["hours_skipped"] = True
    else:
        data["hours"] = answer
    return await _advance(ctx, data)


@router.command("确认", aliases=("confirm",), takes_args=True, roles=(ROLE_MEMBER, ROLE_LEADER),
                summary="师傅确认徒弟的打卡", usage="确认 <编号> [评语]")
async def on_confirm(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None
    found = _CONFIRM_ARGS.match(ctx.args.strip())
    if found is None:
        return Text(CONFIRM_USAGE)
    checkin_id, comment = int(found.group(1)), found.group(2).strip()[:500]
    view = await checkin_view(ctx.session, checkin_id)
    # Anyone else's record, including another studio's, looks the same as a missing one.
    if view is None or view.mentor_id != member.id:
        return Text(NOT_FOUND.format(id=checkin_id))
    if view.checkin.confirmed_at is not None:
        return Text(ALREADY.format(id=checkin_id))
    view.checkin.confirmed_at = ctx.now
    view.checkin.comment = comment or None
    said = f"评语：{comment}" if comment else ""
    await enqueue(ctx.session, kind="checkin-confirmed", period=f"checkin:{checkin_id}",
                  recipient_id=view.apprentice_id,
                  text=CONFIRMED_NOTICE.format(name=member.name, id=checkin_id, comment=said),
                  now=ctx.now)
    return Text(CONFIRMED.format(name=view.apprentice_name, id=checkin_id, comment=said))
