"""The outbox and the jobs as the union office manages them (the console's 推送 and 任务 pages,
`workshop-bot outbox` and `jobs`): domain.outbox and scheduled.scheduler, on the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain import NotFound, WrongState
from domain import outbox as rules
from locales import words_for
from scheduled.delivery import reason_words
from scheduled.scheduler import JOBS, job_runs, job_table, run_now
from storage.db import Database
from storage.queries.outbox import enqueue_many, settle
from tests.seed import seed

ROSTER = """studio,name,employee_no,role,mentor_employee_no
甲工作室,甲领衔,L1,leader,
甲工作室,甲成员,M1,member,
甲工作室,乙成员,M2,member,
甲工作室,丙成员,M3,member,
,管理员,A1,admin,
"""
FRIDAY = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai
TZ = ZoneInfo("Asia/Shanghai")
ZH = words_for("zh-CN")


@pytest.fixture(scope="module")
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture(scope="module")
async def ids(db: Database) -> dict[str, int]:
    return await seed(db, ROSTER, FRIDAY, {"L1": "o-l1", "M1": "o-m1", "M2": "o-m2"})


async def _queue(db: Database, ids: dict[str, int], period: str) -> dict[str, int]:
    """One notice row for each of L1, M1, M2, M3; then L1's sent, M1's refused by WeChat,
    M2's failed, M3's (never bound) undeliverable with a reason stored before codes."""
    async with db.transaction() as session:
        await enqueue_many(session, "notice", period, {
            ids[no]: (f"通知 {no}", None) for no in ("L1", "M1", "M2", "M3")}, FRIDAY)
        listed = {r.employee_no: r.id for r in await rules.listing(session, kind="notice")
                  if r.period == period}
        await settle(session, listed["L1"], status="sent", channel="custom", result="ok",
                     now=FRIDAY)
        await settle(session, listed["M1"], status="undeliverable", channel="custom",
                     result="rejected:40003", now=FRIDAY)
        await settle(session, listed["M2"], status="failed", channel="template",
                     result="error:-1", now=FRIDAY)
        await settle(session, listed["M3"], status="undeliverable", channel=None,
                     result="收件人未绑定", now=FRIDAY)
    return listed


async def test_rows_are_listed_by_state_and_kind_with_their_reasons_as_codes(
        db: Database, ids: dict[str, int]) -> None:
    listed = await _queue(db, ids, "notice:1")
    async with db.reader() as session:
        counts = await rules.counts(session)
        undeliverable = await rules.listing(session, state="undeliverable", kind="notice")
        newest = await rules.listing(session, limit=2)
        older = await rules.listing(session, limit=2, before=newest[-1].id)
        with pytest.raises(ValueError):
            await rules.listing(session, state="lost")
    assert counts.states == ("sent", "failed", "undeliverable")  # a row's life, in order
    assert counts.kinds == ("notice",)
    assert (counts.count("notice", "undeliverable"), counts.in_state("sent"),
            counts.of_kind("notice"), counts.total) == (2, 1, 4, 4)
    by_no = {r.employee_no: r for r in undeliverable}
    assert set(by_no) == {"M1", "M3"}
    refused = by_no["M1"]
    assert (refused.id, refused.recipient, refused.recipient_id, refused.channel) == (
        listed["M1"], "甲成员", ids["M1"], "custom")
    assert refused.reason == rules.Reason("rejected", "40003", True)
    assert refused.reason.key == "outbox.reason.rejected"
    assert reason_words(ZH, refused.result) == "微信拒绝发送（rejected 40003）"
    old = by_no["M3"].reason
    assert old is not None and (old.known, old.key, old.code) == (False, None, "收件人未绑定")
    assert reason_words(ZH, by_no["M3"].result) == "收件人未绑定"
    assert [r.id for r in newest] == sorted(listed.values(), reverse=True)[:2]
    assert [r.id for r in older] == sorted(listed.values(), reverse=True)[2:4]


async def test_retry_and_drop_follow_the_states_and_say_what_the_row_was(
        db: Database, ids: dict[str, int]) -> None:
    listed = await _queue(db, ids, "notice:2")
    async with db.transaction() as session:
        was = await rules.retry(session, listed["M1"])
        now = await rules.entry(session, listed["M1"])
    assert (was.state, was.reason is not None) == ("undeliverable", True)
    assert (now.state, now.attempts, now.reason) == ("pending", 0, None)
    for refused_id, action, code in ((listed["L1"], rules.retry, "not_retryable"),
                                     (listed["L1"], rules.drop, "not_droppable")):
        with pytest.raises(WrongState) as refused:
            async with db.transaction() as session:
                await action(session, refused_id)
        assert (refused.value.code, refused.value.facts) == (
            code, {"outbox_id": refused_id, "state": "sent"})
    with pytest.raises(NotFound) as missing:
        async with db.transaction() as session:
            await rules.drop(session, 987654)
    assert missing.value.facts == {"outbox_id": 987654}

    async with db.transaction() as session:
        # Every failed row goes back; undeliverable ones stay (their reason is the recipient's).
        assert await rules.retry_failed(session) >= 1
        assert (await rules.entry(session, listed["M2"])).state == "pending"
        assert (await rules.entry(session, listed["M3"])).state == "undeliverable"
        dropped_was = await rules.drop(session, listed["M2"])
        dropped = await rules.entry(session, listed["M2"])
    assert dropped_was.state == "pending"
    assert dropped.state == "dropped" and dropped.reason == rules.Reason(
        "dropped_by_operator", None, True)
    assert not dropped.droppable and dropped.retryable
    with pytest.raises(WrongState):
        async with db.transaction() as session:
            await rules.drop(session, listed["M2"])


async def test_the_job_table_run_now_and_a_second_run_of_the_period(
        db: Database, ids: dict[str, int]) -> None:
    name = "weekly-log-reminder"
    async with db.reader() as session:
        before = {j.spec.name: j for j in await job_table(session, FRIDAY, TZ)}
    assert list(before) == list(JOBS)
    assert before[name].last is None and before[name].delivery == {}
    # Friday 16:00 is the reminder's own time: the next one is a week on.
    assert before[name].next_at == datetime(2026, 11, 27, 16, 0, tzinfo=TZ)
    assert before[name].spec.schedule_in(ZH) == before[name].spec.schedule

    first = await run_now(db, name, FRIDAY, TZ)
    # Bound active members and leaders with no log: L1, M1, M2 (M3 and the admin are not).
    assert (first.period, first.queued, first.skipped) == ("2026-W47", 3, 0)
    again = await run_now(db, name, FRIDAY + timedelta(hours=1), TZ)
    assert (again.period, again.queued, again.skipped) == ("2026-W47", 0, 3)
    async with db.reader() as session:
        after = {j.spec.name: j for j in await job_table(session, FRIDAY, TZ)}
        runs = await job_runs(session, name)
    last = after[name].last
    assert last is not None and last.id == again.run_id and last.manual
    assert (last.period, last.queued, last.skipped, last.finished_at) == (
        "2026-W47", 0, 3, FRIDAY + timedelta(hours=1))
    assert after[name].delivery == {"pending": 3}
    assert [r.id for r in runs] == [again.run_id, first.run_id]
    assert all(r.manual for r in runs)

    with pytest.raises(NotFound) as unknown:
        await run_now(db, "no-such-job", FRIDAY, TZ)
    assert (unknown.value.code, unknown.value.facts) == ("unknown_job", {"name": "no-such-job"})
    with pytest.raises(NotFound):
        async with db.reader() as session:
            await job_runs(session, "no-such-job")
