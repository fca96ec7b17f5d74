"""The console's 邀请, 名册 and 导出 pages over plain HTTP, on SQLite and PostgreSQL: who may
see and do what (a leader's every URL into another studio is a 404, 名册 is the admins'),
CSRF on every form, the upload's limits, codes issued by the POST alone and printed again
as they are, the roster previewed before it is imported, downloads named in UTF-8."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote_plus

import aiohttp
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from domain.invites import invite_scene
from domain.roster_file import MAX_FILE_BYTES
from storage.models import AuditEntry, InviteCode, Member, Studio
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
from web.console.files import content_disposition, style_hashes
from web.console.roster import MAX_UPLOAD, UPLOADS

WELD = "焊接创新工作室"
MILL = "<b>机加</b>创新工作室"
ROSTER = f"""studio,name,employee_no,role,mentor_employee_no,phone
{WELD},王建国,L1,leader,,
{WELD},<script>alert(1)</script>,M1,member,L1,
{WELD},{{{{7*7}}}},M2,member,,
{WELD},赵六,M4,member,,
{WELD},钱七,M5,member,,
{MILL},' OR 1=1,L2,leader,,
{MILL},李四,M3,member,,
,管理员,A1,admin,,
"""
OPENIDS = {"L1": "x-l1", "L2": "x-l2", "A1": "x-a1"}
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # Friday 16:00 in Shanghai


@pytest.fixture(scope="module")
async def svc(database_url: str, fake_api: FakeWeChatAPI,
              tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Service]:
    """One service whose WeChat API is the fake (QR codes for the slips), with a var
    directory of its own (the uploads waiting there are looked at)."""
    settings = make_settings(database_url, str(tmp_path_factory.mktemp("var")),
                             api_base=fake_api.base_url)
    # The union the roster below was imported into (an upload's lines keep theirs).
    settings.workshop_bot_union_name = "测试市总工会"
    service = await start_service(settings, clock=FakeClock(NOW))
    await import_roster_text(service, tmp_path_factory.mktemp("r") / "roster.csv", ROSTER)
    await bind_members(service, OPENIDS)
    await service.text("x-l1", "周报 焊接参数整理 3小时")
    await service.text("x-l2", "周报 机床保养 2小时")
    yield service
    await service.client.close()


@pytest.fixture(scope="module")
async def studios(svc: Service) -> dict[str, int]:
    async with svc.db.reader() as session:
        return {name: sid for sid, name in (await session.execute(
            select(Studio.id, Studio.name))).all()}


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


async def codes(svc: Service, studio: str) -> dict[str, tuple[str, datetime | None]]:
    """Every invite code of the studio's members: code → (employee number, voided at)."""
    async with svc.db.reader() as session:
        rows = (await session.execute(
            select(InviteCode.code, Member.employee_no, InviteCode.revoked_at)
            .join(Member, Member.id == InviteCode.member_id)
            .join(Studio, Studio.id == Member.studio_id).where(Studio.name == studio))).all()
    return {code: (no, revoked) for code, no, revoked in rows}


@dataclass(frozen=True)
class Entry:
    before: dict[str, Any] | None
    after: dict[str, Any] | None


async def audits(svc: Service, action: str) -> list[Entry]:
    async with svc.db.reader() as session:
        return [Entry(b, a) for b, a in (await session.execute(
            select(AuditEntry.before, AuditEntry.after).where(AuditEntry.action == action)
            .order_by(AuditEntry.id))).all()]


async def fetch(b: Browser, path: str) -> tuple[int, Any, bytes]:
    async with b.http.get(b.base + path, allow_redirects=False) as resp:
        return resp.status, resp.headers, await resp.read()


async def upload(b: Browser, filename: str, data: bytes, *, csrf: str | None) -> tuple[int, str, str]:
    """POST a roster file as the page's form does: (status, Location, text)."""
    form = aiohttp.FormData(quote_fields=False)  # the name in UTF-8, as browsers send it
    if csrf is not None:
        form.add_field("csrf", csrf)
    form.add_field("file", data, filename=filename, content_type="text/csv")
    async with b.http.post(b.base + "/console/roster/upload", data=form,
                           allow_redirects=False) as resp:
        return resp.status, resp.headers.get("Location", ""), await resp.text()


# -- who may see what --------------------------------------------------------------------


async def test_the_navigation_offers_each_role_its_pages(svc: Service, admin: Browser,
                                                         leader: Browser) -> None:
    home = (await admin.get("/console/")).text
    for label, path in (("邀请", "/console/invites"), ("名册", "/console/roster"),
                        ("导出", "/console/exports")):
        assert f'href="{path}">{label}</a>' in home
    mine = (await leader.get("/console/")).text
    assert 'href="/console/invites">邀请</a>' in mine and 'href="/console/exports">导出</a>' in mine
    assert "/console/roster" not in mine
    # In the order the pages declared: 总览 (10), 工作室 (20), 邀请 (30), 名册 (40), 导出 (70).
    shown = re.findall(r'<li><a href="/console/(\w*)"', home)
    assert shown.index("invites") < shown.index("roster") < shown.index("exports")


async def test_a_leader_reaches_only_their_own_studio(svc: Service, studios: dict[str, int],
                                                      leader: Browser) -> None:
    mine, other = studios[WELD], studios[MILL]
    went = await leader.get("/console/invites", follow=False)
    assert went.status == 303 and went.headers["Location"] == f"/console/invites/{mine}"
    for path in (f"/console/invites/{other}", f"/console/invites/{other}/slips",
                 f"/console/invites/{other}/slips.pdf?per_page=10", "/console/invites/99999",
                 f"/console/exports?studio={other}",
                 f"/console/exports/download?kind=logs&studio={other}",
                 f"/console/exports/ledger?month=2026-11&studio={other}",
                 "/console/exports/download?kind=studios&studio=abc",
                 "/console/roster", "/console/roster/upload",
                 "/console/roster/import?file=" + "0" * 64):
        page = await leader.get(path)
        assert page.status == 404, path
        assert "机加" not in page.text and "李四" not in page.text, path
    csrf = await leader.csrf()
    before = await codes(svc, MILL)
    assert (await leader.post(f"/console/invites/{other}", {"csrf": csrf})).status == 404
    assert (await leader.post("/console/roster/import",
                              {"csrf": csrf, "file": "0" * 64})).status == 404
    status, _where, _text = await upload(leader, "r.csv", b"x", csrf=csrf)
    assert status == 404
    assert await codes(svc, MILL) == before
    # Their own studio's export, with or without naming it: that studio's rows alone.
    for query in ("", f"&studio={mine}"):
        status, _headers, body = await fetch(leader, f"/console/exports/download?kind=logs{query}")
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        assert status == 200 and [r[1] for r in rows[1:]] == [WELD], query
    status, _headers, body = await fetch(leader, "/console/exports/ledger?month=2026-11")
    assert status == 200
    assert zipfile.ZipFile(io.BytesIO(body)).namelist() == [f"{WELD}-2026-11.xlsx"]


async def test_pages_need_a_session_and_forms_their_token(svc: Service, studios: dict[str, int],
                                                          admin: Browser) -> None:
    stranger = Browser(svc)
    try:
        for path in ("/console/invites", f"/console/invites/{studios[WELD]}/slips",
                     "/console/exports/download?kind=logs", "/console/roster"):
            assert (await stranger.get(path)).status == 401, path
        status, _where, _text = await upload(stranger, "r.csv", ROSTER.encode(), csrf="x")
        assert status == 403
    finally:
        await stranger.close()
    before = await codes(svc, WELD)
    for data in ({}, {"csrf": "0" * 64}):
        refused = await admin.post(f"/console/invites/{studios[WELD]}", data)
        assert refused.status == 403 and "操作未被接受" in refused.text
        assert (await admin.post("/console/roster/import",
                                 {**data, "file": "0" * 64})).status == 403
        status, _where, _text = await upload(admin, "r.csv", ROSTER.encode(),
                                             csrf=data.get("csrf"))
        assert status == 403
    assert await codes(svc, WELD) == before
    assert not list((Path(svc.settings.workshop_bot_var_dir) / UPLOADS).glob("*"))


# -- 邀请 -----------------------------------------------------------------------------------


async def test_codes_are_issued_by_the_post_alone_and_printed_again_as_they_are(
        svc: Service, studios: dict[str, int], admin: Browser, fake_api: FakeWeChatAPI) -> None:
    weld = studios[WELD]
    listed = await admin.get("/console/invites")
    assert f'href="/console/invites/{weld}">{WELD}</a>' in listed.text
    assert "&lt;b&gt;机加&lt;/b&gt;创新工作室" in listed.text  # a name shown as typed
    page = await admin.get(f"/console/invites/{weld}")
    assert "将为尚无有效邀请码的 4 名成员各发放一个邀请码" in page.text
    # Showing the page, or asking for its slips, issues nothing.
    assert (await admin.get(f"/console/invites/{weld}/slips", follow=False)).status == 303
    assert await codes(svc, WELD) == {}

    done = await admin.post(f"/console/invites/{weld}", {"csrf": csrf_in(page.text)})
    assert done.status == 303
    assert done.headers["Location"] == f"/console/invites/{weld}?done=issued&n=4"
    issued = await codes(svc, WELD)
    assert sorted(no for no, _ in issued.values()) == ["M1", "M2", "M4", "M5"]
    shown = await admin.get(done.headers["Location"])
    assert "已为 4 名成员发放邀请码" in shown.text and "发放邀请码（" not in shown.text
    assert all(code in shown.text for code in issued)
    entry = (await audits(svc, "invites.issue"))[-1]
    assert entry.after is not None and entry.after["issued"] == 4
    assert sorted(entry.after["employee_nos"]) == ["M1", "M2", "M4", "M5"]
    assert not any(code in str(entry.after) + str(entry.before) for code in issued)

    # Issued again with every code held: nothing changes, and it says so.
    again = await admin.post(f"/console/invites/{weld}", {"csrf": csrf_in(page.text)})
    assert again.headers["Location"].endswith("done=none&n=0")
    assert await codes(svc, WELD) == issued

    # The print page: the codes held, the QR codes WeChat made for their scenes, its own
    # style allowed by its hash and nothing else inline.
    fake_api.calls.clear()
    status, headers, body = await fetch(admin, f"/console/invites/{weld}/slips?per_page=10")
    html = body.decode("utf-8")
    assert status == 200 and html.count('class="sheet"') == 1
    assert all(code in html for code in issued) and "{{7*7}}" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert html.count("data:image/svg+xml") == 4
    scenes = sorted(c.body["action_info"]["scene"]["scene_str"]
                    for c in fake_api.calls_to("/cgi-bin/qrcode/create"))
    assert scenes == sorted(invite_scene(code) for code in issued)
    policy = headers["Content-Security-Policy"]
    [style] = style_hashes(html)
    css = re.search(r"<style>(.*?)</style>", html, re.S).group(1)  # type: ignore[union-attr]
    assert style == "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"
    assert f"style-src 'self' {style};" in policy and "script-src 'self';" in policy
    assert "unsafe-inline" not in policy
    assert await codes(svc, WELD) == issued  # printing issued nothing

    status, headers, body = await fetch(admin, f"/console/invites/{weld}/slips.pdf")
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert body.startswith(b"%PDF")
    assert f"filename*=UTF-8''{quote(WELD)}-invites-2026-11-20.pdf" in headers["Content-Disposition"]


async def test_reissuing_is_a_separate_ticked_choice(svc: Service, studios: dict[str, int],
                                                     admin: Browser) -> None:
    weld = studios[WELD]
    page = await admin.get(f"/console/invites/{weld}")
    if "发放邀请码（" in page.text:  # on its own: issue first
        await admin.post(f"/console/invites/{weld}", {"csrf": csrf_in(page.text)})
        page = await admin.get(f"/console/invites/{weld}")
    held = await codes(svc, WELD)
    assert "重新发放会让已发出的 4 个邀请码立即作废" in page.text
    unticked = await admin.post(f"/console/invites/{weld}",
                                {"csrf": csrf_in(page.text), "reissue": "1"})
    assert unticked.status == 422 and "请先勾选确认" in unticked.text
    assert await codes(svc, WELD) == held
    done = await admin.post(f"/console/invites/{weld}", {"csrf": csrf_in(page.text),
                                                         "reissue": "1", "understood": "1"})
    assert done.headers["Location"].endswith("done=reissued&n=4")
    now = await codes(svc, WELD)
    assert all(now[code][1] is not None for code in held)  # the old ones voided
    assert len([c for c, (_no, voided) in now.items() if voided is None]) == 4
    entry = (await audits(svc, "invites.reissue"))[-1]
    assert entry.before == {"holding": 4} and entry.after is not None
    assert entry.after["voided"] == 4


async def test_wechat_refusing_the_qr_codes_is_said_and_the_codes_print_without(
        svc: Service, studios: dict[str, int], admin: Browser, fake_api: FakeWeChatAPI) -> None:
    weld = studios[WELD]
    page = await admin.get(f"/console/invites/{weld}")
    if "发放邀请码（" in page.text:
        await admin.post(f"/console/invites/{weld}", {"csrf": csrf_in(page.text)})
    fake_api.script("/cgi-bin/qrcode/create",
                    {"errcode": 45009, "errmsg": "reach max api daily quota limit"})
    failed = await admin.get(f"/console/invites/{weld}/slips.pdf?per_page=10")
    assert failed.status == 502 and "45009" in failed.text
    assert f"/console/invites/{weld}/slips.pdf?per_page=10&amp;qr=0" in failed.text
    status, _headers, body = await fetch(admin, f"/console/invites/{weld}/slips?qr=0")
    assert status == 200 and b"data:image/svg+xml" not in body
    assert "发送“绑定 ".encode() in body


# -- 名册 -----------------------------------------------------------------------------------

UPLOAD = f"""studio,name,employee_no,role,mentor_employee_no,phone
{WELD},王建国,L1,leader,,
{WELD},<script>alert(1)</script>,M1,member,L1,
{WELD},{{{{7*7}}}},M2,member,,
{WELD},赵六,M4,领衔人,,
{WELD},钱七,M5,member,,
{MILL},' OR 1=1,L2,leader,,
{MILL},李四,M3,member,,
,管理员,A1,admin,,
新材料创新工作室,孙八,N1,member,,13911112222
新材料创新工作室,,N2,member,,
"""


async def test_a_roster_is_previewed_then_imported_with_an_audit_entry(
        svc: Service, admin: Browser) -> None:
    page = await admin.get("/console/roster")
    assert 'enctype="multipart/form-data"' in page.text
    status, where, _text = await upload(admin, "名册 11月.csv", UPLOAD.encode(),
                                        csrf=csrf_in(page.text))
    assert status == 303 and where.startswith("/console/roster/import?file=")
    digest = hashlib.sha256(UPLOAD.encode()).hexdigest()
    assert f"file={digest}" in where and unquote_plus(where).endswith("name=名册 11月.csv")
    stored = list((Path(svc.settings.workshop_bot_var_dir) / UPLOADS).iterdir())
    assert [p.name.split("-")[2] for p in stored] == [digest]

    preview = await admin.get(where)
    assert preview.status == 200 and "预览：名册 11月.csv" in preview.text
    assert "第 11 行" in preview.text and "缺少姓名" in preview.text
    assert "孙八" in preview.text and "新材料创新工作室" in preview.text
    assert "角色：成员 → 领衔人" in preview.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" not in preview.text  # unchanged: not listed
    async with svc.db.reader() as session:
        assert await session.scalar(select(Member.id).where(Member.employee_no == "N1")) is None

    done = await admin.post("/console/roster/import", {
        "csrf": csrf_in(preview.text), "file": digest, "name": "名册 11月.csv"})
    assert done.status == 303 and done.headers["Location"].startswith("/console/roster?imported=")
    result = await admin.get(done.headers["Location"])
    assert "已导入名册 名册 11月.csv" in result.text
    assert "新增成员 1，更新 1，未变 7" in result.text and "缺少姓名" in result.text
    async with svc.db.reader() as session:
        n1 = (await session.execute(select(Member.name, Member.phone_masked)
                                    .where(Member.employee_no == "N1"))).one()
        m4 = await session.scalar(select(Member.role).where(Member.employee_no == "M4"))
    assert tuple(n1) == ("孙八", "*******2222") and m4 == "leader"
    entry = (await audits(svc, "roster.import"))[-1]
    assert entry.after is not None
    assert (entry.after["created"], entry.after["updated"], entry.after["skipped"]) == (1, 1, 1)
    assert entry.after["problems"] == [[11, "name_missing", {}]]
    # Used up: the file is gone, and confirming again changes nothing.
    assert not list((Path(svc.settings.workshop_bot_var_dir) / UPLOADS).iterdir())
    again = await admin.post("/console/roster/import", {
        "csrf": csrf_in(preview.text), "file": digest, "name": "名册 11月.csv"})
    assert again.status == 410 and "请重新上传" in again.text
    assert len(await audits(svc, "roster.import")) == 1


async def test_uploads_are_bounded_and_kept_for_their_session_only(
        svc: Service, admin: Browser) -> None:
    csrf = await admin.csrf()
    # Over the limit: refused before it is read, nothing kept.
    too_big = b"studio,name,employee_no,role\n" + b"x" * MAX_UPLOAD
    status, _where, text = await upload(admin, "big.csv", too_big, csrf=csrf)
    assert status == 413 and "内容太大" in text
    # Not a roster's format, or empty: said in words, on the upload page.
    status, where, _text = await upload(admin, "roster.pdf", b"%PDF-1.4", csrf=csrf)
    refused = await admin.get(where)
    assert refused.status == 422 and "不支持的文件类型“.pdf”" in refused.text
    status, _where, text = await upload(admin, "empty.csv", b"", csrf=csrf)
    assert status == 422 and "文件是空的" in text
    # A file another session uploaded is not this one's to preview.
    other = await signed_in(svc, "A1")
    try:
        status, where, _text = await upload(other, "r.csv", ROSTER.encode(),
                                            csrf=await other.csrf())
        assert status == 303 and (await other.get(where)).status == 200
        theirs = await admin.get(where)
        assert theirs.status == 410 and "已过期" in theirs.text
    finally:
        await other.close()
    # An hour later it is gone for its own session too.
    svc.clock.advance(hours=1, seconds=1)
    try:
        late = Browser(svc)
        try:
            await late.sign_in(await login_path(svc, "A1"))
            status, _where, _text = await upload(late, "r2.csv", UPLOAD.encode(),
                                                 csrf=await late.csrf())
            assert status == 303
        finally:
            await late.close()
        left = sorted(p.name.split("-")[2] for p in
                      (Path(svc.settings.workshop_bot_var_dir) / UPLOADS).iterdir())
        assert left == [hashlib.sha256(UPLOAD.encode()).hexdigest()]  # the old one swept
    finally:
        svc.clock.advance(hours=-1, seconds=-1)
    assert MAX_UPLOAD > MAX_FILE_BYTES
    assert (await admin.get("/console/roster/import?file=../../etc")).status == 404


# -- 导出 -----------------------------------------------------------------------------------


async def test_exports_download_with_their_names_in_utf8(svc: Service, studios: dict[str, int],
                                                         admin: Browser) -> None:
    page = await admin.get("/console/exports")
    assert all(f'data-kind="{kind}"' in page.text for kind in ("logs", "unbound", "ledger"))
    status, headers, body = await fetch(admin, "/console/exports/download?kind=logs&format=csv"
                                               "&week=2026-W47&headers=codes")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert status == 200 and rows[0][:4] == ["week", "studio", "employee_no", "name"]
    assert sorted(r[1] for r in rows[1:]) == sorted([WELD, MILL])
    assert headers["Content-Disposition"] == (
        "attachment; filename=\"logs-2026-W47.csv\"; filename*=UTF-8''logs-2026-W47.csv")
    # One studio's, with the catalog's column names: the studio's name in the file's.
    status, headers, body = await fetch(
        admin, f"/console/exports/download?kind=unbound&format=xlsx&studio={studios[MILL]}")
    assert status == 200 and headers["Content-Type"].startswith("application/vnd.openxml")
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:3] == ["工作室", "姓名", "工号"] and [v[2] for v in values[1:]] == ["M3"]
    # The studio's name made fit for a file system, then encoded.
    assert headers["Content-Disposition"].endswith(
        "filename*=UTF-8''" + quote("_b_机加_b_创新工作室-unbound-2026-11-20.xlsx"))
    # Refusals are said on the page.
    bad = await admin.get("/console/exports/download?kind=logs&month=2026-13")
    assert bad.status == 422 and "“2026-13”不是有效的" in bad.text
    unknown = await admin.get("/console/exports/download?kind=passwords")
    assert unknown.status == 422 and "没有“passwords”这种导出" in unknown.text
    status, headers, body = await fetch(admin, "/console/exports/ledger?month=2026-11")
    assert status == 200 and headers["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    async with svc.db.reader() as session:
        every = await session.scalar(select(func.count(Studio.id)))
    assert len(names) == every and f"{WELD}-2026-11.xlsx" in names
    assert (await admin.get("/console/exports/download?kind=logs&studio=99999")).status == 404


def test_a_download_is_named_for_old_and_new_clients_alike() -> None:
    said = content_disposition('焊接"工作室"-logs.csv')
    assert said == ("attachment; filename=\"_______-logs.csv\"; filename*=UTF-8''"
                    + quote('焊接"工作室"-logs.csv', safe=""))


async def test_the_invites_page_counts_the_unions_unbound_members(svc: Service,
                                                                  admin: Browser) -> None:
    async with svc.db.reader() as session:
        unbound = await session.scalar(select(func.count(Member.id)).where(
            Member.openid.is_(None), Member.active.is_(True), Member.studio_id.is_not(None)))
    listed = await admin.get("/console/invites")
    assert f"共 {unbound} 名成员未绑定微信" in listed.text


async def test_without_wechat_credentials_the_slips_carry_the_code_alone(
        svc: Service, studios: dict[str, int], database_url: str,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    # The same database served by a process with no WeChat credentials: no API client.
    bare = await start_service(make_settings(database_url, str(tmp_path_factory.mktemp("v")),
                                             app_id=""), clock=FakeClock(NOW))
    b = Browser(bare)
    try:
        await b.sign_in(await login_path(bare, "A1"))
        weld = studios[WELD]
        page = await b.get(f"/console/invites/{weld}")
        if "发放邀请码（" in page.text:
            await b.post(f"/console/invites/{weld}", {"csrf": csrf_in(page.text)})
            page = await b.get(f"/console/invites/{weld}")
        assert "未配置公众号接口" in page.text
        status, _headers, body = await fetch(b, f"/console/invites/{weld}/slips")
        assert status == 200 and b"data:image/svg+xml" not in body
        assert "发送“绑定 ".encode() in body
    finally:
        await b.close()
        await bare.client.close()
    # The service with credentials says nothing of the kind.
    admin = await signed_in(svc, "A1")
    try:
        assert "未配置公众号接口" not in (await admin.get(f"/console/invites/{studios[WELD]}")).text
    finally:
        await admin.close()


async def test_a_leader_never_gets_a_co_leaders_or_an_admins_code(
        svc: Service, studios: dict[str, int], admin: Browser, leader: Browser) -> None:
    """Regression: a leader's 邀请 page listed, and its POST issued, codes for an unbound
    leader or admin of the studio — whoever redeemed one would act as them."""
    weld = studios[WELD]
    async with svc.db.transaction() as session:
        for no, role in (("L9", "leader"), ("A9", "admin")):
            session.add(Member(employee_no=no, name=f"新{no}", role=role, studio_id=weld,
                               active=True, created_at=NOW))
    try:
        page = await leader.get(f"/console/invites/{weld}")
        assert page.status == 200 and "新L9" not in page.text and "新A9" not in page.text
        await leader.post(f"/console/invites/{weld}", {"csrf": csrf_in(page.text)})
        held = {no for no, _revoked in (await codes(svc, WELD)).values()}
        assert "L9" not in held and "A9" not in held
        slips = await leader.get(f"/console/invites/{weld}/slips")
        assert "新L9" not in slips.text and "新A9" not in slips.text
        # The union office hands them theirs.
        page = await admin.get(f"/console/invites/{weld}")
        assert "新L9" in page.text and "新A9" in page.text
    finally:
        async with svc.db.transaction() as session:
            for member in await session.scalars(select(Member).where(
                    Member.employee_no.in_(("L9", "A9")))):
                member.active = False
