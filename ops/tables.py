"""Writing a table where the operator asked: a file, or stdout for CSV (domain.tables builds it)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from domain.tables import Cell, ExportError, table_bytes


def write_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    fmt: str,
    output: str | None,
    sheet: str = "Sheet1",
) -> str:
    """Write to `output` (a path, or "-"/None for stdout with CSV); returns where it went."""
    if fmt == "xlsx" and output in (None, "-"):
        raise ExportError("xlsx_needs_file")
    return write_bytes(table_bytes(fmt, sheet, headers, rows), output)


def write_bytes(data: bytes, output: str | None) -> str:
    """`data` into the file `output`, or onto stdout for None or "-"; returns where."""
    if output in (None, "-"):
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return "stdout"
    Path(str(output)).write_bytes(data)
    return str(output)
