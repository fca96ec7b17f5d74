"""通知: a leader's announcement to the whole studio, sent after a confirm step."""

from __future__ import annotations

from bot.context import Ctx, Incoming
from bot.replies import Reply, Text, fit_lines
from bot.routing import Router
from handlers.parsing import is_yes
from storage.models import ROLE_LEADER
from storage.queries.notices import (
    NOTICE_KIND,
    add_notice,
    notice_period,
    recent_notices,
    studio_audience,
)
from storage.queries.outbox import enqueue_many

router = Router("notices")

CONFIRM = "notices.confirm"

# A customer-service text message holds 2,048 bytes; keep room for the heading.
MAX_CHARS = 600

NOBODY = "本工作室目前没有能收到通知的成员{why}。请提醒成员先绑定并关注公众号。"
ASK_CONFIRM = ("将把以下通知发给本工作室 {n} 名成员{skipped}：\n——\n{content}\n——\n"
               "回复“确认”发送，回复“取消”放弃。")
SKIPPED = "（另有 {n} 人{why}，收不到）"
NOT_CONFIRMED = "请回复“确认”发送这条通知，或回复“取消”放弃。"
QUEUED = {True: "通知（编号 {id}）已安排发送给 {n} 人。稍后发送“通知”可查看送达情况。",
          # Nothing sends pushes without WECHAT_APP_ID/SECRET: say so instead of "sending".
          False: "已记录通知（编号 {id}，{n} 人）。公众号还没有配置消息发送，配置后才会送达。"}
TOO_LONG = "通知最多 {limit} 字，这次有 {chars} 字，请精简后再发。"
MESSAGE = "【{studio}通知】{content}\n——{leader}"
NO_NOTICES = "您的工作室还没有发过通知。发送“通知 内容”即可向全体成员发通知。"
STATUS_HEADER = "最近的通知及送达情况："
STATUS_LINE = ("编号 {id}（{day}）{snippet}\n"
               "   共 {n} 人：已送达 {delivered}，未送达 {failed}，{waiting_word} {waiting}")
WAITING_WORD = {True: "发送中", False: "待发送"}
NOT_SENDING = "（公众号还没有配置消息发送，待发送的通知配置后才会送达。）"
MORE = "……更早的通知请联系管理员查询。"


def _why(unbound: int, unfollowed: int) -> str:
    parts = [f"{unbound} 人未绑定"] if unbound else []
    if unfollowed:
        parts.append(f"{unfollowed} 人已取消关注")
    return "、".join(parts)


@router.command("通知", aliases=("notice",), takes_args=True, roles=(ROLE_LEADER,),
                summary="通知：向本工作室全体成员发通知；只发“通知”查看送达情况",
                usage="通知 [内容]")
async def on_notice(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None and member.studio_id is not None
    content = ctx.args.strip()
    if not content:
        return await _status(ctx)
    if len(content) > MAX_CHARS:
        return Text(TOO_LONG.format(limit=MAX_CHARS, chars=len(content)))
    audience = await studio_audience(ctx.session, member.studio_id, member.id)
    why = _why(audience.unbound, audience.unfollowed)
    if not audience.reachable:
        return Text(NOBODY.format(why=f"（{why}）" if why else ""))
    ctx.dialog.go(CONFIRM, {"content": content})
    skipped = audience.unbound + audience.unfollowed
    return Text(ASK_CONFIRM.format(n=len(audience.reachable), content=content,
                                   skipped=SKIPPED.format(n=skipped, why="未绑定或已取消关注")
                                   if skipped else ""))


@router.dialog(CONFIRM)
async def on_confirm(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None and member.studio_id is not None
    if not is_yes(msg.text or ""):
        return Text(NOT_CONFIRMED)
    content = str(ctx.dialog.data["content"])
    ctx.dialog.end()
    # Counted again now: someone may have bound or left since the question was asked.
    audience = await studio_audience(ctx.session, member.studio_id, member.id)
    if not audience.reachable:
        why = _why(audience.unbound, audience.unfollowed)
        return Text(NOBODY.format(why=f"（{why}）" if why else ""))
    notice = await add_notice(ctx.session, studio_id=member.studio_id, author_id=member.id,
                              content=content, recipients=len(audience.reachable), now=ctx.now)
    text = MESSAGE.format(studio=member.studio_name or "工作室", content=content, leader=member.name)
    day = ctx.now.astimezone(ctx.settings.tz).date().isoformat()
    fields = {"thing1": f"{member.studio_name or ''}通知"[:20], "time2": day}
    # One row per member under the notice's own key: a re-run of this transaction (WeChat
    # retrying the confirm) cannot queue anyone twice.
    await enqueue_many(ctx.session, NOTICE_KIND, notice_period(notice.id),
                       dict.fromkeys(audience.reachable, (text, fields)), ctx.now)
    return Text(QUEUED[ctx.settings.can_push].format(id=notice.id, n=len(audience.reachable)))


async def _status(ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None and member.studio_id is not None
    notices = await recent_notices(ctx.session, member.studio_id)
    if not notices:
        return Text(NO_NOTICES)
    lines = [STATUS_HEADER]
    for n in notices:
        day = n.created_at.astimezone(ctx.settings.tz)
        snippet = n.content if len(n.content) <= 20 else n.content[:20] + "…"
        lines.append(STATUS_LINE.format(id=n.id, day=f"{day.month}月{day.day}日", snippet=snippet,
                                        n=n.recipients, delivered=n.delivered, failed=n.failed,
                                        waiting=n.waiting,
                                        waiting_word=WAITING_WORD[ctx.settings.can_push]))
    if not ctx.settings.can_push:
        lines.append(NOT_SENDING)
    return Text(fit_lines(lines, MORE))
