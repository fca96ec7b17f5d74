"""进展, 通知, 建议, 成果, 统计, 排名 and the complete 我的, through the real endpoint."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.replies import MAX_TEXT_BYTES
from bot.simulator import text_xml
from bot.wechat_api import WeChatAPI
from locales import messages
from ops import exports, ledger
from scheduled.delivery import Deliverer
from storage.models import (
    Achievement,
    CheckIn,
    Member,
    MentorshipPair,
    OutboxMessage,
    Suggestion,
    Topic,
    TopicProgress,
    WeeklyLog,
)
from storage.queries.invites import member_by_employee_no
from tests.fakes import FakeWeChatAPI
from tests.support import Service, inbox, number_in, roster_fixture

TZ = ZoneInfo("Asia/Shanghai")
FRIDAY = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
SEND = "/cgi-bin/message/custom/send"

# 甲: a leader and 40 members (the notice test); 乙: another studio; 丙: the seeded month.
BIG = 40
ROSTER = "studio,name,employee_no,role,mentor_employee_no,phone\n" + "".join(
    [
        "甲工作室,甲领衔,L1,leader,,\n",
        *(f"甲工作室,甲成员{i:02d},M{i:02d},member,,\n" for i in range(1, BIG + 1)),
        "乙工作室,乙领衔,L2,leader,,\n",
        "乙工作室,乙成员,B1,member,,\n",
        "丙工作室,丙领衔,L3,leader,,\n",
        "丙工作室,丙师傅,C1,member,,\n",
        "丙工作室,丙徒弟,C2,member,C1,\n",
        "丙工作室,丙新人,C3,member,,\n",
        ",管理员,A1,admin,,\n",
    ]
)
OPENIDS = {"L1": "o-l1", "L2": "o-l2", "B1": "o-b1", "L3": "o-l3", "C1": "o-c1", "C2": "o-c2",
           "A1": "o-a1", **{f"M{i:02d}": f"o-m{i:02d}" for i in range(1, BIG + 1)}}


svc = roster_fixture(ROSTER, OPENIDS, FRIDAY)


async def member_id(svc: Service, employee_no: str) -> int:
    async with svc.db.transaction() as session:
        member = await member_by_employee_no(session, employee_no)
        assert member is not None
        return member.id


# -- 进展 --------------------------------------------------------------------------------


async def test_progress_creates_a_topic_after_confirming_then_matches_it(svc: Service) -> None:
    assert "还没有课题" in (await svc.text("o-l1", "进展") or "")
    ask = await svc.text("o-l1", "进展 焊接机器人 完成方案论证 10%") or ""
    assert "还没有名为“焊接机器人”的课题" in ask and "回复“是”" in ask
    assert "请回复“是”" in (await svc.text("o-l1", "好像不对") or "")
    done = await svc.text("o-l1", "QC") or ""
    assert "已新建课题“焊接机器人”（QC）" in done and "（10%）" in done and "攻关中" in done
    # A shorter or slightly different name finds the same topic.
    again = await svc.text("o-l1", "进展：焊接机器 完成第三轮调试 60％") or ""
    assert "已记录“焊接机器人”的进展（60%）" in again and "按课题“焊接机器人”记录" in again
    async with svc.db.transaction() as session:
        [topic] = list(await session.scalars(select(Topic).where(Topic.title == "焊接机器人")))
        updates = list(await session.scalars(
            select(TopicProgress).where(TopicProgress.topic_id == topic.id)
            .order_by(TopicProgress.id)))
    assert (topic.kind, topic.status, topic.percent) == ("qc", "in_progress", 60)
    assert [(u.content, u.percent) for u in updates] == [("完成方案论证", 10), ("完成第三轮调试", 60)]
    listing = await svc.text("o-l1", "progress") or ""
    assert "1. 焊接机器人（QC·攻关中·60%）" in listing and "11月20日：完成第三轮调试" in listing


async def test_progress_sets_status_owner_and_due_date(svc: Service) -> None:
    await svc.text("o-l1", "进展 数控夹具 立项")
    await svc.text("o-l1", "是")
    assert "状态设为：验收" in (await svc.text("o-l1", "进展 数控夹具 状态 验收") or "")
    assert "状态只能是" in (await svc.text("o-l1", "进展 数控夹具 状态 差不多了") or "")
    assert "负责人设为：甲成员03" in (await svc.text("o-l1", "进展 数控夹具 负责人 M03") or "")
    assert "没有叫“张三”的成员" in (await svc.text("o-l1", "进展 数控夹具 负责人 张三") or "")
    assert "2026-12-31" in (await svc.text("o-l1", "进展 数控夹具 截止 2026年12月31日") or "")
    assert "日期请写成" in (await svc.text("o-l1", "进展 数控夹具 截止 明年") or "")
    detail = await svc.text("o-l1", "进展 数控夹具") or ""
    assert "数控夹具（技术攻关·验收）" in detail and "负责人：甲成员03" in detail
    assert "截止：2026-12-31" in detail
    assert "百分比应在" in (await svc.text("o-l1", "进展 数控夹具 再测一次 120%") or "")


async def test_progress_with_an_ambiguous_name_asks_for_the_full_one(svc: Service) -> None:
    await svc.text("o-l2", "进展 扭矩检测一 开题")
    await svc.text("o-l2", "是")
    # 扭矩检测一 is spelt alike: only 新建 <名称> creates the second.
    await svc.text("o-l2", "进展 扭矩检测二 开题")
    assert "已新建课题“扭矩检测二”" in (await svc.text("o-l2", "新建 扭矩检测二") or "")
    reply = await svc.text("o-l2", "进展 扭矩检测 做了对比试验") or ""
    assert "可能指以下课题" in reply and "扭矩检测一" in reply and "扭矩检测二" in reply
    # Another studio's topics are not this one's.
    assert "焊接机器人" not in (await svc.text("o-l2", "进展") or "")


async def test_progress_and_notices_are_for_leaders(svc: Service) -> None:
    assert "仅限领衔人使用" in (await svc.text("o-m01", "进展 焊接机器人 帮忙调试") or "")
    assert "仅限领衔人、工会管理员使用" in (await svc.text("o-m01", "通知 明天开会") or "")
    # An admin's notice says whom it is for: every leader, or everyone.
    assert "通知 领衔人 内容" in (await svc.text("o-a1", "通知 明天开会") or "")
    assert "需要先绑定" in (await svc.text("o-stranger", "进展 焊接机器人 调试") or "")


# -- 通知 --------------------------------------------------------------------------------


async def test_notice_reaches_forty_members_once_despite_retried_confirm(
    svc: Service, fake_api: FakeWeChatAPI
) -> None:
    ask = await svc.text("o-l1", "通知 周五下午三点在二号车间开技术交流会，请准时参加") or ""
    assert f"发给本工作室 {BIG} 名成员" in ask and "回复“确认”发送" in ask
    # WeChat delivers the confirm three times at once (no answer seen in time).
    xml = text_xml("o-l1", "确认", msg_id=880001, create_time=svc.clock.ts)
    delivery = svc.side.deliver(xml, timestamp=svc.clock.ts, mode="plain")
    responses = await asyncio.gather(*(svc.post(delivery) for _ in range(3)))
    bodies = [svc.side.read_reply(await r.text()) for r in responses]
    replies = {str(b["Content"]) for b in bodies if b is not None}
    assert len(replies) == 1 and f"已安排发送给 {BIG} 人" in replies.pop()
    async with svc.db.transaction() as session:
        rows = list(await session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "notice")))
    assert len(rows) == BIG and len({r.recipient_id for r in rows}) == BIG
    assert all("【甲工作室通知】周五下午三点" in r.text and "——甲领衔" in r.text for r in rows)
    # The delivery worker sends each one once; a second pass finds nothing.
    fake_api.calls.clear()
    api = WeChatAPI(fake_api.base_url, "wx", "secret", clock=svc.clock, retry_delays=(0, 0))
    deliverer = Deliverer(svc.db, api, templates={}, tz=TZ, clock=svc.clock)
    async with svc.db.transaction() as session:
        # They all wrote to the account within 48 h, so customer-service messages go out.
        for mid in {r.recipient_id for r in rows}:
            member = await session.get(Member, mid)
            assert member is not None
            member.last_interaction_at = svc.clock.now - timedelta(hours=1)
    fake_api.script(SEND, *([{"errcode": 0}] * (BIG - 1)), {"errcode": 43004, "errmsg": "unsub"})
    report = await deliverer.run()
    assert report.total == BIG and (await deliverer.run()).total == 0
    sent_to = [c.body["touser"] for c in fake_api.calls_to(SEND)]
    assert len(sent_to) == BIG and len(set(sent_to)) == BIG
    status = await svc.text("o-l1", "通知") or ""
    assert f"共 {BIG} 人：已送达 {BIG - 1}，未送达 1，发送中 0" in status


async def test_notice_counts_who_cannot_receive_and_cancel_sends_nothing(svc: Service) -> None:
    ask = await svc.text("o-l3", "通知 下周一交季度总结") or ""
    # C3 has no WeChat bound: told, not counted.
    assert "发给本工作室 2 名成员（另有 1 人未绑定或已取消关注，收不到）" in ask
    assert "已取消" in (await svc.text("o-l3", "取消") or "")
    async with svc.db.transaction() as session:
        n = await session.scalar(select(func.count(OutboxMessage.id))
                                 .where(OutboxMessage.kind == "notice",
                                        OutboxMessage.text.contains("季度总结")))
    assert n == 0
    assert "最多 600 字" in (await svc.text("o-l3", "通知 " + "很" * 601) or "")


async def test_an_admin_notifies_every_leader_of_the_union(svc: Service) -> None:
    ask = await svc.text("o-a1", "通知 领衔人 请于周五前报送季度台账") or ""
    # L1, L2 and L3 are bound: all three leaders get it.
    assert "将发给全体领衔人中可接收的 3 人（另有 0 人" in ask and "季度台账" in ask
    done = await svc.text("o-a1", "确认") or ""
    assert "3 人" in done
    async with svc.db.transaction() as session:
        rows = list(await session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "notice", OutboxMessage.text.contains("季度台账"))))
    leaders = {await member_id(svc, no) for no in ("L1", "L2", "L3")}
    assert {r.recipient_id for r in rows} == leaders and len(rows) == 3
    assert all(r.text.startswith("【测试市总工会通知】") and "——管理员" in r.text for r in rows)
    # The admin's 通知 shows the union's notices; a leader's, the studio's only.
    assert "共 3 人" in (await svc.text("o-a1", "通知") or "")
    assert "季度台账" not in (await svc.text("o-l2", "通知") or "")
    # To everyone: counted, and cancelled without a push.
    everyone = await svc.text("o-a1", "通知 全体 元旦放假安排见工会网站") or ""
    # Every member and leader but the admin: 47, less those unbound or no longer following.
    reach = int(everyone.split("可接收的 ")[1].split(" 人")[0])
    skipped = int(everyone.split("另有 ")[1].split(" 人")[0])
    assert reach + skipped == 47 and skipped >= 1
    assert "已取消" in (await svc.text("o-a1", "取消") or "")
    async with svc.db.transaction() as session:
        n = await session.scalar(select(func.count(OutboxMessage.id)).where(
            OutboxMessage.text.contains("元旦放假")))
    assert n == 0


async def test_a_leader_sees_who_cannot_receive_notices(svc: Service) -> None:
    missing = await svc.text("o-l3", "通知 未送达") or ""
    assert missing.splitlines()[:2] == ["收不到通知的成员：", "未绑定微信（1 人）：丙新人"]
    assert "绑定 工号" in missing
    assert "都能收到通知" in (await svc.text("o-l2", "通知 未送达") or "")


# -- 建议 --------------------------------------------------------------------------------


async def test_suggestion_goes_to_the_leader_and_the_decision_comes_back(svc: Service) -> None:
    reply = await svc.text("o-m05", "建议 在二号线增加一处扭矩复检点") or ""
    assert "已提交合理化建议" in reply
    number = number_in(reply)
    [to_leader] = [t for t in await inbox(svc, "L1") if "合理化建议" in t]
    assert "甲成员05" in to_leader and f"采纳 {number}" in to_leader
    pending = await svc.text("o-l1", "建议") or ""
    assert "待处理 1" in pending and f"编号 {number}（11月20日）甲成员05：" in pending
    # Another studio's leader cannot touch it; a member cannot decide at all.
    assert "没有编号" in (await svc.text("o-l2", f"采纳 {number}") or "")
    assert "仅限领衔人使用" in (await svc.text("o-m06", f"采纳 {number}") or "")
    assert "请发送“采纳 编号" in (await svc.text("o-l1", "采纳 这条") or "")
    decided = await svc.text("o-l1", f"采纳 {number} 下月起试行") or ""
    assert "标为“已采纳”，意见：下月起试行" in decided and "提交人会收到通知" in decided
    [back] = [t for t in await inbox(svc, "M05") if "合理化建议" in t]
    assert f"编号 {number}" in back and "已采纳" in back and "下月起试行" in back
    assert "已经是“已采纳”" in (await svc.text("o-l1", f"accept {number}") or "")
    assert "已实施" in (await svc.text("o-l1", f"实施 {number}") or "")
    assert "不能再标为“未采纳”" in (await svc.text("o-l1", f"不采纳 {number}") or "")
    mine = await svc.text("o-m05", "建议") or ""
    assert "已实施：在二号线增加一处扭矩复检点" in mine
    assert "仅限成员、领衔人使用" in (await svc.text("o-a1", "建议 多发点奖金") or "")


# -- 成果 --------------------------------------------------------------------------------


async def test_result_is_reported_with_benefit_and_verified_by_the_leader(svc: Service) -> None:
    reply = await svc.text("o-m07", "成果 实用新型 一种焊缝打磨装置 效益12.5万元 已推广") or ""
    assert "已登记成果" in reply and "实用新型·一种焊缝打磨装置" in reply
    assert "经济效益 12.5 万元" in reply and "已推广应用" in reply and "待领衔人认定" in reply
    number = number_in(reply)
    async with svc.db.transaction() as session:
        result = await session.get(Achievement, number)
        assert result is not None
        assert (result.type, result.title, result.economic_benefit, result.promoted,
                result.status) == ("utility_model", "一种焊缝打磨装置", 12.5, True, "reported")
    assert any(f"认定 {number}" in t for t in await inbox(svc, "L1"))
    assert "没有“奖状”这种成果类型" in (await svc.text("o-m07", "成果 奖状 优秀员工") or "")
    assert "请发送“成果 类型 名称”" in (await svc.text("o-m07", "成果 QC") or "")
    assert "软件著作权·点检助手" in (await svc.text("o-m07", "成果 软著 点检助手") or "")
    assert "仅限领衔人使用" in (await svc.text("o-m07", f"认定 {number}") or "")
    assert "没有编号" in (await svc.text("o-l2", f"认定 {number}") or "")
    verified = await svc.text("o-l1", f"认定 {number} 已核对专利证书") or ""
    assert "标为“已认定”" in verified
    assert any("已认定" in t and "已核对专利证书" in t for t in await inbox(svc, "M07"))
    # Undoing the verification is asked about first.
    ask = await svc.text("o-l1", f"退回 {number} 证书编号有误") or ""
    assert "已经是“已认定”，确定改为“已退回”，原因：证书编号有误吗？" in ask
    returned = await svc.text("o-l1", "是") or ""
    assert "标为“已退回”" in returned
    listing = await svc.text("o-l1", "成果") or ""
    assert "已退回 1" in listing and "待认定：" in listing and "点检助手" in listing


# -- 我的 --------------------------------------------------------------------------------


async def test_me_shows_suggestions_results_and_what_waits_for_the_leader(svc: Service) -> None:
    me = await svc.text("o-m05", "我的") or ""
    assert "我的合理化建议：1 条（已采纳 0，已实施 1，待处理 0）" in me
    assert "我登记的成果：0 项" in me
    leader = await svc.text("o-l1", "我的") or ""
    assert "待我处理：建议 0 条，成果 1 项" in leader


# -- 统计 and 排名 on a seeded month -------------------------------------------------------


def at(day: int, month: int = 10) -> datetime:
    return datetime(2026, month, day, 10, 0, tzinfo=TZ)


@pytest.fixture(scope="module")
async def october(svc: Service) -> None:
    """丙工作室's October 2026 (ISO weeks W40–W44), to be counted by hand:

    logs 12 of 4 writers × 5 weeks, 2 h each; check-ins 3 (2 confirmed) of 1.5 h, plus one
    each side of the month; topics: one progressed twice, one new and idle, one paused
    (its update does not count), one created in November; results: patent 10 万元 verified,
    QC 2.5 万元 verified and promoted, 五小 1 万元 pending, and one from September;
    suggestions: one of each status, and one from September.
    """
    ids = {no: await member_id(svc, no) for no in ("L3", "C1", "C2", "C3")}
    weeks = {"L3": 5, "C1": 4, "C2": 3, "C3": 0}
    async with svc.db.transaction() as session:
        studio_id = (await session.get(Member, ids["L3"])).studio_id  # type: ignore[union-attr]
        assert studio_id is not None
        for no, n in weeks.items():
            for w in range(40, 40 + n):
                session.add(WeeklyLog(member_id=ids[no], studio_id=studio_id, week=f"2026-W{w}",
                                      content="本周工作", hours=2.0, submitted_at=at(2),
                                      updated_at=at(2)))
        pair = (await session.scalars(select(MentorshipPair)
                                      .where(MentorshipPair.apprentice_id == ids["C2"]))).one()
        for day, confirmed in ((date(2026, 9, 30), True), (date(2026, 10, 5), False),
                               (date(2026, 10, 12), True), (date(2026, 10, 20), True),
                               (date(2026, 11, 1), True)):
            session.add(CheckIn(pair_id=pair.id, author_id=ids["C2"], checkin_date=day,
                                content="学习", hours=1.5, created_at=at(1),
                                confirmed_at=at(21) if confirmed else None))
        topics = [Topic(studio_id=studio_id, title=t, kind="tech_breakthrough", status=s,
                        created_at=c, updated_at=c)
                  for t, s, c in (("甲课题", "in_progress", at(1, 9)), ("乙课题", "approved", at(15)),
                                  ("丙课题", "paused", at(1, 9)), ("丁课题", "approved", at(5, 11)))]
        session.add_all(topics)
        await session.flush()
        for topic, day in ((topics[0], 10), (topics[0], 20), (topics[2], 5)):
            session.add(TopicProgress(topic_id=topic.id, author_id=ids["L3"], content="推进",
                                      created_at=at(day)))
        for kind, status, benefit, promoted, when in (
                ("invention_patent", "verified", 10.0, False, at(3)),
                ("qc_result", "verified", 2.5, True, at(9)),
                ("five_small", "reported", 1.0, False, at(31)),
                ("paper", "verified", 5.0, False, at(30, 9))):
            session.add(Achievement(studio_id=studio_id, member_id=ids["C1"], type=kind,
                                    title=f"{kind} 一项", economic_benefit=benefit,
                                    promoted=promoted, status=status, created_at=when))
        for status, when in (("accepted", at(2)), ("implemented", at(8)), ("rejected", at(16)),
                             ("submitted", at(31)), ("accepted", at(29, 9))):
            session.add(Suggestion(studio_id=studio_id, member_id=ids["C3"], content="建议",
                                   status=status, created_at=when))


async def test_leader_stats_match_the_hand_count(svc: Service, october: None) -> None:
    reply = await svc.text("o-l3", "统计 2026-10") or ""
    *figures, link = reply.splitlines()
    assert figures == [
        "【2026年10月统计】丙工作室",
        "周报（第40—44周）：已交 12/20 份（60%），工作时长 24 小时",
        "师徒打卡：3 次，已确认 2，共 4.5 小时",
        # 丁课题 was created on 5 November: October's figures do not count it.
        "课题：立项 1，攻关中 1，暂停 1；本月有进展 1/2 个（更新 2 次）",
        "新成果：3 项（发明专利 1，QC成果 1，五小成果 1），已认定 2，推广应用 1",
        "经济效益：已认定 12.5 万元（登记 13.5 万元）",
        "合理化建议：4 条（已采纳 1，已实施 1，未采纳 1，待处理 1）",
        # logs 30×0.6 + check-ins 20 + topics 15×0.5 + results 15 + suggestions 10 + bound 10×0.75
        "指标得分：78 分（★★）",
    ]
    # The month's page, with its charts (tests/test_reports.py opens it).
    assert re.fullmatch(r"图表和明细：http://127\.0\.0\.1:8080/r/studio/\d+/2026-10\?k=\S+", link)
    # The same month asked another way (and the same link handed out again).
    assert (await svc.text("o-l3", "stats 2026年10月")) == reply
    assert (await svc.text("o-l3", "统计 10月")) == reply


async def test_admin_stats_cover_the_union(svc: Service, october: None) -> None:
    reply = await svc.text("o-a1", "统计 2026-10") or ""
    lines = reply.splitlines()
    # The union by its own name (not 「全会」, which reads as a plenary session).
    assert lines[0] == "【2026年10月统计】测试市总工会 3 个工作室"
    # Writers: 甲 41, 乙 2, 丙 4 → 47 × 5 weeks.
    assert lines[1] == "周报（第40—44周）：已交 12/235 份（5%），工作时长 24 小时"
    assert "经济效益：已认定 12.5 万元（登记 13.5 万元）" in lines
    # Studios with no points are not "best"; how to look into one studio, and the link to
    # the union's page, close the reply.
    assert lines[-3] == "得分最高：丙工作室（78）、乙工作室（10）、甲工作室（10）。发送“排名”查看完整排名。"
    assert lines[-2] == "查看某个工作室：发送“统计 工作室名称 [月份]”。"
    assert "/r/union/2026-10?k=" in lines[-1]


async def test_an_admin_looks_into_one_studio_by_a_part_of_its_name(
        svc: Service, october: None) -> None:
    leader = await svc.text("o-l3", "统计 2026-10") or ""
    admin = await svc.text("o-a1", "统计 丙 2026-10") or ""
    # The admin sees what the studio's leader sees, with a link of their own to its page.
    assert admin.splitlines()[:-1] == leader.splitlines()[:-1]
    assert admin.splitlines()[-1] != leader.splitlines()[-1]
    assert admin.splitlines()[-1].split("?")[0] == leader.splitlines()[-1].split("?")[0]
    assert await svc.text("o-a1", "统计 丙工作室 10月") == admin
    which = await svc.text("o-a1", "统计 工作室 10月") or ""
    assert which.splitlines() == ["名称含“工作室”的工作室有 3 个，请写得更完整些：",
                                  "· 丙工作室", "· 乙工作室", "· 甲工作室"]
    assert "找不到名称含“丁”的工作室" in (await svc.text("o-a1", "统计 丁") or "")
    # A leader keeps to their own studio.
    assert "领衔人可查看本工作室的统计" in (await svc.text("o-l3", "统计 甲工作室") or "")


async def test_rank_for_a_past_month(svc: Service, october: None) -> None:
    reply = await svc.text("o-a1", "排名 10月") or ""
    assert reply.splitlines()[:4] == ["【2026年10月工作室排名】共 3 个工作室",
                                      "1. 丙工作室 78 分 ★★", "2. 乙工作室 10 分",
                                      "3. 甲工作室 10 分"]
    assert await svc.text("o-a1", "排名 上月") == reply
    assert "还没有到" in (await svc.text("o-a1", "排名 2027-01") or "")


async def test_stats_refusals_and_bad_months(svc: Service) -> None:
    assert "仅限领衔人、工会管理员使用" in (await svc.text("o-c1", "统计") or "")
    assert "月份请写成" in (await svc.text("o-l3", "统计 下个月") or "")
    assert "月份请写成" in (await svc.text("o-l3", "统计 2026-13") or "")
    # Months in words, and N月 as the latest such month: on 20 November, 12月 is 2025's.
    assert (await svc.text("o-l3", "统计 上个月") or "").startswith("【2026年10月统计】")
    assert (await svc.text("o-l3", "统计 上上月") or "").startswith("【2026年9月统计】")
    assert (await svc.text("o-l3", "统计 本月") or "").startswith("【2026年11月（截至20日）统计】")
    assert (await svc.text("o-l3", "统计 12月") or "").startswith("【2025年12月统计】")
    assert "还没有到" in (await svc.text("o-l3", "统计 2027-01") or "")
    this_month = await svc.text("o-l3", "统计") or ""
    assert this_month.startswith("【2026年11月（截至20日）统计】丙工作室")


async def test_rank_orders_studios_by_score(svc: Service, october: None) -> None:
    svc.clock.now = at(31, 10)  # 排名 is for the month under way: ask on 31 October
    try:
        reply = await svc.text("o-l2", "排名") or ""
        admin = await svc.text("o-a1", "rank") or ""
    finally:
        svc.clock.now = FRIDAY
    # 甲 and 乙 have only their bound members to show in October (10 points each, the
    # tie broken by name); 丙 as counted in the leader's 统计.
    ranking = ["1. 丙工作室 78 分 ★★", "2. 乙工作室 10 分", "3. 甲工作室 10 分"]
    footer = ("得分构成：周报30＋师徒打卡20（仅计已确认）＋课题进展15＋成果15＋合理化建议10＋绑定10"
              "（满分 100）")
    assert reply.splitlines() == ["【2026年10月（截至31日）工作室排名】共 3 个工作室",
                                  "本工作室：第 2 名，10 分", *ranking, footer]
    assert admin.splitlines() == ["【2026年10月（截至31日）工作室排名】共 3 个工作室", *ranking,
                                  footer]
    assert "仅限领衔人、工会管理员使用" in (await svc.text("o-m01", "排名") or "")


async def test_progress_offers_a_topic_spelt_alike_instead_of_guessing(svc: Service) -> None:
    await svc.text("o-l2", "进展 液压站改造 开题")
    await svc.text("o-l2", "是")
    ask = await svc.text("o-l2", "进展 液压站改进 更换密封件 30%") or ""
    assert "您是指：\n1. 液压站改造" in ask
    assert "已记录“液压站改造”的进展（30%）" in (await svc.text("o-l2", "1") or "")


async def test_export_suggestions_and_results(svc: Service, october: None,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert await exports.export(svc.settings, "suggestions", "csv", "-", svc.clock.now,
                              month="2026-10") == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out.lstrip("\ufeff"))))
    assert rows[0][:5] == ["submitted_at", "studio", "employee_no", "content", "status"]
    assert [(r[0], r[1], r[2], r[4], r[6]) for r in rows[1:]] == [
        ("2026-10-02T10:00:00+08:00", "丙工作室", "C3", "accepted", "已采纳"),
        ("2026-10-08T10:00:00+08:00", "丙工作室", "C3", "implemented", "已实施"),
        ("2026-10-16T10:00:00+08:00", "丙工作室", "C3", "rejected", "未采纳"),
        ("2026-10-31T10:00:00+08:00", "丙工作室", "C3", "submitted", "待处理"),
    ]
    # Without --month: every suggestion, September's and the one made through the chat too.
    assert await exports.export(svc.settings, "suggestions", "csv", "-", svc.clock.now) == 0
    everything = list(csv.reader(io.StringIO(capsys.readouterr().out.lstrip("\ufeff"))))
    assert len(everything) == 1 + 6 and any("扭矩复检点" in r[3] for r in everything)
    assert await exports.export(svc.settings, "results", "csv", "-", svc.clock.now,
                              month="2026-10") == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out.lstrip("\ufeff"))))
    assert rows[0][:7] == ["reported_at", "studio", "employee_no", "type", "title", "status",
                           "economic_benefit"]
    # `type` and `status` are the stored codes, for scripts.
    assert [(r[3], r[5], r[6], r[9]) for r in rows[1:]] == [
        ("invention_patent", "verified", "10.0", "false"), ("qc_result", "verified", "2.5", "true"),
        ("five_small", "reported", "1.0", "false")]


async def test_studio_ledger_has_a_sheet_for_each_record(svc: Service, october: None,
                                                       tmp_path: Path) -> None:
    from openpyxl import load_workbook

    assert await ledger.export_ledger(svc.settings, None, None, str(tmp_path), svc.clock.now) == 2
    assert await ledger.export_ledger(svc.settings, "2026-10", "无此工作室", str(tmp_path),
                                     svc.clock.now) == 2
    assert await ledger.export_ledger(svc.settings, "2026-10", None, str(tmp_path),
                                     svc.clock.now) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [  # noqa: ASYNC240 (a test's folder)
        "丙工作室-2026-10.xlsx", "乙工作室-2026-10.xlsx", "甲工作室-2026-10.xlsx"]
    wb = load_workbook(tmp_path / "丙工作室-2026-10.xlsx", read_only=True)
    assert wb.sheetnames == ["概况", "周报", "师徒打卡", "课题进展", "合理化建议", "成果", "资助"]
    sheet = {name: [list(r) for r in wb[name].iter_rows(values_only=True)] for name in wb.sheetnames}
    overview = dict((r[0], r[1]) for r in sheet["概况"])
    assert overview["周报"] == "已交 12/20 份（60%），工作时长 24 小时"
    assert overview["指标得分"] == 78
    assert len(sheet["周报"]) == 1 + 12 and len(sheet["师徒打卡"]) == 1 + 3
    # Topics: 甲课题 twice (its two updates), the paused one with its update, the idle
    # and the November one once each, with no update.
    progress = sheet["课题进展"][0].index("进展内容")
    topics = [(r[0], r[progress]) for r in sheet["课题进展"][1:]]
    assert topics == [("甲课题", "推进"), ("甲课题", "推进"), ("丙课题", "推进"), ("乙课题", None),
                      ("丁课题", None)]
    assert [r[4] for r in sheet["合理化建议"][1:]] == ["已采纳", "已实施", "未采纳", "待处理"]
    assert [(r[3], r[6], r[7]) for r in sheet["成果"][1:]] == [
        ("发明专利", 10, "否"), ("QC成果", 2.5, "是"), ("五小成果", 1, "否")]


def test_rank_weights_are_configurable_and_checked() -> None:
    from bot.config import ConfigError, load_settings
    from storage.indicators import StudioFigures, parse_weights

    f = StudioFigures(studio_id=1, studio="丙", members=4, bound=3, writers=4, logs=12, pairs=1,
                      checkins=3, checkins_confirmed=2, topics_active=2, topics_progressed=1,
                      results_verified=2, suggestions_by_status={"submitted": 4})
    defaults = parse_weights("logs=30,checkins=20,topics=15,results=15,suggestions=10,bound=10")
    assert f.score(defaults, weeks=5) == 78.0
    # Only confirmed check-ins count: three written, none confirmed, earn nothing.
    assert replace(f, checkins_confirmed=0).score(defaults, weeks=5) == 58.0
    # Only logs and bound counted, scaled to 100: (1 × 0.6 + 1 × 0.75) / 2.
    assert f.score(parse_weights("logs=1，bound=1"), weeks=5) == 67.5
    for bad in ("logs=x", "speed=10", "logs=-1", "logs=0", "logs"):
        with pytest.raises(ValueError):
            parse_weights(bad)
    with pytest.raises(ConfigError, match="WORKSHOP_BOT_RANK_WEIGHTS"):
        load_settings(workshop_bot_rank_weights="logs=abc")


async def test_a_long_ranking_is_cut_to_one_reply_with_a_pointer(svc: Service) -> None:
    # After the counting tests: it adds 300 studios, which their figures do not expect.
    from storage.models import Studio

    async with svc.db.transaction() as session:
        for i in range(300):
            studio = Studio(name=f"第{i:03d}号职工创新工作室", created_at=FRIDAY)
            session.add(studio)
            await session.flush()
            session.add(Member(employee_no=f"X{i:03d}", name=f"成员{i}", role="member",
                               studio_id=studio.id, created_at=FRIDAY))
    reply = await svc.text("o-a1", "排名") or ""
    assert len(reply.encode("utf-8")) <= MAX_TEXT_BYTES
    lines = reply.splitlines()
    assert lines[0].endswith("共 303 个工作室") and lines[-2].startswith("……完整排名请用")
    assert lines[-1].startswith("得分构成：")


async def test_a_leaders_help_lists_every_command_in_one_reply(svc: Service) -> None:
    reply = await svc.text("o-l1", "帮助") or ""
    assert len(reply.encode("utf-8")) <= MAX_TEXT_BYTES and not reply.endswith("…")
    for word in ("进展", "通知", "建议", "成果", "采纳", "认定", "统计", "排名", "我的", "本周"):
        assert f"· {word}" in reply


async def test_odd_numbers_and_a_studio_without_leader_get_clear_answers(svc: Service) -> None:
    assert "请发送“采纳 编号" in (await svc.text("o-l1", "采纳 99999999999999999999") or "")
    assert "请发送“认定 编号" in (await svc.text("o-l1", "认定 1234567890") or "")
    assert "百分比应在" in (await svc.text("o-l1", "进展 焊接机器人 调试 1100%") or "")
    l2 = await member_id(svc, "L2")
    async with svc.db.transaction() as session:
        leader = await session.get(Member, l2)
        assert leader is not None
        leader.active = False
    try:
        reply = await svc.text("o-b1", "建议 增加备件库存") or ""
        assert "已提交合理化建议" in reply and "工作室暂时没有领衔人" in reply
    finally:
        async with svc.db.transaction() as session:
            leader = await session.get(Member, l2)
            assert leader is not None
            leader.active = True


# -- words in other languages, the rules on their own ------------------------------------


async def test_a_status_kind_or_type_typed_in_another_language_is_stored_as_its_code(
        svc: Service) -> None:
    await svc.text("o-l2", "进展 液压夹具 立项")
    assert "已新建课题“液压夹具”（技术攻关）" in (await svc.text("o-l2", "是") or "")
    # English words, and Traditional characters (folded to Simplified before matching).
    assert "状态设为：验收" in (await svc.text("o-l2", "进展 液压夹具 状态 acceptance") or "")
    assert "类型设为：QC" in (await svc.text("o-l2", "進展 液壓夾具 類型 qc") or "")
    assert "状态设为：暂停" in (await svc.text("o-l2", "進展 液壓夾具 狀態 暫停") or "")
    async with svc.db.transaction() as session:
        topic = (await session.scalars(select(Topic).where(Topic.title == "液压夹具"))).one()
        statuses = list(await session.scalars(
            select(TopicProgress.status).where(TopicProgress.topic_id == topic.id)
            .order_by(TopicProgress.id)))
    assert (topic.kind, topic.status) == ("qc", "paused")
    assert statuses == ["in_progress", "acceptance", "paused"]
    assert "液压夹具（QC·暂停）" in (await svc.text("o-l2", "进展") or "")
    reply = await svc.text("o-b1", "成果 patent 一种液压夹具") or ""
    assert "发明专利·一种液压夹具" in reply
    async with svc.db.transaction() as session:
        result = await session.get(Achievement, number_in(reply))
        assert result is not None and result.type == "invention_patent"


async def test_the_decision_rules_through_the_domain(svc: Service) -> None:
    from domain import NotFound, WrongState
    from domain.proposals import ACCEPT, IMPLEMENT, REJECT, VERIFY, Decided, decide

    number = number_in(await svc.text("o-b1", "建议 液压站加装压力表") or "")
    l1, l2, b1 = [await member_id(svc, no) for no in ("L1", "L2", "B1")]
    async with svc.db.transaction() as session:
        theirs = (await session.get(Member, l1)).studio_id  # type: ignore[union-attr]
        ours = (await session.get(Member, l2)).studio_id  # type: ignore[union-attr]
    assert theirs is not None and ours is not None
    pushed: list[tuple[Decided, str | None]] = []

    def word_push(decided: Decided, choice: str | None) -> str:
        pushed.append((decided, choice))
        return f"decided {decided.id}: {decided.status}"

    async def take(decision: object, studio_id: int, leader_id: int) -> Decided:
        async with svc.db.transaction() as session:
            return await decide(session, decision, number,  # type: ignore[arg-type]
                                studio_id=studio_id, leader_id=leader_id, said=" 好 ",
                                now=svc.clock.now, word_push=word_push)

    # Another studio's record is as good as missing; a result's decision finds no result.
    with pytest.raises(NotFound):
        await take(ACCEPT, theirs, l1)
    with pytest.raises(NotFound):
        await take(VERIFY, ours, l2)
    accepted = await take(ACCEPT, ours, l2)
    assert (accepted.status, accepted.said, accepted.proposer_id, accepted.notified) == (
        "accepted", "好", b1, True)
    assert [d for d, _choice in pushed] == [accepted]  # worded in B1's language choice
    assert f"decided {number}: accepted" in await inbox(svc, "B1")
    with pytest.raises(WrongState) as already:
        await take(ACCEPT, ours, l2)
    assert already.value.code == "already" and already.value.facts["status"] == "accepted"
    await take(IMPLEMENT, ours, l2)
    with pytest.raises(WrongState) as cannot:
        await take(REJECT, ours, l2)
    assert cannot.value.code == "cannot"
    assert (cannot.value.facts["status"], cannot.value.facts["target"]) == ("implemented",
                                                                           "rejected")
    async with svc.db.transaction() as session:
        record = await session.get(Suggestion, number)
        assert record is not None
        assert (record.status, record.reply, record.decided_by_id) == ("implemented", "好", l2)


async def test_the_topic_rules_through_the_domain(svc: Service) -> None:
    from domain import NotFound
    from domain.topics import UnknownValue, create_topic, record_progress, set_status

    l1, l2 = await member_id(svc, "L1"), await member_id(svc, "L2")
    async with svc.db.transaction() as session:
        ours = (await session.get(Member, l2)).studio_id  # type: ignore[union-attr]
        theirs = (await session.get(Member, l1)).studio_id  # type: ignore[union-attr]
        assert ours is not None and theirs is not None
        created = await create_topic(session, studio_id=ours, title="领域规则课题", kind="research",
                                     owner_id=l2, today=svc.clock.now.date(), now=svc.clock.now)
        assert (created.kind, created.status) == ("research", "approved")
        with pytest.raises(UnknownValue):
            await create_topic(session, studio_id=ours, title="坏类型", kind="研究",
                               owner_id=l2, today=svc.clock.now.date(), now=svc.clock.now)
        with pytest.raises(NotFound):
            await record_progress(session, created.id, studio_id=theirs, author_id=l1,
                                  content="越界", percent=None, now=svc.clock.now)
        first = await record_progress(session, created.id, studio_id=ours, author_id=l2,
                                      content="开题", percent=5, now=svc.clock.now)
        assert (first.status, first.percent) == ("in_progress", 5)
        with pytest.raises(UnknownValue) as bad:
            await set_status(session, created.id, studio_id=ours, author_id=l2, status="验收",
                             note="状态改为验收", now=svc.clock.now)
        assert bad.value.code == "unknown_status"
        paused = await set_status(session, created.id, studio_id=ours, author_id=l2,
                                  status="paused", note="状态改为暂停", now=svc.clock.now)
        # A later update leaves a status other than approved alone.
        again = await record_progress(session, created.id, studio_id=ours, author_id=l2,
                                      content="恢复前的整理", percent=None, now=svc.clock.now)
        assert paused.status == again.status == "paused"


async def test_a_decision_reaches_the_proposer_in_their_own_language(svc: Service) -> None:
    from storage.queries.members import set_member_language

    m09 = await member_id(svc, "M09")
    async with svc.db.transaction() as session:
        await set_member_language(session, m09, "mn+zh-CN")
    number = number_in(await svc.text("o-m09", "建议 工具柜加锁") or "")
    # The leader reads Chinese (their own choice), whatever the proposer's.
    [to_leader] = [t for t in await inbox(svc, "L1") if f"编号 {number}）" in t]
    assert "\n\n" not in to_leader
    decided = await svc.text("o-l1", f"采纳 {number} 本周落实") or ""
    assert "标为“已采纳”，意见：本周落实" in decided and "\n\n" not in decided
    # 蒙汉双语: one text per language, Mongolian first (Chinese where it has no words yet),
    # Simplified Chinese last.
    [back] = [t for t in await inbox(svc, "M09") if f"编号 {number}：" in t]
    parts = back.split("\n\n")
    assert len(parts) == 2
    assert parts[1] == (f"您的合理化建议（编号 {number}：工具柜加锁）已被领衔人甲领衔标为“已采纳”，"
                        "意见：本周落实。")


async def test_help_names_each_command_once(svc: Service) -> None:
    # 统计：统计：… no more: a summary says what the command does, not its name again.
    leader = await svc.text("o-l1", "帮助") or ""
    mentor = await svc.text("o-c1", "帮助") or ""  # 丙师傅 has an apprentice: 打卡 is listed
    assert "· 统计 [工作室] [月份]：本月（或指定月份）的工作室数据" in leader
    assert "· 排名 [月份]：本月各工作室的指标得分排名" in leader
    assert "· 打卡 [内容]：记录一次师徒带教或学习" in mentor
    lines = [line for reply in (leader, mentor) for line in reply.splitlines()
             if line.startswith("· ")]
    usages = [text for key, text in messages("zh-CN").items()
              if key.startswith("cmd.") and key.endswith(".usage")]
    assert len(lines) > 10
    for line in lines:
        [usage] = [u for u in usages if line.startswith(f"· {u}：")]
        summary = line[len(f"· {usage}："):]
        assert not summary.startswith(usage.split()[0]), line
        assert re.match(r"[^，；（“]{1,8}：", summary) is None, line  # no label of its own


async def test_refusals_over_the_limit_say_what_happened_and_what_works(svc: Service) -> None:
    notice = await svc.text("o-l1", "通知 " + "知" * 601) or ""
    assert "通知最多 600 字，这次有 601 字，没有发出。请精简后再发，或分成两条通知发送" in notice
    suggestion = await svc.text("o-m06", "建议 " + "建" * 1001) or ""
    assert "建议内容最多 1000 字，这次有 1001 字，没有提交。请精简到 1000 字以内再发" in suggestion


async def test_my_own_list_has_no_stray_space_after_the_number(svc: Service) -> None:
    # M05's own suggestions (made above): no proposer's name, so nothing between the
    # number and the date.
    mine = await svc.text("o-m05", "建议") or ""
    assert re.search(r"^编号 \d+（\d+月\d+日）已实施：", mine, re.M), mine
    assert re.search(r"编号 \d+ （", mine) is None
