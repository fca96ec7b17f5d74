"""The weekly reminder, the outbox's delivery rules and the working-day calendar."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.wechat_api import WeChatAPI
from locales import words_for
from scheduled.delivery import Deliverer
from scheduled.jobs.report import note_words
from scheduled.scheduler import JOBS, catch_up, due_on, next_run, run_job
from storage.models import JobRun, Member, OutboxMessage
from storage.queries.outbox import claim_pending
from tests.fakes import FakeWeChatAPI
from tests.support import Service, roster_service

ROSTER = """studio,name,employee_no,role,mentor_employee_no,phone
甲工作室,甲领衔,L1,leader,,
甲工作室,近期互动,M1,member,,
甲工作室,久未互动,M2,member,L1,
甲工作室,已交周报,M3,member,,
甲工作室,取消关注,M4,member,,
甲工作室,未绑定,M5,member,,
,管理员,A1,admin,,
"""
OPENIDS = {"L1": "o-l1", "M1": "o-m1", "M2": "o-m2", "M3": "o-m3", "M4": "o-m4", "A1": "o-a1"}
FRIDAY = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai
TZ = ZoneInfo("Asia/Shanghai")
SEND = "/cgi-bin/message/custom/send"
TEMPLATE = "/cgi-bin/message/template/send"
NAME = "weekly-log-reminder"


@pytest.fixture(scope="module")
async def svc(database_url: str, var_dir: Path,
              tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Service]:
    service = await roster_service(database_url, str(var_dir), tmp_path_factory.mktemp("r"),
                                   ROSTER, OPENIDS, FRIDAY)
    # M1 and L1 wrote to the account an hour ago; M2 three days ago; M4 unfollowed.
    assert "已提交" in (await service.text("o-m3", "周报 本周完成点检") or "")
    async with service.db.transaction() as session:
        for no, at in (("M1", FRIDAY - timedelta(hours=1)), ("L1", FRIDAY - timedelta(hours=1)),
                       ("M2", FRIDAY - timedelta(days=3))):
            await session.execute(update(Member).where(Member.employee_no == no)
                                  .values(last_interaction_at=at))
        await session.execute(update(Member).where(Member.employee_no == "M4")
                              .values(subscribed=False))
    yield service
    await service.client.close()


@pytest.fixture
def deliverer(svc: Service, fake_api: FakeWeChatAPI) -> Deliverer:
    fake_api.calls.clear()
    fake_api.scripted.clear()
    api = WeChatAPI(fake_api.base_url, "wx", "secret", clock=svc.clock, retry_delays=(0, 0))
    return Deliverer(svc.db, api, templates={"weekly_log_reminder": "TPL-REMIND"}, tz=TZ,
                     clock=svc.clock)


async def outbox(svc: Service) -> list[OutboxMessage]:
    async with svc.db.transaction() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_reminder_queues_once_per_member_without_a_log(svc: Service) -> None:
    report = await run_job(svc.db, NAME, FRIDAY, TZ)
    assert (report.period, report.queued, report.skipped) == ("2026-W47", 3, 0)
    # M5; M4 unfollowed; M3 logged. The operator tools word the note (ops.jobs).
    assert [note_words(words_for("zh-CN"), n) for n in report.notes] == [
        "1 人尚未绑定微信，无法提醒：未绑定（M5）。完整名单可用 workshop-bot export studios --unbound 导出"]
    rows = await outbox(svc)
    assert len(rows) == 3 and all(r.kind == NAME and r.period == "2026-W47" for r in rows)
    assert "11月22日（周日）24:00" in rows[0].text and "周报 内容" in rows[0].text
    # Running it again — or on a second machine — queues nothing new.
    again = await run_job(svc.db, NAME, FRIDAY + timedelta(minutes=5), TZ)
    assert (again.queued, again.skipped) == (0, 3)
    assert len(await outbox(svc)) == 3
    async with svc.db.transaction() as session:
        runs = list(await session.scalars(select(JobRun).order_by(JobRun.id)))
    assert [(r.period, r.queued, r.skipped) for r in runs] == [("2026-W47", 3, 0),
                                                               ("2026-W47", 0, 3)]
    assert all(r.finished_at is not None for r in runs)


async def test_channels_custom_then_template_by_the_48_hour_window(
    svc: Service, deliverer: Deliverer, fake_api: FakeWeChatAPI
) -> None:
    # L1 and M1 wrote within 48 h: customer-service message. M2 did not: template.
    fake_api.script(SEND, {"errcode": 0}, {"errcode": 45015, "errmsg": "response out of time"})
    report = await deliverer.run()
    assert report.outcomes == {"sent:custom": 1, "sent:template": 2}
    templates = {c.body["touser"]: c.body for c in fake_api.calls_to(TEMPLATE)}
    # M2 by the window; whichever of L1 and M1 met the 45015 by the switch.
    assert "o-m2" in templates and len(set(templates) & {"o-l1", "o-m1"}) == 1
    assert templates["o-m2"]["template_id"] == "TPL-REMIND"
    assert templates["o-m2"]["data"]["thing1"] == {"value": "本周周报未提交"}
    rows = await outbox(svc)
    assert all(r.status == "sent" and r.attempts == 1 for r in rows)
    # Nothing left: a second pass sends nothing.
    assert (await deliverer.run()).total == 0


async def test_unsubscribed_and_busy_and_no_template(svc: Service, deliverer: Deliverer,
                                                     fake_api: FakeWeChatAPI) -> None:
    async with svc.db.transaction() as session:
        await session.execute(update(Member).values(last_interaction_at=FRIDAY))
        ids = {m.employee_no: m.id for m in await session.scalars(select(Member))}
    from storage.queries.outbox import enqueue_many

    async with svc.db.transaction() as session:
        await enqueue_many(session, "checkin-notice", "checkin:1", {
            ids["M1"]: ("取消了关注的人", None), ids["M2"]: ("系统繁忙的人", None),
            ids["L1"]: ("窗口已过的人", None)}, FRIDAY)
        await session.execute(update(Member).where(Member.employee_no == "L1")
                              .values(last_interaction_at=FRIDAY - timedelta(days=3)))
    fake_api.script(SEND, {"errcode": 43004, "errmsg": "require subscribe"},
                    *[{"errcode": -1, "errmsg": "system busy"}] * 3)
    first = await deliverer.run()
    assert first.outcomes == {"undeliverable": 2, "pending": 1}
    rows = {r.text: r for r in await outbox(svc) if r.kind == "checkin-notice"}
    assert rows["取消了关注的人"].status == "undeliverable" and "43004" in rows["取消了关注的人"].result
    assert rows["窗口已过的人"].result == "no_template"  # no WECHAT_TEMPLATE_CHECKIN_NOTICE
    busy = rows["系统繁忙的人"]
    assert busy.status == "pending" and busy.next_attempt_at is not None
    async with svc.db.transaction() as session:
        m1 = await session.scalar(select(Member).where(Member.employee_no == "M1"))
    assert m1 is not None and m1.subscribed is False  # WeChat said so: no more pushes
    # Not due yet; after the back-off it goes out.
    assert (await deliverer.run()).total == 0
    svc.clock.advance(minutes=2)
    try:
        assert (await deliverer.run()).outcomes == {"sent:custom": 1}
    finally:
        svc.clock.advance(minutes=-2)


async def test_a_crash_mid_send_resends_only_what_was_in_flight(
    svc: Service, deliverer: Deliverer, fake_api: FakeWeChatAPI
) -> None:
    from storage.queries.outbox import enqueue_many

    async with svc.db.transaction() as session:
        await session.execute(update(Member).values(last_interaction_at=FRIDAY, subscribed=True))
        ids = [m.id for m in await session.scalars(select(Member).where(Member.openid.is_not(None)))]
        await enqueue_many(session, "notice", "notice:7",
                           {i: (f"通知 {i}", None) for i in ids}, FRIDAY)
    # Half are sent; then the process dies holding the other half in flight.
    assert (await deliverer.run(limit=3)).outcomes == {"sent:custom": 3}
    async with svc.db.transaction() as session:
        stuck = await claim_pending(session, svc.clock.now, 100)
    assert len(stuck) == len(ids) - 3
    assert (await deliverer.run()).total == 0  # in flight: not touched by a live worker
    assert await deliverer.recover(svc.clock.now + timedelta(minutes=6)) == len(ids) - 3
    await deliverer.run()
    sends = [c.body["touser"] for c in fake_api.calls_to(SEND) if c.body["text"]["content"]
             .startswith("通知")]
    assert sorted(sends) == sorted(set(sends)) and len(sends) == len(ids)


def test_holidays_and_make_up_days_move_the_reminder() -> None:
    spec = JOBS[NAME]
    assert due_on(spec, date(2026, 11, 20))  # an ordinary Friday
    assert not due_on(spec, date(2026, 10, 2))  # National Day holiday
    assert due_on(spec, date(2026, 10, 8))  # the first working day after it
    assert due_on(spec, date(2026, 10, 9))  # that week's own Friday
    assert not due_on(spec, date(2026, 10, 10))  # a make-up Saturday is no Friday
    assert not due_on(spec, date(2026, 11, 21))
    start = datetime(2026, 9, 30, 0, 0, tzinfo=UTC)
    assert next_run(spec, start, TZ) == datetime(2026, 10, 8, 16, 0, tzinfo=TZ)


async def test_a_run_missed_while_down_is_caught_up_within_the_grace_window(svc: Service) -> None:
    # Next Friday, the service comes back at 19:00 (three hours late) and finds no run.
    late = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
    [report] = await catch_up(svc.db, late, TZ)
    assert report.period == "2026-W48"
    assert await catch_up(svc.db, late + timedelta(minutes=1), TZ) == []  # done now
    # Back only after the 6-hour grace window (23:30): no catch-up.
    assert await catch_up(svc.db, datetime(2026, 12, 4, 15, 30, tzinfo=UTC), TZ) == []


async def test_leader_digest_sums_up_last_week(svc: Service) -> None:
    assert "还没有名为" in (await svc.text("o-l1", "进展 焊接机器人 完成方案论证 20%") or "")
    await svc.text("o-l1", "是")
    await svc.text("o-l1", "进展 焊接机器人 完成第一轮调试 40%")
    monday = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    report = await run_job(svc.db, "weekly-leader-digest", monday, TZ)
    assert (report.period, report.queued) == ("2026-W47", 1)
    [digest] = [r for r in await outbox(svc) if r.kind == "weekly-leader-digest"]
    # 1 of 6 is 17%, rounded as everywhere (never 100% while someone is missing).
    assert "甲工作室" in digest.text and "周报已交 1/6 人（17%）" in digest.text
    assert "未交：甲领衔、近期互动、久未互动、取消关注、未绑定" in digest.text
    assert "师徒打卡：0 次" in digest.text
    assert "课题进展：焊接机器人（40%）" in digest.text


async def test_mentorship_reminder_reaches_both_sides_of_a_quiet_pair(svc: Service) -> None:
    wednesday = datetime(2026, 12, 9, 2, 0, tzinfo=UTC)  # 10:00, 19 days after pairing
    report = await run_job(svc.db, "mentorship-reminder", wednesday, TZ)
    assert (report.period, report.queued) == ("2026-W50", 2)
    texts = {r.recipient_id: r.text for r in await outbox(svc) if r.kind == "mentorship-reminder"}
    assert any("您和徒弟久未互动结对 19 天" in t for t in texts.values())
    assert any("您和师傅甲领衔结对 19 天" in t for t in texts.values())
    # A check-in resets the clock: a week later nobody is reminded.
    svc.clock.now = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)
    try:
        await svc.text("o-m2", "打卡 学习焊接 1小时")
    finally:
        svc.clock.now = FRIDAY
    later = await run_job(svc.db, "mentorship-reminder", wednesday + timedelta(days=7), TZ)
    assert later.queued == 0


async def test_monthly_summary_for_leaders_and_admins(svc: Service) -> None:
    first = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 1 December, 09:00 in Shanghai
    report = await run_job(svc.db, "monthly-summary", first, TZ)
    assert (report.period, report.queued) == ("2026-11", 2)  # the leader and the admin
    texts = [r.text for r in await outbox(svc) if r.kind == "monthly-summary"]
    studio = next(t for t in texts if "工作室月报" in t)
    # November is ISO weeks 45–48: 6 writers × 4 weeks; one log (M3's, week 47).
    assert "周报：1/24 份（4%，上月无数据）" in studio
    # What the most active did, counted: their logs and check-ins of the month.
    assert "最活跃（按周报和打卡次数）：已交周报（1 次）" in studio
    union = next(t for t in texts if "【11月本工会月报】" in t)
    # Score: logs 30 × 1/24 + topics 15 (its one topic moved in November, in the digest
    # test) + bound 10 × 5/6; no check-in, result or suggestion.
    assert "1 个工作室，周报提交率 4%" in union and "1. 甲工作室 24.6 分，周报 4%" in union
    assert "课题：1/1 个有进展" in studio and "新成果：0 项，已认定 0，经济效益 0 万元" in studio
    assert "指标得分：24.6 分" in studio
    assert (await run_job(svc.db, "monthly-summary", first, TZ)).queued == 0


async def test_quarterly_review_scores_and_flags_studios_at_risk(svc: Service) -> None:
    report = await run_job(svc.db, "quarterly-review", datetime(2027, 1, 4, 1, 30, tzinfo=UTC), TZ)
    assert (report.period, report.queued) == ("2026-Q4", 1)  # the one admin
    [review] = [r.text for r in await outbox(svc) if r.kind == "quarterly-review"]
    # Default weights: 1 log of 6 × 14 expected (30 × 1/84 = 0.36) + its one topic moved
    # (15) + no result or suggestion + 5 of 6 bound (10 × 5/6 = 8.33) = 23.7: no star, at
    # risk. The pair's one check-in (the apprentice's, never confirmed) counts nothing.
    assert "共 1 个工作室：三星 0，二星 0，一星 0，不达标 1" in review
    assert "· 甲工作室 23.7 分" in review
    assert "得分构成：周报30＋师徒打卡20（仅计已确认）＋课题进展15" in review


def test_quarter_and_month_periods() -> None:
    from scheduled.jobs.quarterly_review import quarter_of, stars

    assert quarter_of(date(2027, 1, 4)) == ("2026-Q4", ["2026-10", "2026-11", "2026-12"])
    assert quarter_of(date(2026, 7, 1))[0] == "2026-Q2"
    assert [stars(p) for p in (85, 84.9, 70, 60, 59.9)] == [3, 2, 2, 1, 0]
    spec = JOBS["quarterly-review"]
    assert not due_on(spec, date(2026, 10, 1))  # National Day
    assert due_on(spec, date(2026, 10, 8))  # the first working day after it


async def test_two_workers_draining_one_outbox_send_each_row_once(
    svc: Service, fake_api: FakeWeChatAPI
) -> None:
    from storage.queries.outbox import enqueue_many

    fake_api.calls.clear()
    async with svc.db.transaction() as session:
        await session.execute(update(Member).values(last_interaction_at=FRIDAY, subscribed=True))
        ids = [m.id for m in await session.scalars(select(Member).where(Member.openid.is_not(None)))]
        await enqueue_many(session, "notice", "notice:8", {i: (f"二号通知 {i}", None) for i in ids},
                           FRIDAY)
    apis = [WeChatAPI(fake_api.base_url, "wx", "secret", clock=svc.clock, retry_delays=(0, 0))
            for _ in range(2)]
    workers = [Deliverer(svc.db, api, templates={}, tz=TZ, clock=svc.clock) for api in apis]
    try:
        reports = await asyncio.gather(*(w.run() for w in workers))
    finally:
        for api in apis:
            await api.close()
    # (Rows the earlier tests' jobs queued go out too; this test follows its own.)
    assert sum(r.total for r in reports) >= len(ids)
    assert all(r.status == "sent" for r in await outbox(svc) if r.period == "notice:8")
    sends = [c.body["touser"] for c in fake_api.calls_to(SEND)
             if c.body["text"]["content"].startswith("二号通知")]
    assert len(sends) == len(set(sends)) == len(ids)


def test_percentages_round_half_up_everywhere() -> None:
    from locales import formats
    from scheduled.jobs.monthly_summary import _change
    from scheduled.jobs.weekly_leader_digest import _share

    zh = words_for("zh-CN")
    assert formats.percent(zh, 1 / 6) == "17%"
    assert formats.percent(zh, 0.145) == "15%"  # 14.4999… as a float: still half up
    assert formats.percent(zh, 0.125) == "13%"  # not round()'s half to even, 12
    # The digest: as everywhere, but never 100% while a log is missing, nor 0% after one.
    assert [formats.percent(zh, _share(d, e)) for d, e in ((1, 6), (199, 200), (1, 300),
                                                            (6, 6), (0, 6))] == [
        "17%", "99%", "1%", "100%", "0%"]
    # The monthly change in points: 2.5 points is 3 (``{:.0f}`` said 2), 0.5 is 1.
    assert _change(zh, 0.425, 0.40) == "比上月高 3 个百分点"
    assert _change(zh, 0.405, 0.40) == "比上月高 1 个百分点"
    assert _change(zh, 0.404, 0.40) == "与上月持平"


async def test_a_studio_without_points_is_never_among_the_best(svc: Service) -> None:
    # A second studio whose one member has not bound yet: 0 points in every period.
    from storage.models import Studio

    async with svc.db.transaction() as session:
        studio = Studio(name="乙工作室", created_at=FRIDAY)
        session.add(studio)
        await session.flush()
        session.add(Member(employee_no="B1", name="乙成员", role="member", studio_id=studio.id,
                           created_at=FRIDAY))
    # December: 甲 has 5 of 6 members bound (8.3 points), 乙 none.
    report = await run_job(svc.db, "monthly-summary", datetime(2027, 1, 1, 1, 0, tzinfo=UTC), TZ)
    assert report.period == "2026-12"
    [union] = [r.text for r in await outbox(svc)
               if r.kind == "monthly-summary" and r.period == "2026-12" and "本工会月报" in r.text]
    assert "指标得分最高：\n1. 甲工作室 8.3 分，周报 0%\n需要关注：\n· 乙工作室 0 分" in union
    assert "2. 乙工作室" not in union
    # The quarterly review names the best with points only; both are at risk.
    await run_job(svc.db, "quarterly-review", datetime(2027, 4, 1, 1, 30, tzinfo=UTC), TZ)
    [review] = [r.text for r in await outbox(svc)
                if r.kind == "quarterly-review" and r.period == "2027-Q1"]
    assert "得分最高：\n1. 甲工作室 8.3 分（—）\n（得分构成：" in review
    assert "· 乙工作室 0 分" in review and "2. 乙工作室" not in review
