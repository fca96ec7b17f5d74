"""The rules of a notice (通知): a leader's announcement to every member of the studio who
can receive it, or an admin's to every leader or every member of the union; counted when
it is sent. And what became of it: its pushes by state, channel and reason (the console's
notice pages, 通知 alone in the chat).

Words are the caller's: each member's copy is written by a ``word(choice, notice)`` callback
given that member's language choice (None means zh-CN), which returns the text and the
template fields of the push (locales.pushes.notice).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from domain import DomainError, NotFound, TooLong
from domain.members import Actor
from domain.outbox import Reason, reason_of
from storage.queries.members import languages_of
from storage.queries.notices import (
    NOTICE_KIND,
    NoticeRow,
    add_notice,
    audience_of,
    notice_deliveries,
    notice_period,
    notice_row,
    notice_rows,
)
from storage.queries.outbox import enqueue_many
from storage.session import Session

# A customer-service text message holds 2,048 bytes; keep room for the heading and name.
MAX_CHARS = 600


class NoAudience(DomainError):
    """Nobody in the studio can receive a notice now: every other member is unbound or has
    stopped following the account (they are counted, for the reply)."""

    code = "no_audience"

    def __init__(self, *, unbound: int, unfollowed: int) -> None:
        super().__init__(unbound=unbound, unfollowed=unfollowed)
        self.unbound = unbound
        self.unfollowed = unfollowed


@dataclass(frozen=True)
class PostedNotice:
    notice_id: int
    studio_id: int | None  # None: the union's (an admin's)
    author_id: int
    content: str
    recipients: int  # members queued to receive it
    created_at: datetime


# One member's copy: its text and template fields, in that member's language choice.
NoticeWording = Callable[[str | None, PostedNotice], tuple[str, dict[str, str] | None]]


async def post_notice(
    session: Session, *, studio_id: int | None, author_id: int, content: str, now: datetime,
    word: NoticeWording, audience: str = "studio",
) -> PostedNotice:
    """Record the notice and queue one push per member who can receive it now.

    The audience is counted here, at sending, not when the leader was asked to confirm:
    someone may have bound or left since. Each row is keyed by the notice, so a re-run of
    the transaction (WeChat retrying the confirm) cannot queue anyone twice.
    Raises TooLong, or NoAudience when nobody can receive it (nothing is recorded then)."""
    if len(content) > MAX_CHARS:
        raise TooLong(limit=MAX_CHARS, chars=len(content))
    reach = await audience_of(session, audience, studio_id, author_id)
    if not reach.reachable:
        raise NoAudience(unbound=reach.unbound, unfollowed=reach.unfollowed)
    notice = await add_notice(session, studio_id=studio_id, author_id=author_id,
                              content=content, recipients=len(reach.reachable), now=now,
                              audience=audience)
    posted = PostedNotice(notice_id=notice.id, studio_id=studio_id, author_id=author_id,
                          content=content, recipients=len(reach.reachable), created_at=now)
    languages = await languages_of(session, reach.reachable)
    # Written once per language choice: a studio reads in one or two languages, not forty.
    chosen = {mid: languages.get(mid) for mid in reach.reachable}
    copies = {choice: word(choice, posted) for choice in set(chosen.values())}
    await enqueue_many(session, NOTICE_KIND, notice_period(notice.id),
                       {mid: copies[choice] for mid, choice in chosen.items()}, now)
    return posted


@dataclass(frozen=True)
class Deliveries:
    """What became of a notice's pushes: rows by (state, channel, reason) — the channel
    custom or template once one was tried (None before), the reason a code (domain.outbox)."""

    by: Mapping[tuple[str, str | None, Reason | None], int]

    def _count(self, *states: str) -> int:
        return sum(n for (state, _ch, _r), n in self.by.items() if state in states)

    @property
    def queued(self) -> int:
        """Every push the notice queued."""
        return sum(self.by.values())

    @property
    def sent(self) -> int:
        return self._count("sent")

    @property
    def failed(self) -> int:
        """Given up: WeChat kept failing, or the recipient could not be reached."""
        return self._count("failed", "undeliverable")

    @property
    def waiting(self) -> int:
        return self._count("pending", "in_flight")

    @property
    def dropped(self) -> int:
        return self._count("dropped")

    @property
    def channels(self) -> tuple[str | None, ...]:
        """The channels tried, custom before template, None (never tried) last."""
        present = {ch for (_s, ch, _r) in self.by}
        return tuple(sorted(present, key=lambda ch: (ch is None, ch or "")))

    def on_channel(self, channel: str | None) -> dict[str, int]:
        """Rows of one channel by state."""
        found: dict[str, int] = {}
        for (state, ch, _r), n in self.by.items():
            if ch == channel:
                found[state] = found.get(state, 0) + n
        return found

    @property
    def reasons(self) -> dict[str, int]:
        """Why pushes failed or could not be delivered: rows by reason code (WeChat's errcode
        left out), most first."""
        found: dict[str, int] = {}
        for (state, _ch, reason), n in self.by.items():
            if state in ("failed", "undeliverable") and reason is not None:
                found[reason.code] = found.get(reason.code, 0) + n
        return dict(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))


@dataclass(frozen=True)
class NoticeReport:
    """A notice as it was sent, and what became of its pushes."""

    notice_id: int
    studio_id: int | None  # None: the union's (an admin's)
    audience: str  # studio, leaders, members (storage.models.NOTICE_AUDIENCES)
    author_id: int
    author: str
    content: str
    recipients: int  # queued when it was sent
    created_at: datetime
    deliveries: Deliveries


def _report(row: NoticeRow, by: Mapping[tuple[str, str | None, str | None], int]
            ) -> NoticeReport:
    counted: dict[tuple[str, str | None, Reason | None], int] = {}
    for (state, channel, result), n in by.items():
        key = (state, channel, reason_of(result))
        counted[key] = counted.get(key, 0) + n
    return NoticeReport(row.id, row.studio_id, row.audience, row.author_id, row.author,
                        row.content, row.recipients, row.created_at, Deliveries(counted))


def _visible(by: Actor, studio_id: int | None) -> bool:
    """An admin sees every notice; a leader their own studio's."""
    return by.admin or (studio_id is not None and studio_id == by.studio_id)


async def notice_report(session: Session, by: Actor, notice_id: int) -> NoticeReport:
    """One notice's delivery report. NotFound (facts: notice_id) for a notice `by` may not
    see: another studio's, or — for a leader — the union's."""
    row = await notice_row(session, notice_id)
    if row is None or not _visible(by, row.studio_id):
        raise NotFound(notice_id=notice_id)
    return _report(row, (await notice_deliveries(session, [row.id]))[row.id])


async def studio_notices(session: Session, by: Actor, studio_id: int | None, *,
                         limit: int = 20, before: int | None = None) -> list[NoticeReport]:
    """A studio's notices (None: the union's, admins only), newest first, each with its
    delivery report; `before`: those numbered below it (the next page). NotFound (facts:
    studio_id) for a studio `by` may not see."""
    if not _visible(by, studio_id):
        raise NotFound(studio_id=studio_id)
    rows = await notice_rows(session, studio_id, limit=limit, before=before)
    deliveries = await notice_deliveries(session, [r.id for r in rows])
    return [_report(row, deliveries[row.id]) for row in rows]
