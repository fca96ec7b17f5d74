"""Check-ins and confirmations through the real endpoint, with outbox notices."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select, update

from bot.simulator import text_xml
from ops import exports
from storage.models import CheckIn, Member, MentorshipPair, OutboxMessage
from tests.support import Service, inbox, number_in, roster_fixture

ROSTER = """studio,name,employee_no,role,mentor_employee_no,phone
甲工作室,甲领衔,L1,leader,,
甲工作室,甲师傅,T1,member,,
甲工作室,甲徒一,A1,member,T1,
甲工作室,甲徒二,A2,member,T1,
甲工作室,甲闲人,M1,member,,
乙工作室,乙领衔,L2,leader,,
乙工作室,乙徒,B1,member,L2,
"""
OPENIDS = {"L1": "o-l1", "T1": "o-t1", "A1": "o-a1", "A2": "o-a2", "M1": "o-m1",
           "L2": "o-l2", "B1": "o-b1"}
FRIDAY = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


svc = roster_fixture(ROSTER, OPENIDS, FRIDAY)


async def checkins(svc: Service) -> list[CheckIn]:
    async with svc.db.transaction() as session:
        return list(await session.scalars(select(CheckIn).order_by(CheckIn.id)))


async def test_apprentice_checks_in_and_the_mentor_confirms(svc: Service) -> None:
    reply = await svc.text("o-a1", "打卡 跟师傅学习焊接工艺图纸 2小时") or ""
    assert "已记录师徒打卡" in reply and "甲师傅" in reply and "2 小时" in reply
    number = number_in(reply)
    [notice] = await inbox(svc, "T1")
    assert "甲徒一" in notice and f"确认 {number}" in notice and "11月20日" in notice
    confirmed = await svc.text("o-t1", f"确认 {number} 讲解很到位") or ""
    assert "已确认甲徒一的打卡" in confirmed and "讲解很到位" in confirmed
    assert any("确认了您的打卡" in t and "讲解很到位" in t for t in await inbox(svc, "A1"))
    assert "已经确认过" in (await svc.text("o-t1", f"confirm {number}") or "")
    [checkin] = await checkins(svc)
    assert (checkin.hours, checkin.checkin_date, checkin.comment) == (2.0, date(2026, 11, 20),
                                                                     "讲解很到位")
    assert checkin.confirmed_at is not None


async def test_only_the_pairs_mentor_can_confirm(svc: Service) -> None:
    reply = await svc.text("o-b1", "打卡 学习领衔人的操作法 1.5h") or ""
    number = number_in(reply)
    # Another studio's leader, an outsider in the same studio, and the apprentice: refused
    # with the same answer as a number that does not exist.
    for openid in ("o-l1", "o-t1", "o-b1", "o-m1"):
        refused = await svc.text(openid, f"确认 {number}") or ""
        assert f"找不到您可以确认的编号 {number}" in refused
    assert "找不到" in (await svc.text("o-l2", "确认 99999") or "")
    assert "确认 编号" in (await svc.text("o-l2", "确认 好的") or "")
    assert "已确认乙徒的打卡" in (await svc.text("o-l2", f"确认 {number}") or "")


async def test_mentor_with_two_apprentices_picks_one_and_gives_hours(svc: Service) -> None:
    assert "回复序号" in (await svc.text("o-t1", "打卡 现场实操指导") or "")
    assert "请回复上面列出的序号" in (await svc.text("o-t1", "3") or "")
    assert "多长时间" in (await svc.text("o-t1", "2") or "")
    assert "小时数" in (await svc.text("o-t1", "挺久") or "")
    reply = await svc.text("o-t1", "1.5") or ""
    assert "和徒弟甲徒二" in reply and "1.5 小时" in reply and "徒弟会收到提醒" in reply
    checkin = (await checkins(svc))[-1]
    assert checkin.confirmed_at is not None  # written by the mentor: confirmed as written
    assert any("师傅甲师傅记录了一次师徒带教" in t for t in await inbox(svc, "A2"))


async def test_checkin_without_content_asks_for_it(svc: Service) -> None:
    assert "内容" in (await svc.text("o-a2", "打卡") or "")
    reply = await svc.text("o-a2", "请教了设备点检方法，半小时") or ""
    assert "0.5 小时" in reply


async def test_no_pair_no_checkin(svc: Service) -> None:
    assert "没有师徒结对" in (await svc.text("o-m1", "打卡 学习") or "")
    assert "需要先绑定" in (await svc.text("o-stranger", "打卡 学习") or "")


async def test_retried_checkin_is_recorded_once(svc: Service) -> None:
    before = len(await checkins(svc))
    xml = text_xml("o-a1", "打卡 复习焊缝检验标准 1小时", msg_id=66_000_001,
                   create_time=svc.clock.ts)
    replies = [await svc.deliver(xml, mode=m) for m in ("plain", "safe", "plain")]
    assert len({r["Content"] for r in replies if r}) == 1
    assert len(await checkins(svc)) == before + 1
    async with svc.db.transaction() as session:
        n = await session.scalar(select(func.count(OutboxMessage.id)).where(
            OutboxMessage.period == f"checkin:{before + 1}"))
    assert n == 1


async def test_me_counts_this_quarters_checkins(svc: Service) -> None:
    me = await svc.text("o-t1", "我的") or ""
    assert "徒弟：甲徒一、甲徒二" in me
    # A1: 2 h (confirmed) + 1 h; A2: 1.5 h (by the mentor) + 0.5 h.
    assert "本季度师徒打卡：4 次，共 5 小时，已确认 2 次" in me


async def test_export_checkins_by_month(svc: Service, capsys: pytest.CaptureFixture[str]) -> None:
    assert await exports.export(svc.settings, "checkins", "csv", "-", svc.clock.now,
                              month="2026-11") == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out.lstrip("\ufeff"))))
    # The names and the mentor's comment came later: at the end, where scripts reading by
    # position do not see them.
    assert rows[0] == ["date", "studio", "mentor_employee_no", "apprentice_employee_no",
                       "content", "hours", "confirmed", "mentor_name", "apprentice_name",
                       "comment"]
    first = [r[:7] for r in rows]
    assert ["2026-11-20", "甲工作室", "T1", "A1", "跟师傅学习焊接工艺图纸 2小时", "2.0",
            "true"] in first
    assert ["2026-11-20", "乙工作室", "L2", "B1", "学习领衔人的操作法 1.5h", "1.5", "true"] in first
    assert len(rows) == 1 + 5
    assert await exports.export(svc.settings, "checkins", "csv", "-", svc.clock.now,
                              month="2026-10") == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 1  # header only


# -- declared dialogs, the recipients' languages, confirming twice ---------------------
# (after the counting tests above: these add check-ins and a notice of their own)


def test_the_dialogs_are_declared_completely() -> None:
    from bot.routing import RouteTable
    from handlers import build_router
    from handlers.mentorship import CHECKIN, CheckInDraft
    from handlers.notices import NOTICE, NoticeDraft

    for spec in (CHECKIN, NOTICE):
        spec.check_complete(RouteTable(build_router()))
    # The stored state names of earlier releases: a dialog in flight survives the upgrade.
    assert [CHECKIN.state(s) for s in CHECKIN.states] == [
        "mentorship.pick", "mentorship.content", "mentorship.hours"]
    assert [NOTICE.state(s) for s in NOTICE.states] == ["notices.confirm"]
    assert CHECKIN.data_type is CheckInDraft and NOTICE.data_type is NoticeDraft
    # ... and so does the data they stored (a plain dict, hours_skipped only once skipped).
    stored = {"pairs": [[1, "mentor", 2, "甲徒一"]], "pair": 0, "content": "实操", "hours": None}
    assert CHECKIN.load(stored) == CheckInDraft(pairs=[[1, "mentor", 2, "甲徒一"]], pair=0,
                                                content="实操")
    assert NOTICE.load({"content": "明天开会"}) == NoticeDraft(content="明天开会")


async def set_language(svc: Service, employee_no: str, language: str | None) -> None:
    async with svc.db.transaction() as session:
        await session.execute(update(Member).where(Member.employee_no == employee_no)
                              .values(language=language))


async def queued(svc: Service, kind: str, period: str) -> list[OutboxMessage]:
    async with svc.db.transaction() as session:
        return list(await session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == kind, OutboxMessage.period == period)))


async def test_pushes_reach_a_member_who_chose_a_language(svc: Service) -> None:
    # zh-TW has no catalog yet: its readers get zh-CN words rather than nothing.
    await set_language(svc, "T1", "zh-TW")
    await set_language(svc, "A1", "zh-TW")
    try:
        number = number_in(await svc.text("o-a1", "打卡 学习读图 1小时") or "")
        [notice] = await queued(svc, "checkin-notice", f"checkin:{number}")
        assert "甲徒一" in notice.text and f"{number}" in notice.text
        # The mentor reads zh-TW too: the reply is checked by what it repeats.
        assert "很好" in (await svc.text("o-t1", f"确认 {number} 很好") or "")
        [confirmed] = await queued(svc, "checkin-confirmed", f"checkin:{number}")
        assert "甲师傅" in confirmed.text and "很好" in confirmed.text
        # A notice: one row per member, each in the member's language, thing1 included.
        assert "4 名成员" in (await svc.text("o-l1", "通知 周一上午安全检查") or "")
        assert "已安排发送给 4 人" in (await svc.text("o-l1", "确认") or "")
        rows = [r for r in await all_notices(svc) if "安全检查" in r.text]
        assert len(rows) == 4 and len({r.recipient_id for r in rows}) == 4
        assert all(r.text.startswith("【甲工作室") and r.template_fields is not None
                   and r.template_fields["thing1"].startswith("甲工作室") for r in rows)
    finally:
        await set_language(svc, "T1", None)
        await set_language(svc, "A1", None)


async def all_notices(svc: Service) -> list[OutboxMessage]:
    async with svc.db.transaction() as session:
        return list(await session.scalars(select(OutboxMessage)
                                          .where(OutboxMessage.kind == "notice")))


async def test_confirming_twice_changes_nothing_the_second_time(svc: Service) -> None:
    number = number_in(await svc.text("o-a2", "打卡 学习设备点检 1小时") or "")
    assert "讲解很好" in (await svc.text("o-t1", f"确认 {number} 讲解很好") or "")
    [first] = [c for c in await checkins(svc) if c.id == number]
    svc.clock.advance(hours=1)
    try:
        again = await svc.text("o-t1", f"确认 {number} 改个评语") or ""
    finally:
        svc.clock.now = FRIDAY
    assert f"编号 {number} 的打卡已经确认过了" in again
    [second] = [c for c in await checkins(svc) if c.id == number]
    assert (second.confirmed_at, second.comment) == (first.confirmed_at, "讲解很好")
    assert len(await queued(svc, "checkin-confirmed", f"checkin:{number}")) == 1


async def waiting_for(svc: Service, mentor: str) -> list[int]:
    async with svc.db.transaction() as session:
        rows = await session.scalars(
            select(CheckIn.id).join(MentorshipPair, MentorshipPair.id == CheckIn.pair_id)
            .join(Member, Member.id == MentorshipPair.mentor_id)
            .where(Member.employee_no == mentor, CheckIn.confirmed_at.is_(None)))
        return sorted(rows)


async def test_confirm_alone_lists_what_waits_and_numbers_confirm_several(svc: Service) -> None:
    # Clear what earlier tests left waiting, so the list below is this test's own.
    await svc.text("o-t1", "确认 全部")
    svc.clock.now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    try:
        first = number_in(await svc.text("o-a1", "打卡 学习数控车床编程，练了三个零件 2小时") or "")
        second = number_in(await svc.text("o-a2", "打卡 看师傅调试焊接机器人 1小时") or "")
        third = number_in(await svc.text("o-a1", "打卡 整理量具 0.5小时") or "")
        assert "多长时间" in (await svc.text("o-a2", "打卡 复习图纸") or "")
        fourth = number_in(await svc.text("o-a2", "跳过") or "")  # recorded without hours
        listing = await svc.text("o-t1", "确认") or ""
    finally:
        svc.clock.now = FRIDAY
    # Number, name, date, hours and the first words of each, oldest first; how to confirm.
    lines = listing.splitlines()
    assert "共 4 条" in lines[0]
    assert lines[1].startswith(f"编号 {first}｜甲徒一｜11月23日｜2 小时｜学习数控车床编程")
    assert lines[2].startswith(f"编号 {second}｜甲徒二")
    assert f"编号 {fourth}｜甲徒二" in listing and "时长未填" in listing
    assert "确认 6-8" in lines[-1]
    assert await waiting_for(svc, "T1") == sorted([first, second, third, fourth])

    # Commas: two numbers, no comment (",7,8" used to become the comment).
    both = await svc.text("o-t1", f"确认 {first},{second}") or ""
    assert "已确认 2 条打卡" in both and f"甲徒一（编号 {first}）" in both and "评语" not in both
    [c1] = [c for c in await checkins(svc) if c.id == first]
    assert c1.comment is None and c1.confirmed_at is not None
    # A range with a comment after it; a number that is not this mentor's is named.
    other = number_in(await svc.text("o-b1", "打卡 学习另一个工作室的工艺 1小时") or "")
    mixed = await svc.text("o-t1", f"确认 {third}-{third} {other} 做得认真") or ""
    assert "已确认 1 条打卡" in mixed and "评语：做得认真" in mixed
    assert f"编号 {other} 找不到" in mixed
    assert other in await waiting_for(svc, "L2")
    # 全部: what is left, with the comment; the apprentice is told once per check-in.
    rest = await svc.text("o-t1", "确认 全部 继续加油") or ""
    assert "已确认 1 条打卡" in rest and f"编号 {fourth}" in rest
    [c4] = [c for c in await checkins(svc) if c.id == fourth]
    assert c4.comment == "继续加油"
    assert await waiting_for(svc, "T1") == []
    assert "没有等您确认" in (await svc.text("o-t1", "确认") or "")
    assert "没有等您确认" in (await svc.text("o-t1", "确认 全部") or "")
    assert len(await queued(svc, "checkin-confirmed", f"checkin:{fourth}")) == 1


@pytest.mark.parametrize(("typed", "numbers", "rest"), [
    ("12 图纸看得很仔细", (12,), "图纸看得很仔细"),
    ("6,7,8", (6, 7, 8), ""),
    ("6，7，8 好", (6, 7, 8), "好"),
    ("6 7 8", (6, 7, 8), ""),
    ("#6、#7 认真", (6, 7), "认真"),
    ("6-8", (6, 7, 8), ""),
    ("6～8 很好", (6, 7, 8), "很好"),
    ("6到8", (6, 7, 8), ""),
    ("６ ７", (6, 7), ""),
    ("12 3小时很认真", (12,), "3小时很认真"),  # a figure starting the comment stays in it
    ("8 8 9", (8, 9), ""),
])
def test_record_numbers_as_people_type_them(typed: str, numbers: tuple[int, ...],
                                            rest: str) -> None:
    from handlers.parsing import record_numbers

    read = record_numbers(typed)
    assert read is not None and (read.numbers, read.every, read.rest) == (numbers, False, rest)


@pytest.mark.parametrize("typed", ["讲得好", "", "8-6", "1-500", "很好 12"])
def test_no_record_numbers(typed: str) -> None:
    from handlers.parsing import record_numbers

    assert record_numbers(typed) is None


def test_all_in_place_of_numbers() -> None:
    from handlers.parsing import record_numbers

    assert record_numbers("全部 辛苦了") == record_numbers("all 辛苦了") is not None
    read = record_numbers("全部 辛苦了")
    assert read is not None and read.every and read.rest == "辛苦了" and read.numbers == ()


# -- the score, the pair by name, the length limit, the help (December: a month of its own)

DECEMBER = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)  # Friday 4 December, 16:00 in Shanghai


async def test_only_confirmed_check_ins_count_in_the_score(svc: Service) -> None:
    svc.clock.now = DECEMBER
    try:
        number = number_in(await svc.text("o-b1", "打卡 学习领衔人的操作法 1小时") or "")
        unconfirmed = await svc.text("o-l2", "排名") or ""
        assert "已确认乙徒的打卡" in (await svc.text("o-l2", f"确认 {number}") or "")
        confirmed = await svc.text("o-l2", "排名") or ""
        stats = await svc.text("o-l2", "统计") or ""
        # A mentor's own check-in is confirmed as written: it counts at once.
        assert "回复序号或姓名" in (await svc.text("o-t1", "打卡 现场实操指导 1小时") or "")
        assert "和徒弟甲徒一" in (await svc.text("o-t1", "甲徒一") or "")
        mentors_own = await svc.text("o-l1", "排名") or ""
    finally:
        svc.clock.now = FRIDAY
    # Both studios have every member bound (10 points) and no log yet in December. 乙's
    # one pair: its check-in earns nothing until the mentor confirms it, then 1 of the 2
    # a month that make full marks (20 × 1/2).
    assert unconfirmed.splitlines()[1:4] == ["本工作室：第 1 名，10 分", "1. 乙工作室 10 分",
                                             "2. 甲工作室 10 分"]
    assert confirmed.splitlines()[1:4] == ["本工作室：第 1 名，20 分", "1. 乙工作室 20 分",
                                           "2. 甲工作室 10 分"]
    assert confirmed.splitlines()[-1].startswith("得分构成：周报30＋师徒打卡20（仅计已确认）＋")
    assert "师徒打卡：1 次，已确认 1，共 1 小时" in stats and "指标得分：20 分" in stats
    # 甲 has two pairs: the mentor's one check-in is 1 of 4 (20 × 1/4).
    assert "甲工作室 15 分" in mentors_own


async def test_a_mentor_names_the_apprentice_instead_of_the_number(svc: Service) -> None:
    svc.clock.now = DECEMBER
    try:
        assert "回复序号或姓名" in (await svc.text("o-t1", "打卡 讲解图纸 1小时") or "")
        # 甲徒 fits both apprentices: asked for the number, the dialog waits.
        both = await svc.text("o-t1", "甲徒") or ""
        assert "“甲徒”对应不止一位，请回复上面列出的序号（1—2）" in both
        assert "请回复上面列出的序号（1—2）或姓名" in (await svc.text("o-t1", "乙徒") or "")
        # A part of one name only is that apprentice; width and blanks do not matter.
        assert "和徒弟甲徒二" in (await svc.text("o-t1", "二") or "")
        await svc.text("o-t1", "打卡 复盘焊缝 1小时")
        assert "和徒弟甲徒一" in (await svc.text("o-t1", "甲 徒 一") or "")
    finally:
        svc.clock.now = FRIDAY


def test_pairs_named_by_whole_name_part_or_more_words() -> None:
    from handlers.mentorship import pairs_named
    from storage.queries.mentorship import PairView

    pairs = [PairView(1, "mentor", 11, "刘洋"), PairView(2, "mentor", 12, "刘洋洋"),
             PairView(3, "mentor", 13, "张伟")]
    assert pairs_named(pairs, "刘洋") == [0]  # the whole name wins over a longer one
    assert pairs_named(pairs, "洋洋") == [1]
    assert pairs_named(pairs, "刘") == [0, 1]  # fits two: not a choice
    assert pairs_named(pairs, "徒弟张伟") == [2]
    assert pairs_named(pairs, "Ｗ") == pairs_named(pairs, "  ") == []


async def test_a_check_in_over_the_limit_says_it_was_not_recorded(svc: Service) -> None:
    before = len(await checkins(svc))
    refused = await svc.text("o-a1", "打卡 " + "学" * 1001) or ""
    assert "打卡内容最多 1000 字，这次有 1001 字，没有记录。请精简到 1000 字以内再发" in refused
    assert len(await checkins(svc)) == before


async def test_help_offers_check_ins_only_to_members_in_a_pair(svc: Service) -> None:
    helps = {openid: await svc.text(openid, "帮助") or ""
             for openid in ("o-m1", "o-l1", "o-a1", "o-t1", "o-l2")}
    for openid in ("o-m1", "o-l1"):  # no pair: a member, a leader
        assert "· 打卡" not in helps[openid] and "· 确认" not in helps[openid]
        assert "· 周报 [内容]：提交本周周报" in helps[openid]
    for openid in ("o-a1", "o-t1", "o-l2"):  # an apprentice, a mentor, a leader who mentors
        assert "· 打卡 [内容]：记录一次师徒带教或学习" in helps[openid]
        assert "· 确认 <编号> [评语]：" in helps[openid]
    # Whoever is not offered them can still use them, and is told why not.
    assert "没有师徒结对" in (await svc.text("o-m1", "打卡 学习") or "")


def test_more_than_a_hundred_numbers_are_refused() -> None:
    from handlers.parsing import record_numbers

    assert record_numbers(" ".join(f"{i * 100 + 1}-{i * 100 + 99}" for i in range(150))) is None
    assert record_numbers(" ".join(str(i) for i in range(1, 102))) is None
    assert record_numbers(" ".join(str(i) for i in range(1, 101))) is not None
    read = record_numbers("６－８ 好")  # full-width digits and hyphen
    assert read is not None and read.numbers == (6, 7, 8)
