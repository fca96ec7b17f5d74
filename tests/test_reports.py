"""The report pages over plain HTTP on SQLite and PostgreSQL: the figures, the page's weight
and headers, the links the digest and the quarterly review carry, refusals, the link rules,
the secret they are signed with, and `workshop-bot report links|scores`."""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select, update

from bot.config import ConfigError, Settings
from domain.report_links import LinkBook, opens, studio_page
from ops import reports
from scheduled.scheduler import run_job
from storage.models import (
    PAGE_ME,
    PAGE_UNION,
    ROLE_ADMIN,
    ROLE_LEADER,
    ROLE_MEMBER,
    Member,
    OutboxMessage,
    ReportLink,
    StudioScore,
    UnionScore,
)
from storage.queries.report_links import Viewer
from tests.report_world import DEC_1, OPENIDS, ROSTER, seed
from tests.support import Service, roster_service

URL = re.compile(r"https?://\S+")
WIRE_LIMIT = 300 * 1024  # what a studio page may weigh over the wire (issue 16)


@pytest.fixture(scope="module")
async def world(database_url: str, var_dir: Path, tmp_path_factory: pytest.TempPathFactory
                ) -> AsyncIterator[tuple[Service, dict[str, int]]]:
    svc = await roster_service(database_url, str(var_dir), tmp_path_factory.mktemp("r"),
                               ROSTER, OPENIDS, DEC_1)
    svc.settings.workshop_bot_public_url = str(svc.client.make_url("")).rstrip("/")
    ids = await seed(svc)
    yield svc, ids
    await svc.client.close()


async def link_in_reply(svc: Service, openid: str, text: str) -> str:
    reply = await svc.text(openid, text) or ""
    found = URL.findall(reply)
    assert found, reply
    return found[-1]


def local(url: str) -> str:
    """The path and query of a link (the test client speaks to its own server)."""
    return "/" + url.split("://", 1)[1].split("/", 1)[1] if "://" in url else url


async def page_text(svc: Service, url: str, status: int = 200) -> str:
    response = await svc.client.get(local(url))
    assert response.status == status, await response.text()
    return await response.text()


async def test_the_pages_show_the_months_figures(world: tuple[Service, dict[str, int]]) -> None:
    svc, ids = world
    studio = await page_text(svc, await link_in_reply(svc, "o-wang", "统计 11月"))
    for fact in ("红星机械创新工作室", "90.8", "★★★", "18 / 24", "75%", "刘洋", "张伟→赵敏",
                 "焊接机器人", "14.5", "本工会中位数", ">64.5<"):
        assert fact in studio, fact
    union = await page_text(svc, await link_in_reply(svc, "o-qian", "统计 11月"))
    for fact in ("蓝天电气创新工作室", "16.7", "90.8", "周报 33%（失 20 分）", "67%", "83%"):
        assert fact in union, fact
    # Each studio's name on the union's page leads to its page with the admin's link.
    assert f"/r/studio/{ids['blue']}/2026-11?k=" in union
    me = await page_text(svc, await link_in_reply(svc, "o-zhao", "我的"))
    for fact in ("赵敏", "师傅点评：动作规范，继续练习", "工具柜按班组分区", "快换刀架"):
        assert fact in me, fact
    # A past month reads from its own records: October had one log (赵敏's, week 44).
    october = await page_text(svc, (await link_in_reply(svc, "o-wang", "统计 10月")))
    assert "1 / 30" in october and "2026年10月" in october


async def test_a_studio_page_is_light_strict_and_self_contained(
        world: tuple[Service, dict[str, int]]) -> None:
    svc, _ids = world
    url = local(await link_in_reply(svc, "o-wang", "统计 11月"))
    async with aiohttp.ClientSession(auto_decompress=False) as http:
        async with http.get(str(svc.client.make_url(url)),
                            headers={"Accept-Encoding": "gzip"}) as response:
            assert response.status == 200
            wire = await response.read()
            headers = response.headers
    assert headers["Content-Encoding"] == "gzip"
    assert len(wire) <= WIRE_LIMIT
    html = gzip.decompress(wire).decode("utf-8")
    policy = headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "style-src 'self'" in policy
    assert "script-src" not in policy  # no script at all
    assert headers["Cache-Control"] == "private, no-store"
    assert headers["Referrer-Policy"] == "no-referrer"
    # Nothing inline for the policy to refuse, nothing fetched from elsewhere.
    assert "<script" not in html and " style=" not in html and "<style" not in html
    assert html.count("<svg") >= 6
    assert not [u for u in re.findall(r'(?:href|src)="([^"]+)"', html) if "://" in u]
    sheets = re.findall(r'href="(/r/static/[^"]+)"', html)
    assert len(sheets) == 2
    for sheet in sheets:
        response = await svc.client.get(sheet)
        assert response.status == 200 and response.content_type == "text/css"
        assert "immutable" in response.headers["Cache-Control"]
    charts = await (await svc.client.get(sheets[1])).text()
    assert ".wb-chart.wb-pair" in charts and ".wb-chart.wb-multi" in charts


async def test_the_digest_and_the_quarterly_review_link_their_pages(
        world: tuple[Service, dict[str, int]]) -> None:
    svc, ids = world
    book = LinkBook.of(svc.settings)
    # Monday 30 November, 09:00: the digest of week 48, which counts in November.
    monday = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    digest = await run_job(svc.db, "weekly-leader-digest", monday, svc.settings.tz,
                           svc.settings.rank_weights, links=book)
    # 1 January, 09:30: the review of the fourth quarter links December's union page.
    review = await run_job(svc.db, "quarterly-review", datetime(2027, 1, 1, 1, 30, tzinfo=UTC),
                           svc.settings.tz, svc.settings.rank_weights, links=book)
    assert digest.queued == 2 and review.queued == 1
    async with svc.db.transaction() as session:
        rows = {(kind, no): (text, url) for kind, no, text, url in (await session.execute(
            select(OutboxMessage.kind, Member.employee_no, OutboxMessage.text, OutboxMessage.url)
            .join(Member, Member.id == OutboxMessage.recipient_id)
            .where(OutboxMessage.kind.in_(("weekly-leader-digest", "quarterly-review"))))).all()}
        links = await session.scalar(select(func.count()).select_from(ReportLink)
                                     .where(ReportLink.origin.in_(("weekly-leader-digest",
                                                                   "quarterly-review"))))
    text, url = rows[("weekly-leader-digest", "L1")]
    assert url is not None and f"/r/studio/{ids['red']}/2026-11?k=" in url
    assert text.endswith(f"图表和明细：{url}")  # the customer-service text's last line
    assert f"/r/studio/{ids['blue']}/2026-11?k=" in (rows[("weekly-leader-digest", "L2")][1] or "")
    text, url = rows[("quarterly-review", "A1")]
    assert url is not None and "/r/union/2026-12?k=" in url and url in text
    assert links == 3
    assert "红星机械创新工作室" in await page_text(svc, rows[("weekly-leader-digest", "L1")][1] or "")
    # Run again: nobody is queued twice, and no link is handed out for nothing.
    again = await run_job(svc.db, "weekly-leader-digest", monday, svc.settings.tz,
                          svc.settings.rank_weights, links=book)
    assert again.queued == 0 and again.skipped == 2
    async with svc.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(ReportLink).where(
            ReportLink.origin == "weekly-leader-digest")) == 2


async def test_without_a_link_book_the_pushes_carry_no_link(
        world: tuple[Service, dict[str, int]]) -> None:
    svc, _ids = world
    report = await run_job(svc.db, "monthly-summary", datetime(2026, 11, 2, 1, 0, tzinfo=UTC),
                           svc.settings.tz, svc.settings.rank_weights)
    assert report.queued == 3
    async with svc.db.transaction() as session:
        rows = (await session.execute(select(OutboxMessage.text, OutboxMessage.url).where(
            OutboxMessage.kind == "monthly-summary", OutboxMessage.period == "2026-10"))).all()
        recorded = await session.scalar(select(UnionScore.rated).where(
            UnionScore.month == "2026-10"))
    assert len(rows) == 3 and all(url is None and "/r/" not in text for text, url in rows)
    assert recorded == 2  # October's scores were recorded all the same


async def test_refusals_say_why_without_showing_anything(
        world: tuple[Service, dict[str, int]]) -> None:
    svc, ids = world
    url = await link_in_reply(svc, "o-sun", "统计 11月")  # 蓝天's leader
    token = url.split("k=", 1)[1]
    refused = await page_text(svc, f"/r/studio/{ids['red']}/2026-11?k={token}", 403)
    assert "这个链接不能打开此页" in refused and "红星" not in refused
    assert "链接无效" in await page_text(svc, f"/r/union/2026-11?k={token[:-2]}xx", 403)
    assert "链接无效" in await page_text(svc, "/r/me", 403)
    # A month that is not one, or not yet.
    for month in ("2026-13", "2027-03"):
        assert "没有这个页面" in await page_text(
            svc, f"/r/studio/{ids['blue']}/{month}?k={token}", 404)
    # A leader who has left the roster: their link stops.
    async with svc.db.transaction() as session:
        await session.execute(update(Member).where(Member.employee_no == "L2")
                              .values(active=False))
    try:
        assert "无法查看" in await page_text(svc, url, 403)
    finally:
        async with svc.db.transaction() as session:
            await session.execute(update(Member).where(Member.employee_no == "L2")
                                  .values(active=True))
    assert "蓝天电气创新工作室" in await page_text(svc, url)


async def test_a_page_is_in_its_readers_language(world: tuple[Service, dict[str, int]]) -> None:
    svc, _ids = world
    url = await link_in_reply(svc, "o-wang", "统计 11月")
    for language, words in (("en", ("Indicator score", "Weekly logs", "11/2026")),
                            ("zh-TW", ("指標得分", "週報",)),
                            # Mongolian has no words for the pages yet: Chinese, not a mix.
                            ("mn+zh-CN", ("指标得分", "2026年11月"))):
        async with svc.db.transaction() as session:
            await session.execute(update(Member).where(Member.employee_no == "L1")
                                  .values(language=language))
        html = await page_text(svc, url)
        assert all(w in html for w in words), (language, words)
    async with svc.db.transaction() as session:
        await session.execute(update(Member).where(Member.employee_no == "L1")
                              .values(language=None))


def test_what_each_link_opens() -> None:
    leader = Viewer(1, "王", ROLE_LEADER, 7, True, None)
    admin = Viewer(2, "钱", ROLE_ADMIN, None, True, None)
    member = Viewer(3, "赵", ROLE_MEMBER, 7, True, None)
    moved = Viewer(4, "李", ROLE_LEADER, 8, True, None)  # transferred to studio 8 since
    assert opens(studio_page(7), leader, studio_page(7))
    assert not opens(studio_page(7), leader, studio_page(8))
    assert not opens(studio_page(7), leader, PAGE_UNION)
    assert not opens(studio_page(7), moved, studio_page(7))
    assert not opens(PAGE_UNION, leader, PAGE_UNION)  # a union link only works for an admin
    assert opens(PAGE_UNION, admin, PAGE_UNION) and opens(PAGE_UNION, admin, studio_page(8))
    assert opens(studio_page(8), admin, studio_page(8))
    assert not opens(studio_page(8), admin, studio_page(7))
    assert opens(PAGE_ME, member, PAGE_ME) and not opens(PAGE_ME, member, studio_page(7))


def test_the_signing_secret_is_kept_like_the_trial_token(tmp_path: Path) -> None:
    first = Settings(workshop_bot_var_dir=tmp_path)
    second = Settings(workshop_bot_var_dir=tmp_path)
    secret = first.report_secret
    assert len(secret) == 64 and second.report_secret == secret
    path = tmp_path / "report_secret"
    assert path.read_text().strip() == secret and (path.stat().st_mode & 0o777) == 0o600
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".report_secret")]
    given = "x" * 40
    assert Settings(workshop_bot_var_dir=tmp_path, workshop_bot_report_secret=given
                    ).report_secret == given
    with pytest.raises(ValueError, match="32"):
        Settings(workshop_bot_report_secret="short")
    with pytest.raises(ValueError, match="https"):
        Settings(workshop_bot_public_url="bot.example.org")
    settings = Settings(workshop_bot_public_url="https://bot.example.org/",
                        workshop_bot_report_link_days=7, workshop_bot_var_dir=tmp_path)
    book = LinkBook.of(settings)
    assert book.base_url == "https://bot.example.org" and book.lifetime == timedelta(days=7)
    assert Settings(workshop_bot_port=9000).public_base_url == "http://127.0.0.1:9000"
    path.write_text("\n")
    with pytest.raises(ConfigError):
        Settings(workshop_bot_var_dir=tmp_path).report_secret  # noqa: B018


async def test_links_listed_revoked_by_member_and_scores_recorded(
        world: tuple[Service, dict[str, int]], capsys: pytest.CaptureFixture[str]) -> None:
    svc, ids = world
    url = await link_in_reply(svc, "o-zhao", "我的")
    capsys.readouterr()
    assert await reports.links_list(svc.settings, svc.clock.now, employee_no="M3",
                                    include_ended=False, limit=20) == 0
    listed = capsys.readouterr().out
    assert "赵敏" in listed and "个人页" in listed and "me" in listed
    assert await reports.links_revoke(svc.settings, svc.clock.now, link_id=None,
                                      employee_no="M3") == 0
    assert "已收回 1 个链接" in capsys.readouterr().out
    assert "链接已收回" in await page_text(svc, url, 410)
    assert await reports.links_revoke(svc.settings, svc.clock.now, link_id="nosuch",
                                      employee_no=None) == 1
    assert await reports.links_revoke(svc.settings, svc.clock.now, link_id=None,
                                      employee_no="NOBODY") == 1
    assert await reports.links_revoke(svc.settings, svc.clock.now, link_id=None,
                                      employee_no=None) == 2
    # A past month's scores, recorded for the 12-month lines: as 排名 rates them.
    assert await reports.record_month(svc.settings, "2026-09", svc.clock.now) == 0
    assert "2026年9月" in capsys.readouterr().out
    assert await reports.record_month(svc.settings, "2027-09", svc.clock.now) == 2
    async with svc.db.transaction() as session:
        scores = dict((await session.execute(select(StudioScore.studio_id, StudioScore.score)
                                              .where(StudioScore.month == "2026-09"))).all())
        median = await session.scalar(select(UnionScore.median).where(
            UnionScore.month == "2026-09"))
    assert set(scores) == {ids["red"], ids["blue"]}
    assert median == round((scores[ids["red"]] + scores[ids["blue"]]) / 2, 1)


async def test_the_report_command_line(world: tuple[Service, dict[str, int]],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """`workshop-bot report …` as typed: parsed and run by the CLI."""
    from ops.cli import _parser, _report

    svc, _ids = world
    capsys.readouterr()
    args = _parser().parse_args(["report", "links", "list", "--all"])
    assert await _report(args, svc.settings, svc.clock.now) == 0
    assert "王建国" in capsys.readouterr().out
    args = _parser().parse_args(["report", "scores", "--month", "2026-08"])
    assert await _report(args, svc.settings, svc.clock.now) == 0
    args = _parser().parse_args(["report", "pdf", "--studio", "不存在", "--month", "2026-11"])
    assert await _report(args, svc.settings, svc.clock.now) == 1
    args = _parser().parse_args(["report", "pdf", "--studio", "创新", "--month", "2026-11"])
    assert await _report(args, svc.settings, svc.clock.now) == 1  # two studios match
    args = _parser().parse_args(["report", "links", "revoke"])
    assert await _report(args, svc.settings, svc.clock.now) == 2
