"""成果: the economic benefit read out of the text (元 and 万元, stored in 万元), refused
when negative, without a unit or given twice; and a result like one the studio already has
asked about before it is recorded — through the real endpoint."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from domain.proposals import likeness
from storage.models import Achievement
from tests.support import Service, inbox, number_in, roster_fixture

ROSTER = """studio,name,employee_no,role,mentor_employee_no,phone
甲工作室,甲领衔,L1,leader,,
甲工作室,甲一,M1,member,,
甲工作室,甲二,M2,member,,
乙工作室,乙领衔,L2,leader,,
乙工作室,乙一,B1,member,,
"""
OPENIDS = {"L1": "o-l1", "M1": "o-m1", "M2": "o-m2", "L2": "o-l2", "B1": "o-b1"}
FRIDAY = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)

svc = roster_fixture(ROSTER, OPENIDS, FRIDAY)


async def result(svc: Service, number: int) -> Achievement:
    async with svc.db.transaction() as session:
        found = await session.get(Achievement, number)
        assert found is not None
        return found


async def results_count(svc: Service) -> int:
    async with svc.db.transaction() as session:
        return int(await session.scalar(select(func.count(Achievement.id))) or 0)


async def test_benefit_in_yuan_is_cut_from_the_title_and_stored_in_wan(svc: Service) -> None:
    reply = await svc.text("o-m1", "成果 实用新型 一种 焊接 夹具 效益 30000元") or ""
    assert "实用新型·一种 焊接 夹具，经济效益 3 万元" in reply
    stored = await result(svc, number_in(reply))
    assert (stored.title, stored.economic_benefit) == ("一种 焊接 夹具", 3.0)


async def test_benefit_spellings(svc: Service) -> None:
    for typed, title, wan in [
        ("成果 QC 降低焊缝返修率 经济效益3.5万元 已推广", "降低焊缝返修率", 3.5),
        ("成果 五小 一种快换夹头（创效叁万元）", "一种快换夹头", 3.0),
        ("成果 五小 一种防松螺母扳手 节约成本约2万元", "一种防松螺母扳手", 2.0),
        ("成果 五小 一种点检记录板 12,345元", "一种点检记录板", 1.2345),
        ("成果 论文 焊接机器人离线编程 效益：两万五", "焊接机器人离线编程", 2.5),
        ("成果 五小 一种冲压件料架 3万元", "一种冲压件料架", 3.0),
        # 万 without 元 and without a benefit word is not money.
        ("成果 五小 年产10万件的冲压模具", "年产10万件的冲压模具", None),
    ]:
        reply = await svc.text("o-m2", typed) or ""
        assert "已登记成果" in reply, (typed, reply)
        stored = await result(svc, number_in(reply))
        assert (stored.title, stored.economic_benefit) == (title, wan), typed


async def test_a_benefit_that_cannot_be_taken_is_refused(svc: Service) -> None:
    before = await results_count(svc)
    negative = await svc.text("o-m1", "成果 外观 一种焊枪外壳 效益 -3万") or ""
    assert "经济效益不能是负数（“效益 -3万”）" in negative
    no_unit = await svc.text("o-m1", "成果 外观 一种焊枪外壳 效益 30000") or ""
    assert "经济效益“效益 30000”没有写单位" in no_unit and "30000元" in no_unit
    twice = await svc.text("o-m1", "成果 外观 一种焊枪外壳 效益3万元，节约2万元") or ""
    assert "不止一个经济效益（效益3万元、节约2万元）" in twice
    assert await results_count(svc) == before


async def test_a_result_like_one_the_studio_has_is_asked_about(svc: Service) -> None:
    first = await svc.text("o-m1", "成果 发明专利 一种焊缝打磨装置 效益12万元") or ""
    number = number_in(first)
    pushes = len(await inbox(svc, "L1"))
    before = await results_count(svc)
    # Another member, spaces and punctuation aside: the same title.
    asked = await svc.text("o-m2", "成果 发明 一种 焊缝打磨装置。 效益12万元") or ""
    assert f"已有相近的成果《一种焊缝打磨装置》（编号 {number}），仍要登记吗？" in asked
    assert "请回复“是”登记" in (await svc.text("o-m2", "嗯") or "")
    assert "没有登记" in (await svc.text("o-m2", "否") or "")
    assert await results_count(svc) == before and len(await inbox(svc, "L1")) == pushes
    # A near title asks too; 是 records it, and only then are the leaders told.
    assert "已有相近的成果" in (await svc.text("o-m2", "成果 专利 一种焊缝打磨用装置") or "")
    recorded = await svc.text("o-m2", "是") or ""
    assert "已登记成果" in recorded and "一种焊缝打磨用装置" in recorded
    assert await results_count(svc) == before + 1
    assert len(await inbox(svc, "L1")) == pushes + 1


async def test_what_is_not_the_same_result_is_recorded_at_once(svc: Service) -> None:
    first = number_in(await svc.text("o-m1", "成果 软著 焊接参数管理系统") or "")
    # Another type, another studio, another title: no question.
    assert "已登记成果" in (await svc.text("o-m1", "成果 论文 焊接参数管理系统") or "")
    assert "已登记成果" in (await svc.text("o-b1", "成果 软著 焊接参数管理系统") or "")
    assert "已登记成果" in (await svc.text("o-m1", "成果 软著 设备点检助手") or "")
    # A result the leader returned is expected back, corrected.
    assert "已退回" in (await svc.text("o-l1", f"退回 {first} 请附著作权证书") or "")
    again = await svc.text("o-m1", "成果 软著 焊接参数管理系统 V1.0") or ""
    assert "已登记成果" in again


async def test_cancel_leaves_the_question(svc: Service) -> None:
    await svc.text("o-m1", "成果 QC 提高焊接一次合格率")
    before = await results_count(svc)
    assert "已有相近的成果" in (await svc.text("o-m1", "成果 QC 提高焊接一次合格率") or "")
    assert "已取消" in (await svc.text("o-m1", "取消") or "")
    assert await results_count(svc) == before
    # The question is gone: the next 成果 is recorded as usual.
    assert "已登记成果" in (await svc.text("o-m1", "成果 QC 降低气孔缺陷率") or "")


def test_likeness_of_titles() -> None:
    assert likeness("一种焊接夹具", "一种 焊接 夹具！") == 1.0
    assert likeness("焊接夹具", "一种焊接夹具") == 1.0  # one inside the other
    assert likeness("一种焊接夹具", "一种焊接用夹具") > 0.85
    assert likeness("一种焊接夹具", "一种切割夹具") < 0.85
    assert likeness("", "一种焊接夹具") == 0.0
