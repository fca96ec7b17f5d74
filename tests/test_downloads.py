"""Exports and the month's ledger as downloads (name, content type, bytes), for the console: the
bytes the command line writes, and a studio's download holding that studio alone."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from domain import NotFound
from domain.exports import COLUMNS, KINDS, export_download
from domain.ledger import LEDGER_SHEETS, ledger_download
from domain.tables import CSV_TYPE, XLSX_TYPE, ZIP_TYPE, Download, ExportError, headers_in
from locales import words_for
from ops import exports, ledger
from storage.queries.invites import member_by_employee_no
from storage.queries.proposals import add_achievement, add_suggestion
from storage.queries.studios import studio_by_name
from tests.support import Service, roster_service

A, B = "甲工作室", "乙工作室"
ROSTER = f"""studio,name,employee_no,role,mentor_employee_no,phone
{A},甲领衔,L1,leader,,
{A},甲师傅,T1,member,,
{A},甲徒弟,A1,member,T1,
{A},甲新人,N1,member,,
{B},乙领衔,L2,leader,,
{B},乙成员,M2,member,,
{B},乙新人,N2,member,,
"""
OPENIDS = {"L1": "o-l1", "T1": "o-t1", "A1": "o-a1", "L2": "o-l2", "M2": "o-m2"}
FRIDAY = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
ZH = words_for("zh-CN")


@pytest.fixture(scope="module")
async def svc(database_url: str, var_dir: Path,
              tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Service]:
    service = await roster_service(database_url, str(var_dir), tmp_path_factory.mktemp("r"),
                                   ROSTER, OPENIDS, FRIDAY)
    assert "已提交" in (await service.text("o-t1", "周报 调试焊接机器人 6小时") or "")
    assert "已提交" in (await service.text("o-m2", "周报 整理乙的工具 2小时") or "")
    await service.text("o-a1", "打卡 学习焊接图纸 2小时")
    async with service.db.transaction() as session:
        for employee_no, text in (("T1", "甲的建议"), ("M2", "乙的建议")):
            member = await member_by_employee_no(session, employee_no)
            assert member is not None and member.studio_id is not None
            await add_suggestion(session, studio_id=member.studio_id, member_id=member.id,
                                 content=text, now=FRIDAY)
            await add_achievement(session, studio_id=member.studio_id, member_id=member.id,
                                  type="qc_result", title=f"{text}的成果", economic_benefit=1.5,
                                  promoted=False, now=FRIDAY)
    yield service
    await service.client.close()


async def download(svc: Service, kind: str, fmt: str = "csv", **options: object) -> Download:
    async with svc.db.reader() as session:
        return await export_download(session, kind, fmt, now=FRIDAY, tz=svc.settings.tz,
                                     words=ZH, weights=svc.settings.rank_weights,
                                     **options)  # type: ignore[arg-type]


async def studio_id(svc: Service, name: str) -> int:
    async with svc.db.reader() as session:
        studio = await studio_by_name(session, name)
        assert studio is not None
        return studio.id


def rows_of(got: Download) -> list[list[object]]:
    if got.content_type == CSV_TYPE:
        return [list(r) for r in csv.reader(io.StringIO(got.data.decode("utf-8-sig")))]
    wb = load_workbook(io.BytesIO(got.data), read_only=True)
    return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]


@pytest.mark.parametrize("kind", KINDS)
async def test_each_export_downloads_as_the_command_line_writes_it(
        svc: Service, kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    got = await download(svc, kind, month="2026-11")
    assert got.content_type == CSV_TYPE and got.data.startswith("\ufeff".encode())
    assert got.filename == (f"{kind}-2026-11.csv" if kind not in ("studios", "unbound")
                            else f"{kind}-{'2026-11' if kind == 'studios' else '2026-11-20'}.csv")
    capsys.readouterr()
    cli_kind, unbound = ("studios", True) if kind == "unbound" else (kind, False)
    assert await exports.export(svc.settings, cli_kind, "csv", "-", FRIDAY, month="2026-11",
                                unbound=unbound) == 0
    assert capsys.readouterr().out.encode("utf-8") == got.data
    assert rows_of(got)[0] == list(COLUMNS[kind]) and len(rows_of(got)) > 1

    sheet = await download(svc, kind, "xlsx", month="2026-11", headers=ZH)
    assert sheet.content_type == XLSX_TYPE and sheet.filename.endswith(".xlsx")
    wb = load_workbook(io.BytesIO(sheet.data), read_only=True)
    assert wb.sheetnames == [ZH(f"export.sheet.{kind}")]
    assert rows_of(sheet)[0] == headers_in(ZH, COLUMNS[kind])
    assert len(rows_of(sheet)) == len(rows_of(got))


@pytest.mark.parametrize("kind", KINDS)
async def test_a_studios_download_holds_that_studio_alone(svc: Service, kind: str) -> None:
    name = A  # 甲 has every kind of record; 乙 every kind but check-ins
    everyone = rows_of(await download(svc, kind, month="2026-11"))
    got = await download(svc, kind, month="2026-11", studio_id=await studio_id(svc, name))
    assert got.filename.startswith(f"{name}-{kind}-")
    rows = rows_of(got)
    studio = rows[0].index("studio")
    assert rows[1:] and {r[studio] for r in rows[1:]} == {name}
    assert rows[1:] == [r for r in everyone[1:] if r[studio] == name]
    assert len(everyone) > len(rows) or kind == "checkins"  # 乙 has no check-ins


async def test_what_an_export_cannot_be_is_a_code(svc: Service) -> None:
    for options, code in [({"kind": "people"}, "kind_unknown"),
                          ({"kind": "logs", "fmt": "pdf"}, "format_unknown"),
                          ({"kind": "logs", "week": "2026-47"}, "period_bad"),
                          ({"kind": "results", "month": "2026/11"}, "period_bad")]:
        with pytest.raises(ExportError) as refused:
            await download(svc, **options)  # type: ignore[arg-type]
        assert refused.value.code == code
        assert ZH(f"export.error.{code}", **refused.value.facts)
    with pytest.raises(NotFound):
        await download(svc, "logs", studio_id=999_999)


async def test_the_ledger_downloads_as_a_zip_of_the_command_lines_workbooks(
        svc: Service, tmp_path: Path) -> None:
    async with svc.db.reader() as session:
        whole = await ledger_download(session, "2026-11", tz=svc.settings.tz,
                                      weights=svc.settings.rank_weights, words=ZH)
        one = await ledger_download(session, "2026-11", tz=svc.settings.tz,
                                    weights=svc.settings.rank_weights, words=ZH,
                                    studio_id=await studio_id(svc, B))
    assert (whole.filename, whole.content_type) == ("ledger-2026-11.zip", ZIP_TYPE)
    assert sorted(zipfile.ZipFile(io.BytesIO(whole.data)).namelist()) == sorted([
        f"{A}-2026-11.xlsx", f"{B}-2026-11.xlsx"])

    # A leader's download: their studio's workbook alone, and nothing of another studio in it.
    assert one.filename == f"{B}-ledger-2026-11.zip"
    archive = zipfile.ZipFile(io.BytesIO(one.data))
    assert archive.namelist() == [f"{B}-2026-11.xlsx"]
    mine = load_workbook(io.BytesIO(archive.read(f"{B}-2026-11.xlsx")), read_only=True)
    sheets = {name: [list(r) for r in mine[ZH(f"ledger.sheet.{name}")].iter_rows(
        values_only=True)] for name in LEDGER_SHEETS}
    names = {r[2] for name in ("logs", "suggestions", "results") for r in sheets[name][1:]}
    assert names == {"乙成员"}
    assert "甲" not in str(sheets)

    # The same workbook the command line writes for that studio.
    assert await ledger.export_ledger(svc.settings, "2026-11", B, str(tmp_path), FRIDAY) == 0
    written = load_workbook(tmp_path / f"{B}-2026-11.xlsx", read_only=True)
    assert written.sheetnames == mine.sheetnames
    for name in written.sheetnames:
        assert [list(r) for r in written[name].iter_rows(values_only=True)] == [
            list(r) for r in mine[name].iter_rows(values_only=True)]

    with pytest.raises(ExportError):
        async with svc.db.reader() as session:
            await ledger_download(session, "November", tz=svc.settings.tz,
                                  weights=svc.settings.rank_weights, words=ZH)
