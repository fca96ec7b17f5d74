"""Reading a roster file (CSV or XLSX, SPEC §7) into validated entries with line numbers."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from storage.models import ROLE_ADMIN, ROLE_LEADER, ROLE_MEMBER
from storage.queries.roster import RosterEntry

COLUMNS = ("studio", "name", "employee_no", "role", "mentor_employee_no", "phone")
REQUIRED = ("name", "employee_no", "role")
ROLE_WORDS = {
    "member": ROLE_MEMBER, "成员": ROLE_MEMBER, "职工": ROLE_MEMBER,
    "leader": ROLE_LEADER, "领衔人": ROLE_LEADER, "负责人": ROLE_LEADER,
    "admin": ROLE_ADMIN, "管理员": ROLE_ADMIN, "工会管理员": ROLE_ADMIN,
}
# Chinese headers seen in real union spreadsheets, mapped to ours.
HEADER_WORDS = {
    "工作室": "studio", "姓名": "name", "工号": "employee_no", "角色": "role",
    "师傅工号": "mentor_employee_no", "手机": "phone", "手机号": "phone", "电话": "phone",
    "工会": "union",
}
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{3,19}$")


class RosterFileError(Exception):
    """The file as a whole cannot be read (missing columns, unknown format)."""


@dataclass
class RosterRead:
    entries: list[RosterEntry] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
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
            raise RosterFileError("文件不是 UTF-8 或 GBK 编码的 CSV")
        for number, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
            yield number, cells
    else:
        raise RosterFileError(f"不支持的文件类型“{path.suffix}”：请使用 .csv 或 .xlsx")


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
        raise RosterFileError("文件是空的")
    header = [HEADER_WORDS.get(h.strip(), h.strip().lower()) for h in header_row[1]]
    missing = [c for c in ("studio", *REQUIRED) if c not in header]
    if missing:
        raise RosterFileError("缺少列：" + ", ".join(missing) + "（表头应为 " + ",".join(COLUMNS) + "）")
    index = {name: header.index(name) for name in header if name}
    first_line: dict[str, int] = {}
    for number, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        out.lines += 1

        def get(col: str, cells: list[str] = cells) -> str:
            i = index.get(col)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        entry, reason = _validate(number, get, first_line)
        if entry is None:
            out.errors.append((number, reason))
        else:
            first_line[entry.employee_no] = number
            out.entries.append(entry)
    return out


def _validate(
    number: int, get: Callable[[str], str], first_line: dict[str, int]
) -> tuple[RosterEntry | None, str]:
    name, employee_no, role_word = get("name"), get("employee_no"), get("role")
    studio, mentor, phone = get("studio"), get("mentor_employee_no"), get("phone")
    if not name:
        return None, "缺少姓名"
    if not employee_no:
        return None, "缺少工号"
    role = ROLE_WORDS.get(role_word.lower())
    if role is None:
        return None, f"角色“{role_word}”无法识别（可用：member/leader/admin 或 成员/领衔人/管理员）"
    if employee_no in first_line:
        return None, f"工号“{employee_no}”与第 {first_line[employee_no]} 行重复"
    if role != ROLE_ADMIN and not studio:
        return None, "成员和领衔人必须填写所属工作室"
    if mentor and mentor == employee_no:
        return None, "师傅工号不能是本人"
    if mentor and role == ROLE_ADMIN:
        return None, "工会管理员不参加师徒结对"
    if phone and not _PHONE.match(phone):
        return None, f"手机号“{phone}”格式不对"
    return RosterEntry(
        line=number,
        studio=studio or None,
        name=name,
        employee_no=employee_no,
        role=role,
        mentor_employee_no=mentor or None,
        phone_masked=mask_phone(phone) if phone else None,
        union=get("union") or None,
    ), ""
