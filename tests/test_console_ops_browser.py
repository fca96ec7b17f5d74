"""The union office's console pages in a real browser (Debian's Chromium through Playwright):
推送, 任务, 留言 and FAQ, and their confirm and upload pages, at phone and desktop widths —
none scrolls sideways, nothing is fetched from outside the machine, each is saved as PNG
under tests/screenshots/ — and a 留言 answered by clicking through, its push reaching the
(fake) WeChat API."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from domain.faq import import_faq
from scheduled.scheduler import run_now
from storage.models import Member, OutboxMessage
from storage.queries.outbox import settle
from tests.browser import Tab, chromium, tab
from tests.conftest import _migrate
from tests.console_helpers import login_path
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

ROSTER = """studio,name,employee_no,role,mentor_employee_no,phone
焊接创新工作室,王建国,L1,leader,,
焊接创新工作室,<script>alert(1)</script>,M1,member,L1,
焊接创新工作室,李强,M2,member,,
焊接创新工作室,赵六,M3,member,,
机加创新工作室,欧阳建华,L2,leader,,
,管理员,A1,admin,,
"""
OPENIDS = {"L1": "q-l1", "M1": "q-m1", "M2": "q-m2", "L2": "q-l2", "A1": "q-a1"}
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # Friday 16:00 in Shanghai
SEND = "/cgi-bin/message/custom/send"
FAQ_CSV = """问题,相似问法,答案,分类,关键词
星级评定怎么评,评星级流程|星级是怎么评出来的,星级评定采用百分制，专家评审、现场核查和答辩。,星级,星级评定
星级评定满分多少分,评星级看几分,星级评定满分一百分。,星级,星级评定
工会补助经费能用在哪些方面,补助资金怎么用,主要用于设施建设、技术攻关和培训带徒。,经费,
师徒结对多久考核一次,师徒季度考核,师徒结对按季度考核。,师徒,师徒结对
"""
BAD_CSV = FAQ_CSV + "没有答案的问题,,,,\n"


@pytest.fixture(scope="module")
async def svc(tmp_path_factory: pytest.TempPathFactory,
              fake_api: FakeWeChatAPI) -> AsyncIterator[Service]:
    """One service (SQLite) that delivers its pushes to the fake WeChat API."""
    folder = tmp_path_factory.mktemp("console-ops")
    url = f"sqlite+aiosqlite:///{folder / 'workshop-bot.db'}"
    await _migrate(url)
    settings = make_settings(url, str(folder), api_base=fake_api.base_url).model_copy(
        update={"workshop_bot_faq_refresh_seconds": 0.0})
    service = await start_service(settings, clock=FakeClock(NOW), deliver=True)
    await import_roster_text(service, folder / "roster.csv", ROSTER)
    await bind_members(service, OPENIDS)
    yield service
    await service.client.close()


@pytest.fixture(scope="module")
async def world(svc: Service) -> dict[str, int]:
    """留言 from the chat, an FAQ with a miss, a job run and a push that failed."""
    long = "请问" + "工作室的设备采购、场地改造和外出培训" * 4 + "能不能用工会补助经费？"
    first = number_in(await svc.text("q-m1", "留言 食堂几点关门？") or "")
    second = number_in(await svc.text("q-m2", f"留言 {long}") or "")
    async with svc.db.transaction() as session:
        await import_faq(session, FAQ_CSV.encode(), "faq.csv", now=svc.clock.now)
    await svc.text("q-m2", "今天天气怎么样")
    await svc.dispatcher.writer.flush()  # the members' words open WeChat's 48 hours
    await run_now(svc.db, "weekly-log-reminder", svc.clock.now, svc.settings.tz)
    async with svc.db.transaction() as session:
        failed = await session.scalar(
            select(func.max(OutboxMessage.id)).join(Member, Member.id == OutboxMessage.recipient_id)
            .where(Member.employee_no == "L1"))
        assert failed is not None
        # Whatever delivery has done with it so far: it ends as if WeChat stayed busy.
        await settle(session, failed, status="failed", channel="custom", result="busy:-1",
                     now=svc.clock.now)
    return {"first": first, "second": second, "failed": failed}


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


async def test_every_page_at_both_widths(svc: Service, world: dict[str, int],
                                         browser: Any) -> None:
    for width in ("phone", "desktop"):
        async with tab(browser, width) as t:
            await sign_in(t, svc, "A1")
            await t.page.get_by_role("link", name="推送", exact=True).click()
            await t.page.wait_for_url(re.compile(r".*/console/outbox$"))
            assert "微信繁忙，稍后重试（busy -1）" in await t.page.inner_text("main")
            await look(t, f"console-outbox-{width}")
            await t.page.goto(url(svc, f"/console/outbox/{world['failed']}/retry"))
            assert "重发推送" in await t.page.inner_text("h1")
            await look(t, f"console-outbox-retry-{width}")
            await t.page.goto(url(svc, "/console/jobs"))
            assert "提醒本周还没交周报的成员" in await t.page.inner_text("main")
            await look(t, f"console-jobs-{width}")
            await t.page.goto(url(svc, "/console/jobs/weekly-log-reminder"))
            assert "2026-W47" in await t.page.inner_text("main")
            await look(t, f"console-job-{width}")
            await t.page.goto(url(svc, "/console/jobs/monthly-summary/run"))
            await look(t, f"console-job-run-{width}")
            await t.page.goto(url(svc, "/console/questions"))
            assert "<script>alert(1)</script>" in await t.page.inner_text("main")
            await look(t, f"console-questions-{width}")
            await t.page.goto(url(svc, "/console/faq?q=星级评定"))
            assert "请提问人从上面几条中选择" in await t.page.inner_text("main")
            assert "今天天气怎么样" in await t.page.inner_text("main")
            await look(t, f"console-faq-{width}")
            await t.page.goto(url(svc, "/console/faq/import"))
            await t.page.set_input_files("#file", files=[{
                "name": "faq.csv", "mimeType": "text/csv", "buffer": BAD_CSV.encode()}])
            await t.page.get_by_role("button", name="导入").click()
            await t.page.wait_for_selector("[role=alert]")
            assert "第 6 行：问题“没有答案的问题”没有答案" in await t.page.inner_text("main")
            await look(t, f"console-faq-import-{width}")
            assert t.offsite == []


async def test_a_question_is_answered_by_clicking_through(
        svc: Service, world: dict[str, int], browser: Any, fake_api: FakeWeChatAPI) -> None:
    async with tab(browser, "phone") as t:
        await sign_in(t, svc, "A1")
        await t.page.get_by_role("link", name="留言", exact=True).click()
        await t.page.wait_for_url(re.compile(r".*/console/questions$"))
        item = t.page.locator(f"#question-{world['first']}")
        await item.get_by_role("link", name="答复").click()
        await t.page.get_by_label("答复（最多 500 个字）").fill("工作日晚上七点关门。")
        await t.page.get_by_role("button", name="预览").click()
        preview = await t.page.locator(".push").inner_text()
        assert preview == "【工会答复】您的留言：食堂几点关门？\n工作日晚上七点关门。"
        await look(t, "console-question-answer-phone")
        await t.page.get_by_role("button", name="确认发送答复").click()
        await t.page.wait_for_url(re.compile(r".*done=answered.*"))
        assert "已答复编号" in await t.page.inner_text("[role=status]")
        # The question left the waiting list; it is under 已答复, ready for the FAQ.
        assert await t.page.locator(f"#question-{world['first']}").count() == 0
        await t.page.get_by_role("link", name=re.compile("^已答复")).click()
        answered = t.page.locator(f"#question-{world['first']}")
        assert "工作日晚上七点关门。" in await answered.inner_text()
        await answered.get_by_role("link", name="收入问答库").click()
        await look(t, "console-question-promote-phone")
        assert t.offsite == []
    answer = "【工会答复】您的留言：食堂几点关门？\n工作日晚上七点关门。"
    await asyncio.wait_for(pushed(fake_api, "q-m1", answer), 10)


async def pushed(fake_api: FakeWeChatAPI, openid: str, text: str) -> None:
    """Returns once WeChat's API has been asked to send `text` to `openid`."""
    while True:
        calls = fake_api.calls_to(SEND)
        if any(c.body["touser"] == openid and c.body["text"]["content"] == text for c in calls):
            return
        await fake_api.wait_for_calls(SEND, len(calls) + 1)
