"""Roster import, invite codes and binding, over the real endpoint where a user is involved."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from bot.simulator import event_xml
from domain.roster import worded
from domain.roster_file import read_roster
from locales import words_for
from ops import invites
from storage.models import BindAttempt, InviteCode, Member, MentorshipPair, Studio
from storage.queries.invites import CODE_ALPHABET, issue_invite, member_by_employee_no
from storage.queries.roster import RosterOutcome, apply_roster
from tests.fakes import FakeWeChatAPI
from tests.support import Service, make_settings, start_service

ROSTER = """studio,name,employee_no,role,mentor_employee_no,phone
,赵敏,A0001,admin,,13800000001
王建国劳模创新工作室,王建国,W1001,leader,,13900001001
王建国劳模创新工作室,李强,W1002,member,,13900001002
王建国劳模创新工作室,张伟,W1003,member,W1002,13900001003
王建国劳模创新工作室,刘洋,W1004,成员,W1002,
陈秀英焊接技能大师工作室,陈秀英,C2001,领衔人,,
陈秀英焊接技能大师工作室,周杰,C2002,成员,C2001,
"""

BROKEN = ROSTER + """王建国劳模创新工作室,,W1009,member,,
王建国劳模创新工作室,孙九,W1010,组长,,
王建国劳模创新工作室,李强二,W1002,member,,
,无工作室,W1011,member,,
王建国劳模创新工作室,钱十,W1012,member,X9999,
王建国劳模创新工作室,吴十一,W1013,member,,12ab
王建国劳模创新工作室,郑十二,W1014,member,W1014,
陈秀英焊接技能大师工作室,冯十三,C2003,member,,13700002003
"""


async def import_text(svc: Service, tmp_path: Path, text: str, name: str = "roster.csv"
                      ) -> tuple[list[tuple[int, str]], RosterOutcome]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    read = read_roster(path)
    async with svc.db.transaction() as session:
        outcome = await apply_roster(session, read.entries, root_union="测试市总工会",
                                     now=svc.clock.now, today=svc.clock.now.date())
    return worded(words_for("zh-CN"), read.errors + outcome.problems), outcome


async def fresh_code(svc: Service, employee_no: str) -> str:
    async with svc.db.transaction() as session:
        member = await member_by_employee_no(session, employee_no)
        assert member is not None
        return (await issue_invite(session, member.id, svc.clock.now)).code


async def openid_of(svc: Service, employee_no: str) -> str | None:
    async with svc.db.transaction() as session:
        member = await member_by_employee_no(session, employee_no)
        assert member is not None
        return member.openid


@pytest.fixture(scope="module")
async def svc(database_url: str, var_dir: Path,
              tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Service]:
    service = await start_service(make_settings(database_url, str(var_dir)))
    await import_text(service, tmp_path_factory.mktemp("roster"), ROSTER)
    yield service
    await service.client.close()


# -- roster import ------------------------------------------------------------------------

async def test_broken_rows_are_reported_by_line_and_good_rows_import(
    svc: Service, tmp_path: Path
) -> None:
    problems, outcome = await import_text(svc, tmp_path, BROKEN)
    by_line = dict(problems)
    assert set(by_line) == {9, 10, 11, 12, 13, 14, 15}
    assert "缺少姓名" in by_line[9]
    assert "组长" in by_line[10]
    assert "第 4 行重复" in by_line[11]
    assert "工作室" in by_line[12]
    assert "X9999" in by_line[13] and "已导入该成员" in by_line[13]
    assert "手机号" in by_line[14]
    assert "本人" in by_line[15]
    # The good line 16 and the member of line 13 came in; the unchanged ones stayed put.
    assert outcome.members_created == 2
    assert outcome.members_unchanged == 7
    async with svc.db.transaction() as session:
        names = set((await session.scalars(select(Member.name))).all())
    assert {"冯十三", "钱十"} <= names
    assert not {"孙九", "李强二", "无工作室", "吴十一", "郑十二"} & names


async def test_reimport_is_idempotent_and_updates_in_place(svc: Service, tmp_path: Path) -> None:
    _, again = await import_text(svc, tmp_path, ROSTER)
    assert (again.members_created, again.members_updated, again.pairs_created) == (0, 0, 0)
    assert again.not_in_file == 2  # the two that only the broken file brought
    changed = ROSTER.replace("刘洋,W1004,成员,W1002", "刘洋,W1004,成员,C2001")
    changed = changed.replace("李强,W1002,member,,13900001002", "李强,W1002,leader,,13900001002")
    _, outcome = await import_text(svc, tmp_path, changed)
    assert (outcome.members_updated, outcome.pairs_created, outcome.pairs_ended) == (1, 1, 1)
    async with svc.db.transaction() as session:
        liu = await member_by_employee_no(session, "W1004")
        assert liu is not None
        pairs = (await session.scalars(
            select(MentorshipPair).where(MentorshipPair.apprentice_id == liu.id)
            .order_by(MentorshipPair.id))).all()
    assert [p.end_date is None for p in pairs] == [False, True]
    await import_text(svc, tmp_path, ROSTER)  # back as it was for the other tests


async def test_phone_is_stored_masked(svc: Service) -> None:
    async with svc.db.transaction() as session:
        member = await member_by_employee_no(session, "W1001")
    assert member is not None and member.phone_masked == "*******1001"


async def test_xlsx_roster_reads_like_csv(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["工作室", "姓名", "工号", "角色", "师傅工号", "手机"])  # Chinese headers
    ws.append(["甲工作室", "甲", 1001, "领衔人", None, 13900001001])
    ws.append(["甲工作室", "乙", 1002, "成员", 1001, None])
    ws.append(["甲工作室", None, 1003, "成员", None, None])
    wb.save(tmp_path / "roster.xlsx")
    read = read_roster(tmp_path / "roster.xlsx")
    assert [(e.employee_no, e.role, e.mentor_employee_no) for e in read.entries] == [
        ("1001", "leader", None), ("1002", "member", "1001")]
    assert read.entries[0].phone_masked == "*******1001"
    assert worded(words_for("zh-CN"), read.errors) == [(4, "缺少姓名")]


# -- invite codes and binding -------------------------------------------------------------

async def test_codes_are_short_unambiguous_and_a_new_one_revokes_the_old(svc: Service) -> None:
    first = await fresh_code(svc, "W1003")
    second = await fresh_code(svc, "W1003")
    for code in (first, second):
        assert len(code) == 8 and set(code) <= set(CODE_ALPHABET)
        assert not set(code) & set("0O1I")
    assert "作废" in (await svc.text("o-zhangwei", f"绑定 {first}") or "")
    assert await openid_of(svc, "W1003") is None


async def test_bind_greets_by_name_studio_and_role(svc: Service) -> None:
    code = await fresh_code(svc, "W1001")
    reply = await svc.text("o-wangjianguo", f"绑定 {code.lower()[:4]} {code.lower()[4:]}")
    assert reply is not None
    assert "绑定成功" in reply and "王建国" in reply
    assert "王建国劳模创新工作室" in reply and "领衔人" in reply
    assert await openid_of(svc, "W1001") == "o-wangjianguo"
    # The same code again, from someone else: used.
    assert "已经使用过" in (await svc.text("o-someone", f"绑定 {code}") or "")
    # A bound user cannot re-bind on their own.
    other = await fresh_code(svc, "W1002")
    assert "已绑定为 王建国" in (await svc.text("o-wangjianguo", f"绑定 {other}") or "")
    assert await openid_of(svc, "W1002") is None


async def test_expired_code_binds_nothing(svc: Service) -> None:
    code = await fresh_code(svc, "C2002")
    svc.clock.advance(days=14, seconds=1)
    try:
        assert "过期" in (await svc.text("o-zhoujie", f"绑定 {code}") or "")
    finally:
        svc.clock.advance(days=-14, seconds=-1)
    assert await openid_of(svc, "C2002") is None


async def test_bind_without_a_code_asks_for_it(svc: Service) -> None:
    code = await fresh_code(svc, "C2001")
    assert "8 位邀请码" in (await svc.text("o-chenxiuying", "绑定") or "")
    assert "绑定成功" in (await svc.text("o-chenxiuying", code) or "")
    assert await openid_of(svc, "C2001") == "o-chenxiuying"


async def test_two_openids_racing_for_one_code_exactly_one_wins(svc: Service) -> None:
    code = await fresh_code(svc, "W1004")
    replies = await asyncio.gather(*(svc.text(f"o-racer-{i}", f"绑定 {code}") for i in range(4)))
    winners = [i for i, r in enumerate(replies) if r and "绑定成功" in r]
    assert len(winners) == 1
    assert all("已经使用过" in (r or "") for i, r in enumerate(replies) if i not in winners)
    assert await openid_of(svc, "W1004") == f"o-racer-{winners[0]}"


async def test_five_wrong_codes_lock_binding_for_an_hour(svc: Service) -> None:
    openid = "o-guesser"
    for left in (4, 3, 2, 1):
        reply = await svc.text(openid, "绑定 ZZZZZZZZ") or ""
        assert f"还可再试 {left} 次" in reply
    assert "之后再试" in (await svc.text(openid, "绑定 YYYYYYYY") or "")
    code = await fresh_code(svc, "C2003")
    # Even the right code is refused while locked, and nothing is bound.
    assert "之后再试" in (await svc.text(openid, f"绑定 {code}") or "")
    assert await openid_of(svc, "C2003") is None
    svc.clock.advance(hours=1, seconds=1)
    try:
        assert "绑定成功" in (await svc.text(openid, f"绑定 {code}") or "")
    finally:
        svc.clock.advance(hours=-1, seconds=-1)
    async with svc.db.transaction() as session:
        left = (await session.scalars(select(BindAttempt).where(BindAttempt.openid == openid)))
        assert list(left) == []  # a success clears the slate


async def test_follow_by_invite_qr_code_binds_in_one_step(svc: Service) -> None:
    code = await fresh_code(svc, "W1012")
    reply = await svc.deliver(event_xml("o-qr-new", "subscribe", create_time=svc.clock.ts,
                                        key=f"qrscene_invite:{code}"))
    assert reply is not None and "欢迎关注" in reply["Content"] and "钱十" in reply["Content"]
    assert await openid_of(svc, "W1012") == "o-qr-new"


async def test_scan_by_existing_follower_binds(svc: Service) -> None:
    code = await fresh_code(svc, "C2003")
    reply = await svc.event("o-qr-old", "SCAN", key=f"invite:{code}")
    assert reply is not None and "绑定成功" in reply and "冯十三" in reply
    # A plain scene (not an invite) is just silence.
    svc.clock.advance(seconds=1)
    try:
        assert await svc.event("o-qr-old", "SCAN", key="123123") is None
    finally:
        svc.clock.advance(seconds=-1)


# -- roles: help and 我的 ------------------------------------------------------------------

async def test_me_shows_studio_role_and_mentorship(svc: Service) -> None:
    for employee_no, openid in (("W1002", "o-liqiang"), ("W1003", "o-zw")):
        code = await fresh_code(svc, employee_no)
        assert "绑定成功" in (await svc.text(openid, f"绑定 {code}") or "")
    mentor = await svc.text("o-liqiang", "我的") or ""
    assert "李强" in mentor and "王建国劳模创新工作室" in mentor and "成员" in mentor
    assert "徒弟：张伟、刘洋" in mentor
    apprentice = await svc.text("o-zw", "ME") or ""
    assert "师傅：李强" in apprentice
    assert "需要先绑定" in (await svc.text("o-nobody", "我的") or "")


async def test_help_by_role(svc: Service) -> None:
    unbound = await svc.text("o-helpless", "帮助") or ""
    assert "绑定 邀请码" in unbound and "我的" not in unbound
    bound = await svc.text("o-liqiang", "帮助") or ""
    assert "我的" in bound and "李强" in bound


async def test_studios_are_created_with_the_union(svc: Service) -> None:
    async with svc.db.transaction() as session:
        studios = (await session.scalars(select(Studio).order_by(Studio.name))).all()
        codes = (await session.scalars(select(InviteCode))).all()
    assert [s.name for s in studios] == ["王建国劳模创新工作室", "陈秀英焊接技能大师工作室"]
    assert all(s.union_id is not None and s.status == "active" for s in studios)
    assert all(re.fullmatch(r"[A-Z2-9]{8}", c.code) for c in codes)
    assert all(c.expires_at - c.created_at == timedelta(days=14) for c in codes)


async def test_invite_with_qr_asks_wechat_for_a_scene_code(
    svc: Service, fake_api: FakeWeChatAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_api.script("/cgi-bin/qrcode/create", {"ticket": "gQH47joAAAAAAAAAASxod", "expire_seconds":
                                               1209600, "url": "http://weixin.qq.com/q/kZgfwMTm"})
    settings = svc.settings.model_copy(update={"wechat_api_base": fake_api.base_url})
    assert await invites.invite(settings, "A0001", svc.clock.now, qr=True) == 0
    out = capsys.readouterr().out.strip().splitlines()
    code = out[-1]
    assert "showqrcode?ticket=gQH47joAAAAAAAAAASxod" in out[-2] and "14 天" in out[-2]
    call = fake_api.calls_to("/cgi-bin/qrcode/create")[-1]
    assert call.body["action_name"] == "QR_STR_SCENE"
    assert call.body["action_info"] == {"scene": {"scene_str": f"invite:{code}"}}
    assert call.body["expire_seconds"] == 14 * 24 * 3600
    # And the scene it carries binds when scanned.
    reply = await svc.event("o-qr-admin", "SCAN", key=f"invite:{code}")
    assert reply is not None and "绑定成功" in reply and "工会管理员" in reply
    # A union admin belongs to no studio: named by the role, never 「工作室：工会」.
    assert "身份：工会管理员" in reply and "工作室" not in reply
    assert any(line.startswith("赵敏（工会管理员，工号 A0001）的邀请码") for line in out)


async def test_a_union_admin_is_named_by_the_role_not_a_studio(svc: Service) -> None:
    # Bound by the QR code in the test above.
    me = await svc.text("o-qr-admin", "我的") or ""
    assert me.splitlines()[:2] == ["赵敏（工号 A0001）", "身份：工会管理员"]
    assert "工作室：" not in me
    help_ = await svc.text("o-qr-admin", "帮助") or ""
    assert help_.splitlines()[0] == "赵敏（工会管理员），您可以发送："
    again = await svc.text("o-qr-admin", "绑定 ABCDEFGH") or ""
    assert "已绑定为 赵敏（工会管理员）" in again
    # A studio's member still reads their studio.
    assert "（王建国劳模创新工作室·成员）" in (await svc.text("o-liqiang", "帮助") or "")


async def test_a_mentor_answers_which_apprentice_by_name(svc: Service) -> None:
    # 李强 (bound above) mentors 张伟 and 刘洋.
    asked = await svc.text("o-liqiang", "打卡 现场实操指导 2小时") or ""
    assert "请回复序号或姓名" in asked and "张伟（徒弟）" in asked and "刘洋（徒弟）" in asked
    assert "和徒弟刘洋，2 小时" in (await svc.text("o-liqiang", "刘洋") or "")
    await svc.text("o-liqiang", "打卡 讲解焊接工艺图纸 1小时")
    assert "和徒弟张伟，1 小时" in (await svc.text("o-liqiang", "张伟") or "")
