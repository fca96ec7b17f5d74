"""A roster uploaded through the console: the preview shows the refused lines and every change
and writes nothing; applying it is import-roster's code path, with import-roster's result;
files made to break the reader are refused with a code."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from domain.roster import (
    FieldChange,
    MentorChange,
    NewMember,
    RosterPreview,
    file_error_words,
    import_roster_bytes,
    preview_roster,
    worded,
)
from domain.roster_file import MAX_FILE_BYTES, RosterFileError, read_roster_bytes
from locales import words_for
from ops import roster as roster_command
from storage.db import Database
from storage.queries.roster import RosterState, roster_state
from tests.support import make_settings

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
ZH = words_for("zh-CN")
ROOT = "总工会"  # Settings' default union name, which import-roster uses
HEADER = "studio,name,employee_no,role,mentor_employee_no,phone"


def base(p: str) -> str:
    return "\n".join([
        HEADER,
        f"{p}甲工作室,甲领衔,{p}L1,leader,,",
        f"{p}甲工作室,张三,{p}M1,member,{p}L1,13900001111",
        f"{p}甲工作室,李四,{p}M2,member,,",
        f"{p}乙工作室,乙领衔,{p}L2,leader,,",
        f"{p}乙工作室,王五,{p}M3,member,,",
    ]) + "\n"


def upload(p: str) -> str:
    return "\n".join([
        HEADER,
        f"{p}甲工作室,甲领衔,{p}L1,leader,,",                  # 2: as it is
        f"{p}乙工作室,张三,{p}M1,member,{p}L2,13900002222",     # 3: moves, new phone, new mentor
        f"{p}甲工作室,李四,{p}M2,领衔人,,",                     # 4: becomes a leader
        f"{p}丙工作室,赵六,{p}M4,member,{p}M2,",                # 5: new, in a new studio, paired
        f"{p}甲工作室,,{p}M5,member,,",                         # 6: refused: no name
        f"{p}乙工作室,王五,{p}M3,member,X9999,",               # 7: imported, mentor unknown
    ]) + "\n"


@pytest.fixture(scope="module")
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


async def state(db: Database) -> RosterState:
    async with db.reader() as session:
        return await roster_state(session)


async def cli_import(db: Database, tmp_path: Path, text: str, name: str,
                     capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    settings = make_settings(db.url, str(tmp_path))
    capsys.readouterr()
    code = await roster_command.import_roster(settings, path, NOW)
    return code, capsys.readouterr().out


async def preview_of(db: Database, data: bytes, filename: str) -> RosterPreview:
    async with db.reader() as session:
        return await preview_roster(session, data, filename, root_union=ROOT)


def mine(s: RosterState, p: str) -> dict[str, tuple[object, ...]]:
    """The members of prefix `p` with the prefix taken off every number and studio."""
    def bare(value: str | None) -> str | None:
        return value.removeprefix(p) if value else value
    return {bare(no) or "": (m.name, m.role, bare(m.studio), m.union, m.phone_masked, m.active,
                             bare(m.mentor_employee_no))
            for no, m in s.members.items() if no.startswith(p)}


async def test_the_preview_shows_the_changes_and_the_bad_line_and_writes_nothing(
        db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (await cli_import(db, tmp_path, base("c-"), "base.csv", capsys))[0] == 0
    before = await state(db)
    data = upload("c-").encode("utf-8")

    preview = await preview_of(db, data, "名册.csv")
    assert worded(ZH, list(preview.problems)) == [
        (6, "缺少姓名"), (7, ZH("roster.problem.mentor_unknown", employee_no="X9999"))]
    assert (preview.lines, preview.imported, preview.unchanged) == (6, 5, 2)
    assert preview.new_members == (NewMember(5, "c-M4", "赵六", "member", "c-丙工作室"),)
    assert preview.new_studios == ("c-丙工作室",) and preview.new_unions == ()
    assert {m.employee_no: m.changes for m in preview.updated} == {
        "c-M1": (FieldChange("studio", "c-甲工作室", "c-乙工作室"),
                 FieldChange("phone", "*******1111", "*******2222")),
        "c-M2": (FieldChange("role", "member", "leader"),),
    }
    assert [m.employee_no for m in preview.moves] == ["c-M1"]
    assert [m.employee_no for m in preview.role_changes] == ["c-M2"]
    assert preview.mentor_changes == (MentorChange(3, "c-M1", "张三", "c-L1", "c-L2"),
                                      MentorChange(5, "c-M4", "赵六", None, "c-M2"))
    assert (preview.pairs_created, preview.pairs_ended) == (2, 1)
    assert preview.not_in_file == 1  # 乙领衔
    assert preview.changes_anything
    # Nothing was written: the database reads exactly as before.
    assert await state(db) == before

    # Another file than the one previewed is refused, and still nothing is written.
    with pytest.raises(RosterFileError) as refused:
        async with db.transaction() as session:
            await import_roster_bytes(session, base("c-").encode(), "名册.csv", root_union=ROOT,
                                      now=NOW, today=NOW.date(), expected_digest=preview.digest)
    assert refused.value.code == "changed"
    assert await state(db) == before

    async with db.transaction() as session:
        done = await import_roster_bytes(session, data, "名册.csv", root_union=ROOT, now=NOW,
                                         today=NOW.date(), expected_digest=preview.digest)
    outcome = done.outcome
    # What was applied is what the preview said.
    assert (outcome.members_created, outcome.members_updated, outcome.members_unchanged,
            outcome.studios_created, outcome.unions_created, outcome.pairs_created,
            outcome.pairs_ended, outcome.not_in_file) == (
        len(preview.new_members), len(preview.updated), preview.unchanged,
        len(preview.new_studios), len(preview.new_unions), preview.pairs_created,
        preview.pairs_ended, preview.not_in_file)
    assert done.problems == list(preview.problems)
    after = mine(await state(db), "c-")
    assert after["M1"] == ("张三", "member", "乙工作室", ROOT, "*******2222", True, "L2")
    assert after["M2"][1] == "leader" and after["M4"][2:] == ("丙工作室", ROOT, None, True, "M2")
    assert "M5" not in after
    # Previewed again, the same file changes nothing more.
    again = await preview_of(db, data, "名册.csv")
    assert not again.changes_anything and again.unchanged == 5
    assert [p.code for p in again.problems] == ["name_missing", "mentor_unknown"]


async def test_applying_equals_import_roster(
        db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same two files through `workshop-bot import-roster` (other numbers, other studios):
    the same members, the same pairs, and the summary the console's import adds up to."""
    assert (await cli_import(db, tmp_path, base("k-"), "base.csv", capsys))[0] == 0
    code, out = await cli_import(db, tmp_path, upload("k-"), "名册.csv", capsys)
    assert code == 1
    assert mine(await state(db), "k-") == mine(await state(db), "c-")
    lines = out.splitlines()
    assert lines[:2] == [ZH("roster.line", line=line, reason=reason) for line, reason in [
        (6, "缺少姓名"), (7, ZH("roster.problem.mentor_unknown", employee_no="X9999"))]]
    assert lines[2] == ZH("roster.summary", file="名册.csv", lines=6, imported=5, skipped=1,
                          created=1, updated=2, unchanged=2, studios=1, pairs_created=2,
                          pairs_ended=1)


@pytest.mark.parametrize("encoding", ["gbk", "xlsx"])
async def test_gbk_and_xlsx_preview_as_utf8_does(db: Database, encoding: str) -> None:
    text = upload("c-").replace("c-M4", "c-M6").replace("赵六", "钱七")
    if encoding == "xlsx":
        wb = Workbook()
        for row in text.splitlines():
            wb.active.append(row.split(","))  # type: ignore[union-attr]
        buffer = io.BytesIO()
        wb.save(buffer)
        data, name = buffer.getvalue(), "名册.xlsx"
    else:
        data, name = text.encode("gbk"), "名册.csv"
    preview = await preview_of(db, data, name)
    utf8 = await preview_of(db, text.encode("utf-8"), "名册.csv")
    assert preview.new_members == utf8.new_members == (
        NewMember(5, "c-M6", "钱七", "member", "c-丙工作室"),)
    assert (preview.problems, preview.updated, preview.mentor_changes) == (
        utf8.problems, utf8.updated, utf8.mentor_changes)


# -- files made to break the reader ------------------------------------------------------

def _workbook(rows: list[list[str]]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)  # type: ignore[union-attr]
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


GOOD = _workbook([HEADER.split(","), ["甲工作室", "张三", "E1", "member", "", ""]])


def _rebuilt(extra: dict[str, bytes] | None = None,
             sheet: bytes | None = None) -> bytes:
    """GOOD with its first sheet's XML replaced, or parts added."""
    source = zipfile.ZipFile(io.BytesIO(GOOD))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info.filename)
            if sheet is not None and info.filename == "xl/worksheets/sheet1.xml":
                data = sheet
            archive.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


# A billion laughs: nine entities, each ten of the one before.
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10))
          + b']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
          b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
          b"</sheetData></worksheet>")


@pytest.mark.parametrize(("name", "data", "code"), [
    ("bomb", _rebuilt({"xl/media/pad.bin": b"\0" * (130 * 1024 * 1024)}), "unpacked_too_big"),
    ("parts", _rebuilt({f"xl/media/{i}.bin": b"" for i in range(1001)}), "unpacked_too_big"),
    ("laughs", _rebuilt(sheet=LAUGHS), "xlsx_bad"),
    ("not a zip", b"studio,name\n", "xlsx_bad"),
    ("cut short", GOOD[:len(GOOD) // 2], "xlsx_bad"),
    ("no sheet xml", _rebuilt(sheet=b"<worksheet"), "xlsx_bad"),
    ("too big", b"x" * (MAX_FILE_BYTES + 1), "too_big"),
    ("long cell", (HEADER + '\n"' + "x" * 200_000 + '"\n').encode(), "csv_bad"),
    ("not text", b"\xff\xfe\x00\xd8" * 10, "encoding"),
    ("pdf", b"%PDF-1.7", "file_type"),
])
def test_a_file_made_to_break_the_reader_is_refused_with_a_code(
        name: str, data: bytes, code: str) -> None:
    filename = {"too big": "r.csv", "long cell": "r.csv", "not text": "r.csv",
                "pdf": "r.pdf"}.get(name, "r.xlsx")
    with pytest.raises(RosterFileError) as refused:
        read_roster_bytes(data, filename)
    assert refused.value.code == code
    # Each says why in the office's words (every code has its catalog entry).
    assert file_error_words(ZH, refused.value)


def test_a_cell_far_to_the_right_does_not_widen_every_row() -> None:
    """A <dimension> claiming XFD1048576 and a row reaching column XFD: rows are read only as
    far right as the header goes, and the claimed rows are not padded in."""
    sheet = zipfile.ZipFile(io.BytesIO(GOOD)).read("xl/worksheets/sheet1.xml")
    sheet = sheet.replace(b'<dimension ref="A1:F2" />', b'<dimension ref="A1:XFD1048576" />')
    sheet = sheet.replace(b"</sheetData>", b'<row r="3"><c r="XFD3" t="inlineStr"><is><t>x</t>'
                          b"</is></c></row></sheetData>")
    assert b"XFD1048576" in sheet and b"XFD3" in sheet
    read = read_roster_bytes(_rebuilt(sheet=sheet), "r.xlsx")
    assert (read.lines, [e.employee_no for e in read.entries], read.errors) == (1, ["E1"], [])
