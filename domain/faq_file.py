"""Reading an FAQ file — CSV in UTF-8 or GBK, or XLSX, as uploaded bytes — into entries with
line numbers, and a synonym file into groups. A file that cannot be read at all is a
FaqFileError (``faq.file.<code>``), a bad row a LineProblem (``faq.problem.<code>``).

Uploads come from people, so the reading is bounded as a roster's is (domain.roster_file):
the file's size, an XLSX's unpacked size and entries (a zip bomb unpacks to gigabytes), the
rows and columns, and what one cell may hold; whatever a parser trips on is a code, never
the parser's exception. The headers a file may use in words (问题, 相似问法 …) are the
catalogs' (``input.faq.header.<column>``).
"""

from __future__ import annotations

import csv
import functools
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from domain import DomainError
from domain.roster_file import cell_text
from locales import vocabulary
from storage.queries.faq import EntryData
from storage.queries.roster import LineProblem

COLUMNS = ("question", "variants", "answer", "category", "keywords")
REQUIRED = ("question", "answer")
MAX_FILE_BYTES = 20 * 1024 * 1024
# What an XLSX's parts may unpack to, together, and how many there may be: text compresses
# tenfold, a bomb a thousandfold.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_XLSX_ENTRIES = 1_000
MAX_ROWS = 20_000  # rows with something in them
MAX_SHEET_ROWS = 1_048_576  # Excel's own limit, empty rows included
MAX_COLUMNS = 20  # an FAQ has 5 columns; a header further right is not read
MAX_ANSWER_CHARS = 20_000
MAX_QUESTION_CHARS = 500
# A synonym file is a few hundred short lines.
MAX_SYNONYM_BYTES = 1024 * 1024
_SPLIT = re.compile(r"[\r\n|｜]+")
_XLSX = (".xlsx", ".xlsm")
_TEXT = (".csv", ".txt")


class FaqFileError(DomainError):
    """The file as a whole cannot be read: a code (``faq.file.<code>``: empty, too_big,
    unpacked_too_big, file_type, encoding, damaged, columns_missing, no_rows, too_many)
    and its facts."""

    code = "unreadable"


class BadLines(DomainError):
    """Rows the rules refuse, each a LineProblem (``faq.problem.<code>``; a synonym file's
    ``synonym_group``): nothing was imported."""

    code = "bad_lines"

    def __init__(self, problems: list[LineProblem]) -> None:
        super().__init__(problems=problems)
        self.problems = sorted(problems, key=lambda p: p.line)


@dataclass
class FaqRead:
    entries: list[EntryData] = field(default_factory=list)
    errors: list[LineProblem] = field(default_factory=list)
    lines: int = 0


@functools.cache
def header_words() -> dict[str, str]:
    """Headers a file may use (``input.faq.header.<column>``: 问题, 相似问法 …), case-folded,
    → our names; our own names always count."""
    found = {column: column for column in COLUMNS}
    for column in COLUMNS:
        found.update(dict.fromkeys(vocabulary(f"input.faq.header.{column}"), column))
    return found


def decoded(raw: bytes) -> str:
    """A text file's bytes: UTF-8 (with or without a BOM), else GBK (GB 18030)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FaqFileError("encoding")


def table_rows(data: bytes, filename: str) -> Iterator[tuple[int, list[str]]]:
    """(line number as a person sees it, cells) for every row of an uploaded table, header
    first: an XLSX's first sheet, or a CSV. FaqFileError for what cannot be read."""
    if not data:
        raise FaqFileError("empty")
    if len(data) > MAX_FILE_BYTES:
        raise FaqFileError("too_big", size=len(data), limit=MAX_FILE_BYTES)
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix in _XLSX:
        yield from _xlsx_rows(data)
    elif suffix in _TEXT:
        # A quoted cell may span lines: count the file's lines, not csv's rows.
        reader = csv.reader(io.StringIO(decoded(data)))
        start = 1
        try:
            for cells in reader:
                yield start, cells[:MAX_COLUMNS]
                start = reader.line_num + 1
        except csv.Error as exc:  # a cell over csv's field limit, a stray NUL
            raise FaqFileError("damaged") from exc
    else:
        raise FaqFileError("file_type", suffix=suffix or filename)


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """The first sheet's rows, the archive checked before openpyxl opens it (what it says it
    unpacks to, how many entries); rows are read only as far right as the header goes."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise FaqFileError("damaged") from exc
    unpacked = sum(info.file_size for info in entries)
    if len(entries) > MAX_XLSX_ENTRIES or unpacked > MAX_UNPACKED_BYTES:
        raise FaqFileError("unpacked_too_big", size=unpacked, limit=MAX_UNPACKED_BYTES)
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises what its parts raise: KeyError, ValueError …
        raise FaqFileError("damaged") from exc
    try:
        if not wb.worksheets:
            raise FaqFileError("empty")
        sheet = wb.worksheets[0]
        # The sheet's own <dimension> is not trusted (a cell made to sit at column XFD would
        # make every row 16,384 cells wide).
        sheet.reset_dimensions()
        header = next(sheet.iter_rows(max_row=1, max_col=MAX_COLUMNS, values_only=True), ())
        width = max((i + 1 for i, c in enumerate(header) if c not in (None, "")), default=1)
        for number, cells in enumerate(sheet.iter_rows(max_col=width, values_only=True),
                                       start=1):
            if number > MAX_SHEET_ROWS:
                raise FaqFileError("too_many", rows=f"{MAX_SHEET_ROWS}+", limit=MAX_ROWS)
            yield number, ["" if c is None else cell_text(c) for c in cells]
    except FaqFileError:
        raise
    except Exception as exc:  # as above: the file's fault
        raise FaqFileError("damaged") from exc
    finally:
        wb.close()


def split_list(value: str) -> tuple[str, ...]:
    """Variants or keywords in one cell: one a line, or separated by | or ｜."""
    return tuple(dict.fromkeys(p.strip() for p in _SPLIT.split(value) if p.strip()))


def read_faq(data: bytes, filename: str) -> FaqRead:
    """The entries of an FAQ file and the rows refused, with why. `filename` tells the kind
    (.csv, .txt, .xlsx, .xlsm). Raises FaqFileError."""
    out = FaqRead()
    found = table_rows(data, filename)
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


def read_synonyms(data: bytes) -> tuple[list[tuple[str, ...]], list[int]]:
    """Groups from lines like 补贴=补助=经费 (# starts a comment), and the lines refused
    (fewer than two words). Raises FaqFileError (too_big, encoding)."""
    if len(data) > MAX_SYNONYM_BYTES:
        raise FaqFileError("too_big", size=len(data), limit=MAX_SYNONYM_BYTES)
    groups: list[tuple[str, ...]] = []
    bad: list[int] = []
    for number, line in enumerate(decoded(data).splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        words = tuple(dict.fromkeys(w.strip() for w in re.split("[=＝]", line) if w.strip()))
        if len(words) < 2:
            bad.append(number)
        else:
            groups.append(words)
    return groups, bad
