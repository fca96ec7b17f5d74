"""Reading a rating rubric file (CSV in UTF-8 or GBK, or XLSX) into lines for
domain.rubric.check_rubric: the columns found by the catalogs' header words, the stars'
threshold rows (编号 ★★★, ★★, ★) told apart from the items."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from domain.faq_file import FaqFileError, table_rows
from domain.rubric import Checked, ItemLine, StarLine, check_rubric
from locales import vocabulary
from storage.models import RESULT_TYPES

COLUMNS = ("code", "category", "title", "points", "method", "criteria")
REQUIRED = ("code", "title", "points", "method")
MAX_ROWS = 1000


class RubricFileError(Exception):
    """A file that cannot be read as a rubric: a code (rating.file.<code>) and facts."""

    def __init__(self, code: str, **facts: object) -> None:
        super().__init__(code)
        self.code = code
        self.facts = facts


@dataclass
class RubricFile:
    lines: list[ItemLine] = field(default_factory=list)
    stars: list[StarLine] = field(default_factory=list)


@functools.cache
def header_words() -> dict[str, str]:
    """Headers a file may use (``input.rating.header.<column>``: 编号, 分值 …) → our names."""
    found = {column: column for column in COLUMNS}
    for column in COLUMNS:
        found.update(dict.fromkeys(vocabulary(f"input.rating.header.{column}"), column))
    return found


@functools.cache
def star_words() -> dict[str, int]:
    """What the 编号 of a threshold row may say (★★★, 三星, 3星) → the stars."""
    return {word: stars for stars in (1, 2, 3)
            for word in vocabulary(f"input.rating.stars.{stars}")}


@functools.cache
def type_words() -> dict[str, str]:
    """What a results scale may call a result type (发明专利, invention_patent) → its code."""
    return {word: code for code in RESULT_TYPES
            for word in vocabulary(f"input.proposals.type.{code}")}


def read_rubric(path: Path) -> RubricFile:
    """The file's item lines and threshold lines. Raises RubricFileError, or FaqFileError
    (the faq.file.* reasons: unreadable, empty, too big, of another type)."""
    found = table_rows(path.read_bytes(), path.name)
    header_row = next(found, None)
    if header_row is None:
        raise FaqFileError("empty")
    known = header_words()
    header = [known.get(h.strip().casefold(), h.strip().casefold()) for h in header_row[1]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise RubricFileError("columns_missing", missing=", ".join(missing))
    index = {name: header.index(name) for name in COLUMNS if name in header}
    stars = star_words()
    out = RubricFile()
    for number, cells in found:
        if not any(c.strip() for c in cells):
            continue
        if len(out.lines) + len(out.stars) >= MAX_ROWS:
            raise RubricFileError("too_many", limit=MAX_ROWS)

        def get(col: str, cells: list[str] = cells) -> str:
            i = index.get(col)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        code = get("code")
        if "".join(code.split()).casefold() in stars:
            out.stars.append(StarLine(number, stars["".join(code.split()).casefold()],
                                      get("points")))
            continue
        out.lines.append(ItemLine(line=number, code=code, category=get("category"),
                                  title=get("title"), points=get("points"),
                                  method=get("method"), criteria=get("criteria")))
    if not out.lines:
        raise RubricFileError("no_items")
    return out


def check_file(path: Path) -> Checked:
    """Read and check a rubric file (the words of manual and of result types from the
    catalogs). Raises what read_rubric does."""
    read = read_rubric(path)
    return check_rubric(read.lines, read.stars, manual_words=vocabulary("input.rating.manual"),
                        type_words=type_words())
