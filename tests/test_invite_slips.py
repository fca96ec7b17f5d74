"""Invite slips to print: every unbound member's working code (fresh ones only where needed, as
`invite --studio` issues them), as printable HTML and a PDF whose every slip shows its
member's name and code beside a QR code that WeChat made for that code's scene."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from domain import NotFound
from domain.invites import Slip, StudioInvites, invite_scene, studio_invites
from domain.slips import MARGIN, PAGE_W, PER_PAGE, slips_html
from locales import words_for
from ops import invites
from storage.models import InviteCode
from storage.queries.studios import studio_by_name
from tests.fakes import FakeWeChatAPI
from tests.support import Service, roster_fixture

WELDERS = "陈秀英焊接技能大师工作室"
OTHERS = "王建国劳模创新工作室"
MEMBERS = 17  # three pages of eight, two of ten
ROSTER = "\n".join([
    "studio,name,employee_no,role,mentor_employee_no,phone",
    f"{OTHERS},王建国,W1001,leader,,",
    f"{OTHERS},李强,W1002,member,,",
    f"{WELDERS},陈秀英,C3001,leader,,",
    *(f"{WELDERS},焊工{i:02d},C30{i:02d},member,," for i in range(2, MEMBERS + 2)),
]) + "\n"
# The leader has bound WeChat: no slip for her.
OPENIDS = {"C3001": "o-c3001", "W1001": "o-w1001"}
FRIDAY = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
ZH = words_for("zh-CN")
TOOLS = ("pdfinfo", "pdftotext", "pdftoppm", "zbarimg")

svc = roster_fixture(ROSTER, OPENIDS, FRIDAY)


@pytest.fixture(scope="module", autouse=True)
def poppler_and_zbar() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    assert not missing, f"install poppler-utils and zbar-tools (.ci/run does): {missing}"


def run(*command: str | Path) -> str:
    return subprocess.run([str(c) for c in command], capture_output=True, text=True,
                          check=True, timeout=60).stdout


def pages(pdf: Path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", run("pdfinfo", pdf), re.M).group(1))  # type: ignore[union-attr]


def slip_box(index: int, per_page: int) -> tuple[int, float, float, float, float]:
    """(page, x, y, width, height) in points of the `index`th slip: two a row."""
    rows = PER_PAGE[per_page]
    mm = 72 / 25.4
    width = (PAGE_W - 2 * MARGIN) / 2
    height = (297 - 2 * MARGIN - 1) / rows
    place = index % per_page
    return (index // per_page + 1, (MARGIN + place % 2 * width) * mm,
            (MARGIN + place // 2 * height) * mm, width * mm, height * mm)


def text_in(pdf: Path, box: tuple[int, float, float, float, float]) -> str:
    page, x, y, w, h = box
    return run("pdftotext", "-f", page, "-l", page, "-r", 72, "-x", int(x), "-y", int(y),
               "-W", int(w), "-H", int(h), "-layout", pdf, "-")


def qr_in(pdf: Path, box: tuple[int, float, float, float, float], folder: Path) -> list[str]:
    """What the QR codes inside the box decode to (rendered at 150 dpi)."""
    page, x, y, w, h = box
    scale = 150 / 72
    stem = folder / f"slip-{page}-{int(x)}-{int(y)}"
    run("pdftoppm", "-png", "-singlefile", "-r", 150, "-f", page, "-l", page,
        "-x", int(x * scale), "-y", int(y * scale), "-W", int(w * scale), "-H", int(h * scale),
        pdf, stem)
    found = subprocess.run(["zbarimg", "-q", "--raw", f"{stem}.png"], capture_output=True,
                           text=True, timeout=60)
    return found.stdout.split()


async def studio_id(svc: Service, name: str) -> int:
    async with svc.db.reader() as session:
        studio = await studio_by_name(session, name)
        assert studio is not None
        return studio.id


async def issue(svc: Service, *, reissue: bool = False, at: datetime = FRIDAY) -> StudioInvites:
    async with svc.db.transaction() as session:
        return await studio_invites(session, await studio_id(svc, WELDERS), at, reissue=reissue)


async def test_slips_reuse_working_codes_and_issue_only_where_needed(svc: Service) -> None:
    first = await issue(svc)
    assert [s.employee_no for s in first.slips] == [f"C30{i:02d}" for i in range(2, MEMBERS + 2)]
    assert all(s.fresh for s in first.slips) and (first.held, first.reissued) == (0, 0)
    assert all(s.expires_at == FRIDAY + timedelta(days=14) for s in first.slips)

    # Asked again: the same codes, nothing voided.
    again = await issue(svc, at=FRIDAY + timedelta(hours=1))
    assert [s.code for s in again.slips] == [s.code for s in first.slips]
    assert not again.fresh and (again.held, again.reissued) == (MEMBERS, 0)

    # One code lost (voided by hand): only that member gets a fresh one.
    async with svc.db.transaction() as session:
        lost = await session.scalar(select(InviteCode).where(
            InviteCode.code == first.slips[0].code))
        assert lost is not None
        lost.revoked_at = FRIDAY
    partial = await issue(svc, at=FRIDAY + timedelta(hours=2))
    assert [s.employee_no for s in partial.fresh] == ["C3002"]
    assert [s.code for s in partial.slips[1:]] == [s.code for s in first.slips[1:]]

    # Reissued: fresh codes for all, the working ones voided.
    fresh = await issue(svc, reissue=True, at=FRIDAY + timedelta(hours=3))
    assert len(fresh.fresh) == MEMBERS and (fresh.held, fresh.reissued) == (0, MEMBERS)
    assert not {s.code for s in fresh.slips} & {s.code for s in partial.slips}
    async with svc.db.transaction() as session:
        voided = (await session.scalars(select(InviteCode).where(
            InviteCode.code.in_([s.code for s in partial.slips])))).all()
    assert len(voided) == MEMBERS and all(c.revoked_at is not None for c in voided)

    with pytest.raises(NotFound):
        async with svc.db.transaction() as session:
            await studio_invites(session, 999_999, FRIDAY)


def test_the_html_is_a_printable_page_in_the_readers_words() -> None:
    slips = [Slip(WELDERS, f"焊工{i}", f"C{i}", f"CODE{i:04d}", FRIDAY, True,
                  "http://weixin.qq.com/q/abc" if i % 2 else None) for i in range(11)]
    html = slips_html(slips, words=ZH, tz=UTC, per_page=10)
    assert html.count('class="sheet"') == 2  # pages of ten
    assert html.count('class="slip"') == 11 + 11  # each slip's cell and its inner table
    assert html.count("<img") == 5 and html.count("data:image/svg+xml") == 5
    assert "@page { size: A4;" in html and '"Noto Sans CJK SC"' in html
    assert ZH("invites.slip.type_too", code="CODE0001") in html
    assert ZH("invites.slip.type", code="CODE0000") in html
    assert f"<title>{ZH('invites.slip.document_title', studio=WELDERS)}</title>" in html
    english = slips_html(slips[:1], words=words_for("en"), tz=UTC)
    assert 'lang="en"' in english and "Invite code" in english
    with pytest.raises(ValueError):
        slips_html(slips, words=ZH, tz=UTC, per_page=12)


async def test_the_pdf_has_a_slip_per_member_with_name_code_and_a_qr_code_that_binds(
        svc: Service, fake_api: FakeWeChatAPI, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    settings = svc.settings.model_copy(update={"wechat_api_base": fake_api.base_url})
    pdf = tmp_path / "slips.pdf"
    capsys.readouterr()
    seen = len(fake_api.calls)  # the fake serves the SQLite and the PostgreSQL runs alike
    assert await invites.invite_studio(settings, "焊接", FRIDAY, None, pdf=pdf) == 0
    # The codes the PDF must show: every unbound member's working one, by employee number.
    held = await issue(svc)
    assert not held.fresh
    said = capsys.readouterr().err
    assert ZH("ops.invite.pdf_written", studio=WELDERS, n=MEMBERS, fresh=0, held=MEMBERS,
              where=pdf) in said

    assert pages(pdf) == math.ceil(MEMBERS / 8) == 3
    whole = run("pdftotext", pdf, "-")
    assert all(s.name in whole and s.code in whole for s in held.slips)
    assert "陈秀英（" not in whole and "李强" not in whole  # bound; another studio

    # One QR code asked per slip, valid as long as its code, for the code's scene.
    calls = [c for c in fake_api.calls[seen:] if c.path == "/cgi-bin/qrcode/create"]
    assert sorted(c.body["action_info"]["scene"]["scene_str"] for c in calls) == sorted(
        invite_scene(s.code) for s in held.slips)
    assert {c.body["expire_seconds"] for c in calls} == {
        int((s.expires_at - FRIDAY).total_seconds()) for s in held.slips}
    # Each slip: its member's name and code, and a QR code decoding to the URL WeChat gave
    # for that code's scene.
    for index, slip in enumerate(held.slips):
        box = slip_box(index, 8)
        text = text_in(pdf, box)
        assert slip.name in text and slip.code in text, (index, text)
        assert qr_in(pdf, box, tmp_path) == [fake_api.qr_codes[invite_scene(slip.code)]]

    # And the scene binds when scanned.
    reply = await svc.event("o-scanner", "SCAN", key=invite_scene(held.slips[0].code))
    assert reply is not None and "绑定成功" in reply and held.slips[0].name in reply


async def test_without_credentials_ten_a_page_carry_the_code_alone(
        svc: Service, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = svc.settings.model_copy(update={"wechat_app_id": ""})
    pdf = tmp_path / "ten.pdf"
    capsys.readouterr()
    assert await invites.invite_studio(settings, WELDERS, FRIDAY, None, pdf=pdf,
                                       per_page=10) == 0
    assert ZH("ops.invite.pdf_no_qr") in capsys.readouterr().err
    left = await issue(svc)  # one member bound in the test above
    assert len(left.slips) == MEMBERS - 1
    assert pages(pdf) == math.ceil((MEMBERS - 1) / 10) == 2
    for index, slip in enumerate(left.slips):
        text = " ".join(text_in(pdf, slip_box(index, 10)).split())
        assert slip.name in text and f"“绑定 {slip.code}”" in text
    assert qr_in(pdf, slip_box(0, 10), tmp_path) == []


async def test_the_csv_and_reissue_keep_their_rules_beside_the_pdf(
        svc: Service, fake_api: FakeWeChatAPI, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    before = await issue(svc)
    # Every member holds a working code (printed in a PDF above): no CSV, and it says why.
    capsys.readouterr()
    assert await invites.invite_studio(svc.settings, WELDERS, FRIDAY, str(tmp_path / "a.csv")) == 1
    assert ZH("ops.invite.studio_all_holding", studio=WELDERS, n=len(before.slips)) in \
        capsys.readouterr().err

    # WeChat refusing the QR codes: nothing printed, the codes stand for the next run.
    settings = svc.settings.model_copy(update={"wechat_api_base": fake_api.base_url})
    fake_api.script("/cgi-bin/qrcode/create", {"errcode": 45009, "errmsg": "reach max api daily quota limit"})
    pdf = tmp_path / "reissued.pdf"
    assert await invites.invite_studio(settings, WELDERS, FRIDAY, None, pdf=pdf,
                                       reissue=True) == 1
    said = capsys.readouterr().err
    assert ZH("ops.invite.reissued", n=len(before.slips)) in said and "45009" in said
    assert not pdf.exists()
    reissued = await issue(svc)
    assert not reissued.fresh and not {s.code for s in reissued.slips} & {
        s.code for s in before.slips}
    assert await invites.invite_studio(settings, WELDERS, FRIDAY, None, pdf=pdf) == 0
    whole = run("pdftotext", pdf, "-")
    assert all(s.code in whole for s in reissued.slips)
