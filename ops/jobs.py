"""`workshop-bot jobs list|run`: the listing and the manual run are scheduled.scheduler's
(job_table, run_now: the console's 任务 page calls the same); this words them and, for a
run, sends what it queued at once."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from bot.config import Settings
from bot.wechat_api import WeChatAPI
from domain import NotFound
from locales import formats
from ops.terminal import err, office_words
from scheduled.delivery import reason_words
from scheduled.jobs.report import note_words
from storage.db import Database

PREVIEW = 60  # characters of each sent push shown


def real_clock() -> datetime:
    return datetime.now(UTC)


def parse_moment(text: str, tz: tzinfo) -> datetime:
    """`--now`: an ISO 8601 date and time (2026-11-20T16:00, 2026-11-20 16:00, 2026-11-20);
    without an offset, in `tz`. Raises ValueError."""
    at = datetime.fromisoformat(text.strip())
    return at if at.tzinfo is not None else at.replace(tzinfo=tz)


async def jobs_list(settings: Settings, now: datetime) -> int:
    from scheduled.scheduler import configured, describe

    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        listing = await describe(db, now, settings.tz, configured(settings.schedules))
    finally:
        await db.dispose()
    for job in listing:
        run = job.last
        last = words("ops.jobs.never_run") if run is None else words(
            "ops.jobs.last_run_manual" if run.manual else "ops.jobs.last_run",
            at=f"{run.started_at.astimezone(settings.tz):%Y-%m-%d %H:%M}", period=run.period,
            queued=run.queued)
        print(words("ops.jobs.entry", name=job.spec.name, description=job.spec.description(words),
                    schedule=job.spec.schedule_in(words), next=f"{job.next_at:%Y-%m-%d %H:%M}",
                    last=last))
    return 0


async def jobs_run(settings: Settings, name: str, now: datetime) -> int:
    """Run the job as if at `now`, then send what it queued (when the account is set up)."""
    from scheduled.delivery import Deliverer
    from scheduled.scheduler import JOBS, run_now

    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        try:
            report = await run_now(db, name, now, settings.tz, settings.rank_weights)
        except NotFound:
            err.print(words("ops.jobs.unknown", name=name, jobs=formats.join(words, list(JOBS))))
            return 2
        print(words("ops.jobs.queued", name=name, period=report.period, queued=report.queued,
                    skipped=report.skipped))
        for note in report.notes:
            print(words("ops.jobs.note", note=note_words(words, note)))
        if not settings.can_push:
            # Neither this command nor serve sends anything without the credentials.
            print(words("ops.jobs.cannot_push", queued=report.queued))
            return 0
        # The job ran "as if" at --now; sending happens now, on the real clock (the 48-hour
        # window, sent_at and the token's expiry are facts of the present).
        api = WeChatAPI(settings.wechat_api_base, settings.wechat_app_id,
                        settings.wechat_app_secret, clock=real_clock,
                        calls_per_second=settings.wechat_api_calls_per_second)
        try:
            deliverer = Deliverer(db, api, templates=settings.templates, tz=settings.tz,
                                  clock=real_clock)
            sent = await deliverer.run()
        finally:
            await api.close()
    finally:
        await db.dispose()
    for _id, channel, text in sent.sent:
        print(words("ops.jobs.sent", channel=words(f"ops.jobs.channel.{channel}"),
                    text=text[:PREVIEW]))
    summary = words("ops.jobs.outcome_separator").join(
        words("ops.jobs.outcome", outcome=k, n=v) for k, v in sorted(sent.outcomes.items()))
    print(words("ops.jobs.sent_summary", summary=summary or words("ops.jobs.nothing_sent"),
                total=sent.total))
    if sent.stopped:
        print(words("ops.jobs.stopped", reason=reason_words(words, sent.stopped)))
    return 0
