"""What people actually type, through the real endpoint: near misses of command words,
punctuation around them, sentences that read like a check-in or a log, and commands or
"no" words in the middle of a dialog."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from storage.models import CheckIn, Member, Notice, WeeklyLog
from tests.support import Service, inbox, roster_fixture

ROSTER = """studio,name,employee_no,role,mentor_employee_no,phone
甲工作室,甲领衔,L1,leader,,
甲工作室,甲师傅,T1,member,,
甲工作室,甲徒一,A1,member,T1,
甲工作室,甲徒二,A2,member,T1,
甲工作室,甲一,M1,member,,
甲工作室,甲二,M2,member,,
甲工作室,甲三,M3,member,,
甲工作室,甲四,M4,member,,
甲工作室,甲五,M5,member,,
甲工作室,甲六,M6,member,,
"""
OPENIDS = {"L1": "o-l1", "T1": "o-t1", "A1": "o-a1", "A2": "o-a2", "M1": "o-m1", "M2": "o-m2",
           "M3": "o-m3", "M4": "o-m4", "M5": "o-m5", "M6": "o-m6"}
# Friday 20 November 2026, 16:00 in Shanghai: ISO week 2026-W47.
FRIDAY = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)

svc = roster_fixture(ROSTER, OPENIDS, FRIDAY)


@pytest.fixture(autouse=True)
def friday(svc: Service) -> None:
    svc.clock.now = FRIDAY


async def logs_of(svc: Service, employee_no: str) -> list[WeeklyLog]:
    async with svc.db.transaction() as session:
        return list(await session.scalars(
            select(WeeklyLog).join(Member, Member.id == WeeklyLog.member_id)
            .where(Member.employee_no == employee_no)))


async def checkins_by(svc: Service, employee_no: str) -> list[CheckIn]:
    async with svc.db.transaction() as session:
        return list(await session.scalars(
            select(CheckIn).join(Member, Member.id == CheckIn.author_id)
            .where(Member.employee_no == employee_no).order_by(CheckIn.id)))


async def say(svc: Service, openid: str, text: str) -> str:
    return await svc.text(openid, text) or ""


# -- recognising what people type -------------------------------------------------------


async def test_a_near_miss_asks_what_was_meant_and_yes_sends_it(svc: Service) -> None:
    asked = await say(svc, "o-m1", "帮组")
    assert "您是想发送“帮助”吗" in asked and "没有找到与“帮组”" in asked
    assert "您可以发送" in await say(svc, "o-m1", "是")  # the help itself
    assert "您是想发送“我的”吗" in await say(svc, "o-m1", "我得！")
    assert "没有执行" in await say(svc, "o-m1", "不用了")
    # Declined: nothing is left waiting for an answer.
    assert "没有找到与“是”" in await say(svc, "o-m1", "是")
    assert "您是想发送“周报”吗" in await say(svc, "o-m1", "周抱")
    assert "本周周报：还没交" in await say(svc, "o-m1", "我的")  # another message: handled as such
    assert "没有找到与“是”" in await say(svc, "o-m1", "是")
    assert await logs_of(svc, "M1") == []


async def test_a_near_miss_keeps_the_words_typed_after_it(svc: Service) -> None:
    assert "您是想发送“周报 今天调试了设备”吗" in await say(svc, "o-m2", "周抱 今天调试了设备")
    assert "已提交第47周" in await say(svc, "o-m2", "是")
    [log] = await logs_of(svc, "M2")
    assert log.content == "今天调试了设备"


async def test_a_stranger_is_offered_only_what_they_may_use(svc: Service) -> None:
    assert "您是想发送“帮助”吗" in await say(svc, "o-stranger", "帮组")
    assert "请先绑定身份" in await say(svc, "o-stranger", "好")
    # 我的 needs a bound member: no point suggesting it.
    assert "没有找到与“我得”对应的命令" in await say(svc, "o-stranger", "我得")


async def test_punctuation_and_brackets_around_command_words(svc: Service) -> None:
    assert "本周周报：还没交" in await say(svc, "o-m3", "我的！")
    assert "本周周报：还没交" in await say(svc, "o-m3", "「我的」")
    assert "已提交第47周" in await say(svc, "o-m3", "【周报】测试")
    [log] = await logs_of(svc, "M3")
    assert log.content == "测试"
    # A refusal names the command without the brackets around it.
    assert "抱歉，“本周”仅限领衔人使用" in await say(svc, "o-m3", "【本周】")


async def test_a_sentence_like_a_check_in_is_offered_as_one(svc: Service) -> None:
    offer = await say(svc, "o-a1", "今天跟师傅学习焊接2小时")
    assert "要记为师徒打卡（2 小时）吗" in offer and "没有找到" not in offer
    saved = await say(svc, "o-a1", "是")
    assert "已记录师徒打卡" in saved and "甲师傅" in saved
    [checkin] = await checkins_by(svc, "A1")
    assert (checkin.content, checkin.hours) == ("今天跟师傅学习焊接2小时", 2.0)
    assert any("甲徒一" in text for text in await inbox(svc, "T1"))


async def test_a_sentence_like_a_log_is_offered_as_a_log(svc: Service) -> None:
    # No mentorship pair: the same sentence reads as a week's work.
    offer = await say(svc, "o-m4", "今天跟师傅学习焊接2小时")
    assert "要把它提交为第47周（11月16日—11月22日）的周报吗" in offer
    assert "已提交第47周" in await say(svc, "o-m4", "好的")
    [log] = await logs_of(svc, "M4")
    assert log.content == "今天跟师傅学习焊接2小时"
    assert await checkins_by(svc, "M4") == []


async def test_an_offer_lapses_when_something_else_comes(svc: Service) -> None:
    assert "的周报吗" in await say(svc, "o-m5", "上午调试焊接机器人，下午整理资料")
    assert "本周周报：还没交" in await say(svc, "o-m5", "我的")
    assert "没有找到与“是”" in await say(svc, "o-m5", "是")
    assert await logs_of(svc, "M5") == []


@pytest.mark.parametrize("text", ["你好", "谢谢你的帮助", "今天的周报怎么交？", "好的",
                                  "请问今天下午在哪里"])
async def test_other_text_still_gets_the_unknown_answer(svc: Service, text: str) -> None:
    assert f"没有找到与“{text}”对应的命令" in await say(svc, "o-m6", text)


# -- commands and "no" inside a dialog ------------------------------------------------


async def test_a_command_word_at_the_content_step_is_asked_about(svc: Service) -> None:
    assert "开始填写" in await say(svc, "o-m6", "周报")
    await say(svc, "o-m6", "上午调试")
    asked = await say(svc, "o-m6", "我的")
    assert "要结束周报填写并执行“我的”吗" in asked and "继续输入内容" in asked
    # Anything else goes on: the question lapses, the text is content.
    assert "共 2 条" in await say(svc, "o-m6", "下午整理资料")
    assert "执行“周报”" in await say(svc, "o-m6", "周报")
    assert "请继续输入内容" in await say(svc, "o-m6", "不")
    assert "多少小时" in await say(svc, "o-m6", "完成")
    await say(svc, "o-m6", "跳过")
    assert "已提交" in await say(svc, "o-m6", "确认")
    [log] = await logs_of(svc, "M6")
    assert log.content == "上午调试\n下午整理资料"


async def test_yes_leaves_the_dialog_for_the_command(svc: Service) -> None:
    await say(svc, "o-m5", "周报")
    await say(svc, "o-m5", "上午调试")
    assert "执行“我的！”" in await say(svc, "o-m5", "我的！")
    assert "本周周报：还没交" in await say(svc, "o-m5", "是")
    # The dialog is over: 完成 is nothing now.
    assert "没有找到与“完成”" in await say(svc, "o-m5", "完成")
    assert await logs_of(svc, "M5") == []


async def test_no_at_the_content_step_asks_before_leaving(svc: Service) -> None:
    await say(svc, "o-m5", "周报")
    await say(svc, "o-m5", "上午调试")
    assert "要结束周报填写吗" in await say(svc, "o-m5", "算了")
    assert "已取消" in await say(svc, "o-m5", "是")
    assert await logs_of(svc, "M5") == []


async def test_a_command_word_at_the_check_in_content_step_is_asked_about(svc: Service) -> None:
    assert "学习的内容" in await say(svc, "o-a1", "打卡")
    assert "要结束打卡并执行“我的”吗" in await say(svc, "o-a1", "我的")
    assert "已取消" in await say(svc, "o-a1", "取消")
    assert len(await checkins_by(svc, "A1")) == 1  # the one offered above


@pytest.mark.parametrize("no", ["算了", "不用了", "不发了", "不要了"])
async def test_no_cancels_a_notice(svc: Service, no: str) -> None:
    assert "确认" in await say(svc, "o-l1", f"通知 明天{no}开会")
    assert "已取消" in await say(svc, "o-l1", no)
    async with svc.db.transaction() as session:
        assert list(await session.scalars(select(Notice))) == []
    assert not any("开会" in text for text in await inbox(svc, "M1"))


async def test_a_check_in_at_the_replace_prompt_is_recorded_and_the_prompt_waits(
        svc: Service) -> None:
    assert "已提交第47周" in await say(svc, "o-a2", "周报 第一版")
    assert "已提交过" in await say(svc, "o-a2", "周报 第二版")
    both = await say(svc, "o-a2", "打卡 跟师傅学习焊接 2小时")
    assert "已记录师徒打卡" in both and "周报填写还没有完成" in both
    assert "已追加到" in await say(svc, "o-a2", "2")
    [log] = await logs_of(svc, "A2")
    assert log.content == "第一版\n第二版"
    [checkin] = await checkins_by(svc, "A2")
    assert (checkin.content, checkin.hours) == ("跟师傅学习焊接 2小时", 2.0)


async def test_a_command_that_starts_its_own_dialog_replaces_the_prompt(svc: Service) -> None:
    assert "已提交第47周" in await say(svc, "o-t1", "周报 带教记录")
    assert "已提交过" in await say(svc, "o-t1", "周报 又一条")
    # Two apprentices: 打卡 asks which, and the log's question is over (and says so).
    reply = await say(svc, "o-t1", "打卡 现场实操指导")
    assert "刚才的周报填写已结束，没有保存" in reply and "回复序号" in reply
    assert "多长时间" in await say(svc, "o-t1", "1")
    assert "已记录师徒打卡" in await say(svc, "o-t1", "1.5")
    [log] = await logs_of(svc, "T1")
    assert (log.content, log.version) == ("带教记录", 1)


async def test_a_command_at_the_confirm_step_runs_and_the_log_waits(svc: Service) -> None:
    await say(svc, "o-l1", "周报")
    await say(svc, "o-l1", "组织 QC 小组会")
    await say(svc, "o-l1", "完成")
    assert "请确认" in await say(svc, "o-l1", "3")
    both = await say(svc, "o-l1", "本周")
    assert "已交" in both and "周报填写还没有完成" in both
    assert "已提交第47周" in await say(svc, "o-l1", "确认")
    [log] = await logs_of(svc, "L1")
    assert (log.content, log.hours) == ("组织 QC 小组会", 3.0)
