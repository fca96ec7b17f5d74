"""What became of a notice (the console's notice pages): its pushes by state, channel and
reason, and a studio's notices with those counts — domain.notices on the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from domain import NotFound
from domain import notices as rules
from domain.members import OFFICE, Actor, actor
from domain.outbox import Reason
from locales import pushes
from storage.db import Database
from storage.models import OutboxMessage
from storage.queries.outbox import settle
from tests.seed import seed

ROSTER = """studio,name,employee_no,role,mentor_employee_no
甲工作室,甲领衔,L1,leader,
甲工作室,甲成员,M1,member,
甲工作室,乙成员,M2,member,
甲工作室,丙成员,M3,member,
甲工作室,丁成员,M4,member,
乙工作室,乙领衔,L2,leader,
乙工作室,戊成员,N1,member,
,管理员,A1,admin,
"""
OPENIDS = {no: f"o-{no.lower()}" for no in ("L1", "M1", "M2", "M3", "M4", "L2", "N1", "A1")}
FRIDAY = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture(scope="module")
async def ids(db: Database) -> dict[str, int]:
    return await seed(db, ROSTER, FRIDAY, OPENIDS)


async def post(db: Database, author: int, studio_id: int | None, text: str, at: datetime,
               audience: str = "studio") -> rules.PostedNotice:
    def word(choice: str | None, notice: rules.PostedNotice
             ) -> tuple[str, dict[str, str] | None]:
        return pushes.notice(choice, content=notice.content, author="甲领衔", sender="甲工作室",
                             at="2026-11-20")

    async with db.transaction() as session:
        return await rules.post_notice(session, studio_id=studio_id, author_id=author,
                                       content=text, now=at, word=word, audience=audience)


async def test_a_notice_report_counts_its_pushes_by_state_channel_and_reason(
        db: Database, ids: dict[str, int]) -> None:
    leader = await _actor(db, ids["L1"])
    posted = await post(db, ids["L1"], leader.studio_id, "周五下午三点开技术交流会", FRIDAY)
    assert posted.recipients == 4
    async with db.transaction() as session:
        rows = {r.recipient_id: r.id for r in await session.scalars(
            select(OutboxMessage).where(OutboxMessage.period == f"notice:{posted.notice_id}"))}
        for member, state, channel, result in (
                ("M1", "sent", "custom", "ok"), ("M2", "sent", "template", "ok"),
                ("M3", "undeliverable", "template", "rejected:43004")):
            await settle(session, rows[ids[member]], status=state, channel=channel,
                         result=result, now=FRIDAY)
        report = await rules.notice_report(session, leader, posted.notice_id)
    assert (report.notice_id, report.author, report.audience, report.recipients) == (
        posted.notice_id, "甲领衔", "studio", 4)
    d = report.deliveries
    assert (d.queued, d.sent, d.failed, d.waiting, d.dropped) == (4, 2, 1, 1, 0)
    assert d.channels == ("custom", "template", None)
    assert d.on_channel("template") == {"sent": 1, "undeliverable": 1}
    assert d.on_channel(None) == {"pending": 1}
    assert d.reasons == {"rejected": 1}
    assert (("undeliverable", "template", Reason("rejected", "43004", True)), 1) in d.by.items()


async def _actor(db: Database, member_id: int) -> Actor:
    async with db.reader() as session:
        return await actor(session, member_id)


async def test_a_studio_lists_its_notices_and_nobody_sees_anothers(
        db: Database, ids: dict[str, int]) -> None:
    leader, other = await _actor(db, ids["L1"]), await _actor(db, ids["L2"])
    first = await post(db, ids["L2"], other.studio_id, "第一条", FRIDAY)
    second = await post(db, ids["L2"], other.studio_id, "第二条", FRIDAY + timedelta(hours=1))
    union = await post(db, ids["A1"], None, "全体领衔人开会", FRIDAY, audience="leaders")
    async with db.reader() as session:
        listed = await rules.studio_notices(session, other, other.studio_id)
        page = await rules.studio_notices(session, other, other.studio_id, limit=1,
                                          before=second.notice_id)
        unions = await rules.studio_notices(session, OFFICE, None)
        for who, notice_id in ((leader, first.notice_id), (other, union.notice_id)):
            with pytest.raises(NotFound):
                await rules.notice_report(session, who, notice_id)
        for who, studio_id in ((leader, other.studio_id), (other, None)):
            with pytest.raises(NotFound):
                await rules.studio_notices(session, who, studio_id)
        seen_by_admin = await rules.notice_report(session, OFFICE, first.notice_id)
    assert [n.notice_id for n in listed] == [second.notice_id, first.notice_id]
    assert [n.content for n in listed] == ["第二条", "第一条"]
    assert all(n.deliveries.queued == n.recipients == 1 for n in listed)  # N1 only
    assert [n.notice_id for n in page] == [first.notice_id]
    assert [(n.notice_id, n.audience, n.deliveries.waiting) for n in unions] == [
        (union.notice_id, "leaders", 2)]
    assert seen_by_admin.content == "第一条"
