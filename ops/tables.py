"""Writing tables for people: CSV with a BOM (Excel opens it right) or XLSX."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

Cell = str | int | float | None


class ExportError(Exception):
    pass


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
            raise ExportError("XLSX 需要用 -o 指定输出文件")
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet(sheet)
        ws.append(list(headers))
        for row in rows:
            ws.append(list(row))
        wb.save(str(output))
        return str(output)
    raise ExportError(f"不支持的格式“{fmt}”：请用 csv 或 xlsx")


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
