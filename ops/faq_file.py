"""Reading a FAQ file (CSV in UTF-8 or GBK, or XLSX) into entries with line numbers, the way
domain.roster_file reads a roster: a file that cannot be read at all is a FaqFileError, a bad
row a LineProblem (``faq.file.<code>``, ``faq.problem.<code>`` in the catalogs)."""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from domain.roster_file import cell_text
from locales import vocabulary
from storage.queries.faq import EntryData
from storage.queries.roster import LineProblem

COLUMNS = ("question", "variants", "answer", "category", "keywords")
REQUIRED = ("question", "answer")
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 20_000
MAX_ANSWER_CHARS = 20_000
MAX_QUESTION_CHARS = 500
_SPLIT = re.compile(r"[\r\n|｜]+")


class FaqFileError(Exception):
    def __init__(self, code: str, **facts: object) -> None:
        super().__init__(code)
        self.code = code
        self.facts: Mapping[str, object] = facts


@dataclass
class FaqRead:
    entries: list[EntryData] = field(default_factory=list)
    errors: list[LineProblem] = field(default_factory=list)
    lines: int = 0


@functools.cache
def header_words() -> dict[str, str]:
    """Headers a file may use (``input.faq.header.<column>``: 问题, 相似问法 …) → our names."""
    found = {column: column for column in COLUMNS}
    for column in COLUMNS:
        found.update(dict.fromkeys(vocabulary(f"input.faq.header.{column}"), column))
    return found


def _decoded(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FaqFileError("encoding")


def rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number as a person sees it, cells) for every row, header first."""
    size = path.stat().st_size
    if size == 0:
        raise FaqFileError("empty")
    if size > MAX_FILE_BYTES:
        raise FaqFileError("too_big", size=size, limit=MAX_FILE_BYTES)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            for number, cells in enumerate(wb.worksheets[0].iter_rows(values_only=True),
                                           start=1):
                yield number, ["" if c is None else cell_text(c) for c in cells]
        finally:
            wb.close()
    elif suffix in (".csv", ".txt"):
        text = _decoded(path.read_bytes())
        # A quoted cell may span lines: count the file's lines, not csv's rows.
        reader = csv.reader(io.StringIO(text))
        start = 1
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    else:
        raise FaqFileError("file_type", suffix=path.suffix)


def split_list(value: str) -> tuple[str, ...]:
    """Variants or keywords in one cell: one a line, or separated by | or ｜."""
    return tuple(dict.fromkeys(p.strip() for p in _SPLIT.split(value) if p.strip()))


def read_faq(path: Path) -> FaqRead:
    out = FaqRead()
    found = rows(path)
    header_row = next(found, None)
    if header_row is None:
        raise FaqFileError("empty")
    known = header_words()
    header = [known.get(h.strip().casefold(), h.strip().casefold()) for h in header_row[1]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise FaqFileError("columns_missing", missing=", ".join(missing))
    index = {name: header.index(name) for name in COLUMNS if name in header}
    first_line: dict[str, int] = {}
    for number, cells in found:
        if not any(c.strip() for c in cells):
            continue
        out.lines += 1
        if out.lines > MAX_ROWS:
            raise FaqFileError("too_many", rows=f"{MAX_ROWS}+", limit=MAX_ROWS)

        def get(col: str, cells: list[str] = cells) -> str:
            i = index.get(col)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        question, answer = " ".join(get("question").split()), get("answer")
        problem = None
        if not question:
            problem = LineProblem(number, "question_missing", {})
        elif len(question) > MAX_QUESTION_CHARS:
            problem = LineProblem(number, "question_too_long", {"limit": MAX_QUESTION_CHARS})
        elif not answer:
            problem = LineProblem(number, "answer_missing", {"question": question})
        elif len(answer) > MAX_ANSWER_CHARS:
            problem = LineProblem(number, "answer_too_long",
                                  {"length": len(answer), "limit": MAX_ANSWER_CHARS})
        elif question in first_line:
            problem = LineProblem(number, "duplicate",
                                  {"question": question, "first_line": first_line[question]})
        if problem is not None:
            out.errors.append(problem)
            continue
        first_line[question] = number
        out.entries.append(EntryData(
            line=number, question=question,
            variants=tuple(v for v in split_list(get("variants")) if v != question),
            answer=answer.replace("\r\n", "\n"), category=get("category") or None,
            keywords=split_list(get("keywords"))))
    if not out.lines:
        raise FaqFileError("no_rows")
    return out


def read_synonyms(path: Path) -> tuple[list[tuple[str, ...]], list[int]]:
    """Groups from lines like 补贴=补助=经费 (# starts a comment), and the lines refused."""
    groups: list[tuple[str, ...]] = []
    bad: list[int] = []
    for number, line in enumerate(_decoded(path.read_bytes()).splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        words = tuple(dict.fromkeys(w.strip() for w in re.split("[=＝]", line) if w.strip()))
        if len(words) < 2:
            bad.append(number)
        else:
            groups.append(words)
    return groups, bad
