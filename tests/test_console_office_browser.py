"""邀请, 名册 and 导出 in a real browser (Debian's Chromium through Playwright): a roster
uploaded with a bad line and hostile names, previewed and imported; a studio's codes
issued and its slips downloaded as PDFs whose pages hold 8 (or 10) slips and whose QR codes
decode to the tickets the (fake) WeChat API gave for each member's scene; the print page
under the console's CSP; an export's rows; a leader kept out of every other studio's URL.
Every page is saved as PNG at phone and desktop widths under tests/screenshots/, none
scrolls sideways, nothing is fetched from outside the machine."""

from __future__ import annotations

import csv
import io
import math
import re
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from domain.invites import invite_scene
from storage.models import InviteCode, Member, Studio
from tests.browser import LOOPBACK, SCREENSHOTS, Tab, chromium, tab
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
from tests.test_invite_slips import pages, run, slip_box

WELD = "焊接创新工作室"
MILL = "机加创新工作室"
ROSTER = "\n".join([
    "studio,name,employee_no,role,mentor_employee_no,phone",
    f"{WELD},王建国,L1,leader,,",
    *(f"{WELD},焊工{i},W0{i},member,," for i in range(1, 7)),
    f"{MILL},李四,L2,leader,,",
    f"{MILL},张三,M1,member,,",
    ",管理员,A1,admin,,",
]) + "\n"
OPENIDS = {"L1": "ob-l1", "L2": "ob-l2", "A1": "ob-a1"}
# Three more members for 焊接 (nine to invite: two pages of 8, one of 10), hostile names
# among them, a line without a name, and a leader's phone.
UPLOAD = "\n".join([
    "studio,name,employee_no,role,mentor_employee_no,phone",
    f"{WELD},<script>alert(1)</script>,W07,member,W01,",
    f"{WELD},{{{{7*7}}}},W08,member,,",
    f"{WELD},' OR 1=1,W09,member,,",
    f"{WELD},,W10,member,,",
    f"{WELD},王建国,L1,leader,,13800001111",
]) + "\n"
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # Friday 16:00 in Shanghai
SHOTS = ("roster-upload", "roster-preview", "roster-done", "invites", "invite-studio",
         "invite-issued", "invite-slips", "exports", "leader-invite", "leader-exports",
         "leader-not-found")


@pytest.fixture(scope="module")
async def svc(tmp_path_factory: pytest.TempPathFactory,
              fake_api: FakeWeChatAPI) -> AsyncIterator[Service]:
    folder = tmp_path_factory.mktemp("office")
    url = f"sqlite+aiosqlite:///{folder / 'workshop-bot.db'}"
    await _migrate(url)
    settings = make_settings(url, str(folder), api_base=fake_api.base_url)
    settings.workshop_bot_union_name = "测试市总工会"
    service = await start_service(settings, clock=FakeClock(NOW))
    await import_roster_text(service, folder / "roster.csv", ROSTER)
    await bind_members(service, OPENIDS)
    await service.text("ob-l1", "周报 焊接参数整理 3小时")
    await service.text("ob-l2", "周报 机床保养 2小时")
    yield service
    await service.client.close()


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    async with chromium() as b:
        yield b


@pytest.fixture(scope="module")
async def studios(svc: Service) -> dict[str, int]:
    async with svc.db.reader() as session:
        return {n: i for i, n in (await session.execute(select(Studio.id, Studio.name))).all()}


def qr_codes_per_slip(pdf: Path, per_page: int, slips: int, folder: Path) -> list[list[str]]:
    """What the QR codes in each slip's box decode to: each page drawn once at 150 dpi,
    cut into slips, and every slip read by one zbarimg run."""
    from PIL import Image

    dpi = 150
    run("pdftoppm", "-png", "-r", dpi, pdf, folder / "page")
    drawn = {int(p.stem.rsplit("-", 1)[1]): p for p in folder.glob("page-*.png")}
    scale = dpi / 72
    cuts = []
    for index in range(slips):
        page, x, y, w, h = slip_box(index, per_page)
        with Image.open(drawn[page]) as image:
            cut = folder / f"slip-{per_page}-{index}.png"
            image.crop((int(x * scale), int(y * scale), int((x + w) * scale),
                        int((y + h) * scale))).save(cut)
        cuts.append(cut)
    found = subprocess.run(["zbarimg", "-q", "--xml", *map(str, cuts)], capture_output=True,
                           text=True, timeout=60).stdout
    space = {"z": "http://zbar.sourceforge.net/2008/barcode"}
    read = {Path(str(source.get("href"))).name: [d.text or "" for d in source.iterfind(".//z:data", space)]
            for source in ElementTree.fromstring(found).iterfind("z:source", space)}
    return [read.get(cut.name, []) for cut in cuts]


def url(svc: Service, path: str) -> str:
    return str(svc.client.make_url(path))


async def sign_in(t: Tab, svc: Service, employee_no: str) -> None:
    await t.page.goto(url(svc, await login_path(svc, employee_no)))
    await t.page.get_by_role("button", name="进入后台").click()
    await t.page.wait_for_url(re.compile(r".*/console/$"))


async def look(t: Tab, name: str, width: str) -> None:
    """The page fits its window (no sideways scrolling) and is saved for people to see."""
    assert not await t.scrolls_sideways(), (name, width)
    await t.shoot(f"office-{name}-{width}")


def watch(t: Tab) -> list[str]:
    """What any page of the tab complains of in the console (a CSP refusal is one) or
    alerts; and every request of its pages, popups too, leaving loopback (Tab.offsite)."""
    said: list[str] = []

    def page_opened(page: Any) -> None:
        page.on("console", lambda m: said.append(m.text) if m.type in ("error", "warning")
                else None)
        page.on("dialog", lambda d: said.append("dialog: " + d.message))

    def note(request: Any) -> None:
        host = urlsplit(request.url).hostname or ""
        if request.url.startswith(("http:", "https:")) and host not in LOOPBACK \
                and request.url not in t.offsite:
            t.offsite.append(request.url)

    page_opened(t.page)
    t.context.on("page", page_opened)
    t.context.on("request", note)
    return said


async def test_a_roster_is_uploaded_previewed_and_imported(svc: Service, browser: Any) -> None:
    done = ""
    for width in ("phone", "desktop"):
        async with tab(browser, width) as t:
            said = watch(t)
            await sign_in(t, svc, "A1")
            await t.page.get_by_role("link", name="名册", exact=True).click()
            await t.page.wait_for_url(re.compile(r".*/console/roster$"))
            await look(t, "roster-upload", width)
            await t.page.set_input_files("#file", files=[{
                "name": "十一月名册.csv", "mimeType": "text/csv",
                "buffer": UPLOAD.encode("utf-8")}])
            await t.page.get_by_role("button", name="上传并预览").click()
            await t.page.wait_for_url(re.compile(r".*/console/roster/import\?file=.*"))
            main = await t.page.inner_text("main")
            assert "预览：十一月名册.csv" in main
            problems = await t.page.locator("ul.problems").inner_text()
            assert "第 5 行：缺少姓名" in problems
            new = await t.page.locator("#new + table").inner_text()
            for name in ("<script>alert(1)</script>", "{{7*7}}", "' OR 1=1"):
                assert name in new, name
            assert "手机：— → *******1111" in main and "W01" in main
            await look(t, "roster-preview", width)
            if width == "phone":
                continue  # imported once, on the desktop
            await t.page.get_by_role("button", name="确认导入").click()
            await t.page.wait_for_url(re.compile(r".*/console/roster\?imported=\d+$"))
            status = await t.page.inner_text("[role=status]")
            assert "已导入名册 十一月名册.csv" in status and "新增成员 3，更新 1" in status
            done = t.page.url
            await look(t, "roster-done", width)
            assert said == [] and t.offsite == []
    async with tab(browser, "phone") as t:
        await sign_in(t, svc, "A1")
        await t.page.goto(done)
        assert "第 5 行" in await t.page.inner_text("main")
        await look(t, "roster-done", "phone")
    async with svc.db.reader() as session:
        names = set(await session.scalars(select(Member.name).where(
            Member.employee_no.in_(["W07", "W08", "W09", "W10"]))))
    assert names == {"<script>alert(1)</script>", "{{7*7}}", "' OR 1=1"}


async def test_slips_are_printed_with_qr_codes_that_bind(svc: Service, browser: Any,
                                                         studios: dict[str, int],
                                                         fake_api: FakeWeChatAPI,
                                                         tmp_path: Path) -> None:
    weld = studios[WELD]
    held: dict[str, str] = {}  # employee number → the code issued
    for width in ("phone", "desktop"):
        async with tab(browser, width) as t:
            said = watch(t)
            await sign_in(t, svc, "A1")
            await t.page.get_by_role("link", name="邀请", exact=True).click()
            await t.page.wait_for_url(re.compile(r".*/console/invites$"))
            await look(t, "invites", width)
            await t.page.get_by_role("link", name=WELD).click()
            await t.page.wait_for_url(re.compile(rf".*/console/invites/{weld}$"))
            await look(t, "invite-studio", width)
            if width == "phone":
                continue  # issued once, on the desktop
            await t.page.get_by_role("button", name="发放邀请码（9 人）").click()
            await t.page.wait_for_url(re.compile(r".*done=issued&n=9$"))
            assert "已为 9 名成员发放邀请码" in await t.page.inner_text("[role=status]")
            async with svc.db.reader() as session:
                held = dict((await session.execute(
                    select(Member.employee_no, InviteCode.code)
                    .join(InviteCode, InviteCode.member_id == Member.id)
                    .join(Studio, Studio.id == Member.studio_id)
                    .where(Studio.name == WELD, InviteCode.revoked_at.is_(None)))).all())
            assert sorted(held) == [f"W0{i}" for i in range(1, 10)]
            order = sorted(held)  # slips go by employee number
            for per_page in (8, 10):
                async with t.page.expect_download() as info:
                    await t.page.get_by_role("link", name=f"下载 PDF（每页 {per_page} 张）").click()
                download = await info.value
                assert download.suggested_filename == f"{WELD}-invites-2026-11-20.pdf"
                pdf = tmp_path / f"slips-{per_page}.pdf"
                await download.save_as(pdf)
                assert pages(pdf) == math.ceil(9 / per_page)
                # Each slip's QR code is the ticket WeChat gave for its member's scene,
                # and its page shows that member's code.
                folder = tmp_path / str(per_page)
                folder.mkdir()
                decoded = qr_codes_per_slip(pdf, per_page, 9, folder)
                assert decoded == [[fake_api.qr_codes[invite_scene(held[no])]] for no in order]
                for page in range(1, pages(pdf) + 1):
                    text = run("pdftotext", "-f", page, "-l", page, pdf, "-")
                    on_page = order[(page - 1) * per_page: page * per_page]
                    assert all(held[no] in text for no in on_page), (per_page, page)
            assert said == [] and t.offsite == []
    # The codes held, printed again: the print page's own A4 CSS applies under the
    # console's CSP.
    for width in ("phone", "desktop"):
        async with tab(browser, width) as t:
            said = watch(t)
            await sign_in(t, svc, "A1")
            await t.page.goto(url(svc, f"/console/invites/{weld}?done=issued&n=9"))
            await look(t, "invite-issued", width)
            async with t.context.expect_page() as opened:
                await t.page.get_by_role("link", name="打印（每页 8 张）").click()
            slips = await opened.value
            await slips.wait_for_load_state()
            assert await slips.locator("table.sheet").count() == 2
            assert await slips.evaluate(
                "getComputedStyle(document.querySelector('td.slip')).borderTopStyle") == "dashed"
            text = await slips.inner_text("body")
            assert all(code in text for code in held.values()) and "{{7*7}}" in text
            await look(Tab(context=t.context, page=slips), "invite-slips", width)
            assert not [s for s in said if "Content Security Policy" in s], said
            assert t.offsite == []


async def test_an_export_downloads_the_expected_rows(svc: Service, browser: Any) -> None:
    for width in ("phone", "desktop"):
        async with tab(browser, width) as t:
            await sign_in(t, svc, "A1")
            await t.page.get_by_role("link", name="导出", exact=True).click()
            await t.page.wait_for_url(re.compile(r".*/console/exports$"))
            await look(t, "exports", width)
            logs = t.page.locator("form[data-kind=logs]")
            await logs.locator("select[name=headers]").select_option("codes")
            async with t.page.expect_download() as info:
                await logs.get_by_role("button", name="下载").click()
            download = await info.value
            assert download.suggested_filename == "logs-2026-W47.csv"
            path = Path(await download.path())
            rows = list(csv.reader(io.StringIO(
                path.read_text(encoding="utf-8-sig"))))  # noqa: ASYNC240 (a few bytes)
            assert rows[0][:4] == ["week", "studio", "employee_no", "name"]
            assert sorted((r[1], r[2], r[4].split()[0]) for r in rows[1:]) == [
                (MILL, "L2", "机床保养"), (WELD, "L1", "焊接参数整理")]
            assert t.offsite == []


async def test_a_leader_gets_no_other_studios_pages(svc: Service, browser: Any,
                                                    studios: dict[str, int]) -> None:
    other = studios[MILL]
    for width in ("phone", "desktop"):
        async with tab(browser, width) as t:
            await sign_in(t, svc, "L1")
            assert await t.page.get_by_role("link", name="名册", exact=True).count() == 0
            await t.page.get_by_role("link", name="邀请", exact=True).click()
            await t.page.wait_for_url(re.compile(rf".*/console/invites/{studios[WELD]}$"))
            await look(t, "leader-invite", width)
            await t.page.get_by_role("link", name="导出", exact=True).click()
            assert WELD in await t.page.inner_text("main")
            assert await t.page.locator("select[name=studio]").count() == 0
            await look(t, "leader-exports", width)
            for path in (f"/console/invites/{other}", f"/console/invites/{other}/slips",
                         f"/console/invites/{other}/slips.pdf",
                         f"/console/exports?studio={other}",
                         f"/console/exports/download?kind=logs&studio={other}",
                         f"/console/exports/ledger?month=2026-11&studio={other}",
                         "/console/roster"):
                response = await t.page.goto(url(svc, path))
                assert response is not None and response.status == 404, path
                assert "张三" not in await t.page.content(), path
            await look(t, "leader-not-found", width)
            assert t.offsite == []
    shots = {p.name for p in SCREENSHOTS.glob("office-*.png")}
    assert {f"office-{s}-{w}.png" for s in SHOTS for w in ("phone", "desktop")} <= shots
