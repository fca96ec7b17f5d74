"""报表 from the console over HTTP: a signed-in viewer is sent on to the report pages through a
report link of their own (origin "console"); a leader reaches only their studio's. On SQLite
and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from storage.models import PAGE_UNION, ReportLink, Studio
from tests.console_helpers import Browser, login_path
from tests.support import Service, roster_fixture

ROSTER = """studio,name,employee_no,role,mentor_employee_no,phone
焊接创新工作室,王建国,L1,leader,,
焊接创新工作室,张三,M1,member,L1,
机加创新工作室,李强,L2,leader,,
,管理员,A1,admin,,
"""
OPENIDS = {"L1": "o-l1", "M1": "o-m1", "L2": "o-l2", "A1": "o-a1"}
# Friday 20 November 2026, 16:00 in Shanghai.
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)

svc = roster_fixture(ROSTER, OPENIDS, NOW)


@pytest.fixture(scope="module")
async def studios(svc: Service) -> dict[str, int]:
    async with svc.db.transaction() as session:
        return {name: sid for sid, name in (await session.execute(
            select(Studio.id, Studio.name))).all()}


@pytest.fixture
async def leader(svc: Service) -> AsyncIterator[Browser]:
    b = Browser(svc)
    await b.sign_in(await login_path(svc, "L1"))
    yield b
    await b.close()


@pytest.fixture
async def admin(svc: Service) -> AsyncIterator[Browser]:
    b = Browser(svc)
    await b.sign_in(await login_path(svc, "A1"))
    yield b
    await b.close()


async def links(svc: Service) -> list[ReportLink]:
    async with svc.db.transaction() as session:
        return list((await session.scalars(select(ReportLink).order_by(ReportLink.created_at)))
                    .all())


async def test_a_leader_reaches_their_studios_report_page(
        svc: Service, studios: dict[str, int], leader: Browser) -> None:
    mine = studios["焊接创新工作室"]
    studio_page = await leader.get(f"/console/studios/{mine}?month=2026-11")
    route = f"/console/report/studio/{mine}?month=2026-11"
    assert f'href="{route}"' in studio_page.text
    sent = await leader.get(route, follow=False)
    assert sent.status == 303
    location = sent.headers["Location"]
    assert location.startswith(f"/r/studio/{mine}/2026-11?k=")
    report = await leader.get(location)
    assert report.status == 200 and "焊接创新工作室" in report.text
    assert "机加创新工作室" not in report.text
    issued = [r for r in await links(svc) if r.page == f"studio:{mine}"]
    assert len(issued) == 1 and issued[0].origin == "console"
    # Asked again: the same link, nothing new written.
    again = await leader.get(route, follow=False)
    assert again.headers["Location"] == location
    assert [r.id for r in await links(svc) if r.page == f"studio:{mine}"] == [issued[0].id]


async def test_another_studio_is_a_404_and_issues_nothing(
        svc: Service, studios: dict[str, int], leader: Browser) -> None:
    before = len(await links(svc))
    theirs = studios["机加创新工作室"]
    refused = await leader.get(f"/console/report/studio/{theirs}", follow=False)
    assert refused.status == 404
    assert (await leader.get("/console/report/studio/999999", follow=False)).status == 404
    assert (await leader.get("/console/report/union", follow=False)).status == 404
    assert len(await links(svc)) == before
    # 总览 offers the leader their studio's report, not the union's.
    home = await leader.get("/console/")
    assert f"/console/report/studio/{studios['焊接创新工作室']}" in home.text
    assert "/console/report/union" not in home.text


async def test_an_admin_reaches_the_union_page_and_any_studio(
        svc: Service, studios: dict[str, int], admin: Browser) -> None:
    home = await admin.get("/console/?month=2026-11")
    assert "/console/report/union?month=2026-11" in home.text and "本工会2026年11月报表" in home.text
    sent = await admin.get("/console/report/union?month=2026-11", follow=False)
    assert sent.status == 303 and sent.headers["Location"].startswith("/r/union/2026-11?k=")
    union = await admin.get(sent.headers["Location"])
    assert union.status == 200 and "焊接创新工作室" in union.text
    # Another studio's page through the same (union) link.
    theirs = studios["机加创新工作室"]
    to_studio = await admin.get(f"/console/report/studio/{theirs}", follow=False)
    assert to_studio.headers["Location"].startswith(f"/r/studio/{theirs}/2026-11?k=")
    assert to_studio.headers["Location"].split("?")[1] == sent.headers["Location"].split("?")[1]
    page = await admin.get(to_studio.headers["Location"])
    assert page.status == 200 and "机加创新工作室" in page.text
    async with svc.db.transaction() as session:
        mine = (await session.scalars(select(ReportLink).where(
            ReportLink.page == PAGE_UNION))).all()
        assert [r.origin for r in mine] == ["console"]
        assert await session.scalar(select(func.count()).select_from(ReportLink).where(
            ReportLink.viewer_id == mine[0].viewer_id)) == 1


async def test_a_month_with_no_page_goes_to_the_latest(
        svc: Service, studios: dict[str, int], leader: Browser) -> None:
    mine = studios["焊接创新工作室"]
    for asked in ("2027-05", "nonsense", ""):
        sent = await leader.get(f"/console/report/studio/{mine}?month={asked}", follow=False)
        assert sent.headers["Location"].startswith(f"/r/studio/{mine}/2026-11?k="), asked
