"""Incoming (the frozen facts of one WeChat message) and Ctx (what a handler may use)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.replies import Reply, Text
from locales import Words
from storage.queries.sender import MemberView
from storage.session import Session

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.routing import Command

ROLE_UNBOUND = "unbound"


@dataclass(frozen=True)
class Incoming:
    """One message or event as WeChat sent it, after decryption and parsing."""

    openid: str
    account: str  # ToUserName: our account's original id, the sender of our reply
    msg_type: str  # text, image, voice, video, shortvideo, location, link, event, …
    create_time: int
    msg_id: str | None = None
    text: str | None = None  # Content, or a voice message's Recognition
    event: str | None = None  # lower-cased Event; a QR-scene subscribe stays "subscribe"
    event_key: str | None = None  # qrscene_ prefix removed for subscribe
    media_id: str | None = None
    pic_url: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def dedupe_key(self) -> str:
        """WeChat's retries carry the same key. MsgId alone repeats across users.

        Events have no MsgId: sender, CreateTime and Event identify them, plus a digest of
        EventKey so two different menu clicks within one second stay two clicks.
        """
        if self.msg_type == "event" or not self.msg_id:
            key = f"e:{self.openid}:{self.create_time}:{self.event or self.msg_type}"
            if self.event_key:
                key += ":" + hashlib.sha1(self.event_key.encode("utf-8")).hexdigest()[:12]
            return key
        return f"m:{self.openid}:{self.msg_id}"


@dataclass
class Dialog:
    """The sender's dialog position; handlers move it, the dispatcher stores it."""

    state: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    expired: bool = False  # a stored dialog timed out before this message
    changed: bool = False
    ttl: timedelta | None = None  # the dialog's timeout, when a declared dialog set it

    def go(self, state: str, data: dict[str, Any] | None = None, *,
           ttl: timedelta | None = None) -> None:
        self.state = state
        if data is not None:
            self.data = dict(data)
        if ttl is not None:
            self.ttl = ttl
        self.changed = True

    def end(self) -> None:
        self.state = None
        self.data = {}
        self.changed = True

    @property
    def active(self) -> bool:
        return self.state is not None


@dataclass
class Ctx:
    """What a handler gets besides the message. It neither commits nor reads the clock."""

    # Where `session` comes from: made on a handler's first use, so that a message that
    # reads nothing (帮助 from a stranger) costs no session.
    session_source: Callable[[], Session]
    member: MemberView | None
    dialog: Dialog
    now: datetime
    settings: Settings
    commands: list[Command] = field(default_factory=list)  # those this user may use
    args: str = ""  # the text after the command word
    command: Command | None = None
    # The sender's words: their language, else the union's default (see locales).
    words: Words = field(default_factory=lambda: Words(None))
    # The dispatcher's routing, for handle_afresh: resolve a message outside any dialog
    # and run its handler with this context.
    route_afresh: Callable[[Incoming, Ctx], Awaitable[Reply]] | None = None
    # Events for the app's counters (bot.metrics: Metrics.counted), added up by the
    # dispatcher only once the message's work is committed: a unit rolled back and run
    # again (PostgreSQL's read path, a retry) counts once.
    events: list[str] = field(default_factory=list)

    @property
    def session(self) -> Session:
        return self.session_source()

    @property
    def role(self) -> str:
        return self.member.role if self.member is not None else ROLE_UNBOUND

    @property
    def language(self) -> str:
        return self.words.language

    def t(self, key: str, /, **values: object) -> str:
        """The message `key` in the sender's language, with `values` filled in."""
        return self.words(key, **values)

    def reply(self, key: str, /, **values: object) -> Text:
        """A text reply of the message `key` (the common case of a handler's answer)."""
        return Text(self.words(key, **values))

    def count(self, event: str) -> None:
        """Count `event` (a name bot.metrics knows, e.g. faq_unanswered) for /metrics."""
        self.events.append(event)

    async def handle_afresh(self, msg: Incoming, text: str | None = None) -> Reply:
        """Handle `msg` — saying `text` instead, if given — as if it had just arrived with no
        dialog open: routed like any message and run by its handler with this context, so a
        dialog that handler starts is kept. A dialog step passes a message on this way (a
        command typed where an answer was expected, an offer taken up); it settles its own
        dialog first."""
        if self.route_afresh is None:
            raise RuntimeError("handle_afresh needs the dispatcher's routing")
        if text is not None:
            msg = dataclasses.replace(msg, msg_type="text", text=text)
        return await self.route_afresh(msg, self)
