"""Languages through the endpoint: a member chooses theirs, an admin sets the union's,
Traditional input routes like Simplified."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy import update as sa_update

from locales import t
from storage.models import Member, TradeUnion
from tests.support import Service, roster_fixture

ROSTER = """studio,name,employee_no,role,mentor_employee_no,phone
甲工作室,甲领衔,L1,leader,,
甲工作室,甲成员,M1,member,,
甲工作室,甲二,M2,member,,
甲工作室,甲三,M3,member,,
,管理员,A1,admin,,
"""
OPENIDS = {"L1": "o-l1", "M1": "o-m1", "M2": "o-m2", "M3": "o-m3", "A1": "o-a1"}
FRIDAY = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


svc = roster_fixture(ROSTER, OPENIDS, FRIDAY)


async def language_of(svc: Service, employee_no: str) -> str | None:
    async with svc.db.transaction() as session:
        return await session.scalar(select(Member.language)
                                    .where(Member.employee_no == employee_no))


async def test_language_alone_lists_the_choices(svc: Service) -> None:
    reply = await svc.text("o-m1", "语言") or ""
    for name in ("简体中文", "繁體中文", "English", "ᠮᠣᠩᠭᠣᠯ", "mn+zh-CN"):
        assert name in reply
    assert "当前语言：简体中文（工会默认）" in reply


async def test_traditional_choice_then_everything_in_traditional(svc: Service) -> None:
    set_reply = await svc.text("o-m1", "語言 繁體中文") or ""
    assert "以後用繁體中文和您交流" in set_reply  # said in the new language already
    assert await language_of(svc, "M1") == "zh-TW"
    help_reply = await svc.text("o-m1", "幫助") or ""  # Traditional input routes too
    assert "您可以傳送" in help_reply and "您可以发送" not in help_reply
    assert "您可以发送" in (await svc.text("o-m2", "帮助") or "")  # others unchanged


@pytest.mark.parametrize(("typed", "code"), [("en", "en"), ("ZH-tw", "zh-TW"),
                                             ("蒙汉双语", "mn+zh-CN"), ("ᠮᠣᠩᠭᠣᠯ", "mn"),
                                             ("简体中文", "zh-CN")])
async def test_codes_and_names_choose(svc: Service, typed: str, code: str) -> None:
    await svc.text("o-m3", f"语言 {typed}")
    assert await language_of(svc, "M3") == code


async def test_an_unknown_language_is_refused_and_nothing_changes(svc: Service) -> None:
    before = await language_of(svc, "M2")
    reply = await svc.text("o-m2", "语言 克林贡语") or ""
    assert "没有找到“克林贡语”这种语言" in reply and "English" in reply
    assert await language_of(svc, "M2") == before


async def test_only_an_admin_sets_the_union_default(svc: Service) -> None:
    refused = await svc.text("o-l1", "语言 默认 繁體中文") or ""
    assert "只有工会管理员" in refused
    done = await svc.text("o-a1", "语言 默认 繁體中文") or ""
    assert "默认语言设为繁體中文" in done
    async with svc.db.transaction() as session:
        root = await session.scalar(select(TradeUnion).where(TradeUnion.parent_id.is_(None)))
    assert root is not None and root.language == "zh-TW"
    # A member who chose nothing now reads the union's default; one who chose keeps theirs.
    assert "您可以傳送" in (await svc.text("o-m2", "帮助") or "")
    assert await language_of(svc, "M2") is None
    await svc.text("o-a1", "语言 默认 简体中文")
    assert "您可以发送" in (await svc.text("o-m2", "帮助") or "")


async def test_english_then_help_answers_in_english(svc: Service) -> None:
    assert "English" in (await svc.text("o-l1", "语言 English") or "")
    reply = await svc.text("o-l1", "帮助") or ""
    assert "you can send" in reply.lower() and "您可以" not in reply
    # English aliases keep working, and the leader's commands are listed in English.
    assert reply == (await svc.text("o-l1", "help") or "")
    await svc.text("o-l1", "language zh-CN")
    assert await language_of(svc, "L1") == "zh-CN"


async def test_traditional_log_is_recorded_and_answered_in_traditional(svc: Service) -> None:
    from storage.models import WeeklyLog

    await svc.text("o-m2", "語言 繁體中文")
    reply = await svc.text("o-m2", "週報 本週完成了焊接機器人的調試") or ""
    assert "已提交" in reply and "週報" in reply and "周报" not in reply
    async with svc.db.transaction() as session:
        log = await session.scalar(select(WeeklyLog).join(Member, Member.id == WeeklyLog.member_id)
                                   .where(Member.employee_no == "M2"))
    assert log is not None and log.content == "本週完成了焊接機器人的調試"  # kept as typed


MONGOLIAN = re.compile(r"[\u1800-\u18af]")


async def test_mongolian_command_words_route_and_answer_in_mongolian(svc: Service) -> None:
    await svc.text("o-m3", "语言 ᠮᠣᠩᠭᠣᠯ")
    help_word = t("mn", "cmd.help.words").split("|")[0]
    reply = await svc.text("o-m3", help_word) or ""
    assert MONGOLIAN.search(reply) and "甲三" in reply
    # The Chinese command still works for the same member, in Mongolian too.
    assert reply == (await svc.text("o-m3", "帮助") or "")


async def test_a_bilingual_members_weekly_reminder_carries_both_scripts(svc: Service) -> None:
    from scheduled.scheduler import run_job
    from storage.models import OutboxMessage

    await svc.text("o-m3", "语言 蒙汉双语")
    assert await language_of(svc, "M3") == "mn+zh-CN"
    await run_job(svc.db, "weekly-log-reminder", FRIDAY, svc.settings.tz)
    async with svc.db.transaction() as session:
        m3 = await session.scalar(select(Member.id).where(Member.employee_no == "M3"))
        text = await session.scalar(select(OutboxMessage.text).where(
            OutboxMessage.recipient_id == m3, OutboxMessage.kind == "weekly-log-reminder"))
    assert text is not None and len(text.encode("utf-8")) <= 2048
    mongolian, _, chinese = text.partition("\n\n")
    assert MONGOLIAN.search(mongolian) and not MONGOLIAN.search(chinese)
    assert chinese.startswith("【周报提醒】甲三")


async def test_a_bilingual_notice_carries_both_headings_and_the_text_once(svc: Service) -> None:
    from tests.support import inbox

    await svc.text("o-l1", "通知 周五下午三点在二号车间开安全会")
    await svc.text("o-l1", "确认")
    [notice] = [m for m in await inbox(svc, "M3") if "安全会" in m]
    assert notice.count("周五下午三点在二号车间开安全会") == 1
    assert MONGOLIAN.search(notice.splitlines()[0]) and "甲工作室通知" in notice.splitlines()[1]


@pytest.mark.parametrize("choice", ["zh-CN", "zh-TW", "en", "mn", "mn+zh-CN"])
async def test_help_fits_one_reply_in_every_language_and_role(svc: Service, choice: str) -> None:
    """Help is assembled from many lines: in every language and for the role with the most
    commands it stays within 2,048 bytes and keeps its footer (取消 …)."""
    for openid, employee_no in (("o-l1", "L1"), ("o-a1", "A1"), ("o-m1", "M1")):
        async with svc.db.transaction() as session:
            await session.execute(sa_update(Member).where(Member.employee_no == employee_no)
                                  .values(language=choice))
        reply = await svc.text(openid, "帮助") or ""
        first = choice.split("+")[0]
        assert len(reply.encode("utf-8")) <= 2048
        assert reply.endswith(t(first, "common.help_footer"))
    async with svc.db.transaction() as session:
        await session.execute(sa_update(Member).values(language=None))
