"""The console's member pages and notices over HTTP, on SQLite and PostgreSQL: each change to
a member through domain.members with a confirm step and an audit entry (the member before
and after), pushes that reach the (fake) WeChat API at once, refusals that change nothing,
another studio's member a 404 through every URL; notices posted after a confirm step that
counts whom they reach, and a delivery report of what WeChat accepted and refused."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from storage.models import AuditEntry, InviteCode, Member, Notice, OutboxMessage, Studio
from storage.queries.members import MemberRecord, member_record
from tests.console_helpers import Browser, csrf_in, login_path
from tests.fakes import FakeWeChatAPI
from tests.support import (
    FakeClock,
    Service,
    bind_members,
    import_roster_text,
    make_settings,
    start_service,
)
from tests.sweeps import Sweeps

ROSTER = """studio,name,employee_no,role,mentor_employee_no,phone
焊接创新工作室,王建国,L1,leader,,13800001111
焊接创新工作室,<script>alert(1)</script>,M1,member,L1,
焊接创新工作室,{{7*7}},M2,member,,
焊接创新工作室,赵六,M4,member,,
焊接创新工作室,孙七,L3,leader,,
<b>机加</b>创新工作室,' OR 1=1,L2,leader,,
<b>机加</b>创新工作室,李四,M3,member,,
,管理员,A1,admin,,
"""
OPENIDS = {"L1": "c-l1", "M1": "c-m1", "M2": "c-m2", "L3": "c-l3", "L2": "c-l2",
           "M3": "c-m3", "A1": "c-a1"}  # M4 has not bound WeChat
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # Friday 16:00 in Shanghai
SEND = "/cgi-bin/message/custom/send"


@pytest.fixture(scope="module")
async def svc(database_url: str, var_dir: Path, fake_api: FakeWeChatAPI,
              tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Service]:
    """One service that delivers its pushes to the fake WeChat API as they are queued."""
    service = await start_service(
        make_settings(database_url, str(var_dir), api_base=fake_api.base_url),
        clock=FakeClock(NOW), deliver=True)
    service.settings.workshop_bot_public_url = str(service.client.make_url("")).rstrip("/")
    await import_roster_text(service, tmp_path_factory.mktemp("roster") / "roster.csv", ROSTER)
    await bind_members(service, OPENIDS)
    async with service.db.transaction() as session:
        # Everyone bound wrote to the account an hour ago: WeChat's 48 hours are open.
        await session.execute(update(Member).where(Member.openid.is_not(None))
                              .values(last_interaction_at=NOW - timedelta(hours=1)))
    yield service
    await service.client.close()


@pytest.fixture(scope="module")
def sweeps(svc: Service) -> Sweeps:
    return Sweeps(svc)


@pytest.fixture(scope="module")
async def world(svc: Service) -> dict[str, int]:
    """Member and studio ids; a log, a suggestion and a result of M1's through the chat."""
    await svc.text("c-m1", "周报 调试焊接机器人 6小时")
    await svc.text("c-m1", "建议 焊机加装防护罩")
    await svc.text("c-m1", "成果 专利 一种焊接夹具")
    await svc.text("c-m3", "建议 机床换新导轨")
    await svc.dispatcher.writer.flush()  # their last-seen times written now, not later
    async with svc.db.transaction() as session:
        ids = {no: mid for mid, no in (await session.execute(
            select(Member.id, Member.employee_no))).all()}
        studios = {name: sid for sid, name in (await session.execute(
            select(Studio.id, Studio.name))).all()}
    return ids | {"studio": studios["焊接创新工作室"], "other": studios["<b>机加</b>创新工作室"]}


async def signed_in(svc: Service, employee_no: str) -> Browser:
    b = Browser(svc)
    await b.sign_in(await login_path(svc, employee_no))
    return b


@pytest.fixture
async def admin(svc: Service) -> AsyncIterator[Browser]:
    b = await signed_in(svc, "A1")
    yield b
    await b.close()


@pytest.fixture
async def leader(svc: Service) -> AsyncIterator[Browser]:
    b = await signed_in(svc, "L1")
    yield b
    await b.close()


async def record(svc: Service, member_id: int) -> MemberRecord:
    async with svc.db.transaction() as session:
        found = await member_record(session, member_id)
    assert found is not None
    return found


async def audits(svc: Service, action: str) -> list[AuditEntry]:
    async with svc.db.transaction() as session:
        return list(await session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                          .order_by(AuditEntry.id)))


async def audit_count(svc: Service) -> int:
    async with svc.db.transaction() as session:
        return int(await session.scalar(select(func.count(AuditEntry.id))) or 0)


def buttons(html: str) -> set[str]:
    """The member actions a page offers (their links)."""
    return set(re.findall(r'href="/console/members/\d+/(\w+)"', html))


async def sent_to(fake_api: FakeWeChatAPI, openid: str, since: int) -> list[str]:
    """The texts sent to `openid` after the first `since` calls, once there is one."""
    count = since
    while True:
        calls = await asyncio.wait_for(fake_api.wait_for_calls(SEND, count + 1), 10)
        texts = [c.body["text"]["content"] for c in calls[since:] if c.body["touser"] == openid]
        if texts:
            return texts
        count = len(calls)


# -- the member page --------------------------------------------------------------------------


async def test_the_member_page_shows_the_member_and_their_records(
        svc: Service, world: dict[str, int], admin: Browser, leader: Browser) -> None:
    studio = await leader.get(f"/console/studios/{world['studio']}")
    assert f'href="/console/members/{world["M1"]}"' in studio.text
    page = await admin.get(f"/console/members/{world['M1']}")
    assert page.status == 200
    text = page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script>" not in text
    assert "M1" in text and "焊接创新工作室" in text and "成员" in text
    assert f'href="/console/members/{world["L1"]}">王建国</a>' in text  # the mentor
    assert "已绑定" in text and "在用" in text
    assert "调试焊接机器人" in text and "焊机加装防护罩" in text and "一种焊接夹具" in text
    assert buttons(text) == {"role", "studio", "mentor", "deactivate", "invite"}
    # The leader: what the rules let a leader do to a plain member of the studio, nothing
    # to another leader, and no button to deactivate themselves.
    mine = await leader.get(f"/console/members/{world['M1']}")
    assert buttons(mine.text) == {"mentor", "deactivate", "invite"}
    assert buttons((await leader.get(f"/console/members/{world['L3']}")).text) == set()
    assert buttons((await leader.get(f"/console/members/{world['L1']}")).text) == set()
    mentor = await leader.get(f"/console/members/{world['L1']}")
    assert f'href="/console/members/{world["M1"]}"' in mentor.text  # an apprentice
    assert "{{7*7}}" in (await leader.get(f"/console/members/{world['M2']}")).text
    # The admin's own page: no mentor (admins take none), no deactivating oneself.
    assert buttons((await admin.get(f"/console/members/{world['A1']}")).text) == {
        "role", "studio", "invite"}


async def test_another_studios_member_is_not_found_through_every_url(
        svc: Service, world: dict[str, int], leader: Browser) -> None:
    csrf = await leader.csrf()
    before = await record(svc, world["M3"])
    entries = await audit_count(svc)
    paths = [f"/console/members/{world['M3']}", f"/console/members/{world['A1']}",
             "/console/members/99999", "/console/members/abc"]
    for kind in ("role", "studio", "mentor", "deactivate", "reactivate", "invite"):
        paths.append(f"/console/members/{world['M3']}/{kind}")
        paths.append(f"/console/members/{world['A1']}/{kind}")
        page = await leader.post(f"/console/members/{world['M3']}/{kind}",
                                 {"csrf": csrf, "to": "none"})
        assert page.status == 404, kind
        assert "李四" not in page.text
    for path in paths:
        page = await leader.get(path)
        assert page.status == 404, path
        assert "李四" not in page.text and "找不到这个页面" in page.text
    assert await record(svc, world["M3"]) == before
    assert await audit_count(svc) == entries


# -- changes ----------------------------------------------------------------------------------


async def test_a_role_change_is_confirmed_audited_and_pushed(
        svc: Service, world: dict[str, int], admin: Browser, fake_api: FakeWeChatAPI) -> None:
    path = f"/console/members/{world['M1']}/role"
    pick = await admin.get(path)
    assert pick.status == 200 and '<select id="to" name="to">' in pick.text
    assert "现在：成员" in pick.text
    confirm = await admin.get(path + "?to=leader")
    assert "角色将由“成员”改为“领衔人”" in confirm.text and "本人将收到微信通知" in confirm.text
    assert "这是您自己的角色" not in confirm.text  # said only to an admin changing their own
    own = await admin.get(f"/console/members/{world['A1']}/role?to=leader")
    assert "这是您自己的角色" in own.text
    assert (await record(svc, world["M1"])).role == "member"  # nothing yet
    calls = len(fake_api.calls_to(SEND))
    done = await admin.post(path, {"to": "leader", "csrf": csrf_in(confirm.text)})
    assert done.status == 303
    assert done.headers["Location"] == f"/console/members/{world['M1']}?done=role&told=1"
    shown = await admin.get(done.headers["Location"])
    assert "角色已修改" in shown.text and "本人将收到微信通知" in shown.text
    assert (await record(svc, world["M1"])).role == "leader"
    pushed = await sent_to(fake_api, "c-m1", calls)
    assert "您的角色已改为“领衔人”" in pushed[-1]
    entry = (await audits(svc, "member.role"))[-1]
    assert entry.subject == "member" and entry.subject_id == world["M1"]
    assert entry.before is not None and entry.after is not None
    assert (entry.before["role"], entry.after["role"]) == ("member", "leader")
    assert entry.after["notified"] is True and entry.studio_id == world["studio"]
    # The same role again is said to change nothing, and is not written down.
    again = await admin.post(path, {"to": "leader", "csrf": csrf_in(confirm.text)})
    assert again.status == 409 and "和现在一样" in again.text
    assert len(await audits(svc, "member.role")) == 1
    back = await admin.post(path, {"to": "member", "csrf": csrf_in(confirm.text)})
    assert back.status == 303 and (await record(svc, world["M1"])).role == "member"
    # A role that is no role is refused politely.
    bad = await admin.post(path, {"to": "boss", "csrf": csrf_in(confirm.text)})
    assert bad.status == 422 and "请从列表中选择" in bad.text


async def test_moving_a_member_to_another_studio(svc: Service, world: dict[str, int],
                                                 admin: Browser, leader: Browser,
                                                 fake_api: FakeWeChatAPI) -> None:
    path = f"/console/members/{world['M2']}/studio"
    pick = await admin.get(path)
    assert f'<option value="{world["other"]}">&lt;b&gt;机加&lt;/b&gt;创新工作室</option>' in pick.text
    assert 'value="none"' not in pick.text  # only a union admin sits in no studio
    confirm = await admin.get(f"{path}?to={world['other']}")
    assert "将从“焊接创新工作室”调到“&lt;b&gt;机加&lt;/b&gt;创新工作室”" in confirm.text
    calls = len(fake_api.calls_to(SEND))
    done = await admin.post(path, {"to": str(world["other"]), "csrf": csrf_in(confirm.text)})
    assert done.status == 303
    moved = await record(svc, world["M2"])
    assert moved.studio_id == world["other"]
    assert "已调整到“<b>机加</b>创新工作室”" in (await sent_to(fake_api, "c-m2", calls))[-1]
    entry = (await audits(svc, "member.studio"))[-1]
    assert entry.before is not None and entry.after is not None
    assert (entry.before["studio_id"], entry.after["studio_id"]) == (world["studio"],
                                                                     world["other"])
    # Now another studio's member for the leader who had them.
    assert (await leader.get(f"/console/members/{world['M2']}")).status == 404
    # A studio that does not exist, or no studio for a member, is refused.
    missing = await admin.post(path, {"to": "987654", "csrf": csrf_in(confirm.text)})
    assert missing.status == 422 and "找不到这个工作室" in missing.text
    seatless = await admin.post(path, {"to": "none", "csrf": csrf_in(confirm.text)})
    assert seatless.status == 409 and "必须属于一个工作室" in seatless.text
    assert (await admin.post(path, {"to": str(world["studio"]),
                                    "csrf": csrf_in(confirm.text)})).status == 303
    assert (await record(svc, world["M2"])).studio_id == world["studio"]


async def test_a_leader_sets_and_clears_a_mentor(svc: Service, world: dict[str, int],
                                                 leader: Browser) -> None:
    path = f"/console/members/{world['M2']}/mentor"
    pick = await leader.get(path)
    offered = set(re.findall(r'<option value="(\d+)"', pick.text))
    # The studio's active members, never the member themselves nor an admin.
    assert offered == {str(world[no]) for no in ("L1", "L3", "M1", "M4")}
    confirm = await leader.get(f"{path}?to={world['L3']}")
    assert "从今天起，孙七（L3）是其师傅" in confirm.text
    done = await leader.post(path, {"to": str(world["L3"]), "csrf": csrf_in(confirm.text)})
    assert done.status == 303 and "done=mentor" in done.headers["Location"]
    assert (await record(svc, world["M2"])).mentor_id == world["L3"]
    entry = (await audits(svc, "member.mentor"))[-1]
    assert entry.before is not None and entry.after is not None
    assert (entry.before["mentor_id"], entry.after["mentor_id"]) == (None, world["L3"])
    # A mentor from elsewhere, or oneself: refused in words, nothing changed.
    csrf = csrf_in(confirm.text)
    elsewhere = await leader.post(path, {"to": str(world["M3"]), "csrf": csrf})
    assert elsewhere.status == 422 and "找不到这位师傅" in elsewhere.text
    own = await leader.post(path, {"to": str(world["M2"]), "csrf": csrf})
    assert own.status == 409 and "不能做自己的师傅" in own.text
    assert (await record(svc, world["M2"])).mentor_id == world["L3"]
    clear = await leader.get(f"{path}?to=none")
    assert "与师傅孙七的结对将于今天结束" in clear.text
    assert (await leader.post(path, {"to": "none", "csrf": csrf})).status == 303
    assert (await record(svc, world["M2"])).mentor_id is None


async def test_an_admin_cannot_be_a_mentor(svc: Service, world: dict[str, int],
                                           admin: Browser) -> None:
    path = f"/console/members/{world['M4']}/mentor"
    refused = await admin.post(path, {"to": str(world["A1"]), "csrf": await admin.csrf()})
    assert refused.status == 409 and "工会管理员不能做师傅" in refused.text
    assert (await record(svc, world["M4"])).mentor_id is None


async def test_a_leader_deactivates_and_reactivates_a_member(
        svc: Service, world: dict[str, int], leader: Browser) -> None:
    path = f"/console/members/{world['M1']}/deactivate"
    confirm = await leader.get(path)
    assert "停用后" in confirm.text and "1 个师徒结对今天结束" in confirm.text
    done = await leader.post(path, {"csrf": csrf_in(confirm.text)})
    assert done.status == 303
    gone = await record(svc, world["M1"])
    assert not gone.active and gone.mentor_id is None
    entry = (await audits(svc, "member.deactivate"))[-1]
    assert entry.before is not None and entry.after is not None
    assert (entry.before["active"], entry.after["active"]) == (True, False)
    assert entry.after["pairs_ended"] and entry.actor_id == world["L1"]
    page = await leader.get(done.headers["Location"])
    assert "已停用" in page.text and buttons(page.text) == {"reactivate"}
    # Deactivated: changes other than reactivation are refused, with no form to try.
    mentor = await leader.get(f"/console/members/{world['M1']}/mentor")
    assert mentor.status == 409 and "请先恢复" in mentor.text and "<form method" not in \
        mentor.text.split("<main")[1]
    # The chat treats them as bound to nobody.
    assert "绑定" in (await svc.text("c-m1", "我的") or "")
    again = f"/console/members/{world['M1']}/reactivate"
    assert "已结束的师徒结对" in (await leader.get(again)).text
    assert (await leader.post(again, {"csrf": csrf_in(confirm.text)})).status == 303
    assert (await record(svc, world["M1"])).active
    assert (await audits(svc, "member.reactivate"))[-1].subject_id == world["M1"]


async def test_an_invite_code_is_shown_once_and_an_older_one_voided(
        svc: Service, world: dict[str, int], leader: Browser) -> None:
    path = f"/console/members/{world['M4']}/invite"
    confirm = await leader.get(path)
    assert "14 天内有效" in confirm.text and "将作废" not in confirm.text
    first = await leader.post(path, {"csrf": csrf_in(confirm.text)})
    assert first.status == 200 and "没有作废任何码" in first.text
    code = re.search(r'<p class="code" id="invite-code">(\w+)</p>', first.text)
    assert code is not None
    async with svc.db.transaction() as session:
        stored = await session.scalar(select(InviteCode.code).where(
            InviteCode.member_id == world["M4"], InviteCode.revoked_at.is_(None)))
    assert stored == code.group(1)
    # The code is not shown again: not on the member's page, not in the audit log.
    page = await leader.get(f"/console/members/{world['M4']}")
    assert code.group(1) not in page.text and "有未使用的邀请码" in page.text
    assert code.group(1) not in (await leader.get("/console/audit")).text
    entry = (await audits(svc, "member.invite"))[-1]
    assert entry.after is not None and entry.after["invite_expires_at"]
    assert code.group(1) not in str(entry.before) + str(entry.after)
    # A second code voids the first, and says so.
    confirm = await leader.get(path)
    assert "将作废" in confirm.text
    second = await leader.post(path, {"csrf": csrf_in(confirm.text)})
    fresh = re.search(r'<p class="code" id="invite-code">(\w+)</p>', second.text)
    assert fresh is not None and fresh.group(1) != code.group(1)
    assert "之前的邀请码" in second.text and "已作废" in second.text


# -- refusals ---------------------------------------------------------------------------------


async def test_refusals_change_nothing(svc: Service, world: dict[str, int], admin: Browser,
                                       leader: Browser) -> None:
    entries = await audit_count(svc)
    records = {no: await record(svc, world[no]) for no in ("A1", "L3", "M1")}
    admin_csrf, leader_csrf = await admin.csrf(), await leader.csrf()
    # The last admin is neither demoted nor deactivated (nor does anyone deactivate
    # themselves).
    last = await admin.post(f"/console/members/{world['A1']}/role",
                            {"to": "leader", "csrf": admin_csrf})
    assert last.status == 409 and "最后一位在用的工会管理员" in last.text
    own = await admin.post(f"/console/members/{world['A1']}/deactivate", {"csrf": admin_csrf})
    assert own.status == 409 and "不能停用自己" in own.text
    # A leader acting on a leader, or changing a role: refused, the form never offered.
    shown = await leader.get(f"/console/members/{world['L3']}/deactivate")
    assert shown.status == 403 and "只有工会管理员可以这样做" in shown.text
    assert 'type="submit">确认停用' not in shown.text
    for path, data in ((f"/console/members/{world['L3']}/deactivate", {}),
                       (f"/console/members/{world['L3']}/invite", {}),
                       (f"/console/members/{world['M1']}/role", {"to": "leader"}),
                       (f"/console/members/{world['M1']}/studio",
                        {"to": str(world["other"])})):
        refused = await leader.post(path, {**data, "csrf": leader_csrf})
        assert refused.status == 403 and "只有工会管理员" in refused.text, path
    # A POST without the form's token.
    for data in ({"to": "admin"}, {"to": "admin", "csrf": "0" * 64}):
        forged = await admin.post(f"/console/members/{world['M1']}/role", data)
        assert forged.status == 403
    assert (await leader.post(f"/console/members/{world['M1']}/deactivate", {})).status == 403
    for no, before in records.items():
        assert await record(svc, world[no]) == before, no
    assert await audit_count(svc) == entries


# -- notices ----------------------------------------------------------------------------------


async def test_a_leader_posts_a_studio_notice_after_a_confirm_step(
        svc: Service, world: dict[str, int], leader: Browser, sweeps: Sweeps,
        fake_api: FakeWeChatAPI) -> None:
    page = await leader.get("/console/notices")
    assert page.status == 200 and "发给焊接创新工作室的全体成员" in page.text
    assert 'name="to"' not in page.text  # a leader's go to the studio
    csrf = csrf_in(page.text)
    # M1, M2, L3 bound; M4 not: counted, not reached.
    preview = await leader.post("/console/notices/new",
                                {"content": "周五下午三点\n开技术交流会", "csrf": csrf,
                                 "to": "members"})  # a leader cannot send union-wide
    assert preview.status == 200
    assert "将发给焊接创新工作室中可以接收的 3 人" in preview.text
    assert "另有 1 人收不到：1 人未绑定微信" in preview.text
    async with svc.db.transaction() as session:
        assert await session.scalar(select(func.count(Notice.id))) == 0  # nothing yet
    mark, calls = sweeps.mark(), len(fake_api.calls_to(SEND))
    done = await leader.post("/console/notices/new", {
        "content": "周五下午三点\n开技术交流会", "csrf": csrf, "confirm": "1"})
    assert done.status == 303
    location = done.headers["Location"]
    notice_id = int(re.findall(r"/console/notices/(\d+)\?posted=1$", location)[0])
    await sweeps.settled(mark, 3)
    report = await leader.get(location)
    assert "通知已发出，正在发送给 3 人" in report.text
    assert _figures(report.text) == {"sent": "3", "failed": "0", "waiting": "0", "dropped": "0"}
    async with svc.db.transaction() as session:
        notice = await session.get(Notice, notice_id)
        assert notice is not None and notice.audience == "studio"
        assert notice.studio_id == world["studio"] and notice.content == "周五下午三点\n开技术交流会"
    entry = (await audits(svc, "notice.post"))[-1]
    assert entry.subject_id == notice_id and entry.studio_id == world["studio"]
    assert entry.after is not None and entry.after["recipients"] == 3
    texts = [c.body["text"]["content"] for c in fake_api.calls_to(SEND)[calls:]]
    assert len(texts) == 3 and all("【焊接创新工作室通知】" in t and "王建国" in t for t in texts)
    listed = await leader.get("/console/notices")
    assert "周五下午三点" in listed.text and f'href="/console/notices/{notice_id}"' in listed.text
    # Another leader's studio has none of it, and its report is not there for them.
    other = await signed_in(svc, "L2")
    try:
        assert (await other.get(location)).status == 404
        assert "开技术交流会" not in (await other.get("/console/notices")).text
    finally:
        await other.close()


async def test_a_notice_must_say_something_to_someone(svc: Service, world: dict[str, int],
                                                      admin: Browser) -> None:
    csrf = await admin.csrf()
    empty = await admin.post("/console/notices/new", {"content": "  ", "to": "leaders",
                                                      "csrf": csrf})
    assert empty.status == 422 and "请写下通知的内容" in empty.text
    long = await admin.post("/console/notices/new", {"content": "很" * 601, "to": "leaders",
                                                     "csrf": csrf})
    assert long.status == 422 and "最多 600 字，现在是 601 字" in long.text
    nobody = await admin.post("/console/notices/new", {"content": "你好", "to": "studio:987654",
                                                       "csrf": csrf})
    assert nobody.status == 422 and "请选择发给谁" in nobody.text
    # Back to the form with what was typed.
    edit = await admin.post("/console/notices/new", {"content": "草稿", "to": "leaders",
                                                     "csrf": csrf, "edit": "1"})
    assert edit.status == 200 and ">草稿</textarea>" in edit.text
    assert '<option value="leaders" selected>' in edit.text
    forged = await admin.post("/console/notices/new", {"content": "伪造", "to": "leaders",
                                                       "confirm": "1"})
    assert forged.status == 403
    async with svc.db.transaction() as session:
        assert not await session.scalar(select(func.count(Notice.id)).where(
            Notice.content.in_(("草稿", "你好", "伪造"))))


async def test_a_union_wide_notice_reports_what_wechat_accepted_and_refused(
        svc: Service, world: dict[str, int], admin: Browser, sweeps: Sweeps,
        fake_api: FakeWeChatAPI) -> None:
    # WeChat refuses M2's openid; M3 has not written for days and there is no template.
    fake_api.refused["c-m2"] = {"errcode": 40003, "errmsg": "invalid openid"}
    async with svc.db.transaction() as session:
        await session.execute(update(Member).where(Member.employee_no == "M3")
                              .values(last_interaction_at=None))
    try:
        page = await admin.get("/console/notices")
        assert '<option value="members">全体领衔人和成员</option>' in page.text
        csrf = csrf_in(page.text)
        form = {"content": "元旦放假安排：1月1日至3日", "to": "members", "csrf": csrf}
        preview = await admin.post("/console/notices/new", form)
        # Every leader and member but the admin: L1 L2 L3 M1 M2 M3 (M4 has no WeChat).
        assert "将发给全体领衔人和成员中可以接收的 6 人" in preview.text
        assert "确认发送（6 人）" in preview.text
        mark = sweeps.mark()
        done = await admin.post("/console/notices/new", {**form, "confirm": "1"})
        assert done.status == 303
        await sweeps.settled(mark, 6)
        report = await admin.get(done.headers["Location"])
    finally:
        fake_api.refused.clear()
    assert _figures(report.text) == {"sent": "4", "failed": "2", "waiting": "0", "dropped": "0"}
    rows = dict(re.findall(r'<tr data-channel="(\w+)">(.*?)</tr>', report.text))
    assert _cells(rows["custom"]) == ["4", "1", "0", "0"]  # four sent, M2 refused
    assert _cells(rows["none"]) == ["0", "1", "0", "0"]  # M3: no channel open
    assert "微信拒绝发送（rejected）" in report.text
    assert "48 小时内没有互动，且没有配置模板消息（no_template）" in report.text
    assert "全体领衔人和成员" in report.text and "管理员" in report.text
    async with svc.db.transaction() as session:
        states = Counter((await session.scalars(select(OutboxMessage.status).where(
            OutboxMessage.kind == "notice",
            OutboxMessage.text.contains("元旦放假安排")))).all())
    assert states == Counter({"sent": 4, "undeliverable": 2})
    listed = (await admin.get("/console/notices")).text
    assert "元旦放假安排" in listed and "未送达 2" in listed
    # The union's notices are the admin's: a leader has no such page.
    leader = await signed_in(svc, "L1")
    try:
        assert (await leader.get(done.headers["Location"].split("?")[0])).status == 404
    finally:
        await leader.close()


async def test_notices_are_listed_newest_first_a_page_at_a_time(
        svc: Service, world: dict[str, int], admin: Browser, leader: Browser,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from web.console import notices

    done = await admin.post("/console/notices/new", {
        "content": "季度台账模板已更新", "to": "leaders", "confirm": "1",
        "csrf": await admin.csrf()})
    assert done.status == 303
    monkeypatch.setattr(notices, "PAGE_SIZE", 1)
    newest = await admin.get("/console/notices")
    assert "季度台账模板已更新" in newest.text and "元旦放假安排" not in newest.text
    older = re.search(r'href="(/console/notices\?before=\d+)" rel="next"', newest.text)
    assert older is not None
    page = await admin.get(older.group(1).replace("&amp;", "&"))
    assert "元旦放假安排" in page.text and "季度台账模板已更新" not in page.text
    assert "最新的通知" in page.text
    # A studio's notices for an admin; only one's own studio for a leader.
    studio = await admin.get(f"/console/notices?studio={world['studio']}")
    assert "焊接创新工作室的通知" in studio.text and "开技术交流会" in studio.text
    assert f'<option value="studio:{world["studio"]}" selected>' in studio.text
    assert (await admin.get("/console/notices?studio=987654")).status == 404
    assert (await leader.get(f"/console/notices?studio={world['other']}")).status == 404
    assert "开技术交流会" in (await leader.get(f"/console/notices?studio={world['studio']}")).text


def _figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="(\w+)"><span class="label">[^<]*</span>'
                           r'<span class="value">(\d+)</span>', html))


def _cells(row: str) -> list[str]:
    return re.findall(r'<td class="num"[^>]*>(\d+)</td>', row)
