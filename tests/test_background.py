"""What serve runs in the background: the outbox worker and the scheduler with its lease."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import SCHEDULED_KEY
from tests.fakes import FakeWeChatAPI
from tests.support import (
    FakeClock,
    bind_members,
    import_roster_text,
    make_settings,
    start_service,
)

ROSTER = """studio,name,employee_no,role,mentor_employee_no,phone
丙工作室,丙师傅,T1,leader,,
丙工作室,丙徒弟,A1,member,T1,
"""
SEND = "/cgi-bin/message/custom/send"
TEMPLATE = "/cgi-bin/message/template/send"
# Friday 20 November 2026, 16:30 in Shanghai: half an hour after the reminder's time.
LATE_FRIDAY = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


async def test_notices_and_caught_up_reminders_go_out(
    database_url: str, var_dir: Path, fake_api: FakeWeChatAPI, tmp_path: Path
) -> None:
    fake_api.calls.clear()
    settings = make_settings(database_url, str(var_dir), api_base=fake_api.base_url)
    settings.templates = {"weekly_log_reminder": "TPL-REMIND"}
    # First, a service that neither delivers nor schedules: set up the roster.
    setup = await start_service(settings, clock=FakeClock(LATE_FRIDAY))
    await import_roster_text(setup, tmp_path / "roster.csv", ROSTER)
    await bind_members(setup, {"T1": "o-t1", "A1": "o-a1"})
    await setup.text("o-t1", "我的")  # the mentor opens a 48-hour window
    await setup.dispatcher.writer.flush()
    await setup.client.close()

    svc = await start_service(settings, clock=FakeClock(LATE_FRIDAY), deliver=True,
                              run_jobs=True)
    try:
        background = svc.app[SCHEDULED_KEY]
        assert background.leader  # the only process: it holds the scheduler lease
        # Started after 16:00 with no run recorded: the reminder was caught up; neither
        # member has logged, so both get one, by template (nobody wrote in 48 h but T1).
        calls = await asyncio.wait_for(fake_api.wait_for_calls(TEMPLATE, 1), 10)
        assert {c.body["touser"] for c in calls} == {"o-a1"}
        sends = await asyncio.wait_for(fake_api.wait_for_calls(SEND, 1), 10)
        assert "周报提醒" in sends[0].body["text"]["content"]
        # A check-in by the apprentice reaches the mentor through the outbox.
        await svc.text("o-a1", "打卡 学习图纸 2小时")
        background.nudge()
        sends = await asyncio.wait_for(fake_api.wait_for_calls(SEND, 2), 10)
        assert sends[-1].body["touser"] == "o-t1" and "确认" in sends[-1].body["text"]["content"]
    finally:
        await svc.client.close()


async def test_only_one_process_holds_the_scheduler(database_url: str, var_dir: Path) -> None:
    settings = make_settings(database_url, str(var_dir))
    # Past the lease the previous test's (closed) service held.
    clock = FakeClock(LATE_FRIDAY + timedelta(minutes=5))
    services = [await start_service(settings, clock=clock, run_jobs=True) for _ in range(2)]
    try:
        leaders = [s.app[SCHEDULED_KEY] for s in services if s.app[SCHEDULED_KEY].leader]
        assert len(leaders) == 1
        # The leader dies (stops renewing); after the lease term another takes over.
        follower = next(s.app[SCHEDULED_KEY] for s in services
                        if not s.app[SCHEDULED_KEY].leader)
        assert not await follower.renew()
        clock.advance(seconds=91)
        assert await follower.renew()
        assert not await leaders[0].renew()
    finally:
        for s in services:
            await s.client.close()


async def test_rows_a_dead_process_left_in_flight_are_sent_by_a_live_one(
    database_url: str, var_dir: Path, fake_api: FakeWeChatAPI, tmp_path: Path
) -> None:
    """Another process claimed a row and died before recording it (kill -9): after the
    crash rule's wait, this running process sends it — no restart needed."""
    from sqlalchemy import select, update

    from scheduled.delivery import STUCK_AFTER
    from scheduled.service import RECOVER_EVERY
    from storage.models import Member, OutboxMessage
    from storage.queries.outbox import enqueue

    fake_api.calls.clear()
    settings = make_settings(database_url, str(var_dir), api_base=fake_api.base_url)
    clock = FakeClock(LATE_FRIDAY)
    svc = await start_service(settings, clock=clock, deliver=True)
    try:
        await import_roster_text(svc, tmp_path / "roster.csv", ROSTER.replace("丙", "戊"))
        await bind_members(svc, {"T1": "o-dead-t1"})
        async with svc.db.transaction() as session:
            member = await session.scalar(select(Member).where(Member.openid == "o-dead-t1"))
            assert member is not None
            await session.execute(update(Member).where(Member.id == member.id)
                                  .values(last_interaction_at=LATE_FRIDAY))
            await enqueue(session, kind="notice", period="notice:dead", recipient_id=member.id,
                          text="被中断的推送", now=LATE_FRIDAY)
            # As the dead process left it: claimed, in flight, never settled.
            await session.execute(update(OutboxMessage).where(OutboxMessage.period == "notice:dead")
                                  .values(status="in_flight", attempts=1,
                                          in_flight_at=LATE_FRIDAY - STUCK_AFTER - timedelta(seconds=1)))
        background = svc.app[SCHEDULED_KEY]
        clock.advance(seconds=RECOVER_EVERY.total_seconds() + 1)
        background.nudge()
        sends = await asyncio.wait_for(fake_api.wait_for_calls(SEND, 1), 10)
        assert [c.body["text"]["content"] for c in sends] == ["被中断的推送"]
    finally:
        await svc.client.close()
