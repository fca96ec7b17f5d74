"""Star rating end to end: the rubric imported (and refused), 评星 with a hand-computed score
and the shortest way up, a round opened with its experts, 申报 through the signed endpoint
with a photo, the experts' scores (each seeing only their own until 公示), 公示 pushed once,
异议, the decision with its history and the leaders told, funding, and a later round that
removes the stars. The tests run in order on one service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.simulator import message_xml
from domain import NotFound
from domain import rating as rules
from domain.ledger import ledger_sheets, load_ledger
from locales import words_for
from ops import rating as office
from storage.models import (
    RESULT_VERIFIED,
    Achievement,
    OutboxMessage,
    RatingAnswer,
    RatingApplication,
    RatingPicture,
    RatingRubric,
    Studio,
    WeeklyLog,
)
from storage.queries.invites import member_by_employee_no
from storage.queries.rating import funding_rows
from storage.queries.sender import MemberView
from storage.queries.studios import studio_summaries
from tests.support import Service, inbox, roster_fixture

ROSTER = """studio,name,employee_no,role,mentor_employee_no,phone
,赵敏,A0001,admin,,
王建国劳模创新工作室,王建国,W1001,leader,,
王建国劳模创新工作室,李强,W1002,member,,
王建国劳模创新工作室,张伟,W1003,member,,
王建国劳模创新工作室,刘洋,W1004,member,,
李红劳模创新工作室,李红,H2001,leader,,
李红劳模创新工作室,赵六,H2002,member,,
陈秀英焊接技能大师工作室,陈秀英,C3001,leader,,
陈秀英焊接技能大师工作室,周杰,C3002,member,,
陈秀英焊接技能大师工作室,吴磊,C3003,member,,
"""
OPENIDS = {"A0001": "o-admin", "W1001": "o-w1", "W1002": "o-w2", "W1003": "o-w3",
           "H2001": "o-h1", "H2002": "o-h2", "C3001": "o-c1"}
FRIDAY = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai, ISO week 2026-W47
WANG = "王建国劳模创新工作室"
ROUND = "2026年11月星级评定"
LATER = "2027年度复评"

# Hand-computable: two expert items of 20, and automatic ones over logs, results, benefit
# and binding; stars from 50, 70 and 85.
RUBRIC = """编号,类别,指标,分值,评分方式,评分标准
A1,三有,标志明显,20,manual,门口悬挂统一标牌
A2,专家评审,现场答辩,20,manual,领衔人汇报并答辩
B1,台帐详实,周报提交率,20,log_rate 50%:10 75%:15 90%:20,
B2,成效明显,创新成果,20,results 发明专利=8 utility_model=4 cap=20,
B3,成效明显,经济效益,10,benefit step=5 per=2 cap=10,
B4,组建团队,成员绑定,10,members_bound 50%:5 100%:10,
★★★,星级,,85,,
★★,星级,,70,,
★,星级,,50,,
"""

svc = roster_fixture(ROSTER, OPENIDS, FRIDAY)


def at(day: int, hour: int = 10, month: int = 11, year: int = 2026) -> datetime:
    """A moment in Shanghai (UTC+8)."""
    return datetime(year, month, day, hour - 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
async def seeded(svc: Service) -> AsyncIterator[Service]:
    """王建国's studio: nine logs of the twelve owed in W45–W47, results verified and not,
    one from before the round's period."""
    async with svc.db.transaction() as session:
        ids = {}
        for no in ("W1001", "W1002", "W1003", "W1004"):
            member = await member_by_employee_no(session, no)
            assert member is not None and member.studio_id is not None
            ids[no] = (member.id, member.studio_id)
        for week, writers in (("2026-W45", 4), ("2026-W46", 3), ("2026-W47", 2)):
            for no in list(ids)[:writers]:
                mid, sid = ids[no]
                session.add(WeeklyLog(member_id=mid, studio_id=sid, week=week, content="调试",
                                      hours=6, submitted_at=FRIDAY, updated_at=FRIDAY))
        mid, sid = ids["W1002"]
        for kind, title, benefit, status, when in (
                ("invention_patent", "一种焊缝打磨装置", 6.0, RESULT_VERIFIED, at(5)),
                ("utility_model", "一种快换夹具", 2.5, RESULT_VERIFIED, at(12)),
                ("utility_model", "一种料架", 9.0, "reported", at(13)),
                ("invention_patent", "一种焊接机器人", 3.0, RESULT_VERIFIED, at(15, month=10))):
            session.add(Achievement(studio_id=sid, member_id=mid, type=kind, title=title,
                                    economic_benefit=benefit, status=status, created_at=when))
    yield svc


async def view(svc: Service, employee_no: str) -> MemberView:
    async with svc.db.transaction() as session:
        member = await member_by_employee_no(session, employee_no)
        assert member is not None
        studio = await session.get(Studio, member.studio_id) if member.studio_id else None
        return MemberView(member.id, member.employee_no, member.name, member.role,
                          member.studio_id, studio.name if studio else None, member.union_id)


async def picture(svc: Service, openid: str, media: str, msg_id: int) -> str:
    reply = await svc.deliver(message_xml({
        "ToUserName": "gh", "FromUserName": openid, "CreateTime": svc.clock.ts,
        "MsgType": "image", "PicUrl": f"http://mmbiz.qpic.cn/{media}.jpg", "MediaId": media,
        "MsgId": msg_id}))
    assert reply is not None
    return str(reply["Content"])


async def count(svc: Service, model: type) -> int:
    async with svc.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def stars_of(svc: Service, name: str) -> int:
    async with svc.db.transaction() as session:
        found = (await session.scalars(select(Studio).where(Studio.name == name))).one()
        return found.stars


# -- the rubric -----------------------------------------------------------------------


async def test_a_bad_rubric_is_refused_line_by_line_and_nothing_is_stored(
        svc: Service, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "rubric.csv"
    path.write_text(RUBRIC.replace("B3,成效明显,经济效益,10,benefit step=5 per=2 cap=10",
                                   "B3,成效明显,经济效益,10,benefit step=5 per=2 cap=12")
                    .replace("B4,组建团队,成员绑定,10,", "B1,组建团队,成员绑定,10,"),
                    encoding="utf-8")
    assert await office.rubric_import(svc.settings, path, FRIDAY) == 1
    out = capsys.readouterr().out
    assert "第 6 行：封顶 12 分超过了本项分值 10 分" in out
    assert "第 7 行：编号“B1”与第 4 行重复" in out
    path.write_text(RUBRIC.replace("A2,专家评审,现场答辩,20", "A2,专家评审,现场答辩,15"),
                    encoding="utf-8")
    assert await office.rubric_import(svc.settings, path, FRIDAY) == 1
    assert "各项分值合计 95 分，应为 100 分（第 2—7 行的 6 个评分项）" in capsys.readouterr().out
    assert await count(svc, RatingRubric) == 0
    assert await office.round_open(svc.settings, ROUND, "2026-11-02", "2026-11-30",
                                   "2026-11-25", FRIDAY) == 1
    assert "还没有导入评分标准" in capsys.readouterr().err


async def test_the_rubric_is_imported_as_a_version(
        svc: Service, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "rubric.csv"
    path.write_text(RUBRIC, encoding="utf-8")
    assert await office.rubric_import(svc.settings, path, FRIDAY) == 0
    assert "6 个评分项，已存为第 1 版（自动计分 60 分，专家评分 40 分；一星 ≥50，二星 ≥70，三星 ≥85）" \
        in capsys.readouterr().out
    assert await office.rubric_import(svc.settings, path, FRIDAY) == 0
    assert "与第 1 版相同" in capsys.readouterr().out
    assert await office.rubric_show(svc.settings, None) == 0
    shown = capsys.readouterr().out
    assert "results 发明专利=8 utility_model=4 cap=20" in shown and "专家评分" in shown


# -- 评星 before a round: the last twelve months ---------------------------------------


async def test_stars_without_a_round_measure_the_last_twelve_months(seeded: Service) -> None:
    reply = await seeded.text("o-w1", "评星") or ""
    assert "2025-11-21 至 2026-11-20" in reply
    # 9 logs of 4 × 52 owed: 0; three verified results (8+8+4, capped 20); 11.5 万元: 4;
    # three of four bound: 5.
    assert "暂计 29 分，可评无星级" in reply
    assert "· B2 创新成果 20/20 分（3 项）" in reply
    assert "· A1 标志明显 待评（20 分）" in reply and "另有专家评分项 40 分待评" in reply


async def test_apply_without_a_round_or_as_a_member_is_refused_politely(svc: Service) -> None:
    assert "目前没有开放申报的星级评定" in (await svc.text("o-w1", "申报") or "")
    member = await svc.text("o-w2", "申报") or ""
    assert "申报" in member and "领衔人" in member
    assert await count(svc, RatingApplication) == 0


async def test_an_objection_outside_a_publicity_records_nothing(svc: Service) -> None:
    reply = await svc.text("o-w2", f"异议 {WANG} 成果数量存疑") or ""
    assert "目前没有处于公示期的星级评定" in reply


# -- a round --------------------------------------------------------------------------


async def test_a_round_opens_on_the_current_rubric_with_its_experts(
        svc: Service, capsys: pytest.CaptureFixture[str]) -> None:
    assert await office.round_open(svc.settings, ROUND, "2026-11-02", "2026-11-30",
                                   "2026-11-25", FRIDAY) == 0
    assert "使用评分标准第 1 版" in capsys.readouterr().out
    assert await office.round_open(svc.settings, "另一轮", "2026-01-01", "2026-12-31",
                                   "2026-12-31", FRIDAY) == 1
    assert f"评定“{ROUND}”尚未完成" in capsys.readouterr().err
    assert await office.round_experts(svc.settings, ROUND, ["c3002", "X999"], FRIDAY) == 1
    assert "X999" in capsys.readouterr().err
    assert await office.round_experts(svc.settings, ROUND, ["c3002", "C3003"], FRIDAY) == 0
    assert "新增 2 人" in capsys.readouterr().out


async def test_stars_give_the_hand_computed_score_and_the_cheapest_gaps(
        seeded: Service) -> None:
    reply = await seeded.text("o-w1", "评星") or ""
    assert len(reply.encode("utf-8")) <= 2048
    # The round's period, counted up to today: W45–W47, 9 logs of 12 (75%: 15); a patent and
    # a utility model verified in it (8 + 4), the one reported only and October's left out;
    # 8.5 万元 (one step of 5: 2); three of four members bound (5). 15 + 12 + 2 + 5 = 34.
    assert "（评分标准第 1 版，2026-11-02 至 2026-11-30，记录统计到11月20日）" in reply
    assert "暂计 34 分，可评无星级；现评定：无星级。" in reply
    # 16 short of one star (50): the biggest step first, ties to the item first in the rubric.
    assert ("距一星★（50 分）还差 16 分，最快的办法：\n"
            "1. 再认定 1 项发明专利，可得 8 分\n"
            "2. 周报提交率 75%→90%，可得 5 分\n"
            "3. 成员绑定率 75%→100%，可得 5 分") in reply
    assert "· B1 周报提交率 15/20 分（提交率 75%）" in reply
    assert "· B3 经济效益 2/10 分（8.5 万元）" in reply


async def test_an_admin_asks_for_a_studio_by_name(seeded: Service) -> None:
    assert "请发送“评星 工作室名称”" in (await seeded.text("o-admin", "评星") or "")
    assert "暂计 34 分" in (await seeded.text("o-admin", "评星 王建国") or "")
    assert "没有找到名称含“不存在”的工作室" in (await seeded.text("o-admin", "评星 不存在") or "")


async def test_a_later_rubric_leaves_the_round_its_own(
        svc: Service, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "v2.csv"
    path.write_text(RUBRIC.replace("A1,三有,标志明显,20", "A1,三有,标志明显,10")
                    .replace("A2,专家评审,现场答辩,20", "A2,专家评审,现场答辩,30"),
                    encoding="utf-8")
    assert await office.rubric_import(svc.settings, path, FRIDAY) == 0
    assert "已存为第 2 版" in capsys.readouterr().out
    reply = await svc.text("o-w1", "评星") or ""
    assert "评分标准第 1 版" in reply and "A1 标志明显 待评（20 分）" in reply


# -- 申报 ------------------------------------------------------------------------------


async def test_a_leader_applies_with_a_self_assessment_and_a_photo(seeded: Service) -> None:
    svc = seeded
    intro = await svc.text("o-w1", "申报") or ""
    assert f"申报“{ROUND}”" in intro and "自动计分项现得 34/60 分" in intro
    assert "第 1/2 项：A1 标志明显（20 分）\n评分标准：门口悬挂统一标牌" in intro
    assert "请先发送本项的自评分" in (await svc.text("o-w1", "下一项") or "")
    noted = await svc.text("o-w1", "18 门口悬挂统一标牌，室内有成果展示") or ""
    assert "自评 18 分，说明 16 字，照片 0 张" in noted
    assert "本项共 1 张" in await picture(svc, "o-w1", "MEDIA-A1", 99001)
    more = await svc.text("o-w1", "展板于今年更新") or ""
    assert "自评 18 分，说明 24 字，照片 1 张" in more
    item2 = await svc.text("o-w1", "下一项") or ""
    assert "第 2/2 项：A2 现场答辩（20 分）" in item2
    assert "自评分应在 0 到 20 分之间" in (await svc.text("o-w1", "25分 准备充分") or "")
    assert "自评 16 分" in (await svc.text("o-w1", "十六分，汇报材料已准备") or "")
    summary = await svc.text("o-w1", "完成") or ""
    assert "自评 34/40 分，照片 1 张" in summary and "回复“确认”提交申报" in summary
    saved = await svc.text("o-w1", "确认") or ""
    assert f"已提交“{ROUND}”的申报" in saved and "自动计分项 34 分已固定" in saved
    async with svc.db.transaction() as session:
        application = (await session.scalars(select(RatingApplication))).one()
        assert application.automatic == 34 and application.measured_until == date(2026, 11, 20)
        answers = list(await session.scalars(select(RatingAnswer).where(
            RatingAnswer.application_id == application.id).order_by(RatingAnswer.item_id)))
        manual = [(a.self_points, a.evidence) for a in answers if a.points is None]
        assert manual == [(18, "门口悬挂统一标牌，室内有成果展示\n展板于今年更新"),
                          (16, "汇报材料已准备")]
        frozen = sorted((a.value, a.points) for a in answers if a.points is not None)
        assert frozen == [(0.75, 5.0), (0.75, 15.0), (2.0, 12.0), (8.5, 2.0)]
        pictures = list(await session.scalars(select(RatingPicture)))
        assert [(p.media_id, p.pic_url) for p in pictures] == [
            ("MEDIA-A1", "http://mmbiz.qpic.cn/MEDIA-A1.jpg")]


async def test_applying_twice_or_after_the_deadline_is_refused(svc: Service) -> None:
    again = await svc.text("o-w1", "申报") or ""
    assert "本工作室已于 11月20日 16:00 申报" in again and "不能重复申报" in again
    svc.clock.now = at(26)
    try:
        late = await svc.text("o-h1", "申报") or ""
    finally:
        svc.clock.now = FRIDAY
    assert "申报已于 2026-11-25 截止" in late
    assert await count(svc, RatingApplication) == 1


async def test_the_frozen_items_do_not_move_with_the_records(svc: Service) -> None:
    async with svc.db.transaction() as session:
        for no in ("W1003", "W1004"):
            member = await member_by_employee_no(session, no)
            assert member is not None
            session.add(WeeklyLog(member_id=member.id, studio_id=member.studio_id,
                                  week="2026-W47", content="补交", hours=2, submitted_at=FRIDAY,
                                  updated_at=FRIDAY))
    # 11 logs of 12: the standing moves up a band (20, not 15) …
    assert "暂计 39 分" in (await svc.text("o-w1", "评星") or "")
    leader = await view(svc, "W1001")
    async with svc.db.transaction() as session:
        own = await rules.own_application(session, leader)
    assert own is not None and own.automatic == 34  # … the application does not


# -- the experts ----------------------------------------------------------------------


async def test_who_sees_an_application(svc: Service) -> None:
    leader, other, expert, admin = (await view(svc, "W1001"), await view(svc, "H2001"),
                                    await view(svc, "C3002"), await view(svc, "A0001"))
    async with svc.db.transaction() as session:
        own = await rules.own_application(session, leader)
        assert own is not None
        assert (await rules.application_for(session, expert, own.id)).studio == WANG
        assert len((await rules.application_for(session, leader, own.id)).answers) == 6
        with pytest.raises(NotFound):
            await rules.application_for(session, other, own.id)
        with pytest.raises(NotFound):  # an expert's sheet is for the round's experts
            await rules.expert_sheet(session, own.round.id, other.id)
        with pytest.raises(NotFound):  # the round's sheet, with every score, is the office's
            await rules.round_sheet(session, own.round.id, viewer=leader)
        assert [e.studio for e in (await rules.round_sheet(session, own.round.id,
                                                           viewer=admin)).entries] == [WANG]


async def test_experts_score_and_see_only_their_own_until_publicity(
        svc: Service, capsys: pytest.CaptureFixture[str]) -> None:
    for expert, points in (("C3002", 18.0), ("C3003", 16.0)):
        assert await office.score(svc.settings, ROUND, "王建国", "A1", points, expert,
                                  "材料齐全", FRIDAY) == 0
    assert await office.score(svc.settings, ROUND, "王建国", "A2", 25, "C3003", None,
                              FRIDAY) == 1
    assert "A2 的评分应在 0 到 20 分之间（给出的是 25" in capsys.readouterr().err
    assert await office.score(svc.settings, ROUND, "王建国", "A1", 5, "H2001", None,
                              FRIDAY) == 1
    assert "不是评定" in capsys.readouterr().err
    assert await office.score(svc.settings, ROUND, "王建国", "B1", 5, "C3002", None,
                              FRIDAY) == 1
    assert "没有编号为“B1”的专家评分项" in capsys.readouterr().err
    expert = await view(svc, "C3002")
    async with svc.db.transaction() as session:
        found = await rules.round_named(session, ROUND)
        [sheet] = await rules.expert_sheet(session, found.id, expert.id)
    assert [(i.answer.item.code, i.mine.points if i.mine else None, len(i.others))
            for i in sheet.items] == [("A1", 18, 0), ("A2", None, 0)]
    assert sheet.items[0].answer.pictures[0].media_id == "MEDIA-A1"


async def test_nothing_is_published_while_an_item_is_unscored(
        svc: Service, capsys: pytest.CaptureFixture[str]) -> None:
    svc.clock.now = at(27)
    assert await office.round_publish(svc.settings, ROUND, 3, False, svc.clock.now) == 1
    assert f"{WANG}：A2 尚无专家评分" in capsys.readouterr().err
    assert await count(svc, OutboxMessage) == 0


async def test_the_sheet_has_the_mean_and_the_spread(
        svc: Service, capsys: pytest.CaptureFixture[str]) -> None:
    for expert, points in (("C3002", 20.0), ("C3003", 18.0)):
        assert await office.score(svc.settings, ROUND, "王建国", "A2", points, expert, "",
                                  at(27)) == 0
    assert await office.round_show(svc.settings, ROUND) == 0
    shown = capsys.readouterr().out
    # 34 + (18 + 16) / 2 + (20 + 18) / 2 = 70: two stars.
    assert f"1. {WANG} 总分 70（自动 34 + 专家均分 36）→ 二星★★，现为无星级：评定星级" in shown
    assert "专家总分相差 4（周杰 38、吴磊 34）" in shown
    assert "A1 标志明显（20 分）：周杰 18、吴磊 16；均分 17，相差 2" in shown


# -- 公示, 异议, the decision ----------------------------------------------------------


async def test_publicity_is_pushed_to_every_leader_once(
        svc: Service, capsys: pytest.CaptureFixture[str]) -> None:
    assert await office.round_publish(svc.settings, ROUND, 3, False, at(27)) == 0
    out = capsys.readouterr().out
    assert "拟评三星 0、二星 1、一星 0、未达星级 0" in out and "异议受理至 11月30日 24:00" in out
    assert "已排队推送 3 条" in out  # the bound leaders: 王建国, 李红, 陈秀英
    own = [t for t in await inbox(svc, "W1001") if "星级评定公示" in t]
    assert len(own) == 1 and f"本工作室（{WANG}）总分 70，拟评二星★★" in own[0]
    assert f"1. {WANG} 二星★★ 70 分" in own[0] and "异议 工作室名称 内容" in own[0]
    other = [t for t in await inbox(svc, "H2001") if "星级评定公示" in t]
    assert len(other) == 1 and "本工作室" not in other[0]
    assert not [t for t in await inbox(svc, "W1002") if "星级评定公示" in t]  # leaders only
    assert await office.round_publish(svc.settings, ROUND, 3, False, at(27)) == 1
    assert "已经公示过了" in capsys.readouterr().err
    assert len([t for t in await inbox(svc, "W1001") if "星级评定公示" in t]) == 1
    assert await office.score(svc.settings, ROUND, "王建国", "A1", 20, "C3002", None,
                              at(27)) == 1
    assert "已经公示，不能再评分" in capsys.readouterr().err


async def test_after_publicity_each_expert_sees_the_others(svc: Service) -> None:
    expert = await view(svc, "C3002")
    async with svc.db.transaction() as session:
        found = await rules.round_named(session, ROUND)
        [sheet] = await rules.expert_sheet(session, found.id, expert.id)
    assert [[s.expert for s in i.others] for i in sheet.items] == [["吴磊"], ["吴磊"]]


async def test_objections_during_publicity(svc: Service, capsys: pytest.CaptureFixture[str]
                                           ) -> None:
    saved = await svc.text("o-h2", "异议 王建国 申报的成果数量与台帐不符") or ""
    assert f"已记录您对“{WANG}”的异议" in saved
    assert "不在本次公示名单中" in (await svc.text("o-w2", "异议 李红 分数偏高") or "")
    assert "没有找到名称含“不存在的工作室”" in (
        await svc.text("o-w2", "异议 不存在的工作室 分数偏高") or "")
    assert "请按“异议 工作室名称 异议内容”发送" in (await svc.text("o-w2", "异议 王建国") or "")
    assert "异议" in (await svc.text("o-w2", "帮助") or "")  # listed during the publicity
    assert await office.objections(svc.settings, ROUND) == 0
    listed = capsys.readouterr().out
    assert f"对{WANG}：申报的成果数量与台帐不符（赵六，工号 H2002）" in listed
    assert "共收到异议 1 条" in listed


async def test_the_decision_sets_the_stars_with_their_history(
        svc: Service, capsys: pytest.CaptureFixture[str]) -> None:
    assert await office.round_finalise(svc.settings, ROUND, at(30, 23)) == 1
    assert "公示期至 11月30日 24:00" in capsys.readouterr().err
    svc.clock.now = at(1, month=12)
    assert "目前没有处于公示期" in (await svc.text("o-h2", "异议 王建国 晚到的异议") or "")
    assert await office.round_finalise(svc.settings, ROUND, svc.clock.now) == 0
    out = capsys.readouterr().out
    assert f"{WANG}：无星级 → 二星★★（评定星级；“{ROUND}”总分 70）" in out
    assert await stars_of(svc, WANG) == 2
    told = [t for t in await inbox(svc, "W1001") if t.startswith("【星级评定】")]
    assert told == [f"【星级评定】{WANG}评为二星★★。（“{ROUND}”，总分 70）"]
    async with svc.db.transaction() as session:
        studio = (await session.scalars(select(Studio).where(Studio.name == WANG))).one()
        record = await rules.studio_rating(session, studio.id)
    assert [(d.before, d.after, d.round, d.score) for d in record.history] == [
        (0, 2, ROUND, 70)]
    async with svc.db.transaction() as session:  # what `export studios` reads
        summaries = {s.studio: s.stars for s in await studio_summaries(session)}
    assert summaries == {WANG: 2, "李红劳模创新工作室": 0, "陈秀英焊接技能大师工作室": 0}
    assert await office.round_finalise(svc.settings, ROUND, svc.clock.now) == 1


async def test_funding_is_recorded_for_a_rated_studio(
        svc: Service, capsys: pytest.CaptureFixture[str]) -> None:
    assert await office.funding(svc.settings, "王建国", 5, "星级工作室建设补助", "2026-12-01",
                                ROUND, svc.clock.now) == 0
    assert f"{WANG} 一次性资助 5 万元（星级工作室建设补助，2026-12-01）" in capsys.readouterr().out
    assert await office.funding(svc.settings, "李红", 5, "补助", "2026-12-01", None,
                                svc.clock.now) == 1
    assert "还没有星级" in capsys.readouterr().err
    assert await office.funding(svc.settings, "王建国", 0, "补助", "2026-12-01", None,
                                svc.clock.now) == 1
    async with svc.db.transaction() as session:
        grants = await funding_rows(session, date(2026, 12, 1), date(2027, 1, 1))
    assert [(g.studio, g.amount, g.purpose, g.round) for g in grants] == [
        (WANG, 5, "星级工作室建设补助", ROUND)]
    # The month's ledger carries it (its 资助 sheet), the month before does not.
    async with svc.db.reader() as session:
        december = await load_ledger(session, "2026-12", tz=svc.settings.tz)
        november = await load_ledger(session, "2026-11", tz=svc.settings.tz)
    sheets = {name: rows for name, _headers, rows in ledger_sheets(
        december, WANG, tz=svc.settings.tz, weights=svc.settings.rank_weights,
        words=words_for("zh-CN"))}
    assert [list(r) for r in sheets["资助"]] == [[date(2026, 12, 1), 5, "星级工作室建设补助", ROUND]]
    assert november.funding.get(WANG, []) == []


async def test_the_round_exports_its_score_sheet_and_list(
        svc: Service, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "round.xlsx"
    assert await office.export_round(svc.settings, ROUND, str(path)) == 0
    wb = load_workbook(path)
    scores = list(wb["评分表"].iter_rows(values_only=True))
    assert scores[0][:7] == ("工作室", "编号", "类别", "指标", "分值", "评分方式", "自评")
    assert scores[0][7:9] == ("周杰", "吴磊")
    assert (WANG, "A1", "三有", "标志明显", 20, "专家评分", 18, 18, 16, 17, 2) in scores
    assert list(wb["公示名单"].iter_rows(values_only=True))[1][:6] == (1, WANG, 34, 36, 70, 2)


# -- dynamic management: a later round, the office's decision -------------------------


async def test_a_later_round_that_falls_short_removes_the_stars(
        svc: Service, capsys: pytest.CaptureFixture[str]) -> None:
    svc.clock.now = at(5, month=1, year=2027)
    assert await office.round_open(svc.settings, LATER, "2027-01-01", "2027-12-31",
                                   "2027-01-20", svc.clock.now) == 0
    assert "使用评分标准第 2 版" in capsys.readouterr().out
    assert await office.round_experts(svc.settings, LATER, ["C3002"], svc.clock.now) == 0
    assert "第 1/2 项：A1 标志明显（10 分）" in (await svc.text("o-w1", "申报") or "")
    await svc.text("o-w1", "跳过")
    await svc.text("o-w1", "20 汇报")
    assert "回复“确认”提交申报" in (await svc.text("o-w1", "下一项") or "")
    assert "已提交" in (await svc.text("o-w1", "确认") or "")
    for code, points in (("A1", 4.0), ("A2", 10.0)):
        assert await office.score(svc.settings, LATER, "王建国", code, points, "C3002", None,
                                  svc.clock.now) == 0
    capsys.readouterr()
    assert await office.round_show(svc.settings, LATER) == 0
    shown = capsys.readouterr().out
    # No records in 2027 yet; three of four bound (5): 5 + 4 + 10 = 19, below one star.
    assert f"1. {WANG} 总分 19（自动 5 + 专家均分 14）→ 无星级，现为二星★★：摘牌" in shown
    # The items that dropped since the last rating, by 编号 (A1 scaled to its 10 points).
    assert "较上次下降：B1 周报提交率 15 → 0" in shown and "B2 创新成果 12 → 0" in shown
    assert "A1 标志明显 8.5 → 4" in shown and "A2 现场答辩 28.5 → 10" in shown
    assert await office.round_publish(svc.settings, LATER, 1, True, svc.clock.now) == 0
    # --all-members: every bound member of a studio (the admin sits in none).
    assert "已排队推送 6 条" in capsys.readouterr().out
    assert [t for t in await inbox(svc, "W1002") if "星级评定公示" in t]
    svc.clock.now = at(8, month=1, year=2027)
    assert await office.round_finalise(svc.settings, LATER, svc.clock.now) == 0
    assert f"{WANG}：二星★★ → 无星级（摘牌；“{LATER}”总分 19）" in capsys.readouterr().out
    assert await stars_of(svc, WANG) == 0
    told = [t for t in await inbox(svc, "W1001") if t.startswith("【星级评定】")]
    assert told[-1].startswith(f"【星级评定】{WANG}原为二星★★，本次未达星级标准，予以摘牌。")


async def test_the_office_decides_stars_with_a_reason(
        svc: Service, capsys: pytest.CaptureFixture[str]) -> None:
    assert await office.set_stars(svc.settings, "王建国", 1, "", svc.clock.now) == 1
    assert "--reason" in capsys.readouterr().err
    assert await office.set_stars(svc.settings, "王建国", 1, "整改后复核合格",
                                  svc.clock.now) == 0
    assert await stars_of(svc, WANG) == 1
    assert await office.history(svc.settings, "王建国") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-3:] == [
        f"{WANG}：无星级 → 二星★★（评定星级；“{ROUND}”总分 70）",
        f"{WANG}：二星★★ → 无星级（摘牌；“{LATER}”总分 19）",
        f"{WANG}：无星级 → 一星★（评定星级；原因：整改后复核合格）"]
    told = [t for t in await inbox(svc, "W1001") if t.startswith("【星级评定】")]
    assert told[-1] == f"【星级评定】{WANG}评为一星★。原因：整改后复核合格"
