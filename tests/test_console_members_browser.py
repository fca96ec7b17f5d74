"""The console's member and notice pages in a real browser (Debian's Chromium through
Playwright): an admin sends a union-wide notice and watches its delivery report fill in as
the (fake) WeChat API accepts and refuses; a leader deactivates a member; every page at
phone and desktop widths, saved under tests/screenshots/, with no sideways scrolling,
nothing fetched from elsewhere, and hostile names shown as typed."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from storage.models import Member
from tests.browser import Tab, chromium, tab
from tests.conftest import _migrate
from tests.console_helpers import HOSTILE_ROSTER, login_path
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

ROSTER = HOSTILE_ROSTER
OPENIDS = {"L1": "mb-l1", "M1": "mb-m1", "M2": "mb-m2", "L2": "mb-l2", "M3": "mb-m3",
           "A1": "mb-a1"}
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # Friday 16:00 in Shanghai


@pytest.fixture(scope="module")
async def svc(tmp_path_factory: pytest.TempPathFactory,
              fake_api: FakeWeChatAPI) -> AsyncIterator[Service]:
    """One service (SQLite) that delivers its pushes to the fake WeChat API."""
    folder = tmp_path_factory.mktemp("members")
    url = f"sqlite+aiosqlite:///{folder / 'workshop-bot.db'}"
    await _migrate(url)
    service = await start_service(make_settings(url, str(folder), api_base=fake_api.base_url),
                                  clock=FakeClock(NOW), deliver=True)
    service.settings.workshop_bot_public_url = str(service.client.make_url("")).rstrip("/")
    await import_roster_text(service, folder / "roster.csv", ROSTER)
    await bind_members(service, OPENIDS)
    async with service.db.transaction() as session:
        # They all wrote to the account within WeChat's 48 hours.
        await session.execute(update(Member).where(Member.openid.is_not(None))
                              .values(last_interaction_at=NOW - timedelta(hours=1)))
    yield service
    await service.client.close()


@pytest.fixture(scope="module")
async def world(svc: Service) -> dict[str, int]:
    await svc.text("mb-m1", "周报 调试焊接机器人，整理参数 6小时")
    await svc.text("mb-m1", "建议 焊机加装防护罩，<b>减少</b>飞溅")
    await svc.text("mb-m1", "打卡 学习焊缝识别 2小时")
    await svc.dispatcher.writer.flush()
    async with svc.db.transaction() as session:
        return {no: mid for mid, no in (await session.execute(
            select(Member.id, Member.employee_no))).all()}


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    async with chromium() as b:
        yield b


def url(svc: Service, path: str) -> str:
    return str(svc.client.make_url(path))


async def sign_in(t: Tab, svc: Service, employee_no: str) -> None:
    await t.page.goto(url(svc, await login_path(svc, employee_no)))
    await t.page.get_by_role("button", name="进入后台").click()
    await t.page.wait_for_url(re.compile(r".*/console/$"))


async def look(t: Tab, name: str) -> None:
    """The page fits a phone (no sideways scrolling) and is saved for people to look at."""
    assert not await t.scrolls_sideways(), name
    await t.shoot(name)


async def figures(t: Tab) -> dict[str, str]:
    return {await card.get_attribute("data-figure"): await card.locator(".value").inner_text()
            for card in await t.page.locator("li.figure").all()}


async def test_an_admin_sends_a_union_wide_notice_and_watches_its_report(
        svc: Service, world: dict[str, int], browser: Any, fake_api: FakeWeChatAPI) -> None:
    sweeps = Sweeps(svc)
    fake_api.refused["mb-l2"] = {"errcode": 40003, "errmsg": "invalid openid"}
    try:
        async with tab(browser, "phone") as t:
            await sign_in(t, svc, "A1")
            await t.page.get_by_role("link", name="通知", exact=True).click()
            await t.page.wait_for_url(re.compile(r".*/console/notices$"))
            await t.page.get_by_label("发给").select_option("leaders")
            await t.page.get_by_label("内容").fill("请于周五前报送季度台账\n{{7*7}} <b>不加粗</b>")
            await look(t, "console-notices-form-phone")
            await t.page.get_by_role("button", name="下一步").click()
            # L1 and L2: the leaders who can receive it.
            assert "将发给全体领衔人中可以接收的 2 人" in await t.page.inner_text("main")
            await look(t, "console-notice-confirm-phone")
            mark = sweeps.mark()
            await t.page.get_by_role("button", name="确认发送（2 人）").click()
            await t.page.wait_for_url(re.compile(r".*/console/notices/\d+\?posted=1$"))
            assert "正在发送给 2 人" in await t.page.inner_text("[role=status]")
            await sweeps.settled(mark, 2)
            await t.page.reload()
            assert await figures(t) == {"sent": "1", "failed": "1", "waiting": "0",
                                        "dropped": "0"}
            main = await t.page.inner_text("main")
            assert "微信拒绝发送（rejected）" in main
            assert "{{7*7}} <b>不加粗</b>" in main  # as typed, not as markup
            await look(t, "console-notice-report-phone")
            assert t.offsite == []
    finally:
        fake_api.refused.clear()
    told = [c.body["text"]["content"] for c in fake_api.calls_to("/cgi-bin/message/custom/send")
            if c.body["touser"] == "mb-l1"]
    assert told and told[-1].startswith("【测试市总工会通知】请于周五前报送季度台账")


async def test_a_leader_deactivates_a_member(svc: Service, world: dict[str, int],
                                            browser: Any) -> None:
    async with tab(browser, "phone") as t:
        await sign_in(t, svc, "L1")
        await t.page.get_by_role("link", name="工作室", exact=True).click()
        await t.page.get_by_role("link", name="赵六").click()
        await t.page.wait_for_url(re.compile(rf".*/console/members/{world['M4']}$"))
        await t.page.get_by_role("link", name="停用").click()
        assert "停用后" in await t.page.inner_text("main")
        await look(t, "console-member-deactivate-phone")
        await t.page.get_by_role("button", name="确认停用").click()
        await t.page.wait_for_url(re.compile(r".*done=deactivate.*"))
        assert "已停用" in await t.page.inner_text("[role=status]")
        assert await t.page.get_by_role("link", name="恢复").count() == 1
        assert await t.page.get_by_role("link", name="停用").count() == 0
        await look(t, "console-member-deactivated-phone")
        assert t.offsite == []
    async with svc.db.transaction() as session:
        member = await session.get(Member, world["M4"])
        assert member is not None and not member.active


async def test_member_and_notice_pages_at_both_widths(svc: Service, world: dict[str, int],
                                                      browser: Any) -> None:
    for width in ("phone", "desktop"):
        async with tab(browser, width) as t:
            await sign_in(t, svc, "A1")
            await t.page.goto(url(svc, f"/console/members/{world['M1']}"))
            assert "<script>alert(1)</script>" in await t.page.inner_text("h1")
            assert "焊机加装防护罩，<b>减少</b>飞溅" in await t.page.inner_text("main")
            await look(t, f"console-member-{width}")
            await t.page.goto(url(svc, f"/console/members/{world['M2']}"))
            assert "{{7*7}}" in await t.page.inner_text("h1")
            await t.page.get_by_role("link", name="修改角色").click()
            await t.page.get_by_label("新的角色").select_option("leader")
            await t.page.get_by_role("button", name="下一步").click()
            assert "改为“领衔人”" in await t.page.inner_text("main")
            await look(t, f"console-member-role-confirm-{width}")
            await t.page.goto(url(svc, f"/console/members/{world['M2']}/mentor"))
            await look(t, f"console-member-mentor-{width}")
            await t.page.goto(url(svc, f"/console/members/{world['M2']}/invite"))
            await t.page.get_by_role("button", name="生成邀请码").click()
            code = await t.page.locator("#invite-code").inner_text()
            assert re.fullmatch(r"\w{4,}", code)
            await look(t, f"console-member-invite-{width}")
            await t.page.goto(url(svc, "/console/notices"))
            assert "请于周五前报送季度台账" in await t.page.inner_text("main")
            await look(t, f"console-notices-{width}")
            await t.page.get_by_role("link", name="送达情况").first.click()
            await look(t, f"console-notice-report-{width}")
            response = await t.page.goto(url(svc, "/console/notices/99999"))
            assert response is not None and response.status == 404
            assert t.offsite == []
