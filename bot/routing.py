"""Router and filters: commands, events, CLICK keys, dialog states. First match wins.

Routers nest like aiogram's: a root router ``include_router``s one router per
capability, in order; the app is handed the root and never imports the handlers.

Order of resolution, so that it can be predicted from the tree alone:
1. routes marked ``always`` (取消, 帮助), so a user can leave any dialog;
2. the dialog route for the sender's current dialog state;
3. every other route, routers in the order they were included, routes in the
   order they were declared;
4. the fallback.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace

from bot.context import Ctx, Incoming
from bot.replies import Reply
from locales import vocabulary
from locales.confusables import confusable
from locales.folding import norm_char as _norm_char
from locales.folding import normalise as normalise  # re-exported: what commands match in

Handler = Callable[[Incoming, Ctx], Awaitable[Reply]]
Availability = Callable[[Ctx], Awaitable[bool]]

# What may follow a command word before its arguments (after NFKC: `：` is `:`, `！` is
# `!`), besides spaces, closing brackets and quotes, and dashes: 「我的！」, 「【周报】测试」.
_AFTER_WORD = ":,.;!?、。~"
# ASCII quotes open and close alike: they are skipped after a word only if one opened it.
_QUOTES = "\"'"
CLICK_PREFIX = "CMD_"
# resolve() for any sender: which route the message would reach, roles aside.
ANY_ROLE = "*"


def _opens(ch: str) -> bool:
    """An opening bracket or quote (after folding): 【 [ ( 「 《 “ ‘ " '."""
    return ch in _QUOTES or unicodedata.category(ch) in ("Ps", "Pi")


def _between(ch: str, quoted: bool) -> bool:
    """Whether `ch` (folded) may stand between a command word and its arguments."""
    if ch.isspace() or ch in _AFTER_WORD:
        return True
    if ch in _QUOTES:
        return quoted
    return unicodedata.category(ch) in ("Pe", "Pf", "Pd")


@dataclass(frozen=True)
class Folded:
    """A message's text with its normalised form, computed once for all commands. Brackets
    and quotes before the first word are left out (「【周报】测试」 starts with 周报)."""

    stripped: str
    chunks: tuple[str, ...]  # the normalised form of each original character
    norm: str
    quoted: bool = False  # an ASCII quote was left out in front

    @classmethod
    def of(cls, text: str) -> Folded:
        stripped = text.strip()
        chunks = tuple(_norm_char(ch) for ch in stripped)
        lead = 0
        while lead < len(chunks) and chunks[lead][:1] and (
                chunks[lead][:1].isspace() or _opens(chunks[lead][:1])):
            lead += 1
        quoted = any(c in _QUOTES for c in chunks[:lead])
        if lead:
            stripped, chunks = stripped[lead:], chunks[lead:]
        return cls(stripped, chunks, "".join(chunks), quoted)

    def chars_for(self, norm_length: int) -> int | None:
        """How many original characters make the first `norm_length` normalised ones; None
        if that falls inside one character's expansion."""
        consumed, idx = 0, 0
        while idx < len(self.chunks) and consumed < norm_length:
            consumed += len(self.chunks[idx])
            idx += 1
        return idx if consumed == norm_length else None

    def after(self, idx: int) -> str:
        """The original text from character `idx` on, without what may separate a command
        word from its arguments (spaces, `:`, `！`, a closing bracket)."""
        while idx < len(self.chunks) and _between(self.chunks[idx][:1], self.quoted):
            idx += 1
        return self.stripped[idx:]


@dataclass(frozen=True)
class Command:
    """A command word with its aliases; the first English alias names its CLICK key."""

    words: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    takes_args: bool = False
    roles: frozenset[str] | None = None  # None: anyone, bound or not
    summary: str = ""  # catalog key of its one line in 帮助 ("" : not listed)
    usage: str = ""  # catalog key of how to type it (cmd.log.usage: 周报 [内容])
    # Values the summary's placeholders take, from the constants they describe.
    facts: tuple[tuple[str, str], ...] = ()
    # Whether 帮助 lists it for this sender, beyond the role (打卡: only for someone in a
    # mentorship pair). Commands sharing a check share its answer: 帮助 asks each check
    # once. It does not decide who may use the command: its handler answers anyone of
    # the roles.
    available: Availability | None = None

    @property
    def name(self) -> str:
        return self.words[0]

    @property
    def key(self) -> str | None:
        """The command's stable name: its first English alias ("help", "log")."""
        for alias in self.aliases:
            if alias.isascii() and alias[:1].isalpha():
                return alias.lower()
        return None

    @property
    def click_key(self) -> str | None:
        return CLICK_PREFIX + self.key.upper() if self.key else None

    def with_catalog_words(self) -> Command:
        """This command with the words the catalogs give it (``cmd.<key>.words``: Mongolian
        command words, more English ones), so that a language adds words without code."""
        if self.key is None:
            return self
        try:
            extra = vocabulary(f"cmd.{self.key}.words")
        except KeyError:
            return self
        known = {normalise(w) for w in (*self.words, *self.aliases)}
        new = tuple(sorted(w for w in extra if normalise(w) not in known))
        return replace(self, aliases=(*self.aliases, *new)) if new else self

    def allows(self, role: str) -> bool:
        return self.roles is None or role in self.roles

    @functools.cached_property
    def _keys(self) -> tuple[str, ...]:
        # Longest first, so "上周周报" is tried before a shorter word it starts with.
        return tuple(sorted(self.spellings, key=len, reverse=True))

    @functools.cached_property
    def spellings(self) -> dict[str, str]:
        """Each word of the command in its folded form, with the word as declared."""
        found: dict[str, str] = {}
        for word in (*self.words, *self.aliases):
            found.setdefault(normalise(word), word)
        return found

    def match(self, text: str, folded: Folded | None = None) -> str | None:
        """The arguments if `text` starts with this command, else None."""
        folded = folded or Folded.of(text)
        norm = folded.norm
        for key in self._keys:
            if not norm.startswith(key):
                continue
            # Map the matched length back onto the original characters.
            idx = folded.chars_for(len(key))
            if idx is None:
                continue
            rest_norm = norm[len(key) :]
            # "help" must not match "helpful"; Chinese words need no space.
            if key[-1:].isascii() and key[-1:].isalnum() and rest_norm[:1].isalnum():
                continue
            args = folded.after(idx)
            if args and not self.takes_args:
                continue
            return args.strip()
        return None


# -- did you mean ---------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """A command the sender probably meant: `text` is what to send (its word as declared,
    then the arguments as typed)."""

    command: Command
    text: str
    distance: float


def _typos_allowed(key: str) -> float:
    """How far a typed word may be from the command word `key` and still suggest it. A
    two-character Chinese word allows only one pinyin slip (周抱, 帮组, 我得: half a typo,
    locales.confusables); any typo would make 我们 mean 我的."""
    if key.isascii():
        return 0.0 if len(key) < 4 else 1.0 if len(key) < 8 else 2.0
    return 0.5 if len(key) <= 2 else 1.0 if len(key) <= 5 else 2.0


def typo_distance(typed: str, word: str) -> float:
    """Edit distance (the optimal string alignment one: a swap of neighbours is one edit) in
    which a character a pinyin input method confuses with the right one counts half."""
    rows = [[float(j) for j in range(len(word) + 1)]]
    for i, a in enumerate(typed, 1):
        row = [float(i)]
        for j, b in enumerate(word, 1):
            cost = 0.0 if a == b else 0.5 if confusable(a, b) else 1.0
            best = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and a == word[j - 2] and typed[i - 2] == b:
                best = min(best, rows[-2][j - 2] + 1)
            row.append(best)
        rows.append(row)
    return rows[-1][-1]


def _head(folded: Folded) -> int:
    """The length of the first word of a folded text: up to a space or a punctuation mark."""
    for idx, chunk in enumerate(folded.chunks):
        ch = chunk[:1]
        if ch.isspace() or unicodedata.category(ch).startswith("P"):
            return idx
    return len(folded.chunks)


def suggest(text: str, commands: Iterable[Command]) -> Suggestion | None:
    """The command `text` nearly spells — the whole message (帮组, 我得！) or, for a command
    that takes arguments, its first word (周抱 今天调试了设备) — when exactly one command is
    nearest; None when nothing is near, or two commands are equally near."""
    folded = Folded.of(text)
    # The message's bare words: punctuation around them does not count as a typo.
    end = len(folded.chunks)
    while end and unicodedata.category(folded.chunks[end - 1][:1])[:1] in ("P", "Z"):
        end -= 1
    whole = "".join(folded.chunks[:end])
    head = _head(folded)
    best: list[Suggestion] = []
    for command in commands:
        for key, spelled in command.spellings.items():
            allowed = _typos_allowed(key)
            if not allowed:
                continue
            tries: list[tuple[str, str]] = []
            if abs(len(whole) - len(key)) <= allowed:
                tries.append((whole, spelled))
            if command.takes_args:
                # The first word, up to a space or a mark; Chinese needs neither, so also
                # the first characters, as many as the command word has.
                cuts = {head} if head < len(folded.chunks) else set()
                if not key.isascii():
                    cuts.add(len(key))
                for cut in sorted(cuts):
                    rest = folded.after(cut)
                    if 0 < cut < len(folded.chunks) and rest:
                        tries.append(("".join(folded.chunks[:cut]), f"{spelled} {rest}"))
            for typed, meant in tries:
                distance = typo_distance(typed, key)
                if 0 < distance <= allowed:
                    best.append(Suggestion(command, meant, distance))
    if not best:
        return None
    nearest = min(s.distance for s in best)
    found = [s for s in best if s.distance == nearest]
    if len({s.command.name for s in found}) > 1:
        return None
    return found[0]


@dataclass(frozen=True)
class Route:
    handler: Handler
    command: Command | None = None
    events: frozenset[str] = frozenset()
    states: frozenset[str] = frozenset()
    msg_types: frozenset[str] = frozenset()
    always: bool = False
    fallback: bool = False
    # False: the handler only reads (帮助, 我的, 统计 …). Outside a dialog such a message
    # needs neither the per-user lock nor a transaction (bot.dispatcher's fast path); should
    # it write after all, the dispatcher notices, rolls back and runs it again locked.
    writes: bool = True
    # True: every storage call the handler makes has a lean form (storage.driver), so on
    # PostgreSQL its unit of work runs on asyncpg directly, at a third of the CPU. Should it
    # ask for more after all, the dispatcher rolls back and runs it again on a session.
    lean: bool = False
    # With writes=False: the handler reads, and now and then writes as well (the fallback
    # records a question the FAQ could not answer): the locked rerun is expected, not a
    # mistake to log.
    may_write: bool = False

    @property
    def tier(self) -> int:
        if self.always:
            return 0
        if self.states:
            return 1
        if self.fallback:
            return 3
        return 2


@dataclass
class Router:
    """The routes of one capability module, in declaration order, and its sub-routers."""

    name: str
    routes: list[Route] = field(default_factory=list)
    children: list[Router] = field(default_factory=list)
    # Answers a known command that the sender's role may not use (set on the root).
    refusal: Handler | None = None

    def include_router(self, router: Router) -> Router:
        """Add a capability's router after those included before it; returns it."""
        if router is self or router in self.children:
            raise ValueError(f"router {router.name!r} is already included")
        self.children.append(router)
        return router

    def all_routes(self) -> list[Route]:
        """This router's routes, then each included router's, depth first."""
        return [*self.routes, *(r for child in self.children for r in child.all_routes())]

    def find_refusal(self) -> Handler | None:
        if self.refusal is not None:
            return self.refusal
        for child in self.children:
            found = child.find_refusal()
            if found is not None:
                return found
        return None

    def refused(self) -> Callable[[Handler], Handler]:
        """Declare the handler for a command outside the sender's role."""

        def register(handler: Handler) -> Handler:
            self.refusal = handler
            return handler

        return register

    def command(
        self,
        *words: str,
        aliases: Iterable[str] = (),
        takes_args: bool = False,
        roles: Iterable[str] | None = None,
        summary: str = "",
        usage: str = "",
        always: bool = False,
        facts: dict[str, str] | None = None,
        writes: bool = True,
        lean: bool = False,
        available: Availability | None = None,
    ) -> Callable[[Handler], Handler]:
        cmd = Command(
            words=tuple(words),
            aliases=tuple(aliases),
            takes_args=takes_args,
            roles=frozenset(roles) if roles is not None else None,
            summary=summary,
            usage=usage or words[0],
            facts=tuple((facts or {}).items()),
            available=available,
        )
        return self._add(command=cmd, always=always, writes=writes, lean=lean)

    def event(self, *events: str) -> Callable[[Handler], Handler]:
        return self._add(events=frozenset(e.lower() for e in events))

    def dialog(self, *states: str) -> Callable[[Handler], Handler]:
        return self._add(states=frozenset(states))

    def message(self, *msg_types: str, writes: bool = True) -> Callable[[Handler], Handler]:
        return self._add(msg_types=frozenset(msg_types), writes=writes)

    def fallback(self, *, writes: bool = True,
                 may_write: bool = False) -> Callable[[Handler], Handler]:
        return self._add(fallback=True, writes=writes, may_write=may_write)

    def _add(self, **kwargs: object) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(Route(handler=handler, **kwargs))  # type: ignore[arg-type]
            return handler

        return register


@dataclass(frozen=True)
class Resolution:
    route: Route
    args: str = ""
    refused: bool = False  # the command exists but not for this user's role


RESOLVED_KEPT = 4096  # resolutions RouteTable remembers before starting afresh


class RouteTable:
    """A router tree flattened into the resolution order described above."""

    def __init__(self, root: Router) -> None:
        flat = [replace(r, command=r.command.with_catalog_words()) if r.command else r
                for r in root.all_routes()]
        self.routes = sorted(flat, key=lambda r: r.tier)  # sort is stable
        refusal = root.find_refusal()
        if refusal is None:
            raise ValueError("the root router needs a refusal handler (Router.refused)")
        self.on_refused = refusal
        self.commands = [r.command for r in flat if r.command is not None]
        self._by_role: dict[str, list[Command]] = {}
        self._memo: dict[tuple[str | None, ...], Resolution | None] = {}
        self._by_click = {
            r.command.click_key: r for r in flat if r.command is not None and r.command.click_key
        }

    def commands_for(self, role: str) -> list[Command]:
        found = self._by_role.get(role)
        if found is None:
            found = self._by_role[role] = [c for c in self.commands if c.allows(role)]
        return found

    def resolve(self, msg: Incoming, dialog_state: str | None, role: str) -> Resolution | None:
        """The route for this message, sender's role and dialog state. Remembered: the same
        few texts (帮助, 周报, 1, 确认 …) arrive all day, and matching one against every
        command costs more than the rest of reading it."""
        key = (msg.text, msg.msg_type, msg.event, msg.event_key, dialog_state, role)
        try:
            return self._memo[key]
        except KeyError:
            pass
        found = self._resolve(msg, dialog_state, role)
        if len(self._memo) >= RESOLVED_KEPT:
            self._memo.clear()  # long free texts would otherwise pile up
        self._memo[key] = found
        return found

    def _resolve(self, msg: Incoming, dialog_state: str | None, role: str) -> Resolution | None:
        text = msg.text
        folded = Folded.of(text) if text is not None else None
        click = msg.event == "click" and msg.event_key is not None
        for route in self.routes:
            if route.command is not None:
                if click:
                    if route.command.click_key != (msg.event_key or "").upper():
                        continue
                    args: str | None = ""
                elif text is None:
                    continue
                else:
                    args = route.command.match(text, folded)
                    if args is None:
                        continue
                if role != ANY_ROLE and not route.command.allows(role):
                    return Resolution(Route(handler=self.on_refused, command=route.command,
                                            writes=False), refused=True)
                return Resolution(route, args=args or "")
            if route.states:
                if dialog_state in route.states and not click and msg.msg_type != "event":
                    return Resolution(route, args=text or "")
                continue
            if route.events:
                if msg.event in route.events:
                    return Resolution(route)
                continue
            if route.msg_types:
                # A voice message with a Recognition result is text, not audio.
                if msg.msg_type in route.msg_types and text is None:
                    return Resolution(route)
                continue
            if route.fallback:
                return Resolution(route, args=text or "")
        return None
