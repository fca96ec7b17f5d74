"""Reading a roster (CSV or XLSX, SPEC §7; a file or an upload's bytes) into validated entries.

Refusals are codes with facts (:class:`LineProblem`, :class:`RosterFileError`); the caller
puts them into words (``roster.problem.<code>``, ``roster.file.<code>``). An upload is
read with limits — its size, an XLSX's unpacked size and entries, its lines and columns —
and a file that is not what its name says is refused with a code, never an exception of
the parser's.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from domain import DomainError
from locales import CHOICES, choice_named, vocabulary
from storage.models import ROLE_ADMIN, ROLE_LEADER, ROLE_MEMBER
from storage.queries.roster import LineProblem, RosterEntry

COLUMNS = ("studio", "name", "employee_no", "role", "mentor_employee_no", "phone")
OPTIONAL = ("union", "language")
REQUIRED = ("name", "employee_no", "role")
ROLES = (ROLE_MEMBER, ROLE_LEADER, ROLE_ADMIN)
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{3,19}$")

# Limits on what is read: SPEC's scale is 50,000 members, a CSV of 3 MB, an XLSX of 2 MB
# whose sheet unpacks to 10–30 MB; four times that passes, a file made to exhaust the
# server does not (what an XLSX unpacks to bounds the time openpyxl spends parsing it).
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 128 * 1024 * 1024
MAX_XLSX_ENTRIES = 1_000
MAX_LINES = 200_000  # lines with something in them
MAX_SHEET_ROWS = 1_048_576  # Excel's own limit, empty rows included
MAX_COLUMNS = 100  # a roster has 8 columns; a header further right is not read


@functools.cache
def role_words() -> dict[str, str]:
    """What a roster may write in the role column (``input.roster.role.<role>``: member,
    成员, 职工 …), case-folded, → the role."""
    return {word: role for role in ROLES for word in vocabulary(f"input.roster.role.{role}")}


@functools.cache
def header_words() -> dict[str, str]:
    """Headers seen in real union spreadsheets (``input.roster.header.<column>``: 工作室,
    工号, 语言 …), case-folded, → our column names; our own names always count."""
    found = {column: column for column in (*COLUMNS, *OPTIONAL)}
    for column in (*COLUMNS, *OPTIONAL):
        found.update(dict.fromkeys(vocabulary(f"input.roster.header.{column}"), column))
    return found


def language_choice(value: str) -> str | None:
    """A language column's value → a choice: a code (zh-CN, mn+zh-CN) or a language's own
    name (简体中文, English, 蒙汉双语 …); None when it names no language we have."""
    return choice_named(value, str.casefold)


class RosterFileError(DomainError):
    """The file as a whole cannot be read (missing columns, unknown format, over a limit): a
    code (``roster.file.<code>``) and its facts."""

    code = "unreadable"


@dataclass
class RosterRead:
    entries: list[RosterEntry] = field(default_factory=list)
    errors: list[LineProblem] = field(default_factory=list)  # lines refused, with why
    lines: int = 0


def mask_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    return "*" * (len(digits) - 4) + digits[-4:]


def read_roster(path: Path) -> RosterRead:
    """The roster file at `path` (OSError when it cannot be opened)."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise RosterFileError("too_big", mb=_mb(size), limit_mb=_mb(MAX_FILE_BYTES))
    return read_roster_bytes(path.read_bytes(), path.name)


def read_roster_bytes(data: bytes, filename: str) -> RosterRead:
    """An uploaded roster: its bytes, and its file name for the format (.csv, .txt, .xlsx,
    .xlsm). RosterFileError for a file that cannot be read as a whole."""
    if len(data) > MAX_FILE_BYTES:
        raise RosterFileError("too_big", mb=_mb(len(data)), limit_mb=_mb(MAX_FILE_BYTES))
    return _read(_rows(data, PurePath(filename).suffix))


def _mb(size: int) -> float:
    return round(size / 1024 / 1024, 1)


def _rows(data: bytes, suffix: str) -> Iterator[tuple[int, list[str]]]:
    """(line number as a person sees it, cells) for every row, header first."""
    if suffix.lower() in (".xlsx", ".xlsm"):
        return _xlsx_rows(data)
    if suffix.lower() in (".csv", ".txt"):
        return _csv_rows(data)
    raise RosterFileError("file_type", suffix=suffix)


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RosterFileError("encoding")
    reader = csv.reader(io.StringIO(text))
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, cells[:MAX_COLUMNS]
    except csv.Error as exc:  # a NUL byte, a cell over csv's field limit
        raise RosterFileError("csv_bad", line=number + 1) from exc


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """The first sheet's rows. The archive is checked before openpyxl opens it: what it says
    it unpacks to (zipfile never unpacks more than an entry declares) and how many entries;
    anything openpyxl or the XML parser trips on is the file's fault, said as a code."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise RosterFileError("xlsx_bad") from exc
    if len(entries) > MAX_XLSX_ENTRIES or \
            sum(e.file_size for e in entries) > MAX_UNPACKED_BYTES:
        raise RosterFileError("unpacked_too_big", limit_mb=_mb(MAX_UNPACKED_BYTES))
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # any way a foreign file can fail to parse
        raise RosterFileError("xlsx_bad") from exc
    try:
        sheet = wb.worksheets[0]
        # The sheet's own <dimension> is not trusted: rows are not padded to what it claims,
        # and are read only as far right as the header goes (a cell made to sit at column
        # XFD would otherwise make every row 16,384 cells wide).
        sheet.reset_dimensions()
        header = next(sheet.iter_rows(max_row=1, max_col=MAX_COLUMNS, values_only=True), ())
        width = max((i + 1 for i, c in enumerate(header) if c not in (None, "")), default=1)
        rows = sheet.iter_rows(max_col=width, values_only=True)
        for number, cells in enumerate(rows, start=1):
            if number > MAX_SHEET_ROWS:
                raise RosterFileError("too_many_lines", limit=MAX_LINES)
            yield number, ["" if c is None else cell_text(c) for c in cells]
    except RosterFileError:
        raise
    except Exception as exc:  # as above: the file's fault
        raise RosterFileError("xlsx_bad") from exc
    finally:
        wb.close()


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text it shows."""
    # Excel turns employee numbers and phones into floats: 1001.0 → "1001".
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read(rows: Iterator[tuple[int, list[str]]]) -> RosterRead:
    out = RosterRead()
    header_row = next(rows, None)
    if header_row is None:
        raise RosterFileError("empty")
    known = header_words()
    header = [known.get(h.strip().casefold(), h.strip().lower()) for h in header_row[1]]
    missing = [c for c in ("studio", *REQUIRED) if c not in header]
    if missing:
        raise RosterFileError("columns_missing", missing=", ".join(missing),
                              expected=",".join(COLUMNS))
    index = {name: header.index(name) for name in header if name}
    first_line: dict[str, int] = {}
    for number, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        out.lines += 1
        if out.lines > MAX_LINES:
            raise RosterFileError("too_many_lines", limit=MAX_LINES)

        def get(col: str, cells: list[str] = cells) -> str:
            i = index.get(col)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        entry = _validate(number, get, first_line)
        if isinstance(entry, LineProblem):
            out.errors.append(entry)
        else:
            first_line[entry.employee_no] = number
            out.entries.append(entry)
    return out


def _validate(
    number: int, get: Callable[[str], str], first_line: dict[str, int]
) -> RosterEntry | LineProblem:
    name, employee_no, role_word = get("name"), get("employee_no"), get("role")
    studio, mentor, phone = get("studio"), get("mentor_employee_no"), get("phone")
    language_word = get("language")

    def refused(code: str, **facts: object) -> LineProblem:
        return LineProblem(number, code, facts)

    if not name:
        return refused("name_missing")
    if not employee_no:
        return refused("employee_no_missing")
    role = role_words().get(role_word.casefold())
    if role is None:
        return refused("role_unknown", role=role_word)
    if employee_no in first_line:
        return refused("duplicate", employee_no=employee_no, first_line=first_line[employee_no])
    if role != ROLE_ADMIN and not studio:
        return refused("studio_missing")
    if mentor and mentor == employee_no:
        return refused("mentor_self")
    if mentor and role == ROLE_ADMIN:
        return refused("admin_mentor")
    if phone and not _PHONE.match(phone):
        return refused("phone_bad", phone=phone)
    language = language_choice(language_word) if language_word else None
    if language_word and language is None:
        return refused("language_unknown", language=language_word, choices=", ".join(CHOICES))
    return RosterEntry(
        line=number,
        studio=studio or None,
        name=name,
        employee_no=employee_no,
        role=role,
        mentor_employee_no=mentor or None,
        phone_masked=mask_phone(phone) if phone else None,
        union=get("union") or None,
        language=language,
    )
