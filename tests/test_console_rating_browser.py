"""Star rating's console pages in a real browser (Debian's Chromium through Playwright): an
expert scores an item, the office reads a round's sheet and publishes it (the push reaching
the fake WeChat API), a leader reads the gap list on the studio page and the 申报 form. Each
at phone and desktop widths, saved under tests/screenshots/, with no sideways scrolling and
nothing fetched from outside the machine (the photos are links to WeChat, never loaded)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.simulator import message_xml
from domain import rating as rules
from ops import rating as office
from storage.models import RESULT_VERIFIED, Achievement, Studio, WeeklyLog
from storage.queries.invites import member_by_employee_no
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
    start_service,
)

ROSTER = """studio,name,employee_no,role,mentor_employee_no,phone
,赵敏,A0001,admin,,
王建国劳模创新工作室,王建国,W1001,leader,,
王建国劳模创新工作室,李强,W1002,member,,
李红劳模创新工作室,李红,H2001,leader,,
李红劳模创新工作室,赵六,H2002,member,,
陈秀英焊接技能大师工作室,周杰,C3002,member,,
陈秀英焊接技能大师工作室,吴磊,C3003,member,,
"""
OPENIDS = {"A0001": "r-admin", "W1001": "r-w1", "W1002": "r-w2", "H2001": "r-h1",
           "H2002": "r-h2", "C3002": "r-c2", "C3003": "r-c3"}
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # Friday 16:00 in Shanghai
WANG, LI = "王建国劳模创新工作室", "李红劳模创新工作室"
ROUND = "2026年11月星级评定"
SEND = "/cgi-bin/message/custom/send"
RUBRIC = """编号,类别,指标,分值,评分方式,评分标准
A1,三有·基本条件,标志明显,20,manual,门口悬挂统一标牌，室内有成果展示墙和制度上墙
A2,专家评审,现场答辩,20,manual,领衔人汇报工作室建设情况并回答专家提问
B1,台帐详实,周报提交率,20,log_rate 50%:10 75%:15 90%:20,
B2,成效明显,创新成果,20,results 发明专利=8 utility_model=4 cap=20,
B3,成效明显,经济效益,10,benefit step=5 per=2 cap=10,
B4,组建团队,成员绑定,10,members_bound 50%:5 100%:10,
★★★,星级,,85,,
★★,星级,,70,,
★,星级,,50,,
"""


@pytest.fixture(scope="module")
async def svc(tmp_path_factory: pytest.TempPathFactory,
              fake_api: FakeWeChatAPI) -> AsyncIterator[Service]:
    """One service (SQLite) delivering its pushes to the fake WeChat API, with a round open,
    two experts, and 王建国's application made in the chat with a photo."""
    folder = tmp_path_factory.mktemp("rating")
    url = f"sqlite+aiosqlite:///{folder / 'workshop-bot.db'}"
    await _migrate(url)
    service = await start_service(make_settings(url, str(folder), api_base=fake_api.base_url),
                                  clock=FakeClock(NOW), deliver=True)
    await import_roster_text(service, folder / "roster.csv", ROSTER)
    await bind_members(service, OPENIDS)
    rubric = folder / "rubric.csv"
    rubric.write_text(RUBRIC, encoding="utf-8")
    assert await office.rubric_import(service.settings, rubric, NOW) == 0
    assert await office.round_open(service.settings, ROUND, "2026-11-02", "2026-11-30",
                                   "2026-11-25", NOW) == 0
    assert await office.round_experts(service.settings, ROUND, ["C3002", "C3003"], NOW) == 0
    async with service.db.transaction() as session:
        member = await member_by_employee_no(session, "W1001")
        assert member is not None
        for week in ("2026-W45", "2026-W46", "2026-W47"):
            session.add(WeeklyLog(member_id=member.id, studio_id=member.studio_id, week=week,
                                  content="调试", hours=6, submitted_at=NOW, updated_at=NOW))
        session.add(Achievement(studio_id=member.studio_id, member_id=member.id,
                                type="utility_model", title="一种快换夹具", economic_benefit=6,
                                status=RESULT_VERIFIED, created_at=NOW))
    await service.text("r-w1", "申报")
    await service.text("r-w1", "18 门口悬挂统一标牌，室内有成果展示墙，制度全部上墙")
    await service.deliver(message_xml({
        "ToUserName": "gh", "FromUserName": "r-w1", "CreateTime": service.clock.ts,
        "MsgType": "image", "PicUrl": "http://mmbiz.qpic.cn/MEDIA-A1.jpg",
        "MediaId": "MEDIA-A1", "MsgId": 880001}))
    await service.text("r-w1", "下一项")
    await service.text("r-w1", "16 汇报材料已准备，领衔人现场讲解")
    await service.text("r-w1", "完成")
    assert "已提交" in (await service.text("r-w1", "确认") or "")
    await service.dispatcher.writer.flush()  # the leaders' last words open WeChat's 48 hours
    yield service
    await service.client.close()


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    async with chromium() as b:
        yield b


async def ids(svc: Service) -> dict[str, int]:
    async with svc.db.transaction() as session:
        found = {n: i for i, n in (await session.execute(select(Studio.id, Studio.name))).all()}
        round_ = await rules.round_named(session, ROUND)
    return found | {"round": round_.id}


async def sign_in(t: Tab, svc: Service, employee_no: str, lands: str) -> None:
    await t.page.goto(str(svc.client.make_url(await login_path(svc, employee_no))))
    await t.page.get_by_role("button", name="进入后台").click()
    await t.page.wait_for_url(re.compile(lands))


async def look(t: Tab, name: str) -> None:
    """The page fits a phone (no sideways scrolling) and is saved for people to look at."""
    assert not await t.scrolls_sideways(), name
    await t.shoot(name)


async def test_an_expert_scores_an_item(svc: Service, browser: Any) -> None:
    for width, expert, points in (("phone", "C3002", "18"), ("desktop", "C3003", "16.5")):
        async with tab(browser, width) as t:
            await sign_in(t, svc, expert, r".*/console/review$")
            assert await t.page.locator("nav.main a").all_inner_texts() == ["评审"]
            await look(t, f"console-review-rounds-{width}")
            await t.page.get_by_role("link", name=ROUND).click()
            await t.page.get_by_role("link", name=WANG).click()
            await t.page.wait_for_url(re.compile(r".*/applications/\d+$"))
            main = await t.page.inner_text("main")
            assert "制度全部上墙" in main and "自动计分项（申报时固定）" in main
            item = t.page.locator("#item-A1")
            # The photo is a link to WeChat's copy, opened on demand: never loaded here.
            assert await item.get_by_role("link", name="照片 1").get_attribute("href") == \
                "http://mmbiz.qpic.cn/MEDIA-A1.jpg"
            await look(t, f"console-review-application-{width}")
            await item.get_by_label("评分（0—20 分）").fill(points)
            await item.get_by_label("评语").fill("标牌规范，制度齐全")
            await item.get_by_role("button", name="保存 A1 的评分").click()
            await t.page.wait_for_url(re.compile(r".*done=A1#item-A1$"))
            assert "A1 的评分已保存" in await t.page.inner_text("[role=status]")
            assert f"我的评分：{points} 分" in await t.page.locator("#item-A1").inner_text()
            # The other expert (and their score) is not shown before 公示.
            assert ("周杰" if expert == "C3003" else "吴磊") not in await t.page.content()
            await look(t, f"console-review-scored-{width}")
            assert t.offsite == []


async def test_a_leader_reads_the_gap_list_on_the_studio_page(svc: Service,
                                                              browser: Any) -> None:
    known = await ids(svc)
    chat = await svc.text("r-h1", "评星") or ""
    steps = [line for line in chat.splitlines() if re.match(r"\d+\. ", line)]
    assert steps
    for width in ("phone", "desktop"):
        async with tab(browser, width) as t:
            await sign_in(t, svc, "H2001", r".*/console/$")
            await t.page.get_by_role("link", name="工作室", exact=True).click()
            await t.page.wait_for_url(re.compile(rf".*/console/studios/{known[LI]}$"))
            section = t.page.locator("#rating")
            shown = await section.inner_text()
            assert [s for s in steps if s not in shown] == []
            await section.scroll_into_view_if_needed()
            await look(t, f"console-rating-studio-{width}")
            await section.get_by_text("各项得分：").click()  # the items, unfolded
            assert "A1 标志明显 待评（20 分）" in await section.inner_text()
            await t.page.get_by_role("link", name="星级评定", exact=True).click()
            await look(t, f"console-rating-leader-{width}")
            await t.page.get_by_role("link", name="网上申报").click()
            await t.page.wait_for_url(re.compile(r".*/console/rating/apply$"))
            assert "照片只能在微信里附上" in await t.page.inner_text("main")
            await t.page.get_by_label("自评分（0—20 分，可不填）").first.fill("25")
            await look(t, f"console-rating-apply-{width}")
            assert t.offsite == []


async def test_the_office_reads_the_sheet_and_publishes(svc: Service, browser: Any,
                                                        fake_api: FakeWeChatAPI) -> None:
    known = await ids(svc)
    experts = {no: await _member_id(svc, no) for no in ("C3002", "C3003")}
    async with svc.db.transaction() as session:  # A2 scored by both (what the form does)
        [sheet] = await rules.expert_sheet(session, known["round"], experts["C3002"])
        for expert, points in (("C3002", 19.0), ("C3003", 17.0)):
            await rules.score(session, round_id=known["round"],
                              application_id=sheet.application.id, code="A2",
                              expert_id=experts[expert], points=points, comment=None,
                              now=svc.clock.now)
    fake_api.calls.clear()
    for width in ("desktop", "phone"):  # published once, on the phone (the last)
        async with tab(browser, width) as t:
            await sign_in(t, svc, "A0001", r".*/console/$")
            await t.page.get_by_role("link", name="星级评定", exact=True).click()
            await t.page.get_by_role("link", name=ROUND).click()
            entry = await t.page.locator("section.entry").first.inner_text()
            # 18 and 16.5 (17.25), 19 and 17 (18): 35.25 on the frozen points.
            assert "专家均分 35.25" in entry and "16.5—18（2 人）" in entry
            await look(t, f"console-rating-round-{width}")
            await t.page.get_by_role("link", name="公示拟评结果").click()
            await look(t, f"console-rating-publish-{width}")
            if width == "phone":
                await t.page.get_by_label("公示天数").fill("5")
                await t.page.get_by_role("button", name="确认公示").click()
                await t.page.wait_for_url(re.compile(r".*done=published$"))
                assert "已公示" in await t.page.inner_text("[role=status]")
            assert t.offsite == []
    sends = await asyncio.wait_for(fake_api.wait_for_calls(SEND, 2), 10)
    told = {c.body["touser"] for c in sends if "星级评定公示" in c.body["text"]["content"]}
    assert told == {"r-w1", "r-h1"}


async def _member_id(svc: Service, employee_no: str) -> int:
    async with svc.db.transaction() as session:
        member = await member_by_employee_no(session, employee_no)
        assert member is not None
        return member.id
