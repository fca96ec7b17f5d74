"""Leaders' decisions that say why and can be commented on later, changes of a final
decision confirmed first."""

from __future__ import annotations

from datetime import UTC, datetime

from storage.models import Achievement, Suggestion
from tests.support import Service, inbox, number_in, roster_fixture

FRIDAY = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)

ROSTER = """studio,name,employee_no,role,mentor_employee_no,phone
甲工作室,甲领衔,L1,leader,,
甲工作室,张伟,M1,member,,
甲工作室,李娜,M2,member,,
乙工作室,乙领衔,L2,leader,,
"""
OPENIDS = {"L1": "o-l1", "M1": "o-m1", "M2": "o-m2", "L2": "o-l2"}

svc = roster_fixture(ROSTER, OPENIDS, FRIDAY)


async def suggestion(svc: Service, number: int) -> Suggestion:
    async with svc.db.transaction() as session:
        record = await session.get(Suggestion, number)
        assert record is not None
        return record


async def result(svc: Service, number: int) -> Achievement:
    async with svc.db.transaction() as session:
        record = await session.get(Achievement, number)
        assert record is not None
        return record


async def pushes_about(svc: Service, employee_no: str, number: int) -> list[str]:
    return [t for t in await inbox(svc, employee_no) if f"编号 {number}：" in t]


# -- decisions ----------------------------------------------------------------------------


async def test_a_rejection_or_a_return_without_a_reason_changes_nothing(svc: Service) -> None:
    number = number_in(await svc.text("o-m1", "建议 车间门口加装风幕机") or "")
    ask = await svc.text("o-l1", f"不采纳 {number}") or ""
    assert "不采纳需要写明原因" in ask and f"“不采纳 {number} 原因”" in ask
    assert (await suggestion(svc, number)).status == "submitted"
    assert await pushes_about(svc, "M1", number) == []
    done = await svc.text("o-l1", f"不采纳 {number} 今年预算已用完") or ""
    assert "标为“未采纳”，原因：今年预算已用完" in done
    [told] = await pushes_about(svc, "M1", number)
    assert "未采纳" in told and "原因：今年预算已用完" in told

    result_no = number_in(await svc.text("o-m2", "成果 实用新型 一种防松螺母") or "")
    assert "退回需要写明原因" in (await svc.text("o-l1", f"退回 {result_no}") or "")
    assert "退回需要写明原因" in (await svc.text("o-l1", f"return {result_no}  ") or "")
    assert (await result(svc, result_no)).status == "reported"
    assert "标为“已退回”，原因：请附专利受理通知书" in (
        await svc.text("o-l1", f"退回 {result_no} 请附专利受理通知书") or "")
    # The help and the leader's pending list say a reason is needed.
    help_text = await svc.text("o-l1", "帮助") or ""
    assert "不采纳 <编号> <原因>" in help_text and "退回 <编号> <原因>" in help_text
    number = number_in(await svc.text("o-m1", "建议 工具箱统一编号") or "")
    assert "“不采纳 编号 原因”" in (await svc.text("o-l1", "建议") or "")
    # 采纳, 实施 and 认定 may still go without words.
    assert "标为“已采纳”。" in (await svc.text("o-l1", f"采纳 {number}") or "")


async def test_a_comment_is_added_to_a_decision_and_told_once(svc: Service) -> None:
    number = number_in(await svc.text("o-m1", "建议 夜班增加一次巡检") or "")
    await svc.text("o-l1", f"采纳 {number}")
    assert len(await pushes_about(svc, "M1", number)) == 1
    bare = await svc.text("o-l1", f"采纳 {number}") or ""
    assert "已经是“已采纳”了" in bare and f"“采纳 {number} 意见”" in bare
    added = await svc.text("o-l1", f"采纳 {number} 补充：下月试点") or ""
    assert "已更新编号" in added and "意见：补充：下月试点" in added and "会收到通知" in added
    record = await suggestion(svc, number)
    assert (record.status, record.reply) == ("accepted", "补充：下月试点")
    pushes = await pushes_about(svc, "M1", number)
    assert len(pushes) == 2 and "更新了对您的合理化建议" in pushes[1]
    assert "“已采纳”" in pushes[1] and "意见：补充：下月试点" in pushes[1]
    # The same words again: nothing new, nobody told twice.
    assert "已经是“已采纳”了" in (await svc.text("o-l1", f"采纳 {number} 补充：下月试点") or "")
    assert len(await pushes_about(svc, "M1", number)) == 2
    # A changed comment replaces it (and is told).
    await svc.text("o-l1", f"采纳 {number} 改为本月试点")
    assert (await suggestion(svc, number)).reply == "改为本月试点"
    assert len(await pushes_about(svc, "M1", number)) == 3
    # A result's note likewise, under the result's push.
    result_no = number_in(await svc.text("o-m2", "成果 论文 焊接残余应力分析") or "")
    await svc.text("o-l1", f"认定 {result_no}")
    assert "说明：已见刊" in (await svc.text("o-l1", f"认定 {result_no} 已见刊") or "")
    assert (await result(svc, result_no)).note == "已见刊"
    assert any("更新了对您的成果" in t and "说明：已见刊" in t
               for t in await pushes_about(svc, "M2", result_no))


async def test_changing_a_final_decision_asks_first(svc: Service) -> None:
    number = number_in(await svc.text("o-m1", "建议 库房改为定置管理") or "")
    await svc.text("o-l1", f"不采纳 {number} 场地不够")
    ask = await svc.text("o-l1", f"采纳 {number} 重新评估后可行") or ""
    assert "已经是“未采纳”，确定改为“已采纳”，意见：重新评估后可行吗？" in ask
    assert "提交人已收到原来的决定" in ask
    assert "决定没有改动" in (await svc.text("o-l1", "算了") or "")
    assert (await suggestion(svc, number)).status == "rejected"
    assert len(await pushes_about(svc, "M1", number)) == 1
    await svc.text("o-l1", f"采纳 {number} 重新评估后可行")
    assert "请回复“是”确认修改" in (await svc.text("o-l1", "再想想") or "")
    assert "标为“已采纳”，意见：重新评估后可行" in (await svc.text("o-l1", "确认") or "")
    record = await suggestion(svc, number)
    assert (record.status, record.reply) == ("accepted", "重新评估后可行")
    assert len(await pushes_about(svc, "M1", number)) == 2
    # Accepted is not final: rejecting it asks nothing (the reason is still needed).
    assert "标为“未采纳”" in (await svc.text("o-l1", f"不采纳 {number} 还是不行") or "")

    # return 3 test: a verified result is not flipped unasked.
    result_no = number_in(await svc.text("o-m2", "成果 QC 降低焊接返修率") or "")
    await svc.text("o-l1", f"认定 {result_no}")
    ask = await svc.text("o-l1", f"return {result_no} test") or ""
    assert "已经是“已认定”，确定改为“已退回”" in ask
    # Another decision typed meanwhile runs as itself; the question still waits.
    other = number_in(await svc.text("o-m2", "建议 更换老旧焊枪") or "")
    aside = await svc.text("o-l1", f"采纳 {other}") or ""
    assert "标为“已采纳”" in aside and "修改决定还没有完成" in aside
    assert (await result(svc, result_no)).status == "verified"
    assert "标为“已退回”，原因：test" in (await svc.text("o-l1", "是") or "")
    assert (await result(svc, result_no)).status == "returned"
    # And back to verified: asked again.
    assert "确定改为“已认定”" in (await svc.text("o-l1", f"认定 {result_no}") or "")
    assert "标为“已认定”" in (await svc.text("o-l1", "是") or "")


async def test_a_members_lists_show_the_leaders_comment(svc: Service) -> None:
    number = number_in(await svc.text("o-m2", "建议 班前会增加安全提问环节，每次三分钟") or "")
    await svc.text("o-l1", f"实施 {number} 已在二号线落地，三个月来效果很好，下个月起推广到全车间各个班组")
    pending = number_in(await svc.text("o-m2", "建议 更衣室加装烘干机") or "")
    mine = (await svc.text("o-m2", "建议") or "").splitlines()
    done_at = next(i for i, line in enumerate(mine) if f"编号 {number} " in line)
    assert mine[done_at + 1].startswith("   说明：已在二号线落地，三个月来")
    assert mine[done_at + 1].endswith("…")  # cut: the whole text is in 建议 <编号>
    waiting_at = next(i for i, line in enumerate(mine) if f"编号 {pending} " in line)
    assert not mine[waiting_at + 1].startswith("   ")
    result_no = number_in(await svc.text("o-m2", "成果 五小成果 快换夹头") or "")
    await svc.text("o-l1", f"退回 {result_no} 请补充现场照片")
    results = await svc.text("o-m2", "成果") or ""
    assert f"编号 {result_no} （" in results and "\n   原因：请补充现场照片" in results
    # The proposer's push carries the reason too.
    assert any("原因：请补充现场照片" in t for t in await pushes_about(svc, "M2", result_no))
