"""`workshop-bot jobs list|run`."""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from bot.wechat_api import WeChatAPI
from ops.terminal import err
from storage.db import Database


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
        if not settings.can_push:
            # Neither this command nor serve sends anything without the credentials.
            print(f"未配置 WECHAT_APP_ID / WECHAT_APP_SECRET：这 {report.queued} 条推送已保存在队列中，"
                  "但不会发出；配置后由 workshop-bot serve 发送（workshop-bot outbox 可查看）。")
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


