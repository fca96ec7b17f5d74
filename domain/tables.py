"""Tables for people as bytes: CSV with a BOM (Excel opens it right), XLSX workbooks, ZIPs of them."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from domain import DomainError
from locales import Words, words_for

# A date or a (naive, local) datetime becomes a real date cell in XLSX; CSV writes it as text.
Cell = str | int | float | date | datetime | None
# One sheet of a workbook: (title, headers, rows).
Sheet = tuple[str, Sequence[str], Iterable[Sequence[Cell]]]

FORMATS = ("csv", "xlsx")
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP_TYPE = "application/zip"
PDF_TYPE = "application/pdf"
CONTENT_TYPES = {"csv": CSV_TYPE, "xlsx": XLSX_TYPE}

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
# Column widths in characters (a Chinese character counts two): wide enough to read,
# narrow enough that a long text column does not push the rest off the screen.
MIN_WIDTH, MAX_WIDTH = 8, 60

# Languages whose catalog can name columns for `--headers zh`.
CHINESE = ("zh-CN", "zh-TW")
# What no file system (nor a ZIP opened on Windows) takes in a file name.
_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


class ExportError(DomainError):
    """A table that cannot be made as asked: a code (``export.error.<code>``) and facts."""

    code = "export"


@dataclass(frozen=True)
class Download:
    """A file to hand over: its name (may hold Chinese: a web response names it with
    RFC 6266's ``filename*``), its content type and its bytes."""

    filename: str
    content_type: str
    data: bytes


def safe_name(text: str) -> str:
    """`text` fit for a file name: separators, quotes and spaces become "_"."""
    return _UNSAFE.sub("_", text)


def headers_in(words: Words | None, columns: Sequence[str]) -> list[str]:
    """The column names: machine-readable English (`words` None), or the catalog's
    (``export.header.<column>``)."""
    if words is None:
        return list(columns)
    return [words(f"export.header.{column}") for column in columns]


def chinese_words(words: Words) -> Words:
    """`--headers zh`: the union office's Chinese (Traditional where that is its language),
    Simplified otherwise."""
    return words if words.language in CHINESE else words_for("zh-CN")


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """UTF-8 with a BOM and CRLF line ends, one header row (SPEC §8)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """One XLSX workbook (write_workbook) as bytes."""
    buffer = io.BytesIO()
    write_workbook(buffer, sheets)
    return buffer.getvalue()


def table_bytes(fmt: str, sheet: str, headers: Sequence[str],
                rows: Iterable[Sequence[Cell]]) -> bytes:
    """One table as CSV or as a workbook of one sheet; ExportError ``format_unknown``."""
    if fmt == "csv":
        return csv_bytes(headers, rows)
    if fmt == "xlsx":
        return xlsx_bytes([(sheet, headers, rows)])
    raise ExportError("format_unknown", format=fmt)


def zip_bytes(files: Iterable[tuple[str, bytes]]) -> bytes:
    """A ZIP of (name, bytes). Stored, not deflated: workbooks are ZIPs already."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in files:
            archive.writestr(name, data)
    return buffer.getvalue()


def write_workbook(target: Path | IO[bytes], sheets: Sequence[Sheet]) -> None:
    """One XLSX file with a sheet per (title, headers, rows), in order: headers in bold and
    kept in view, columns as wide as what they hold, dates and times as date cells."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    for title, headers, rows in sheets:
        ws = wb.create_sheet(title)
        body = [list(row) for row in rows]
        # Widths and frozen panes go before the first row in a write-only sheet.
        for index, width in enumerate(_widths(headers, body), 1):
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = "A2"
        ws.append([_styled(ws, header, bold=True) for header in headers])
        for row in body:
            ws.append([_styled(ws, value) for value in row])
    wb.save(str(target) if isinstance(target, Path) else target)


def _styled(ws: Any, value: Cell, *, bold: bool = False) -> Any:
    """A cell with its format: bold for a header, a date format for dates, wrapped text
    for what has several lines or is wider than its column can be."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    wraps = isinstance(value, str) and ("\n" in value or _display_width(value) + 2 > MAX_WIDTH)
    if not bold and not isinstance(value, date) and not wraps:
        return value  # a plain cell costs far less than a styled one
    cell = WriteOnlyCell(ws, value=value)
    if bold:
        cell.font = Font(bold=True)
    elif isinstance(value, datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell.number_format = DATE_FORMAT
    else:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def _widths(headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> list[float]:
    widths = [_display_width(h) for h in headers]
    for row in rows:
        for i, value in enumerate(row[:len(widths)]):
            widths[i] = max(widths[i], _display_width(_shown(value)))
    return [min(MAX_WIDTH, max(MIN_WIDTH, w + 2)) for w in widths]


def _shown(value: Cell) -> str:
    """The text a cell shows; a date cell is as wide as its format."""
    if isinstance(value, datetime):
        return DATETIME_FORMAT
    if isinstance(value, date):
        return DATE_FORMAT
    return "" if value is None else str(value)


def _display_width(text: str) -> int:
    """Characters as a spreadsheet shows them, East Asian wide ones counting two; a text of
    several lines is as wide as its widest. Anything wider than MAX_WIDTH is MAX_WIDTH + 1:
    a long text is not measured to its end."""
    widest = 0
    for line in text.splitlines():
        if len(line) > MAX_WIDTH:
            return MAX_WIDTH + 1
        widest = max(widest, sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1
                                 for ch in line))
    return min(widest, MAX_WIDTH + 1)
