"""The operator's terminal: messages on stderr and progress bars that vanish when piped."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

err = Console(stderr=True, highlight=False)


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
            table.add_row(*row)
        out.print(table)
        return
    print("\t".join(headers))
    for row in rows:
        print("\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in row))
