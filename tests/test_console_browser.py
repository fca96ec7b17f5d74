"""The web console in a real browser (Debian's Chromium through Playwright): signing in
with a link from `login-link`, 总览 agreeing with 统计, a decision whose push reaches the
(fake) WeChat API, used and expired links, a forged POST, a leader kept to their studio,
hostile names shown as typed, no sideways scrolling on a phone, nothing fetched from
outside the machine. Every page is saved as PNG at phone and desktop widths under
tests/screenshots/."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import SCHEDULED_KEY
from ops.console import login_link
from storage.models import Studio
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
    number_in,
    start_service,
)

ROSTER = HOSTILE_ROSTER
OPENIDS = {"L1": "b-l1", "M1": "b-m1", "M2": "b-m2", "L2": "b-l2", "M3": "b-m3", "A1": "b-a1"}
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # Friday 16:00 in Shanghai
SEND = "/cgi-bin/message/custom/send"
PAGES = ("login", "overview", "studios", "studio", "decide", "topic", "audit", "link-used",
         "link-expired", "not-found")


@pytest.fixture(scope="module")
async def svc(tmp_path_factory: pytest.TempPathFactory,
              fake_api: FakeWeChatAPI) -> AsyncIterator[Service]:
    """One service (SQLite) that delivers its pushes to the fake WeChat API."""
    folder = tmp_path_factory.mktemp("console")
    url = f"sqlite+aiosqlite:///{folder / 'workshop-bot.db'}"
    await _migrate(url)
    service = await start_service(make_settings(url, str(folder), api_base=fake_api.base_url),
                                  clock=FakeClock(NOW), deliver=True)
    service.settings.workshop_bot_public_url = str(service.client.make_url("")).rstrip("/")
    await import_roster_text(service, folder / "roster.csv", ROSTER)
    await bind_members(service, OPENIDS)
    yield service
    await service.client.close()


@pytest.fixture(scope="module")
async def world(svc: Service) -> dict[str, int]:
    """A month's records through the chat: logs, a check-in, a topic, suggestions, results."""
    await svc.text("b-m1", "周报 调试焊接机器人，整理参数 6小时")
    await svc.text("b-m2", "周报 {{7*7}} 培训新人 4小时")
    await svc.text("b-l1", "周报 组织课题例会 3小时")
    await svc.text("b-m1", "打卡 学习焊缝识别 2小时")
    await svc.text("b-l1", "进展 焊缝检测 完成样机 40%")
    await svc.text("b-l1", "是")
    suggestion = number_in(await svc.text("b-m1", "建议 焊机加装防护罩，<b>减少</b>飞溅") or "")
    other = number_in(await svc.text("b-m3", "建议 机床换新导轨") or "")
    await svc.text("b-m2", "成果 专利 一种焊接夹具 效益3万元")
    await svc.dispatcher.writer.flush()  # the members' last words open WeChat's 48 hours
    async with svc.db.transaction() as session:
        studios = {n: i for i, n in (await session.execute(select(Studio.id, Studio.name))).all()}
    return {"suggestion": suggestion, "other_suggestion": other,
            "studio": studios["焊接创新工作室"], "other": studios["机加创新工作室"]}


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    async with chromium() as b:
        yield b


def url(svc: Service, path: str) -> str:
    return str(svc.client.make_url(path))


async def sign_in(t: Tab, svc: Service, link: str) -> None:
    await t.page.goto(link)
    await t.page.get_by_role("button", name="进入后台").click()
    await t.page.wait_for_url(re.compile(r".*/console/$"))


async def look(t: Tab, name: str) -> None:
    """The page fits a phone (no sideways scrolling) and is saved for people to look at."""
    assert not await t.scrolls_sideways(), name
    await t.shoot(name)


async def test_signing_in_with_a_link_from_login_link(svc: Service, world: dict[str, int],
                                                      browser: Any,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert await login_link(svc.settings, "A1", svc.clock.now) == 0
    printed = capsys.readouterr().out.strip().splitlines()[-1]
    links = {"phone": printed, "desktop": await _fresh(svc, "A1")}
    for width, link in links.items():
        async with tab(browser, width) as t:
            await t.page.goto(link)
            await look(t, f"console-login-{width}")
            await t.page.get_by_role("button", name="进入后台").click()
            await t.page.wait_for_url(re.compile(r".*/console/$"))
            assert "测试市总工会" in await t.page.inner_text("h1")
            await look(t, f"console-overview-admin-{width}")
            # The link is spent: opening it again says so, and how to get another.
            response = await t.page.goto(link)
            assert response is not None and response.status == 410
            assert "已经用过" in await t.page.inner_text("main")
            assert "发送“后台”" in await t.page.inner_text("main")
            await look(t, f"console-link-used-{width}")
            assert t.offsite == []


async def _fresh(svc: Service, employee_no: str) -> str:
    return url(svc, await login_path(svc, employee_no))


async def test_the_overview_shows_the_figures_of_the_chats_stats(
        svc: Service, world: dict[str, int], browser: Any) -> None:
    for employee_no, openid in (("A1", "b-a1"), ("L1", "b-l1")):
        async with tab(browser, "desktop") as t:
            await sign_in(t, svc, await _fresh(svc, employee_no))
            shown = {await card.get_attribute("data-figure"):
                     await card.locator(".value").inner_text()
                     for card in await t.page.locator("li.figure").all()}
            stats = await svc.text(openid, "统计") or ""
            logs = re.search(r"已交 (\d+)/(\d+) 份", stats)
            checkins = re.search(r"师徒打卡：(\d+) 次，已确认 (\d+)", stats)
            suggestions = re.search(r"合理化建议：(\d+) 条", stats)
            results = re.search(r"新成果：(\d+) 项", stats)
            benefit = re.search(r"已认定 ([\d.]+) 万元", stats)
            assert logs and checkins and suggestions and results and benefit, stats
            assert shown["logs"] == f"{logs.group(1)}/{logs.group(2)}"
            assert shown["checkins"] == f"{checkins.group(2)}/{checkins.group(1)}"
            assert shown["suggestions"] == suggestions.group(1)
            assert shown["results"] == results.group(1)
            assert shown["benefit"] == benefit.group(1)
            if employee_no == "A1":
                studios = re.search(r"(\d+) 个工作室", stats)
                assert studios and shown["studios"] == studios.group(1)
            assert int(logs.group(1)) == 3  # this week's three logs, counted either way
            assert t.offsite == []


async def test_a_leader_decides_a_suggestion_and_the_member_is_told(
        svc: Service, world: dict[str, int], browser: Any, fake_api: FakeWeChatAPI) -> None:
    fake_api.calls.clear()
    for width in ("phone", "desktop"):
        async with tab(browser, width) as t:
            await sign_in(t, svc, await _fresh(svc, "L1"))
            await look(t, f"console-overview-leader-{width}")
            await t.page.get_by_role("link", name="工作室", exact=True).click()
            await t.page.wait_for_url(re.compile(rf".*/console/studios/{world['studio']}$"))
            assert "<script>alert(1)</script>" in await t.page.inner_text("#main")
            assert "{{7*7}}" in await t.page.inner_text("#main")
            # M1's check-in counts for the pair, and waits for the mentor.
            pairs = await t.page.locator("#pairs + table").inner_text()
            assert "1 次（已确认 0）" in pairs and "2026-11-20" in pairs
            await look(t, f"console-studio-{width}")
            if width == "desktop":
                continue  # decided once, on the phone
            item = t.page.locator(f"#suggestion-{world['suggestion']}")
            assert "<b>减少</b>" in await item.inner_text()
            await item.get_by_role("link", name="采纳", exact=True).click()
            await t.page.wait_for_url(re.compile(r".*/decide\?decision=accept$"))
            await t.page.get_by_label("意见").fill("下周安装，谢谢")
            await look(t, f"console-decide-{width}")
            await t.page.get_by_role("button", name="确认采纳").click()
            await t.page.wait_for_url(re.compile(r".*done=decided.*"))
            assert "已决定" in await t.page.inner_text("[role=status]")
            assert t.offsite == []
    sends = await asyncio.wait_for(fake_api.wait_for_calls(SEND, 1), 10)
    told = [c.body for c in sends if c.body["touser"] == "b-m1"]
    assert told and "已被领衔人王建国标为“已采纳”" in told[-1]["text"]["content"]
    assert "下周安装，谢谢" in told[-1]["text"]["content"]
    svc.app[SCHEDULED_KEY].nudge()


async def test_expired_and_forged_and_other_studios(svc: Service, world: dict[str, int],
                                                    browser: Any) -> None:
    async with tab(browser, "phone") as t:
        late = await _fresh(svc, "L1")
        svc.clock.advance(minutes=11)
        try:
            response = await t.page.goto(late)
            assert response is not None and response.status == 410
            assert "已过期" in await t.page.inner_text("main")
        finally:
            svc.clock.advance(minutes=-11)
        await sign_in(t, svc, await _fresh(svc, "L1"))
        # A POST without the form's token (what another site could make the browser send).
        forged = await t.context.request.post(
            url(svc, f"/console/suggestions/{world['suggestion']}/decide"),
            form={"decision": "reject", "said": "伪造"})
        assert forged.status == 403
        # Every way into the other studio is a page that does not exist.
        for path in (f"/console/studios/{world['other']}",
                     f"/console/suggestions/{world['other_suggestion']}/decide?decision=accept",
                     f"/console/studios/{world['other']}?week=2026-W40&month=2026-10"):
            response = await t.page.goto(url(svc, path))
            assert response is not None and response.status == 404, path
            assert "机床换新导轨" not in await t.page.content()
        assert t.offsite == []


async def test_the_studio_pages_report_link_opens_the_report_with_its_charts(
        svc: Service, world: dict[str, int], browser: Any) -> None:
    async with tab(browser, "phone") as t:
        await sign_in(t, svc, await _fresh(svc, "L1"))
        await t.page.goto(url(svc, f"/console/studios/{world['studio']}"))
        await t.page.get_by_role("link", name="2026年11月报表").click()
        await t.page.wait_for_url(re.compile(rf".*/r/studio/{world['studio']}/2026-11\?k=.+"))
        assert "焊接创新工作室" in await t.page.inner_text("h1")
        assert await t.page.locator("#chart-parts svg").count() == 1
        assert await t.page.locator("#chart-weeks svg").count() == 1
        await t.shoot("console-to-report-phone")
        assert t.offsite == []


async def test_the_rest_of_the_pages_at_both_widths(svc: Service, world: dict[str, int],
                                                    browser: Any) -> None:
    for width in ("phone", "desktop"):
        async with tab(browser, width) as t:
            await sign_in(t, svc, await _fresh(svc, "A1"))
            await t.page.goto(url(svc, "/console/studios"))
            assert await t.page.locator("table.list tbody tr").count() == 2
            await look(t, f"console-studios-{width}")
            await t.page.goto(url(svc, f"/console/studios/{world['studio']}"))
            await t.page.get_by_role("link", name="修改课题").first.click()
            await look(t, f"console-topic-{width}")
            await t.page.goto(url(svc, "/console/audit"))
            assert "采纳建议" in await t.page.inner_text("main")
            await look(t, f"console-audit-{width}")
            await t.page.goto(url(svc, "/console/results/1/decide?decision=return"))
            assert "成果 1：退回" in await t.page.inner_text("h1")
            await look(t, f"console-decide-return-{width}")
            response = await t.page.goto(url(svc, "/console/studios/99999"))
            assert response is not None and response.status == 404
            await look(t, f"console-not-found-{width}")
            late = await _fresh(svc, "L1")
            svc.clock.advance(minutes=11)
            try:
                await t.page.goto(late)
                await look(t, f"console-link-expired-{width}")
            finally:
                svc.clock.advance(minutes=-11)
            # The keyboard first reaches the skip link, which leads to the content.
            await t.page.keyboard.press("Tab")
            assert await t.page.evaluate("document.activeElement.className") == "skip"
            assert t.offsite == []
    shots = {p.name for p in Path(__file__).parent.joinpath("screenshots").glob("console-*.png")}
    for page in PAGES:
        for width in ("phone", "desktop"):
            assert any(page in shot and width in shot for shot in shots), (page, width)
