"""Migration 0009: the Chinese words stored for topic kinds and statuses and for result types
become codes, and back on downgrade; every reader still sees the same words. 0008 and 0012
on tables with rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from locales import t
from storage.db import Database, UTCDateTime
from storage.migrate import current_revision, downgrade, head_revision, upgrade
from tests.test_migrations import _diff

AT = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
# What 0007–0008 stored, and the code 0009 makes of it.
KINDS = {"技术攻关": "tech_breakthrough", "课题研究": "research", "五小": "five_small", "QC": "qc"}
STATUSES = {"立项": "approved", "攻关中": "in_progress", "验收": "acceptance",
            "推广应用": "applied", "暂停": "paused"}
TYPES = {"发明专利": "invention_patent", "实用新型": "utility_model", "外观设计": "design_patent",
         "软件著作权": "software_copyright", "QC成果": "qc_result", "五小成果": "five_small",
         "论文": "paper", "竞赛获奖": "award", "其他": "other"}
# (kind, status) of the topics: every word of each once at least.
TOPICS = [("技术攻关", "立项"), ("课题研究", "攻关中"), ("五小", "验收"), ("QC", "推广应用"),
          ("技术攻关", "暂停")]
UNKNOWN = "自定义"  # a value that is no known word stays as it was


def _sql(statement: str, **times: datetime) -> sa.TextClause:
    clause = sa.text(statement)
    return clause.bindparams(*(sa.bindparam(name, value, type_=UTCDateTime())
                               for name, value in times.items()))


async def _old_rows(conn: AsyncConnection) -> None:
    """Rows as release 0008 wrote them, with plain SQL (the models describe 0009's schema)."""
    await conn.execute(_sql("INSERT INTO studio (id, name, stars, status, created_at) "
                            "VALUES (1, '甲工作室', 0, 'active', :at)", at=AT))
    await conn.execute(_sql("INSERT INTO member (id, employee_no, name, role, studio_id, "
                            "subscribed, active, created_at) VALUES (1, 'L1', '甲领衔', 'leader', "
                            "1, true, true, :at)", at=AT))
    for i, (kind, status) in enumerate([*TOPICS, (UNKNOWN, UNKNOWN)], 1):
        await conn.execute(_sql(
            "INSERT INTO topic (id, studio_id, title, kind, status, created_at, updated_at) "
            f"VALUES ({i}, 1, '课题{i}', '{kind}', '{status}', :at, :at)", at=AT))
        await conn.execute(_sql(
            "INSERT INTO topic_progress (topic_id, author_id, content, status, created_at) "
            f"VALUES ({i}, 1, '推进', '{status}', :at)", at=AT))
    for i, kind in enumerate([*TYPES, UNKNOWN], 1):
        await conn.execute(_sql(
            "INSERT INTO achievement (id, studio_id, member_id, type, title, promoted, status, "
            f"created_at) VALUES ({i}, 1, 1, '{kind}', '成果{i}', false, 'reported', :at)",
            at=AT))


async def _stored(conn: AsyncConnection) -> dict[str, list[Any]]:
    async def column(query: str) -> list[Any]:
        return [tuple(row) for row in (await conn.execute(sa.text(query))).all()]

    return {
        "topic": await column("SELECT kind, status FROM topic ORDER BY id"),
        "progress": await column("SELECT status FROM topic_progress ORDER BY topic_id"),
        "achievement": await column("SELECT type FROM achievement ORDER BY id"),
    }


async def test_stored_words_become_codes_and_read_the_same(database_url: str) -> None:
    db = Database(database_url)
    try:
        await downgrade(db.engine, "0008")
        async with db.engine.begin() as conn:
            await _old_rows(conn)
            before = await _stored(conn)
        await upgrade(db.engine)
        assert await current_revision(db.engine) == head_revision(database_url)
        async with db.engine.begin() as conn:
            after = await _stored(conn)
            # The schema is the models' again, with rows in the tables.
            assert await conn.run_sync(_diff) == []
        expected_topics = [(KINDS[k], STATUSES[s]) for k, s in TOPICS] + [(UNKNOWN, UNKNOWN)]
        assert after["topic"] == expected_topics
        assert after["progress"] == [(s,) for _, s in expected_topics]
        assert after["achievement"] == [(TYPES[k],) for k in TYPES] + [(UNKNOWN,)]
        # Every reader still sees the word that was stored before.
        for (old_kind, old_status), (kind, status) in zip(TOPICS, after["topic"][:-1], strict=True):
            assert t("zh-CN", f"topic.kind.{kind}") == old_kind
            assert t("zh-CN", f"topic.status.{status}") == old_status
        for old_type, (code,) in zip(TYPES, after["achievement"][:-1], strict=True):
            assert t("zh-CN", f"result.type.{code}") == old_type
        # The longest codes fit (PostgreSQL would refuse them in the old 16 characters).
        async with db.engine.begin() as conn:
            await conn.execute(_sql(
                "INSERT INTO topic (id, studio_id, title, kind, status, created_at, updated_at) "
                "VALUES (100, 1, '新课题', 'tech_breakthrough', 'in_progress', :at, :at)", at=AT))
            await conn.execute(_sql(
                "INSERT INTO achievement (id, studio_id, member_id, type, title, promoted, status, "
                "created_at) VALUES (100, 1, 1, 'software_copyright', '新成果', false, "
                "'reported', :at)", at=AT))
            await conn.execute(sa.text("DELETE FROM topic WHERE title = '新课题'"))
            await conn.execute(sa.text("DELETE FROM achievement WHERE title = '新成果'"))
        # And back: 0008's words, in 0008's columns.
        await downgrade(db.engine, "0008")
        async with db.engine.begin() as conn:
            assert await _stored(conn) == before
        await upgrade(db.engine)
        async with db.engine.begin() as conn:
            assert await _stored(conn) == after
    finally:
        await db.dispose()


async def test_0008_upgrades_and_downgrades_a_database_with_rows(database_url: str) -> None:
    """Members referenced by other rows (logs, outbox) survive 0008 both ways: SQLite cannot
    rebuild a table that foreign keys point at, so the migration must not try."""
    db = Database(database_url)
    try:
        await downgrade(db.engine, "0007")
        async with db.engine.begin() as conn:
            await conn.execute(_sql("INSERT INTO studio (id, name, stars, status, created_at) "
                                    "VALUES (50, '乙工作室', 0, 'active', :at)", at=AT))
            await conn.execute(_sql(
                "INSERT INTO member (id, employee_no, name, role, studio_id, language, subscribed, "
                "active, created_at) VALUES (50, 'M50', '乙成员', 'member', 50, 'zh-CN', true, "
                "true, :at), (51, 'M51', '乙二', 'member', 50, 'en', true, true, :at)", at=AT))
            await conn.execute(_sql(
                "INSERT INTO weekly_log (member_id, studio_id, week, content, late, version, "
                "submitted_at, updated_at) VALUES (50, 50, '2026-W47', '周报', false, 1, :at, :at)",
                at=AT))
            await conn.execute(_sql(
                "INSERT INTO outbox_message (kind, period, recipient_id, text, status, attempts, "
                "result, created_at) VALUES ('notice', 'notice:1', 50, '甲', 'undeliverable', 1, "
                "'收件人已取消关注公众号', :at), ('notice', 'notice:1', 51, '乙', 'failed', 5, "
                "'-1: 微信繁忙，稍后重试', :at)", at=AT))
        await upgrade(db.engine)
        async with db.engine.begin() as conn:
            languages = (await conn.execute(sa.text(
                "SELECT id, language FROM member WHERE id >= 50 ORDER BY id"))).all()
            reasons = (await conn.execute(sa.text(
                "SELECT result FROM outbox_message ORDER BY recipient_id"))).scalars().all()
            logs = (await conn.execute(sa.text("SELECT count(*) FROM weekly_log"))).scalar()
            assert await conn.run_sync(_diff) == []
        # zh-CN was everyone's default, not a choice: it now follows the union's default.
        assert [tuple(r) for r in languages] == [(50, None), (51, "en")]
        assert list(reasons) == ["unsubscribed", "busy:-1"] and logs == 1
        await downgrade(db.engine, "0007")
        async with db.engine.begin() as conn:
            back = (await conn.execute(sa.text(
                "SELECT language FROM member WHERE id >= 50 ORDER BY id"))).scalars().all()
        assert list(back) == ["zh-CN", "en"]
        await upgrade(db.engine)
    finally:
        await db.dispose()


# A topic's history as 0011 stored it: (content, status, percent) → the kind 0012 gives it.
HISTORY = [
    (("开题", "in_progress", 5), "progress"),  # the first update, which started the work
    (("状态改为验收", "acceptance", None), "status"),
    (("狀態改為推廣應用", "applied", None), "status"),
    (("Status changed to paused", "paused", None), "status"),
    (("状态改为验收", None, None), "progress"),  # prose that moved nothing
    (("完成第二轮试验", None, 60), "progress"),
]


async def test_0012_tells_status_changes_apart_and_frees_a_deleted_topics_name(
        database_url: str) -> None:
    db = Database(database_url)
    try:
        await downgrade(db.engine, "0011")
        async with db.engine.begin() as conn:
            await conn.execute(_sql("INSERT INTO studio (id, name, stars, status, created_at) "
                                    "VALUES (70, '丙工作室', 0, 'active', :at)", at=AT))
            await conn.execute(_sql("INSERT INTO member (id, employee_no, name, role, studio_id, "
                                    "subscribed, active, created_at) VALUES (70, 'L70', '丙领衔', "
                                    "'leader', 70, true, true, :at)", at=AT))
            await conn.execute(_sql(
                "INSERT INTO topic (id, studio_id, title, kind, status, created_at, updated_at) "
                "VALUES (70, 70, '液压站', 'qc', 'paused', :at, :at)", at=AT))
            for (content, status, percent), _kind in HISTORY:
                await conn.execute(_sql(
                    "INSERT INTO topic_progress (topic_id, author_id, content, status, percent, "
                    "created_at) VALUES (70, 70, :content, :status, :percent, :at)", at=AT)
                    .bindparams(content=content, status=status, percent=percent))
        await upgrade(db.engine)
        async with db.engine.begin() as conn:
            kinds = (await conn.execute(sa.text(
                "SELECT kind FROM topic_progress WHERE topic_id = 70 ORDER BY id"))).scalars()
            assert list(kinds) == [kind for _row, kind in HISTORY]
            assert await conn.run_sync(_diff) == []
            # Deleted, its name taken by a new topic: both are kept, the history too.
            await conn.execute(_sql("UPDATE topic SET deleted_at = :at WHERE id = 70", at=AT))
            await conn.execute(_sql(
                "INSERT INTO topic (id, studio_id, title, kind, status, created_at, updated_at) "
                "VALUES (71, 70, '液压站', 'qc', 'approved', :at, :at)", at=AT))
            with pytest.raises(sa.exc.IntegrityError):
                async with conn.begin_nested():
                    await conn.execute(_sql(
                        "INSERT INTO topic (id, studio_id, title, kind, status, created_at, "
                        "updated_at) VALUES (72, 70, '液压站', 'qc', 'approved', :at, :at)",
                        at=AT))
        # Back to one name per studio: the deleted topic gives way.
        await downgrade(db.engine, "0011")
        async with db.engine.begin() as conn:
            titles = (await conn.execute(sa.text(
                "SELECT id, title FROM topic WHERE studio_id = 70 ORDER BY id"))).all()
            kept = (await conn.execute(sa.text(
                "SELECT count(*) FROM topic_progress WHERE topic_id = 70"))).scalar()
        assert [tuple(t) for t in titles] == [(70, "液压站 #70"), (71, "液压站")]
        assert kept == len(HISTORY)
        await upgrade(db.engine)
        async with db.engine.begin() as conn:
            assert await conn.run_sync(_diff) == []
    finally:
        await db.dispose()
