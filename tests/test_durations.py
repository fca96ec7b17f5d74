"""Hours as people write them: the reader (a table of real spellings) and every place that
reads hours — 打卡 text and its hours question, the 周报 hours question, a one-shot 周报
with its total, replacing and appending a log — through the real endpoint."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from handlers.durations import Doubt, Hours, answer, in_checkin, in_log
from locales.numerals import is_estimate, value_of
from storage.models import CheckIn, WeeklyLog
from storage.queries.invites import member_by_employee_no
from tests.support import Service, number_in, roster_fixture

DAY = 24.0  # what one check-in may hold
WEEK = 168.0  # what one weekly log may hold

# What people type as an answer to "how many hours?", and what it reads as.
SPELLINGS: list[tuple[str, float]] = [
    ("2", 2), ("2.5", 2.5), ("６", 6), ("６.５", 6.5), ("2小时", 2), ("2 小时", 2),
    ("２小时", 2), ("1.5h", 1.5), ("1.5 h", 1.5), ("2H", 2), ("3hrs", 3), ("0.5小时", 0.5),
    ("六", 6), ("六小时", 6), ("两小时", 2), ("俩小时", 2), ("十二小时", 12),
    ("二十小时", 20), ("一点五小时", 1.5), ("两个小时", 2), ("三个钟头", 3), ("两个钟头", 2),
    ("一个半小时", 1.5), ("三个半小时", 3.5), ("2个半小时", 2.5), ("两个半钟头", 2.5),
    ("两个半", 2.5), ("两小时半", 2.5), ("2小时半", 2.5), ("半小时", 0.5), ("半个小时", 0.5),
    ("半个钟头", 0.5), ("90分钟", 1.5), ("90分", 1.5), ("45 分钟", 0.75), ("二十分钟", 0.33),
    ("四十分钟", 0.67), ("一刻钟", 0.25), ("三刻钟", 0.75), ("一小时二十分", 1.33),
    ("一小时一刻", 1.25), ("1小时15分钟", 1.25), ("1小时30分", 1.5), ("2小时30分钟", 2.5),
    ("2h30m", 2.5), ("2h30", 2.5), ("2h 30min", 2.5), ("兩小時", 2), ("兩個半鐘頭", 2.5),
    ("約3小時", 3), ("约3小时", 3), ("3小时左右", 3), ("大概两个小时吧", 2),
    ("2 hours", 2), ("1 hour 15 minutes", 1.25), ("45 mins", 0.75), ("half an hour", 0.5),
    ("2 and a half hours", 2.5), ("24小时", 24),
]

# Hours written so that no one figure can be taken, and why.
REFUSED: list[tuple[str, str]] = [
    ("2-3小时", "range"), ("2~3小时", "range"), ("2到3小时", "range"), ("两到三个小时", "range"),
    ("两三个小时", "range"), ("一两个小时", "range"), ("2小时到3小时", "range"), ("2-3", "range"),
    ("两三", "range"), ("2 to 3 hours", "range"), ("两个多小时", "vague"),
    ("一个多小时", "vague"), ("十几分钟", "vague"), ("几个小时", "vague"),
    ("个把小时", "vague"), ("a few hours", "vague"), ("0", "zero"), ("0小时", "zero"),
    ("零小时", "zero"), ("0分钟", "zero"), ("-2小时", "negative"), ("-2", "negative"),
    ("负2小时", "negative"), ("25小时", "too_many"), ("30", "too_many"),
    ("1500分钟", "too_many"), ("上午2小时下午3小时", "several"),
]

# Not hours at all: the question is asked again.
NOT_HOURS = ["很多", "3号", "好", "明天", "第一个小时", "三点", ""]


@pytest.mark.parametrize(("typed", "hours"), SPELLINGS)
def test_an_answer_reads_as_hours(typed: str, hours: float) -> None:
    read = answer(typed, DAY)
    assert isinstance(read, Hours), read
    assert read.value == hours


def test_the_table_holds_forty_spellings_at_least() -> None:
    assert len({typed for typed, _ in SPELLINGS}) >= 40


@pytest.mark.parametrize(("typed", "reason"), REFUSED)
def test_an_answer_that_gives_no_one_figure_is_refused_with_why(typed: str, reason: str) -> None:
    read = answer(typed, DAY)
    assert isinstance(read, Doubt), read
    assert read.reason == reason


@pytest.mark.parametrize("typed", NOT_HOURS)
def test_an_answer_without_hours_reads_as_nothing(typed: str) -> None:
    assert answer(typed, DAY) is None


def test_the_limit_is_the_records() -> None:
    # A week's log may hold what a check-in may not.
    assert answer("40小时", WEEK) == Hours(40.0, "40小时")
    assert isinstance(answer("40小时", DAY), Doubt)
    assert isinstance(answer("169", WEEK), Doubt)


@pytest.mark.parametrize(("text", "hours", "said"), [
    ("学习2小时30分钟", 2.5, "2小时30分钟"),
    ("跟师傅学习焊接工艺图纸 两个半小时", 2.5, "两个半小时"),
    ("请教了设备点检方法，半小时", 0.5, "半小时"),
    ("现场实操指导90分钟", 1.5, "90分钟"),
    # A total wins over the figures before it.
    ("理论讲解1小时，实操2小时，共3小时", 3, "3小时"),
    ("讲解图纸、实操，用时一个半小时", 1.5, "一个半小时"),
])
def test_a_checkins_text_gives_its_hours(text: str, hours: float, said: str) -> None:
    assert in_checkin(text, DAY) == Hours(hours, said)


def test_a_checkins_text_without_one_figure() -> None:
    assert in_checkin("学习焊接工艺", DAY) is None
    # A score and a moment are not durations in a sentence.
    assert in_checkin("考试得了90分，一刻也没停", DAY) is None
    assert in_checkin("第一个小时讲理论", DAY) is None
    several = in_checkin("上午讲解1小时，下午实操2小时", DAY)
    assert several == Doubt("several", ("1小时", "2小时"), DAY)
    assert in_checkin("学了两三个小时", DAY) == Doubt("range", ("两三个小时",), DAY)


@pytest.mark.parametrize(("text", "hours"), [
    ("本周完成焊接机器人调试3小时，编写作业指导书5小时，共8小时。", 8),
    ("本周完成焊接机器人调试，合计7.5小时", 7.5),
    ("调试焊接机器人，累计用时 12 小时左右", 12),
    ("工时：8h。调试焊接机器人", 8),
    ("本周完成焊接机器人调试，8小时", 8),
    ("调试3小时，培训2小时，共计约六个半小时", 6.5),
])
def test_a_logs_text_gives_the_weeks_hours(text: str, hours: float) -> None:
    read = in_log(text, WEEK)
    assert isinstance(read, Hours), read
    assert read.value == hours


def test_a_figure_per_task_is_not_the_weeks_hours() -> None:
    assert in_log("调试3小时，然后整理资料", WEEK) is None
    assert in_log("本周完成焊接机器人调试", WEEK) is None
    assert in_log("本周完成调试，共2-3小时", WEEK) == Doubt("range", ("2-3小时",), WEEK)


@pytest.mark.parametrize(("typed", "value"), [
    ("十", 10), ("十二", 12), ("二十五", 25), ("一百零五", 105), ("一百二", 120),
    ("两万五", 25000), ("叁万", 30000), ("叁万伍仟", 35000), ("十万", 100000),
    ("一点五", 1.5), ("零点五", 0.5), ("二〇二六", 2026),
])
def test_chinese_numerals(typed: str, value: float) -> None:
    assert value_of(typed) == value


def test_two_digits_side_by_side_are_an_estimate() -> None:
    assert is_estimate("两三") and is_estimate("十一二") and value_of("七八") is None
    assert not is_estimate("二十三")


# -- through the endpoint ---------------------------------------------------------------

ROSTER = """studio,name,employee_no,role,mentor_employee_no,phone
甲工作室,甲领衔,L1,leader,,
甲工作室,甲师傅,T1,member,,
甲工作室,甲徒一,A1,member,T1,
甲工作室,甲徒二,A2,member,T1,
甲工作室,甲一,M1,member,,
甲工作室,甲二,M2,member,,
甲工作室,甲三,M3,member,,
甲工作室,甲四,M4,member,,
"""
OPENIDS = {"L1": "o-l1", "T1": "o-t1", "A1": "o-a1", "A2": "o-a2", "M1": "o-m1",
           "M2": "o-m2", "M3": "o-m3", "M4": "o-m4"}
FRIDAY = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)

svc = roster_fixture(ROSTER, OPENIDS, FRIDAY)


async def checkin(svc: Service, number: int) -> CheckIn:
    async with svc.db.transaction() as session:
        found = await session.get(CheckIn, number)
        assert found is not None
        return found


async def log_of(svc: Service, employee_no: str) -> WeeklyLog | None:
    async with svc.db.transaction() as session:
        member = await member_by_employee_no(session, employee_no)
        assert member is not None
        return await session.scalar(select(WeeklyLog).where(WeeklyLog.member_id == member.id))


async def test_checkin_text_with_hours_and_minutes_is_read_and_echoed(svc: Service) -> None:
    reply = await svc.text("o-a1", "打卡 学习2小时30分钟") or ""
    assert "已记录师徒打卡" in reply and "2.5 小时" in reply
    recorded = await checkin(svc, number_in(reply))
    # The content keeps the words it was read from.
    assert (recorded.hours, recorded.content) == (2.5, "学习2小时30分钟")
    reply = await svc.text("o-a1", "打卡 跟师傅学焊接 两个钟头") or ""
    assert "2 小时" in reply and (await checkin(svc, number_in(reply))).hours == 2.0


async def test_checkin_with_a_range_asks_for_one_figure(svc: Service) -> None:
    asked = await svc.text("o-a1", "打卡 学习焊接工艺 2-3小时") or ""
    assert "“2-3小时”是一个范围" in asked and "还没有记录" in asked and "多长时间" in asked
    again = await svc.text("o-a1", "两三个小时") or ""
    assert "“两三个小时”是一个范围" in again and "小时数" in again
    reply = await svc.text("o-a1", "两个半小时") or ""
    assert "已记录师徒打卡" in reply and "2.5 小时" in reply
    recorded = await checkin(svc, number_in(reply))
    assert (recorded.hours, recorded.content) == (2.5, "学习焊接工艺 2-3小时")


async def test_checkin_with_several_figures_asks_which(svc: Service) -> None:
    asked = await svc.text("o-a1", "打卡 上午讲解1小时，下午实操2小时") or ""
    assert "几个时长（1小时、2小时）" in asked and "多长时间" in asked
    reply = await svc.text("o-a1", "共3小时") or ""
    assert "3 小时" in reply and (await checkin(svc, number_in(reply))).hours == 3.0
    # With a total the figures before it are parts of it.
    reply = await svc.text("o-a1", "打卡 讲解1小时，实操2小时，合计3小时") or ""
    assert "已记录师徒打卡" in reply and (await checkin(svc, number_in(reply))).hours == 3.0


async def test_checkin_hours_refused_with_a_reason(svc: Service) -> None:
    asked = await svc.text("o-a1", "打卡 通宵抢修指导 30小时") or ""
    assert "“30小时”超过了 24 小时" in asked
    assert "“0”是 0" in (await svc.text("o-a1", "0") or "")
    assert "负数" in (await svc.text("o-a1", "-1") or "")
    assert "不是一个确定的数字" in (await svc.text("o-a1", "十几个小时") or "")
    assert "请回复一个小时数" in (await svc.text("o-a1", "很久") or "")
    reply = await svc.text("o-a1", "跳过") or ""
    assert "已记录师徒打卡" in reply and "未填" in reply
    assert (await checkin(svc, number_in(reply))).hours is None


async def test_mentor_picks_the_apprentice_then_hears_why_the_hours_are_asked(svc: Service) -> None:
    assert "回复序号" in (await svc.text("o-t1", "打卡 现场指导 1-2小时") or "")
    asked = await svc.text("o-t1", "2") or ""
    assert "“1-2小时”是一个范围" in asked
    reply = await svc.text("o-t1", "90分钟") or ""
    assert "和徒弟甲徒二" in reply and "1.5 小时" in reply


async def test_one_shot_log_takes_the_total_of_its_text(svc: Service) -> None:
    reply = await svc.text("o-m1", "周报 本周完成焊接机器人调试3小时，编写作业指导书5小时，共8小时") or ""
    assert "已提交" in reply and "时长：8 小时" in reply
    log = await log_of(svc, "M1")
    assert log is not None and log.hours == 8.0
    assert log.content == "本周完成焊接机器人调试3小时，编写作业指导书5小时，共8小时"


async def test_one_shot_log_with_unclear_hours_asks_then_confirms(svc: Service) -> None:
    asked = await svc.text("o-m2", "周报 调试焊接机器人，共七八个小时") or ""
    assert "“七八个小时”是一个范围" in asked and "周报还没有保存" in asked
    assert await log_of(svc, "M2") is None
    preview = await svc.text("o-m2", "七个半小时") or ""
    assert "7.5 小时" in preview and "调试焊接机器人" in preview and "确认" in preview
    assert "时长：7.5 小时" in (await svc.text("o-m2", "确认") or "")
    log = await log_of(svc, "M2")
    assert log is not None and log.hours == 7.5


async def test_log_dialog_reads_hours_as_written(svc: Service) -> None:
    await svc.text("o-m3", "周报")
    await svc.text("o-m3", "调试焊接机器人")
    assert "多少小时" in (await svc.text("o-m3", "完成") or "")
    refused = await svc.text("o-m3", "6到8小时") or ""
    assert "“6到8小时”是一个范围" in refused and "0 到 168" in refused
    assert "超过了 168 小时" in (await svc.text("o-m3", "200小时") or "")
    assert "6.5 小时" in (await svc.text("o-m3", "六个半小时") or "")
    assert "时长：6.5 小时" in (await svc.text("o-m3", "确认") or "")


async def test_replacing_a_log_keeps_its_hours_unless_new_ones_are_given(svc: Service) -> None:
    assert "时长：6 小时" in (await svc.text("o-m4", "周报 调试焊接机器人，共6小时") or "")
    await svc.text("o-m4", "周报 调试焊接机器人，修正错别字")
    replaced = await svc.text("o-m4", "1") or ""
    # A corrected text is not a week without work: the hours stay, and the reply says so.
    assert "已替换" in replaced and "时长：6 小时，沿用原周报" in replaced
    log = await log_of(svc, "M4")
    assert log is not None and (log.hours, log.content) == (6.0, "调试焊接机器人，修正错别字")
    await svc.text("o-m4", "周报 调试焊接机器人，共7小时")
    replaced = await svc.text("o-m4", "替换") or ""
    assert "时长：7 小时" in replaced and "沿用" not in replaced
    await svc.text("o-m4", "周报 周六加班抢修，共165小时")
    refused = await svc.text("o-m4", "2") or ""
    assert "172 小时超出了可以记录的范围" in refused and "没有保存" in refused
    log = await log_of(svc, "M4")
    assert log is not None and log.hours == 7.0 and "抢修" not in log.content
    await svc.text("o-m4", "周报 周六加班抢修，共3小时")
    assert "时长：10 小时" in (await svc.text("o-m4", "追加") or "")
