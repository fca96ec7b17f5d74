"""Leaders' decisions that say why and can be commented on later, changes of a final
decision confirmed first; topics that 是 does not duplicate, that can be renamed and
deleted with their history kept, and whose status changes are not progress."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from storage.calendar import month_bounds, weeks_of_month
from storage.indicators import StudioFigures
from storage.models import Achievement, Suggestion, Topic, TopicProgress
from storage.queries.indicators import studio_figures
from tests.support import Service, inbox, number_in, roster_fixture

TZ = ZoneInfo("Asia/Shanghai")
FRIDAY = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
OCTOBER = datetime(2026, 10, 14, 2, 0, tzinfo=UTC)

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
    done_at = next(i for i, line in enumerate(mine) if f"编号 {number}（" in line)
    assert mine[done_at + 1].startswith("   说明：已在二号线落地，三个月来")
    assert mine[done_at + 1].endswith("…")  # cut: the whole text is in 建议 <编号>
    waiting_at = next(i for i, line in enumerate(mine) if f"编号 {pending}（" in line)
    assert not mine[waiting_at + 1].startswith("   ")
    result_no = number_in(await svc.text("o-m2", "成果 五小成果 快换夹头") or "")
    await svc.text("o-l1", f"退回 {result_no} 请补充现场照片")
    results = await svc.text("o-m2", "成果") or ""
    assert f"编号 {result_no}（" in results and "\n   原因：请补充现场照片" in results
    # The proposer's push carries the reason too.
    assert any("原因：请补充现场照片" in t for t in await pushes_about(svc, "M2", result_no))


# -- topics -------------------------------------------------------------------------------


async def topics_titled(svc: Service, title: str) -> list[Topic]:
    async with svc.db.transaction() as session:
        return list(await session.scalars(select(Topic).where(Topic.title == title)))


async def test_yes_does_not_create_a_topic_spelt_like_another(svc: Service) -> None:
    await svc.text("o-l1", "进展 液压站改造 开题")
    assert "已新建课题“液压站改造”" in (await svc.text("o-l1", "是") or "")
    ask = await svc.text("o-l1", "进展 液压站改进 更换密封件 30%") or ""
    assert "1. 液压站改造" in ask and "“新建 液压站改进”" in ask and "回复“是”" not in ask
    explained = await svc.text("o-l1", "是") or ""
    assert "不会新建" in explained and "“新建 液压站改进”" in explained
    assert "“新建 液压站改进”" in (await svc.text("o-l1", "QC") or "")
    assert await topics_titled(svc, "液压站改进") == []
    created = await svc.text("o-l1", "新建 液压站改进 QC") or ""
    assert "已新建课题“液压站改进”（QC）" in created and "（30%）" in created
    [topic] = await topics_titled(svc, "液压站改进")
    assert topic.kind == "qc"
    # Without a topic spelt alike, 是 creates as before.
    await svc.text("o-l1", "进展 智能点检 开题")
    assert "已新建课题“智能点检”" in (await svc.text("o-l1", "是") or "")


async def test_a_renamed_topic_keeps_its_history(svc: Service) -> None:
    await svc.text("o-l1", "进展 焊缝检测 开题 10%")
    await svc.text("o-l1", "是")
    await svc.text("o-l1", "进展 焊缝检测 完成样机 40%")
    renamed = await svc.text("o-l1", "进展 焊缝检测 改名 焊缝视觉检测") or ""
    assert "已将课题“焊缝检测”改名为“焊缝视觉检测”" in renamed
    assert "没有名为“焊缝检测”" in (await svc.text("o-l1", "进展 焊缝检测 删除") or "")
    detail = await svc.text("o-l1", "进展 焊缝视觉检测") or ""
    assert "完成样机（40%）" in detail and "开题（10%）" in detail
    assert "已经叫“焊缝视觉检测”" in (await svc.text("o-l1", "进展 焊缝视觉检测 改名 焊缝视觉检测")
                                   or "")
    assert "已有名为“智能点检”" in (await svc.text("o-l1", "进展 焊缝视觉检测 改名 智能点检") or "")
    assert "中间不要有空格" in (await svc.text("o-l1", "进展 焊缝视觉检测 改名 焊缝 检测") or "")
    assert "没有名为“不存在的课题”" in (
        await svc.text("o-l1", "进展 不存在的课题 改名 新名字") or "")
    assert len(await topics_titled(svc, "焊缝视觉检测")) == 1
    assert await topics_titled(svc, "不存在的课题") == []
    # Another studio's topic is none of this leader's.
    assert "没有名为" in (await svc.text("o-l2", "进展 焊缝视觉检测 改名 偷来的") or "")


async def figures(svc: Service, month: str) -> StudioFigures:
    start, end = month_bounds(month)
    async with svc.db.transaction() as session:
        studio = (await session.scalars(select(Topic.studio_id)
                                        .where(Topic.title == "旧工装改造"))).first()
        assert studio is not None
        return (await studio_figures(session, weeks_of_month(month), start, end, TZ,
                                     studio_id=studio))[studio]


async def test_a_deleted_topic_leaves_the_list_and_keeps_its_history(svc: Service) -> None:
    svc.clock.now = OCTOBER
    try:
        await svc.text("o-l1", "进展 旧工装改造 开题")
        await svc.text("o-l1", "是")
        await svc.text("o-l1", "进展 旧工装改造 完成测绘 20%")
    finally:
        svc.clock.now = FRIDAY
    october, november = await figures(svc, "2026-10"), await figures(svc, "2026-11")
    ask = await svc.text("o-l1", "进展 旧工装改造 删除") or ""
    assert "确定删除课题“旧工装改造”吗？" in ask and "已有的 2 条记录保留" in ask
    assert "课题没有删除" in (await svc.text("o-l1", "否") or "")
    assert len(await topics_titled(svc, "旧工装改造")) == 1
    await svc.text("o-l1", "进展 旧工装改造 删除")
    assert "请回复“是”删除课题“旧工装改造”" in (await svc.text("o-l1", "嗯") or "")
    assert "已删除课题“旧工装改造”，它的 2 条记录已保留" in (await svc.text("o-l1", "是") or "")
    [topic] = await topics_titled(svc, "旧工装改造")
    assert topic.deleted_at == FRIDAY
    async with svc.db.transaction() as session:
        kept = await session.scalar(select(func.count(TopicProgress.id))
                                    .where(TopicProgress.topic_id == topic.id))
    assert kept == 2
    assert "旧工装改造" not in (await svc.text("o-l1", "进展") or "")
    assert "没有名为“旧工装改造”" in (await svc.text("o-l1", "进展 旧工装改造 删除") or "")
    # October, which ended before the deletion, reads as it did; November counts it no more.
    assert await figures(svc, "2026-10") == october
    after = await figures(svc, "2026-11")
    assert after.topics_active == november.topics_active - 1
    # Its name is free for a new topic; the old one keeps its history.
    await svc.text("o-l1", "进展 旧工装改造 重新立项")
    assert "已新建课题“旧工装改造”" in (await svc.text("o-l1", "是") or "")
    assert len(await topics_titled(svc, "旧工装改造")) == 2
    assert "重新立项" in (await svc.text("o-l1", "进展 旧工装改造") or "")


async def test_status_changes_are_shown_apart_from_progress(svc: Service) -> None:
    await svc.text("o-l1", "进展 激光清洗 完成方案论证 10%")
    await svc.text("o-l1", "是")
    svc.clock.advance(days=1)
    try:
        await svc.text("o-l1", "进展 激光清洗 状态 验收")
    finally:
        svc.clock.now = FRIDAY
    listing = await svc.text("o-l1", "进展") or ""
    head = next(i for i, line in enumerate(listing.splitlines()) if "激光清洗（" in line)
    assert "激光清洗（技术攻关·验收·10%）" in listing
    assert listing.splitlines()[head + 1] == "   11月20日：完成方案论证"
    detail = (await svc.text("o-l1", "进展 激光清洗") or "").splitlines()
    assert detail[detail.index("最近进展：") + 1] == "   11月20日：完成方案论证（10%）"
    assert detail[detail.index("状态变更：") + 1] == "   11月21日：改为验收"
    assert not any("状态改为" in line for line in detail)
    async with svc.db.transaction() as session:
        kinds = list(await session.execute(
            select(TopicProgress.kind, TopicProgress.status)
            .join(Topic, Topic.id == TopicProgress.topic_id)
            .where(Topic.title == "激光清洗").order_by(TopicProgress.id)))
    assert [tuple(k) for k in kinds] == [("progress", "in_progress"), ("status", "acceptance")]
