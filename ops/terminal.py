"""The operator's terminal: messages on stderr and progress bars that vanish when piped,
in the union office's language."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from locales import Words, words_for

if TYPE_CHECKING:
    from bot.config import Settings
    from storage.db import Database

# Lines are data, never rich markup (a name may hold "[…]"), and are not cut at 80 columns
# when piped into a file or a log: a terminal wraps them itself.
err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)


async def office_words(db: Database) -> Words:
    """The union office reads the union's default language (zh-CN until one is set, and
    before the first roster import creates the union)."""
    from storage.queries.members import union_language

    async with db.reader() as session:
        return words_for(await union_language(session))


async def office_words_of(settings: Settings) -> Words:
    """office_words for a command that holds no database of its own."""
    from storage.db import Database

    db = Database(settings.effective_database_url)
    try:
        return await office_words(db)
    finally:
        await db.dispose()


def default_words() -> Words:
    """Where no database is at hand (the doctor, a file backup): zh-CN."""
    return words_for(None)


@contextlib.contextmanager
def progress_bar(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal; nothing at all when output is piped."""
    if not err.is_terminal:
        yield lambda _n: None
        return
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)

out = Console(highlight=False, soft_wrap=True)


def print_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """A boxed table on a terminal; tab-separated lines when piped (for grep, awk, Excel)."""
    if out.is_terminal:
        table = Table(*headers, show_edge=False)
        for row in rows:
            # Names and texts are data: "[b]" in one is not rich's markup.
            table.add_row(*(Text(cell) for cell in row))
        out.print(table)
        return
    print("\t".join(headers))
    for row in rows:
        print("\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in row))
