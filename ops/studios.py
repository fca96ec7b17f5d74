"""A studio named on the command line: its full name, or a distinctive part of it."""

from __future__ import annotations

from locales import Words
from ops.terminal import err
from storage.queries.studios import studios_matching
from storage.session import Session

CANDIDATES_SHOWN = 20  # names listed when a part fits several studios


async def pick_studio(session: Session, words: Words, typed: str) -> str | None:
    """The studio `typed` names, or None after telling the operator that none matched or
    which ones did. A studio found by a part of its name is named in full on stderr, so
    the operator sees which one the command acts on."""
    found = await studios_matching(session, typed)
    if not found:
        err.print(words("ops.studio.none", text=typed))
        return None
    if len(found) > 1:
        err.print(words("ops.studio.several", text=typed, n=len(found)))
        for name in found[:CANDIDATES_SHOWN]:
            err.print(words("ops.studio.candidate", studio=name))
        if len(found) > CANDIDATES_SHOWN:
            err.print(words("ops.studio.more", n=len(found)))
        return None
    if found[0] != typed:
        err.print(words("ops.studio.found", text=typed, studio=found[0]))
    return found[0]
