"""Text folded the way commands, typed words and the FAQ match it: full width to half width,
case folded, Traditional to Simplified (OpenCC ``t2s``, loaded on first use, not at import)."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable


@functools.cache
def _to_simplified() -> Callable[[str], str]:
    # OpenCC's Traditional→Simplified table, loaded on first use (not at import: --help).
    import opencc

    return opencc.OpenCC("t2s").convert


@functools.lru_cache(maxsize=16384)
def norm_char(ch: str) -> str:
    """One character as commands match it: full-width to half-width (NFKC), case folded,
    Traditional to Simplified (週 → 周, 確 → 确), so 週報, 確認 and 幫助 route like 周报,
    确认 and 帮助. Cached: a message's characters are mostly the same few thousand."""
    if ch.isascii():
        return ch.lower()
    folded = unicodedata.normalize("NFKC", ch).casefold()
    return "".join(_to_simplified()(c) if not c.isascii() else c for c in folded)


def normalise(text: str) -> str:
    """Full-width to half-width, `：` to `:`, case folded, Traditional folded to Simplified:
    the form commands (and the words people type) match in."""
    return "".join(norm_char(ch) for ch in text)
