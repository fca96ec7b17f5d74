"""`workshop-bot outbox`: what waits to be pushed, what failed and why; retry and drop."""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from ops.terminal import err, out, print_table
from scheduled import delivery
from storage.db import Database
from storage.queries.outbox import (
    OUTBOX_STATES,
    RETRYABLE_STATES,
    drop_outbox,
    outbox_counts,
    outbox_listed,
    outbox_status,
    retry_outbox,
)

STATE_WORDS = {"pending": "待发送", "in_flight": "发送中", "sent": "已发送", "failed": "失败",
               "undeliverable": "无法送达", "dropped": "已放弃"}
REASON_WORDS = {
    delivery.SENT: "已送达",
    delivery.NOT_BOUND: "收件人还没有绑定微信",
    delivery.UNSUBSCRIBED: "收件人已取消关注公众号",
    delivery.NO_TEMPLATE: "48 小时内没有互动，且没有配置模板消息",
    delivery.TEMPLATE_FAILED: "模板消息被微信拒绝",
    delivery.REJECTED: "微信拒绝发送",
    delivery.BUSY: "微信繁忙，稍后重试",
    delivery.QUOTA: "今日接口调用次数已用完",
    delivery.ERROR: "发送出错，稍后重试",
    delivery.STALE: "已过时：在发出前事情已办完",
    delivery.DROPPED: "管理员放弃发送",
}


def reason_words(result: str | None) -> str:
    """「中文说明（code）」 for a stored reason such as ``rejected:43004``."""
    if not result:
        return ""
    code, _, errcode = result.partition(":")
    words = REASON_WORDS.get(code)
    if words is None:
        return result  # written before reasons were codes
    return f"{words}（{code}{' ' + errcode if errcode else ''}）"


async def outbox_summary(settings: Settings) -> int:
    db = Database(settings.effective_database_url)
    try:
        async with db.transaction() as session:
            counts = await outbox_counts(session)
    finally:
        await db.dispose()
    if not counts:
        out.print("推送队列是空的。")
        return 0
    states = [s for s in OUTBOX_STATES if any(st == s for _k, st in counts)]
    lines = []
    for kind in sorted({k for k, _s in counts}):
        row = [counts.get((kind, s), 0) for s in states]
        lines.append([kind, *map(str, row), str(sum(row))])
    totals = [sum(n for (_k, st), n in counts.items() if st == s) for s in states]
    lines.append(["合计", *map(str, totals), str(sum(totals))])
    print_table(["类型 kind", *(f"{STATE_WORDS[s]} {s}" for s in states), "合计"], lines)
    if not settings.can_push and any(st == "pending" for _k, st in counts):
        out.print("提示：未配置 WECHAT_APP_ID / WECHAT_APP_SECRET，待发送的推送不会发出。")
    return 0


async def outbox_list(settings: Settings, *, state: str | None, kind: str | None,
                      limit: int) -> int:
    if limit < 1:
        err.print("--limit 要大于 0")
        return 2
    db = Database(settings.effective_database_url)
    try:
        async with db.transaction() as session:
            rows = await outbox_listed(session, state=state, kind=kind, limit=limit)
    finally:
        await db.dispose()
    if not rows:
        out.print("没有符合条件的推送。")
        return 0
    print_table(["编号", "收件人", "类型", "键", "状态", "次数", "原因", "排队时间"],
                ([str(r.id), f"{r.recipient}（{r.employee_no}）", r.kind, r.period,
                  STATE_WORDS.get(r.status, r.status), str(r.attempts), reason_words(r.result),
                  _when(r.created_at, settings)] for r in rows))
    return 0


def _when(moment: datetime, settings: Settings) -> str:
    return moment.astimezone(settings.tz).strftime("%m-%d %H:%M")


async def outbox_retry(settings: Settings, outbox_id: int | None, *, all_failed: bool) -> int:
    if (outbox_id is None) == (not all_failed):
        err.print("请给出一个编号，或用 --failed 重发全部失败的推送（二者选一）")
        return 2
    db = Database(settings.effective_database_url)
    try:
        async with db.transaction() as session:
            if outbox_id is not None:
                status = await outbox_status(session, outbox_id)
                if status is None:
                    err.print(f"没有编号为 {outbox_id} 的推送。用 workshop-bot outbox list 查看编号。")
                    return 1
                if status not in RETRYABLE_STATES:
                    err.print(f"编号 {outbox_id} 的推送是“{STATE_WORDS.get(status, status)}”，"
                              "只有失败、无法送达或已放弃的推送可以重发。")
                    return 1
            changed = await retry_outbox(session, outbox_id=outbox_id)
    finally:
        await db.dispose()
    out.print(f"已重新排队 {changed} 条推送。" + (
        "workshop-bot serve 运行时会发送。" if settings.can_push
        else "但未配置 WECHAT_APP_ID / WECHAT_APP_SECRET，配置后才会发送。"))
    return 0


async def outbox_drop(settings: Settings, outbox_id: int) -> int:
    db = Database(settings.effective_database_url)
    try:
        async with db.transaction() as session:
            status = await outbox_status(session, outbox_id)
            if status is None:
                err.print(f"没有编号为 {outbox_id} 的推送。用 workshop-bot outbox list 查看编号。")
                return 1
            if not await drop_outbox(session, outbox_id, delivery.DROPPED):
                err.print(f"编号 {outbox_id} 的推送是“{STATE_WORDS.get(status, status)}”，不能放弃。")
                return 1
    finally:
        await db.dispose()
    out.print(f"编号 {outbox_id} 的推送已放弃，不会发送。")
    return 0
