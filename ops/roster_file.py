"""Reading a roster file (CSV or XLSX, SPEC §7) into validated entries with line numbers.

Refusals are codes with facts (:class:`LineProblem`, :class:`RosterFileError`); ops.roster
puts them into the union office's words (``roster.problem.<code>``, ``roster.file.<code>``).
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from locales import CHOICES, choice_named, vocabulary
from storage.models import ROLE_ADMIN, ROLE_LEADER, ROLE_MEMBER
from storage.queries.roster import LineProblem, RosterEntry

COLUMNS = ("studio", "name", "employee_no", "role", "mentor_employee_no", "phone")
OPTIONAL = ("union", "language")
REQUIRED = ("name", "employee_no", "role")
ROLES = (ROLE_MEMBER, ROLE_LEADER, ROLE_ADMIN)
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{3,19}$")


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


class RosterFileError(Exception):
    """The file as a whole cannot be read (missing columns, unknown format): a code
    (``roster.file.<code>``) and its facts."""

    def __init__(self, code: str, **facts: object) -> None:
        super().__init__(code)
        self.code = code
        self.facts: Mapping[str, object] = facts


@dataclass
class RosterRead:
    entries: list[RosterEntry] = field(default_factory=list)
    errors: list[LineProblem] = field(default_factory=list)  # lines refused, with why
    lines: int = 0


def mask_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    return "*" * (len(digits) - 4) + digits[-4:]


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number as a person sees it, cells) for every row, header first."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = wb.worksheets[0]
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, ["" if c is None else _cell(c) for c in cells]
        finally:
            wb.close()
    elif suffix in (".csv", ".txt"):
        raw = path.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise RosterFileError("encoding")
        for number, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
            yield number, cells
    else:
        raise RosterFileError("file_type", suffix=path.suffix)


def _cell(value: object) -> str:
    # Excel turns employee numbers and phones into floats: 1001.0 → "1001".
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_roster(path: Path) -> RosterRead:
    out = RosterRead()
    rows = _rows(path)
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
