"""Reading what was sent: 周报 <姓名> for leaders, 建议 3 / 成果 3 / 打卡 3 in full for whoever
may see them, and a bare number or a row of emoji never stored as content."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from storage.models import Suggestion, WeeklyLog
from tests.support import Service, number_in, roster_fixture

ROSTER = """studio,name,employee_no,role,mentor_employee_no,phone
甲工作室,甲领衔,L1,leader,,
甲工作室,张伟,M1,member,,
甲工作室,张伟,m2,member,,
甲工作室,李娜,M3,member,L1,
甲工作室,王强,M4,member,,
乙工作室,乙领衔,L2,leader,,
乙工作室,赵敏,B1,member,,
"""
OPENIDS = {"L1": "o-l1", "M1": "o-m1", "m2": "o-m2", "M3": "o-m3", "M4": "o-m4",
           "L2": "o-l2", "B1": "o-b1"}
# Monday 30 November 2026, 10:00 in Shanghai: ISO week 2026-W49; last week is W48.
MONDAY = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
LAST_FRIDAY = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)

svc = roster_fixture(ROSTER, OPENIDS, MONDAY)

LONG_LOG = "本周完成了焊接机器人的离线编程与现场调试，" * 8 + "下周继续优化节拍。"


async def test_a_leader_reads_a_members_log_in_full(svc: Service) -> None:
    svc.clock.now = LAST_FRIDAY
    await svc.text("o-m3", "周报 上周的：整理 QC 小组活动记录")
    svc.clock.now = MONDAY
    assert "已提交" in (await svc.text("o-m3", "周报 " + LONG_LOG) or "")
    shown = await svc.text("o-l1", "周报 李娜") or ""
    head, _, body = shown.partition("\n")
    assert head.startswith("李娜 第49周（11月30日—12月6日）的周报（11月30日 提交，第 1 版")
    assert body == LONG_LOG  # the whole text, not a snippet
    last = await svc.text("o-l1", "周报 李娜 上周") or ""
    assert "第48周" in last and last.endswith("整理 QC 小组活动记录")
    assert "王强 第49周（11月30日—12月6日）还没有提交周报" in (
        await svc.text("o-l1", "周报 王强") or "")
    # Reading stores nothing: the leader has no log of their own, the member still one.
    async with svc.db.transaction() as session:
        logs = await session.scalar(select(func.count(WeeklyLog.id)))
    assert logs == 2


async def test_two_members_with_one_name_are_told_apart_by_employee_number(svc: Service) -> None:
    await svc.text("o-m2", "周报 调试数控车床")
    which = await svc.text("o-l1", "周报 张伟") or ""
    assert "几位叫张伟" in which and "工号 M1" in which and "工号 m2" in which
    shown = await svc.text("o-l1", "周报 M2") or ""  # employee numbers, case aside
    assert shown.startswith("张伟 第49周") and shown.endswith("调试数控车床")


async def test_a_member_cannot_read_anothers_log(svc: Service) -> None:
    # From a member, "周报 王强" is their own log saying "王强", as before.
    reply = await svc.text("o-m4", "周报 王强") or ""
    assert reply.startswith("已提交第49周")
    # Another studio's leader names a member of 甲: that is not one of theirs.
    other = await svc.text("o-l2", "周报 李娜") or ""
    assert "本周完成了焊接机器人" not in other


async def test_a_suggestion_by_number_for_whoever_may_see_it(svc: Service) -> None:
    text = "建议 车间照明改用节能灯，每年可省电费约两万元，并减少换灯停机"
    number = number_in(await svc.text("o-m4", text) or "")
    await svc.text("o-l1", f"采纳 {number} 下月起试点")
    for openid in ("o-m4", "o-l1"):  # the author and the studio's leader
        shown = await svc.text(openid, f"建议 {number}") or ""
        assert shown.startswith(f"建议（编号 {number}）｜王强｜11月30日")
        assert text.removeprefix("建议 ") in shown and "状态：已采纳" in shown
        assert "领衔人说明：下月起试点" in shown and "（甲领衔，11月30日）" in shown
    for openid in ("o-m3", "o-l2", "o-b1"):  # not the author, another studio
        assert "找不到您可以查看的编号" in (await svc.text(openid, f"建议 {number}") or "")
    # A bare number never becomes a suggestion, even one nobody has.
    assert "找不到您可以查看的编号 99999" in (await svc.text("o-m3", "建议 99999") or "")
    assert "请写几句具体内容" in (await svc.text("o-m3", "建议 👍👍👍") or "")
    async with svc.db.transaction() as session:
        contents = list(await session.scalars(select(Suggestion.content)))
    assert contents == [text.removeprefix("建议 ")]


async def test_a_result_by_number_shows_the_leaders_note(svc: Service) -> None:
    reply = await svc.text("o-m1", "成果 实用新型 一种焊接夹具 效益 3万元") or ""
    number = number_in(reply)
    await svc.text("o-l1", f"认定 {number} 已取得授权证书")
    shown = await svc.text("o-m1", f"成果 {number}") or ""
    assert shown.startswith(f"成果（编号 {number}）｜张伟｜11月30日")
    assert "实用新型：一种焊接夹具" in shown and "3 万元" in shown
    assert "状态：已认定" in shown and "领衔人说明：已取得授权证书" in shown
    assert "找不到" in (await svc.text("o-b1", f"成果 {number}") or "")


async def test_a_checkin_by_number_for_the_pair_and_the_leader(svc: Service) -> None:
    number = number_in(await svc.text("o-m3", "打卡 跟师傅学习焊缝探伤 2小时") or "")
    await svc.text("o-l1", f"确认 {number} 探伤要领掌握得好")
    for openid in ("o-m3", "o-l1"):
        shown = await svc.text(openid, f"打卡 {number}") or ""
        assert shown.startswith(f"师徒打卡（编号 {number}）｜甲领衔—李娜｜11月30日｜2 小时")
        assert "跟师傅学习焊缝探伤" in shown
        assert "甲领衔已确认（11月30日）。评语：探伤要领掌握得好" in shown
    for openid in ("o-m4", "o-l2"):
        assert "找不到您可以查看的编号" in (await svc.text(openid, f"打卡 {number}") or "")


async def test_this_weeks_logs_count_in_this_months_figures(svc: Service) -> None:
    # Monday 30 November: this week (W49) belongs to December by its Thursday, yet a leader
    # sees its logs in 本周 and in November's 统计 alike, and December can be asked for.
    week = await svc.text("o-l1", "本周") or ""
    submitted = int(week.split("已交 ")[1].split("/")[0])
    assert submitted >= 2
    november = await svc.text("o-l1", "统计") or ""
    assert november.startswith("【2026年11月（截至30日）统计】甲工作室")
    assert "周报（第45—49周）" in november
    december = await svc.text("o-l1", "统计 12月") or ""
    assert december.startswith("【2026年12月（本周起）统计】甲工作室")
    assert f"周报（第49周）：已交 {submitted}/" in december
    assert "还没有到" in (await svc.text("o-l1", "统计 2027-01") or "")


def test_the_weeks_a_month_counts_on_any_day() -> None:
    from datetime import date

    from storage.calendar import counted_weeks

    # 30 November: November's weeks and this one (its Thursday is in December); December
    # so far is this week.
    assert counted_weeks("2026-11", date(2026, 11, 30)) == [
        "2026-W45", "2026-W46", "2026-W47", "2026-W48", "2026-W49"]
    assert counted_weeks("2026-12", date(2026, 11, 30)) == ["2026-W49"]
    # 1 November, a Sunday: this week began in October and is October's, not November's.
    assert counted_weeks("2026-11", date(2026, 11, 1)) == []
    assert counted_weeks("2026-10", date(2026, 11, 1))[-1] == "2026-W44"
    # 10 November: the weeks begun so far.
    assert counted_weeks("2026-11", date(2026, 11, 10)) == ["2026-W45", "2026-W46"]


async def test_a_name_after_a_full_width_space_is_read_too(svc: Service) -> None:
    shown = await svc.text("o-l1", "周报 李娜　上周") or ""  # an ideographic space
    assert shown.startswith("李娜 第48周")
