"""Writing tables for people: CSV with a BOM (Excel opens it right) or XLSX; column names
and stored codes put into words."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from locales import Words, words_for

Cell = str | int | float | None

# Languages whose catalog can name columns for `--headers zh`.
CHINESE = ("zh-CN", "zh-TW")


class ExportError(Exception):
    """A table that cannot be written as asked: a code (``export.error.<code>``) and facts."""

    def __init__(self, code: str, **facts: object) -> None:
        super().__init__(code)
        self.code = code
        self.facts: Mapping[str, object] = facts


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


def write_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    fmt: str,
    output: str | None,
    sheet: str = "Sheet1",
) -> str:
    """Write to `output` (a path, or "-"/None for stdout with CSV); returns where it went."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(headers)
        writer.writerows(rows)
        data = "\ufeff" + buffer.getvalue()
        if output in (None, "-"):
            sys.stdout.buffer.write(data.encode("utf-8"))
            sys.stdout.buffer.flush()
            return "stdout"
        Path(output).write_text(data, encoding="utf-8", newline="")
        return str(output)
    if fmt == "xlsx":
        if output in (None, "-"):
            raise ExportError("xlsx_needs_file")
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet(sheet)
        ws.append(list(headers))
        for row in rows:
            ws.append(list(row))
        wb.save(str(output))
        return str(output)
    raise ExportError("format_unknown", format=fmt)


Sheet = tuple[str, Sequence[str], Iterable[Sequence[Cell]]]


def write_workbook(path: Path, sheets: Sequence[Sheet]) -> None:
    """One XLSX file with a sheet per (title, headers, rows), in order."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for title, headers, rows in sheets:
        ws = wb.create_sheet(title)
        ws.append(list(headers))
        for row in rows:
            ws.append(list(row))
    wb.save(str(path))
