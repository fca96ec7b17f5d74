"""Weekly logs through the real endpoint: one-shot, dialog, replace/append/keep, late, 本周, 我的."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.simulator import message_xml, text_xml
from domain.weekly_logs import save_log
from ops import exports
from storage.models import LogAttachment, WeeklyLog, WeeklyLogVersion
from storage.queries.invites import member_by_employee_no
from tests.support import Service, roster_fixture, start_service

ROSTER = """studio,name,employee_no,role,mentor_employee_no,phone
甲工作室,甲领衔,L1,leader,,
甲工作室,甲一,M1,member,,
甲工作室,甲二,M2,member,,
甲工作室,甲三,M3,member,,
甲工作室,甲四,M4,member,,
乙工作室,乙领衔,L2,leader,,
丙工作室,丙一,C1,member,,
"""
OPENIDS = {"L1": "o-l1", "M1": "o-m1", "M2": "o-m2", "M3": "o-m3", "M4": "o-m4", "L2": "o-l2",
           "C1": "o-c1"}
# Friday 20 November 2026, 16:00 in Shanghai: ISO week 2026-W47.
FRIDAY = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


svc = roster_fixture(ROSTER, OPENIDS, FRIDAY)


@pytest.fixture(autouse=True)
def friday(svc: Service) -> None:
    svc.clock.now = FRIDAY


async def logs_of(svc: Service, employee_no: str) -> list[WeeklyLog]:
    async with svc.db.transaction() as session:
        member = await member_by_employee_no(session, employee_no)
        assert member is not None
        rows = await session.scalars(select(WeeklyLog).where(WeeklyLog.member_id == member.id)
                                     .order_by(WeeklyLog.week))
        return list(rows)


async def versions_of(svc: Service, log_id: int) -> list[tuple[int, str, str]]:
    async with svc.db.transaction() as session:
        rows = await session.scalars(select(WeeklyLogVersion).where(
            WeeklyLogVersion.log_id == log_id).order_by(WeeklyLogVersion.version))
        return [(v.version, v.action, v.content) for v in rows]


async def test_one_shot_log_then_append_replace_keep(svc: Service) -> None:
    reply = await svc.text("o-m1", "周报 完成焊接机器人调试") or ""
    assert "已提交第47周（11月16日—11月22日）的周报" in reply
    assert "还可" not in reply and "迟交" not in reply
    assert "已提交过" in (await svc.text("o-m1", "周报：整理 QC 小组资料") or "")
    assert "已追加到" in (await svc.text("o-m1", "2") or "")
    [log] = await logs_of(svc, "M1")
    assert log.content == "完成焊接机器人调试\n整理 QC 小组资料" and log.week == "2026-W47"
    await svc.text("o-m1", "log 重写的周报")
    assert "请回复 1" in (await svc.text("o-m1", "随便") or "")
    assert "已替换" in (await svc.text("o-m1", "1") or "")
    await svc.text("o-m1", "周报 不要这条")
    assert "已保留原周报" in (await svc.text("o-m1", "3") or "")
    [log] = await logs_of(svc, "M1")
    assert log.content == "重写的周报" and log.version == 3
    assert [(v, a) for v, a, _ in await versions_of(svc, log.id)] == [
        (1, "create"), (2, "append"), (3, "replace")]
    # The trail keeps every state the log has been in.
    assert (await versions_of(svc, log.id))[1][2] == "完成焊接机器人调试\n整理 QC 小组资料"


async def test_dialog_with_parts_picture_hours_and_confirm(svc: Service) -> None:
    assert "开始填写" in (await svc.text("o-m2", "周报") or "")
    assert "共 1 条" in (await svc.text("o-m2", "上午：调试 3 号焊接机器人") or "")
    picture = message_xml({"ToUserName": "gh", "FromUserName": "o-m2", "CreateTime": svc.clock.ts,
                           "MsgType": "image", "PicUrl": "http://mmbiz.qpic.cn/x.jpg",
                           "MediaId": "MEDIA123", "MsgId": 88001})
    reply = await svc.deliver(picture)
    assert reply is not None and "共 1 张" in reply["Content"]
    voice = message_xml({"ToUserName": "gh", "FromUserName": "o-m2", "CreateTime": svc.clock.ts,
                         "MsgType": "voice", "MediaId": "V1", "Format": "amr",
                         "Recognition": "下午参加技术交流会", "MsgId": 88002})
    reply = await svc.deliver(voice)
    assert reply is not None and "共 2 条" in reply["Content"]
    assert "多少小时" in (await svc.text("o-m2", "完成") or "")
    assert "0 到 168" in (await svc.text("o-m2", "很多") or "")
    confirm = await svc.text("o-m2", "6.5小时") or ""
    assert "6.5 小时" in confirm and "图片：1 张" in confirm and "调试 3 号" in confirm
    assert "请回复“确认”" in (await svc.text("o-m2", "嗯") or "")
    saved = await svc.text("o-m2", "确认") or ""
    assert "已提交" in saved and "图片 1 张" in saved
    [log] = await logs_of(svc, "M2")
    assert log.content == "上午：调试 3 号焊接机器人\n下午参加技术交流会" and log.hours == 6.5
    async with svc.db.transaction() as session:
        [pic] = await session.scalars(select(LogAttachment).where(LogAttachment.log_id == log.id))
    assert (pic.media_id, pic.pic_url) == ("MEDIA123", "http://mmbiz.qpic.cn/x.jpg")


async def test_hours_can_be_skipped_and_cancel_saves_nothing(svc: Service) -> None:
    await svc.text("o-m3", "周报")
    await svc.text("o-m3", "内容")
    await svc.text("o-m3", "完成")
    assert "未填" in (await svc.text("o-m3", "跳过") or "")
    assert "已取消" in (await svc.text("o-m3", "取消") or "")
    assert await logs_of(svc, "M3") == []


async def test_too_long_content_is_refused_with_the_limit(svc: Service) -> None:
    reply = await svc.text("o-m3", "周报 " + "字" * 2001) or ""
    assert "一次最多提交 2000 字" in reply and "2001" in reply
    assert await logs_of(svc, "M3") == []


async def test_retry_of_the_final_confirm_records_one_log(svc: Service) -> None:
    for text in ("周报", "只交一次", "完成", "2"):
        await svc.text("o-m4", text)
    xml = text_xml("o-m4", "确认", msg_id=77_000_001, create_time=svc.clock.ts)
    replies = await asyncio.gather(*(svc.deliver(xml, mode=m) for m in ("plain", "safe")))
    replies.append(await svc.deliver(xml))
    assert len({r["Content"] for r in replies if r}) == 1
    [log] = await logs_of(svc, "M4")
    assert log.content == "只交一次" and log.version == 1


async def test_dialog_survives_a_restart(svc: Service) -> None:
    await svc.text("o-l1", "周报")
    await svc.text("o-l1", "重启前写的内容")
    again = await start_service(svc.settings, clock=svc.clock)
    try:
        assert "多少小时" in (await again.text("o-l1", "完成") or "")
        assert "确认" in (await again.text("o-l1", "4") or "")
        assert "已提交" in (await again.text("o-l1", "确认") or "")
    finally:
        await again.client.close()
    [log] = await logs_of(svc, "L1")
    assert (log.content, log.hours) == ("重启前写的内容", 4.0)


async def test_two_quick_logs_from_one_user_do_not_interleave(svc: Service) -> None:
    first, second = await asyncio.gather(svc.text("o-l2", "周报 甲稿"), svc.text("o-l2", "周报 乙稿"))
    replies = [first or "", second or ""]
    # One ran after the other: the second saw the first's log and asked what to do.
    assert sum("已提交第47周" in r for r in replies) == 1
    assert sum("已提交过" in r for r in replies) == 1
    [log] = await logs_of(svc, "L2")
    assert log.content in ("甲稿", "乙稿")
    await svc.text("o-l2", "3")


async def test_week_overview_for_the_leader_only(svc: Service) -> None:
    # By now M1, M2, M4 and L1 have logged W47; M3 has not.
    svc.clock.now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)  # Sunday evening
    reply = await svc.text("o-l1", "本周") or ""
    assert "甲工作室" in reply and "第47周（11月16日—11月22日）" in reply
    assert "已交 4/5 人" in reply and "未交（1 人）：甲三" in reply
    assert "仅限领衔人" in (await svc.text("o-m1", "本周") or "")
    # Another studio's leader sees only their own studio.
    other = await svc.text("o-l2", "本周") or ""
    assert "乙工作室" in other and "甲" not in other


async def test_last_week_until_monday_noon_is_late(svc: Service) -> None:
    svc.clock.now = datetime(2026, 11, 23, 3, 59, tzinfo=UTC)  # Monday 11:59 in Shanghai
    reply = await svc.text("o-m3", "上周周报 补交上周的内容") or ""
    assert "第47周" in reply and "迟交" in reply
    svc.clock.now = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)  # Monday 12:00
    assert "截止" in (await svc.text("o-m3", "lastweek 又一条") or "")
    [log] = await logs_of(svc, "M3")
    assert (log.week, log.late, log.content) == ("2026-W47", True, "补交上周的内容")


async def test_me_shows_week_status_and_streak(svc: Service) -> None:
    async with svc.db.transaction() as session:
        member = await member_by_employee_no(session, "M1")
        assert member is not None
        for week in ("2026-W44", "2026-W45", "2026-W46", "2026-W42"):
            await save_log(session, member=member, week=week, content="往周", hours=None,
                           late=False, action="create", now=svc.clock.now)
    me = await svc.text("o-m1", "我的") or ""
    assert "本周周报：已提交" in me and "连续提交：4 周" in me
    svc.clock.now = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # next week, not yet logged
    me = await svc.text("o-m1", "我的") or ""
    assert "本周周报：还没交" in me and "连续提交：4 周" in me


async def test_export_logs_by_week_and_month(svc: Service, capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    assert await exports.export(svc.settings, "logs", "csv", None, svc.clock.now,
                              week="2026-W47") == 0
    out = capsys.readouterr().out
    assert out.startswith("\ufeffweek,studio,employee_no,name,content,hours,submitted_at,late\r\n")
    rows = list(csv.reader(io.StringIO(out.lstrip("\ufeff"))))
    by_no = {r[2]: r for r in rows[1:]}
    assert by_no["M2"][:6] == ["2026-W47", "甲工作室", "M2", "甲二",
                               "上午：调试 3 号焊接机器人\n下午参加技术交流会", "6.5"]
    assert by_no["M2"][6] == "2026-11-20T16:00:00+08:00" and by_no["M2"][7] == "false"
    assert by_no["M3"][7] == "true"
    # November's weeks are W45–W48 (their Thursdays are in November); W44's Thursday is
    # 29 October, so its log belongs to October, like W42's.
    assert await exports.export(svc.settings, "logs", "xlsx", str(tmp_path / "nov.xlsx"),
                              svc.clock.now, month="2026-11") == 0
    sheet = load_workbook(tmp_path / "nov.xlsx").active
    assert sheet is not None
    weeks = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert weeks == {"2026-W45", "2026-W46", "2026-W47"}
    assert await exports.export(svc.settings, "logs", "csv", None, svc.clock.now,
                              week="47") == 2


# -- the declared dialog ------------------------------------------------------------------


def test_the_log_dialog_is_declared_complete() -> None:
    from bot.routing import RouteTable
    from handlers import build_router
    from handlers.weekly_logs import LOG

    LOG.check_complete(RouteTable(build_router()))
    # The stored names are those of the release before the declaration (dialogs in flight).
    assert [LOG.state(s) for s in LOG.states] == [
        "weekly_logs.content", "weekly_logs.hours", "weekly_logs.confirm", "weekly_logs.existing"]


def test_a_draft_stored_as_the_old_dict_still_loads() -> None:
    from handlers.weekly_logs import LOG, LogDraft

    # What the handler stored before the dialog was declared (a free dict).
    old = {"week": "2026-W47", "late": True, "parts": ["上午调试", "下午交流"],
           "pictures": [{"media_id": "MEDIA1", "pic_url": "http://mmbiz.qpic.cn/a.jpg"}],
           "hours": 6.5}
    draft = LOG.load(old)
    assert draft == LogDraft(week="2026-W47", late=True, parts=["上午调试", "下午交流"],
                             pictures=[{"media_id": "MEDIA1",
                                        "pic_url": "http://mmbiz.qpic.cn/a.jpg"}],
                             hours=6.5)
    assert draft.content == "上午调试\n下午交流"
    # And it is stored in the same shape again: the fields are the old keys, plus the
    # replace/append choice made at the start (none for a draft begun before it existed).
    import dataclasses

    assert dataclasses.asdict(draft) == {**old, "action": None}
    assert LOG.load({"week": "2026-W47", "unknown": 1}) is None


async def test_a_dialog_stored_by_the_old_release_continues(svc: Service) -> None:
    """A member mid-周报 when the new release starts: the stored dict carries on."""
    from storage.queries.dialogs import save_dialog

    # M3 has logged W47 by now; the dialog in flight is for the week before.
    old = {"week": "2026-W46", "late": True, "parts": ["升级前写的内容"], "pictures": [],
           "hours": None}
    async with svc.db.transaction() as session:
        await save_dialog(session, "o-m3", "weekly_logs.content", old, now=svc.clock.now,
                          expires_at=svc.clock.now + timedelta(minutes=30))
    assert "共 2 条" in (await svc.text("o-m3", "升级后补的一条") or "")
    assert "多少小时" in (await svc.text("o-m3", "完成") or "")
    assert "确认" in (await svc.text("o-m3", "跳过") or "")
    saved = await svc.text("o-m3", "确认") or ""
    assert "已提交第46周" in saved and "迟交" in saved
    log = (await logs_of(svc, "M3"))[0]
    assert (log.week, log.content, log.hours, log.late) == (
        "2026-W46", "升级前写的内容\n升级后补的一条", None, True)


async def test_a_second_log_asks_replace_append_or_keep_before_the_writing(svc: Service) -> None:
    assert "已提交第47周" in (await svc.text("o-c1", "周报 第一版") or "")
    # 周报 with no text: the first question is what to do with the week's log.
    asked = await svc.text("o-c1", "周报") or ""
    assert "您已提交过第47周" in asked and "3 保留原周报" in asked and "开始填写" not in asked
    assert "原周报保持不变" in (await svc.text("o-c1", "3") or "")
    await svc.text("o-c1", "周报")
    assert "将追加到第47周" in (await svc.text("o-c1", "追加") or "")
    await svc.text("o-c1", "补充的内容")
    await svc.text("o-c1", "完成")
    await svc.text("o-c1", "1.5")
    # The choice was made at the start: the confirmation saves without asking again.
    assert "已追加到" in (await svc.text("o-c1", "确认") or "")
    [log] = await logs_of(svc, "C1")
    assert (log.content, log.hours, log.version) == ("第一版\n补充的内容", 1.5, 2)
    await svc.text("o-c1", "周报")
    assert "将替换第47周" in (await svc.text("o-c1", "1") or "")
    for text in ("重写的周报", "完成", "跳过"):
        await svc.text("o-c1", text)
    assert "已替换" in (await svc.text("o-c1", "确认") or "")
    [log] = await logs_of(svc, "C1")
    assert (log.content, log.version) == ("重写的周报", 3)
    # The one-shot form still asks at once, as before.
    assert "这次的内容要怎么处理" in (await svc.text("o-c1", "周报 一句话") or "")
    assert "请回复 1" in (await svc.text("o-c1", "4") or "")
    assert "已保留原周报" in (await svc.text("o-c1", "3") or "")


# -- the length limit, as the refusals tell it ---------------------------------------------


async def test_a_log_over_the_limit_is_told_the_way_that_works(svc: Service) -> None:
    svc.clock.now = datetime(2026, 12, 11, 8, 0, tzinfo=UTC)  # W50: no other test logs it
    refused = await svc.text("o-m4", "周报 " + "甲" * 2001) or ""
    assert "一次最多提交 2000 字，这次有 2001 字，没有保存" in refused
    # Not "write it in the dialog" (the dialog holds 2,000 too): the rest is appended.
    assert "分多条" not in refused and "问到时回复 2，追加到原周报后面" in refused
    # ... and so it goes: 2,000 characters, then the rest the same way, appended.
    assert "已提交第50周" in (await svc.text("o-m4", "周报 " + "甲" * 2000) or "")
    assert "这次的内容要怎么处理" in (await svc.text("o-m4", "周报 乙") or "")
    assert "已追加到第50周" in (await svc.text("o-m4", "2") or "")
    [log] = [log for log in await logs_of(svc, "M4") if log.week == "2026-W50"]
    assert log.content == "甲" * 2000 + "\n乙"


async def test_a_part_over_the_limit_in_the_dialog_is_told_the_way_that_works(
        svc: Service) -> None:
    svc.clock.now = datetime(2026, 12, 18, 8, 0, tzinfo=UTC)  # W51
    await svc.text("o-m4", "周报")
    assert "共 1 条" in (await svc.text("o-m4", "甲" * 1500) or "")
    refused = await svc.text("o-m4", "乙" * 600) or ""
    assert "加上这条就超过 2000 字了（已有 1500 字），这条没有记下" in refused
    assert "回复“完成”先提交已有的内容" in refused and "问到时回复 2" in refused
    await svc.text("o-m4", "完成")
    await svc.text("o-m4", "跳过")
    # No hours: 「时长：未填」, not 「时长 未填」.
    saved = await svc.text("o-m4", "确认") or ""
    assert "已提交第51周" in saved and "时长：未填" in saved and "时长 未填" not in saved
    assert "您已提交过第51周" in (await svc.text("o-m4", "周报") or "")
    await svc.text("o-m4", "2")
    for text in ("乙" * 600, "完成", "跳过"):
        await svc.text("o-m4", text)
    assert "已追加到第51周" in (await svc.text("o-m4", "确认") or "")
    [log] = [log for log in await logs_of(svc, "M4") if log.week == "2026-W51"]
    assert log.content == "甲" * 1500 + "\n" + "乙" * 600
