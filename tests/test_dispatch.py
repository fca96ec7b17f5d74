"""Retries applied once, the reply budget, dialogs, roles and per-user ordering.

A small router of test capabilities sits behind the real common router so each
mechanism can be observed: it counts calls and can be held at a gate.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.context import Ctx, Incoming
from bot.replies import Reply, Text
from bot.routing import Router
from bot.simulator import text_xml
from locales import t
from storage.models import InboundMessage, Member, Studio
from tests.fakes import FakeWeChatAPI
from tests.support import Service, make_settings, start_service


@dataclass
class Probe:
    calls: list[str] = field(default_factory=list)
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    entered: asyncio.Event = field(default_factory=asyncio.Event)


def probe_router(probe: Probe) -> Router:
    router = Router("probe")

    @router.command("计数", aliases=("count",), takes_args=True, summary="计数")
    async def on_count(msg: Incoming, ctx: Ctx) -> Reply:
        probe.calls.append("count:" + ctx.args)
        return Text(f"第{len(probe.calls)}次")

    @router.command("记录", aliases=("record",), takes_args=True, summary="记录")
    async def on_record(msg: Incoming, ctx: Ctx) -> Reply:
        probe.calls.append("record:" + ctx.args)
        ctx.session.add(Studio(name=f"probe:{msg.msg_id}", created_at=ctx.now))
        return Text("已记录：" + ctx.args)

    @router.command("等待", aliases=("hold",), takes_args=True, summary="等待")
    async def on_hold(msg: Incoming, ctx: Ctx) -> Reply:
        probe.calls.append("hold:" + ctx.args)
        ctx.dialog.go("probe.ask", {"who": ctx.args})
        probe.entered.set()
        await probe.gate.wait()
        return Text("放行：" + ctx.args)

    @router.command("开始", aliases=("start",), summary="开始填写")
    async def on_start(msg: Incoming, ctx: Ctx) -> Reply:
        ctx.dialog.go("probe.ask", {"started": ctx.now.isoformat()})
        return Text("请输入内容")

    @router.dialog("probe.ask")
    async def on_answer(msg: Incoming, ctx: Ctx) -> Reply:
        ctx.dialog.end()
        return Text("收到：" + (msg.text or ""))

    @router.command("审核", aliases=("review",), roles=("leader", "admin"))
    async def on_review(msg: Incoming, ctx: Ctx) -> Reply:
        return Text("审核完成")

    return router


@pytest.fixture(scope="module")
def probe() -> Probe:
    return Probe()


@pytest.fixture(scope="module")
async def svc(database_url: str, var_dir: Path, fake_api: FakeWeChatAPI,
              probe: Probe) -> AsyncIterator[Service]:
    settings = make_settings(database_url, str(var_dir), api_base=str(fake_api.server.make_url("")))
    service = await start_service(settings, extra_routers=[probe_router(probe)],
                                  reply_budget=0.3)
    yield service
    await service.client.close()


@pytest.fixture(autouse=True)
def fresh_probe(probe: Probe) -> None:
    probe.calls.clear()
    probe.gate = asyncio.Event()
    probe.entered = asyncio.Event()


async def rows_for(svc: Service, key: str) -> int:
    await svc.dispatcher.writer.flush()
    async with svc.db.transaction() as session:
        q = select(func.count(InboundMessage.id)).where(InboundMessage.dedupe_key == key)
        return int((await session.execute(q)).scalar_one())


async def event_rows(svc: Service, openid: str, event: str) -> int:
    await svc.dispatcher.writer.flush()
    async with svc.db.transaction() as session:
        q = select(func.count(InboundMessage.id)).where(
            InboundMessage.openid == openid, InboundMessage.event == event)
        return int((await session.execute(q)).scalar_one())


# -- WeChat's retries ---------------------------------------------------------------------

async def test_sequential_retry_gets_the_same_reply_and_runs_once(svc: Service, probe: Probe) -> None:
    xml = text_xml("o-retry", "计数 a", msg_id=4242, create_time=svc.clock.ts)
    first = await svc.deliver(xml)
    again = await svc.deliver(xml, mode="safe")  # a retry may even arrive re-encrypted
    assert first is not None and again is not None
    assert first["Content"] == again["Content"] == "第1次"
    assert probe.calls == ["count:a"]
    assert await rows_for(svc, "m:o-retry:4242") == 1


async def test_same_msgid_from_two_users_is_two_messages(svc: Service, probe: Probe) -> None:
    for openid in ("o-user-a", "o-user-b"):
        await svc.deliver(text_xml(openid, "计数 x", msg_id=555, create_time=svc.clock.ts))
    assert probe.calls == ["count:x", "count:x"]


async def test_concurrent_retries_apply_once_with_one_reply(svc: Service, probe: Probe) -> None:
    xml = text_xml("o-burst", "等待 burst", msg_id=777, create_time=svc.clock.ts)
    key = "m:o-burst:777"
    sends = [asyncio.create_task(svc.post(svc.side.deliver(xml, timestamp=svc.clock.ts, mode=m)))
             for m in ("plain", "safe", "compatible")]
    await probe.entered.wait()
    await svc.wait_for_inflight(key, retries=2)
    probe.gate.set()
    bodies = [await (await t).text() for t in sends]
    replies = [svc.side.read_reply(b) for b in bodies]
    assert all(r is not None and r["Content"] == "放行：burst" for r in replies)
    assert probe.calls == ["hold:burst"]
    assert await rows_for(svc, key) == 1


async def test_event_retries_dedupe_on_sender_time_and_event(svc: Service) -> None:
    for _ in range(3):
        assert "欢迎" in (await svc.event("o-follow", "subscribe") or "")
    assert await event_rows(svc, "o-follow", "subscribe") == 1
    # Same second, different event: a separate delivery.
    assert await svc.event("o-follow", "VIEW", key="https://example.org") is None
    assert await event_rows(svc, "o-follow", "view") == 1


async def studios_named(svc: Service, name: str) -> int:
    async with svc.db.transaction() as session:
        q = select(func.count(Studio.id)).where(Studio.name == name)
        return int((await session.execute(q)).scalar_one())


async def test_retry_of_a_write_applies_once(svc: Service, probe: Probe) -> None:
    xml = text_xml("o-writer", "记录 一次", msg_id=4343, create_time=svc.clock.ts)
    replies = [await svc.deliver(xml) for _ in range(3)]
    assert {r["Content"] for r in replies if r} == {"已记录：一次"}
    assert probe.calls == ["record:一次"]
    assert await studios_named(svc, "probe:4343") == 1
    assert await rows_for(svc, "m:o-writer:4343") == 1


async def test_retries_to_two_instances_on_one_database_apply_once(
    svc: Service, probe: Probe
) -> None:
    # Two processes behind one load balancer, sharing the database.
    twin = await start_service(svc.settings, clock=svc.clock,
                               extra_routers=[probe_router(probe)])
    try:
        xml = text_xml("o-twin", "记录 twin", msg_id=9001, create_time=svc.clock.ts)
        resps = await asyncio.gather(
            svc.post(svc.side.deliver(xml, timestamp=svc.clock.ts)),
            twin.post(twin.side.deliver(xml, timestamp=svc.clock.ts)),
        )
        contents = [svc.side.read_reply(await r.text()) for r in resps]
        assert [c["Content"] for c in contents if c] == ["已记录：twin", "已记录：twin"]
        assert probe.calls == ["record:twin"]
        assert await studios_named(svc, "probe:9001") == 1
        assert await rows_for(svc, "m:o-twin:9001") == 1
    finally:
        await twin.client.close()


# -- the 5-second budget ------------------------------------------------------------------

async def test_slow_handler_answers_success_then_follows_up(
    svc: Service, probe: Probe, fake_api: FakeWeChatAPI
) -> None:
    path = "/cgi-bin/message/custom/send"
    sent_before = len(fake_api.calls_to(path))
    # The first send meets an expired token: the client must refresh and retry once.
    fake_api.script(path, {"errcode": 42001, "errmsg": "access_token expired"})
    xml = text_xml("o-slow", "等待 slow", msg_id=31337, create_time=svc.clock.ts)
    resp = await svc.post(svc.side.deliver(xml, timestamp=svc.clock.ts, mode="safe"))
    assert resp.status == 200
    assert await resp.text() == "success"
    probe.gate.set()
    calls = await asyncio.wait_for(fake_api.wait_for_calls(path, sent_before + 2), 10)
    last = calls[-1]
    assert last.body == {"touser": "o-slow", "msgtype": "text", "text": {"content": "放行：slow"}}
    assert last.query["access_token"] != calls[-2].query["access_token"]
    await asyncio.gather(*svc.budget.background)
    # A late retry of the same message: `success` again, nothing re-run, nothing re-sent.
    resp = await svc.post(svc.side.deliver(xml, timestamp=svc.clock.ts))
    assert await resp.text() == "success"
    assert probe.calls == ["hold:slow"]
    assert len(fake_api.calls_to(path)) == sent_before + 2


# -- dialogs ------------------------------------------------------------------------------

async def test_dialog_step_uses_the_stored_state(svc: Service) -> None:
    assert await svc.text("o-dlg", "开始") == "请输入内容"
    assert await svc.text("o-dlg", "今天调试了焊接机器人") == "收到：今天调试了焊接机器人"
    # Finished: the same text is no longer an answer.
    assert "没有找到" in (await svc.text("o-dlg", "今天调试了焊接机器人") or "")


async def test_dialog_expires_after_thirty_minutes(svc: Service) -> None:
    assert await svc.text("o-late", "开始") == "请输入内容"
    svc.clock.advance(minutes=30, seconds=1)
    try:
        reply = await svc.text("o-late", "迟到的内容") or ""
        assert "已超过 30 分钟" in reply and "没有找到" in reply
        # The stale dialog is gone for good: the next message is plain again.
        assert "30 分钟" not in (await svc.text("o-late", "再来一条") or "")
    finally:
        svc.clock.advance(minutes=-30, seconds=-1)


async def test_dialog_within_thirty_minutes_continues(svc: Service) -> None:
    assert await svc.text("o-slowpoke", "开始") == "请输入内容"
    svc.clock.advance(minutes=29)
    try:
        assert await svc.text("o-slowpoke", "还在") == "收到：还在"
    finally:
        svc.clock.advance(minutes=-29)


async def test_cancel_leaves_the_dialog_and_saves_nothing(svc: Service) -> None:
    assert await svc.text("o-cancel", "开始") == "请输入内容"
    assert "已取消" in (await svc.text("o-cancel", "取消") or "")
    assert "没有找到" in (await svc.text("o-cancel", "内容") or "")
    assert "没有进行中" in (await svc.text("o-cancel", "cancel") or "")


async def test_help_inside_a_dialog_keeps_the_dialog(svc: Service) -> None:
    assert await svc.text("o-helpme", "开始") == "请输入内容"
    assert "绑定" in (await svc.text("o-helpme", "帮助") or "")
    assert await svc.text("o-helpme", "继续") == "收到：继续"


async def test_two_users_dialogs_never_mix(svc: Service) -> None:
    assert await svc.text("o-mix-a", "开始") == "请输入内容"
    assert "没有找到" in (await svc.text("o-mix-b", "乙的内容") or "")
    assert await svc.text("o-mix-a", "甲的内容") == "收到：甲的内容"


async def test_dialog_survives_a_restart(svc: Service, probe: Probe) -> None:
    first = await start_service(svc.settings, clock=svc.clock,
                                extra_routers=[probe_router(probe)])
    assert await first.text("o-restart", "开始") == "请输入内容"
    await first.client.close()
    second = await start_service(svc.settings, clock=svc.clock,
                                 extra_routers=[probe_router(probe)])
    try:
        assert await second.text("o-restart", "重启之后") == "收到：重启之后"
    finally:
        await second.client.close()


async def test_one_users_messages_do_not_interleave(svc: Service, probe: Probe) -> None:
    # The first message holds its handler open, having moved the user into a dialog.
    first_xml = text_xml("o-quick", "等待 one", msg_id=81, create_time=svc.clock.ts)
    first = asyncio.create_task(svc.post(svc.side.deliver(first_xml, timestamp=svc.clock.ts)))
    await probe.entered.wait()
    second_xml = text_xml("o-quick", "第二条", msg_id=82, create_time=svc.clock.ts)
    second = asyncio.create_task(svc.post(svc.side.deliver(second_xml, timestamp=svc.clock.ts)))
    await svc.wait_for_inflight("m:o-quick:82")
    probe.gate.set()
    assert svc.side.read_reply(await (await first).text())["Content"] == "放行：one"
    # Run after the first committed, so it sees the dialog the first one opened.
    assert svc.side.read_reply(await (await second).text())["Content"] == "收到：第二条"


# -- commands: normalisation, clicks, roles -----------------------------------------------

@pytest.mark.parametrize("typed", ["计数 1", "计数：1", "计数:1", "ＣＯＵＮＴ １", "Count 1",
                                   "  计数1", "count:1"])
async def test_command_spellings(svc: Service, probe: Probe, typed: str) -> None:
    assert (await svc.text("o-spell", typed) or "").startswith("第")
    assert probe.calls == ["count:1"] or probe.calls == ["count:１"]


async def test_english_alias_needs_a_word_boundary(svc: Service, probe: Probe) -> None:
    assert "没有找到" in (await svc.text("o-bound", "counting sheep") or "")
    assert probe.calls == []


async def test_menu_click_behaves_like_the_command(svc: Service) -> None:
    assert await svc.event("o-click", "CLICK", key="CMD_START") == "请输入内容"
    assert "绑定" in (await svc.event("o-click", "CLICK", key="CMD_HELP") or "")
    assert "菜单" in (await svc.event("o-click", "CLICK", key="CMD_NOPE") or "")


async def _member(svc: Service, openid: str, role: str) -> None:
    async with svc.db.transaction() as session:
        studio = Studio(name=f"测试工作室-{openid}", created_at=datetime(2026, 1, 1, tzinfo=UTC))
        session.add(studio)
        await session.flush()
        session.add(Member(employee_no=openid, name="张三", role=role, studio_id=studio.id,
                           openid=openid, created_at=datetime(2026, 1, 1, tzinfo=UTC)))


async def test_roles_are_enforced_with_a_polite_refusal(svc: Service) -> None:
    assert "绑定" in (await svc.text("o-stranger", "审核") or "")
    await _member(svc, "o-role-member", "member")
    await _member(svc, "o-role-leader", "leader")
    refusal = await svc.text("o-role-member", "审核") or ""
    assert "仅限领衔人、工会管理员" in refusal
    assert await svc.text("o-role-leader", "review") == "审核完成"


async def test_help_lists_only_what_the_role_may_use(svc: Service) -> None:
    await _member(svc, "o-help-member", "member")
    await _member(svc, "o-help-leader", "leader")
    member_help = await svc.text("o-help-member", "帮助") or ""
    leader_help = await svc.text("o-help-leader", "帮助") or ""
    assert "张三" in member_help and "成员" in member_help
    week = t("zh-CN", "cmd.week.summary")  # 本周: for leaders only
    assert week not in member_help
    assert week in leader_help and "我的" in leader_help and "我的" in member_help


async def test_unsubscribe_keeps_the_member_and_stops_pushes(svc: Service) -> None:
    await _member(svc, "o-leaver", "member")
    assert await svc.event("o-leaver", "unsubscribe") is None
    async with svc.db.transaction() as session:
        m = (await session.execute(select(Member).where(Member.openid == "o-leaver"))).scalar_one()
        assert m.subscribed is False
    svc.clock.advance(seconds=1)
    try:
        assert "欢迎回来" in (await svc.event("o-leaver", "subscribe") or "")
    finally:
        svc.clock.advance(seconds=-1)
    async with svc.db.transaction() as session:
        m = (await session.execute(select(Member).where(Member.openid == "o-leaver"))).scalar_one()
        assert m.subscribed is True


async def test_read_only_messages_are_logged_behind_and_replayed(svc: Service, probe: Probe) -> None:
    xml = text_xml("o-audit", "计数 audit", msg_id=5151, create_time=svc.clock.ts)
    first = await svc.deliver(xml)
    assert first is not None
    assert await rows_for(svc, "m:o-audit:5151") == 1  # written by the flush
    # Another process, with no memory of it, answers a late retry from the log.
    twin = await start_service(svc.settings, clock=svc.clock,
                               extra_routers=[probe_router(probe)])
    try:
        again = await twin.deliver(xml)
    finally:
        await twin.client.close()
    assert again is not None and again["Content"] == first["Content"]
    assert probe.calls == ["count:audit"]


async def test_a_delivery_recorded_after_its_budget_is_recorded_as_deferred(
    svc: Service, probe: Probe
) -> None:
    """WeChat's retry of a message whose budget ran out may reach another process: the row
    written with the effects already says `deferred`, so that process answers `success`
    instead of the reply the follow-up carries too."""
    from bot.endpoint import parse_incoming

    async def status_of(msg_id: int, deadline: float) -> str | None:
        xml = text_xml("o-deadline", f"记录 d{msg_id}", msg_id=msg_id, create_time=svc.clock.ts)
        msg = parse_incoming(xml.encode())
        await svc.dispatcher.process(msg, deadline)
        async with svc.db.transaction() as session:
            return await session.scalar(select(InboundMessage.status)
                                        .where(InboundMessage.dedupe_key == msg.dedupe_key))

    assert await status_of(7101, time.monotonic() - 1) == "deferred"  # the budget had run out
    assert await status_of(7102, time.monotonic() + 60) == "done"
