"""The report pages in a real browser (Debian's Chromium) at phone width: the studio's month,
the union's picture and a member's own page, each opened by the link a push or a reply
carries; links that must not open a page (forwarded to another studio, expired, tampered
with, revoked) refused politely; the month as a PDF. Screenshots go to tests/screenshots/."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from bot.wechat_api import WeChatAPI
from domain.report_links import LinkBook
from ops import reports
from scheduled.delivery import Deliverer
from scheduled.scheduler import run_job
from storage.db import Database
from storage.migrate import upgrade
from storage.models import StudioScore
from tests.browser import IN_CI, SCREENSHOTS, chromium, tab
from tests.fakes import FakeWeChatAPI
from tests.report_world import DEC_1, OPENIDS, ROSTER, seed
from tests.support import Service, roster_service

TEMPLATE = "/cgi-bin/message/template/send"


@pytest.fixture(scope="module")
async def world(var_dir: Path, tmp_path_factory: pytest.TempPathFactory,
                fake_api: FakeWeChatAPI) -> AsyncIterator[tuple[Service, dict[str, int]]]:
    # One database kind is enough for what a browser sees: tests/test_reports.py runs the
    # same pages' figures on SQLite and PostgreSQL over plain HTTP.
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'reports.db'}"
    db = Database(url)
    try:
        await upgrade(db.engine)
    finally:
        await db.dispose()
    svc = await roster_service(url, str(var_dir), tmp_path_factory.mktemp("r"),
                               ROSTER, OPENIDS, DEC_1)
    # Links name this test server, as WORKSHOP_BOT_PUBLIC_URL names the real one.
    svc.settings.workshop_bot_public_url = str(svc.client.make_url("")).rstrip("/")
    svc.settings.templates = {"monthly_summary": "TPL-MONTH"}
    ids = await seed(svc)
    yield svc, ids
    await svc.client.close()


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    async with chromium() as b:
        yield b


def book(svc: Service) -> LinkBook:
    return LinkBook.of(svc.settings)


async def deliver(svc: Service, fake_api: FakeWeChatAPI) -> None:
    api = WeChatAPI(fake_api.base_url, "wx", "secret", clock=svc.clock, retry_delays=(0, 0))
    try:
        await Deliverer(svc.db, api, templates=svc.settings.templates, tz=svc.settings.tz,
                        clock=svc.clock).run()
    finally:
        await api.close()


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["k"][0]


async def svg_text(t: Any, selector: str) -> str:
    """The chart's SVG as the browser has it (its text: labels and printed values)."""
    return str(await t.page.locator(f"{selector} svg").evaluate("e => e.outerHTML"))


def texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]+)</text>", svg)


async def looked_at(t: Any, name: str) -> None:
    """What a person would check first: nothing wider than the phone, nothing fetched from
    elsewhere; and a screenshot to look at."""
    assert not await t.scrolls_sideways(), name
    assert t.offsite == [], t.offsite
    assert (await t.shoot(name)).stat().st_size > 10_000


# -- the pushes carry the links --------------------------------------------------------


async def test_the_monthly_summary_pushes_a_link_that_opens_the_studio_page(
        world: tuple[Service, dict[str, int]], fake_api: FakeWeChatAPI, browser: Any) -> None:
    svc, ids = world
    fake_api.calls.clear()
    report = await run_job(svc.db, "monthly-summary", svc.clock.now, svc.settings.tz,
                           svc.settings.rank_weights, links=book(svc))
    assert report.queued == 3  # two leaders, one admin
    await deliver(svc, fake_api)
    sent = {c.body["touser"]: c.body for c in fake_api.calls_to(TEMPLATE)}
    assert set(sent) == {"o-wang", "o-sun", "o-qian"}
    base = svc.settings.workshop_bot_public_url
    assert sent["o-wang"]["url"].startswith(f"{base}/r/studio/{ids['red']}/2026-11?k=")
    assert sent["o-sun"]["url"].startswith(f"{base}/r/studio/{ids['blue']}/2026-11?k=")
    assert sent["o-qian"]["url"].startswith(f"{base}/r/union/2026-11?k=")
    # One link per person: nobody's link is another's.
    assert len({token_of(b["url"]) for b in sent.values()}) == 3
    # No phone number, no openid in what goes out.
    assert not any(s in sent["o-wang"]["url"] for s in ("o-wang", "1111", "L1"))
    async with tab(browser, "phone") as t:
        response = await t.page.goto(sent["o-wang"]["url"])
        assert response.status == 200
        assert await t.page.inner_text("#studio-name") == "红星机械创新工作室"
        assert "2026年11月" in await t.page.title()
        await looked_at(t, "reports-studio-phone")
    # The month's scores were recorded for the pages' 12-month lines.
    async with svc.db.transaction() as session:
        recorded = dict((await session.execute(
            select(StudioScore.studio_id, StudioScore.score)
            .where(StudioScore.month == "2026-11"))).all())
    assert set(recorded) == {ids["red"], ids["blue"]}


# -- the studio's month ------------------------------------------------------------------

URL = re.compile(r"https?://\S+")


async def link_in_reply(svc: Service, openid: str, text: str) -> str:
    reply = await svc.text(openid, text) or ""
    found = URL.findall(reply)
    assert found, reply
    return found[-1]


async def test_the_studio_page_draws_the_months_figures(
        world: tuple[Service, dict[str, int]], browser: Any) -> None:
    svc, ids = world
    url = await link_in_reply(svc, "o-wang", "统计 11月")
    assert f"/r/studio/{ids['red']}/2026-11?k=" in url
    async with tab(browser, "phone") as t:
        await t.page.goto(url)
        body = await t.page.inner_text("body")
        # The score, its stars and the change on October's recorded 64.5.
        assert "90.8" in await t.page.inner_text("#score .points")
        assert await t.page.inner_text("#score .stars") == "★★★"
        assert "+26.3" in await t.page.inner_text("#score .change")
        parts = texts(await svg_text(t, "#chart-parts"))
        assert {"周报", "师徒打卡", "课题进展", "成果", "合理化建议", "绑定"} <= set(parts)
        assert {"22.5", "7.5", "20", "8.3"} <= set(parts)
        # Logs per week against the six expected, and the hours.
        weeks = texts(await svg_text(t, "#chart-weeks"))
        assert ["45周", "46周", "47周", "48周"] == [x for x in weeks if x.endswith("周")]
        assert {"4", "6", "5", "3"} <= set(weeks)
        assert "18 / 24" in body and "75%" in body and "80" in body
        assert "刘洋 缺第45、47、48周" in body and "李强 缺第48周" in body
        assert "王建国" not in await t.page.inner_text("#missing ~ ul")
        # The pair: two of three check-ins confirmed.
        pairs = texts(await svg_text(t, "#chart-pairs"))
        assert "张伟→赵敏" in pairs and {"2", "1"} <= set(pairs)
        # Each topic's line, the status change marked where it happened.
        topics = await svg_text(t, "#chart-topics")
        assert "焊接机器人" in topics and "节能改造" in topics
        assert "验收" in texts(topics)
        assert "11月25日 改为「验收」" in body
        results = texts(await svg_text(t, "#chart-results"))
        assert {"实用新型", "QC成果", "五小成果"} <= set(results)
        assert "14.5" in await t.page.inner_text("#results")
        assert "17.5" in await t.page.inner_text("#results")
        suggestions = texts(await svg_text(t, "#chart-suggestions"))
        assert {"待处理", "已采纳", "未采纳", "已实施", "2"} <= set(suggestions)
        # Twelve months: the recorded scores, this month's, and the union's median.
        history = await svg_text(t, "#chart-history")
        assert {"48.5", "64.5", "90.8"} <= set(texts(history))
        assert "本工会中位数" in history and ">53<" in history  # October's median
        # No phone number, openid or other studio anywhere on it.
        html = await t.page.content()
        for secret in ("13800001111", "1111", "o-wang", "蓝天", "孙丽"):
            assert secret not in html
        await looked_at(t, "reports-studio-phone")
    async with tab(browser, "desktop") as t:
        await t.page.goto(url)
        await looked_at(t, "reports-studio-desktop")


async def test_statistics_hands_out_the_same_link_while_it_lasts(
        world: tuple[Service, dict[str, int]]) -> None:
    svc, ids = world
    first = await link_in_reply(svc, "o-wang", "统计 11月")
    again = await link_in_reply(svc, "o-wang", "统计")
    assert token_of(first) == token_of(again)
    assert f"/r/studio/{ids['red']}/2026-12?k=" in again  # 统计 alone: this month
    # An admin's 统计 opens the union's picture; with a studio named, that studio.
    assert "/r/union/2026-11?k=" in await link_in_reply(svc, "o-qian", "统计 11月")
    assert f"/r/studio/{ids['blue']}/2026-11?k=" in await link_in_reply(
        svc, "o-qian", "统计 蓝天 11月")


# -- the union's picture -----------------------------------------------------------------


async def test_the_union_page_ranks_the_studios_and_shows_who_is_at_risk(
        world: tuple[Service, dict[str, int]], browser: Any) -> None:
    svc, _ids = world
    url = await link_in_reply(svc, "o-qian", "统计 11月")
    async with tab(browser, "phone") as t:
        response = await t.page.goto(url)
        assert response.status == 200
        ranking = await t.page.inner_text("#ranking")
        assert ranking.index("红星机械创新工作室") < ranking.index("蓝天电气创新工作室")
        assert "90.8" in ranking and "★★★" in ranking and "16.7" in ranking
        distribution = texts(await svg_text(t, "#chart-distribution"))
        assert "90–100" in distribution and "10–19" in distribution
        assert distribution.count("1") >= 2  # one studio in each of those bands
        # Below 60: 蓝天, dragged down most by its logs (a third handed in, 20 points lost).
        at_risk = await t.page.inner_text("#at-risk")
        assert "蓝天电气创新工作室" in at_risk and "红星" not in at_risk
        assert "周报 33%（失 20 分）" in at_risk
        # The heat map: lowest first; 蓝天 handed in 1, 2, 1 and 0 of 3 logs.
        rows = await t.page.locator("#heat table.heat tbody tr").all_inner_texts()
        assert rows[0].split()[0] == "蓝天电气创新工作室"
        assert rows[0].split()[1:] == ["33%", "67%", "33%", "0%"]
        assert rows[1].split()[1:] == ["67%", "100%", "83%", "50%"]
        totals = await t.page.inner_text("#totals")
        assert "22" in totals and "14.5" in totals
        await looked_at(t, "reports-union-phone")
        # A studio's name leads to its page, with the same (admin's) link.
        await t.page.click("#ranking a >> text=红星机械创新工作室")
        assert await t.page.inner_text("#studio-name") == "红星机械创新工作室"
        assert "2026年11月" in await t.page.title()
    async with tab(browser, "desktop") as t:
        await t.page.goto(url)
        await looked_at(t, "reports-union-desktop")


# -- a member's own page -----------------------------------------------------------------


async def test_my_page_shows_my_logs_streak_checkins_and_what_became_of_my_proposals(
        world: tuple[Service, dict[str, int]], browser: Any) -> None:
    svc, _ids = world
    url = await link_in_reply(svc, "o-zhao", "我的")
    assert "/r/me?k=" in url
    async with tab(browser, "phone") as t:
        await t.page.goto(url)
        assert await t.page.inner_text("#member-name") == "赵敏"
        logs = await t.page.inner_text("#my-logs")
        # Of the quarter's nine weeks over (W40–W48; this one is still open), W44–W48.
        assert "5 / 9" in logs and "本周待交" in logs
        assert "连续提交（周）" in logs and "\n5\n" in f"\n{logs}\n"
        hours = texts(await svg_text(t, "#chart-my-hours"))
        assert {"6", "4"} <= set(hours)
        checkins = await t.page.inner_text("#my-checkins")
        assert "跟师傅张伟" in checkins and "师傅点评：动作规范，继续练习" in checkins
        assert checkins.count("已确认") == 2 and checkins.count("待确认") == 1
        suggestions = await t.page.inner_text("#my-suggestions")
        assert "工具柜按班组分区" in suggestions and "已采纳" in suggestions
        assert "回复：下周实施" in suggestions and "夜班增加照明" in suggestions
        results = await t.page.inner_text("#my-results")
        assert "快换刀架" in results and "已认定" in results
        html = await t.page.content()
        assert "一种焊缝打磨夹具" not in html  # 李强's, not hers
        assert "o-zhao" not in html
        await looked_at(t, "reports-me-phone")


# -- links that must not open a page -----------------------------------------------------


async def test_a_forwarded_leaders_link_shows_that_studio_and_nothing_else(
        world: tuple[Service, dict[str, int]], browser: Any) -> None:
    svc, ids = world
    url = await link_in_reply(svc, "o-wang", "统计 11月")
    token = token_of(url)
    base = svc.settings.workshop_bot_public_url
    # Someone else opens it (a fresh browser: no cookie, nothing but the link).
    async with tab(browser, "phone") as t:
        await t.page.goto(url)
        assert await t.page.inner_text("#studio-name") == "红星机械创新工作室"
        # The same link with the other studio's number, or aimed at the union's page.
        for path in (f"/r/studio/{ids['blue']}/2026-11", "/r/union/2026-11"):
            response = await t.page.goto(f"{base}{path}?k={token}")
            assert response.status == 403
            assert await t.page.inner_text("#refused h1") == "这个链接不能打开此页"
            html = await t.page.content()
            assert "蓝天" not in html and "孙丽" not in html and "90.8" not in html
        await looked_at(t, "reports-refused-not-this-page")


async def test_expired_tampered_and_revoked_links_are_refused_politely(
        world: tuple[Service, dict[str, int]], browser: Any,
        capsys: pytest.CaptureFixture[str]) -> None:
    svc, ids = world
    url = await link_in_reply(svc, "o-wang", "统计 11月")
    token = token_of(url)
    path = f"{svc.settings.workshop_bot_public_url}/r/studio/{ids['red']}/2026-11"
    link_id, signature = token.split(".")
    tampered = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    async with tab(browser, "phone") as t:
        for bad in (f"{link_id}.{tampered}", f"AAAAAAAAAAAA.{signature}", "", link_id):
            response = await t.page.goto(f"{path}?k={bad}")
            assert response.status == 403
            assert await t.page.inner_text("#refused h1") == "链接无效"
            assert "「统计」" in await t.page.inner_text("#refused p")
        await looked_at(t, "reports-refused-bad-link")
        # Thirty days on, the link has expired.
        svc.clock.advance(days=svc.settings.workshop_bot_report_link_days, seconds=1)
        try:
            response = await t.page.goto(url)
            assert response.status == 410
            assert await t.page.inner_text("#refused h1") == "链接已过期"
            assert "红星" not in await t.page.content()
            await looked_at(t, "reports-refused-expired")
        finally:
            svc.clock.now = DEC_1
        assert (await t.page.goto(url)).status == 200
        # The office revokes it (`workshop-bot report links revoke ID`).
        assert await reports.links_revoke(svc.settings, svc.clock.now, link_id=link_id,
                                          employee_no=None) == 0
        response = await t.page.goto(url)
        assert response.status == 410
        assert await t.page.inner_text("#refused h1") == "链接已收回"
    capsys.readouterr()
    assert await reports.links_list(svc.settings, svc.clock.now, employee_no="L1",
                                    include_ended=True, limit=50) == 0
    listed = capsys.readouterr().out
    assert link_id in listed and "已收回" in listed and "王建国" in listed
    # A new 统计 hands out a new link, which works.
    fresh = await link_in_reply(svc, "o-wang", "统计 11月")
    assert token_of(fresh) != token
    async with tab(browser, "phone") as t:
        assert (await t.page.goto(fresh)).status == 200


# -- the month as a document -------------------------------------------------------------


def pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        if IN_CI:
            pytest.fail("pdftotext is required in CI (apt-get install poppler-utils)")
        pytest.skip("pdftotext not installed (apt-get install poppler-utils)")
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def pdf_info(path: Path) -> str:
    return subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=False).stdout


def pdf_pictures(path: Path, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-l", "2", str(path), str(SCREENSHOTS / name)],
                   check=False)


async def test_the_month_as_an_a4_pdf_from_the_page_and_the_command(
        world: tuple[Service, dict[str, int]], browser: Any, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    svc, _ids = world
    url = await link_in_reply(svc, "o-wang", "统计 11月")
    async with tab(browser, "phone") as t:
        await t.page.goto(url)
        href = await t.page.get_attribute("a.download", "href")
    assert href is not None and ".pdf?k=" in href
    response = await svc.client.get(href)
    assert response.status == 200 and response.content_type == "application/pdf"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    downloaded = tmp_path / "page.pdf"
    downloaded.write_bytes(await response.read())
    text = pdf_text(downloaded)
    for fact in ("红星机械创新工作室", "2026年11月", "90.8", "18 / 24", "75%", "张伟→赵敏",
                 "焊接机器人", "14.5", "刘洋"):
        assert fact in text, fact
    assert "(A4)" in pdf_info(downloaded)
    # The command writes the same document for the 台帐 archive.
    out = tmp_path / "archive.pdf"
    assert await reports.report_pdf(svc.settings, "红星", "2026-11", str(out), svc.clock.now) == 0
    assert capsys.readouterr().out.strip().endswith(str(out))
    archived = pdf_text(out)
    assert "红星机械创新工作室" in archived and "90.8" in archived
    # Its pages, to look at.
    pdf_pictures(out, "reports-studio-pdf")
