"""The rules of a studio notice (通知): a leader's announcement to every member of the studio
who can receive it, counted when it is sent.

Words are the caller's: each member's copy is written by a ``word(choice, notice)`` callback
given that member's language choice (None means zh-CN), which returns the text and the
template fields of the push.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from domain import DomainError
from storage.queries.members import languages_of
from storage.queries.notices import NOTICE_KIND, add_notice, notice_period, studio_audience
from storage.queries.outbox import enqueue_many
from storage.session import Session

# A customer-service text message holds 2,048 bytes; keep room for the heading and name.
MAX_CHARS = 600


class TooLong(DomainError):
    """The content is longer than MAX_CHARS (facts: limit, chars)."""

    code = "too_long"


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
    studio_id: int
    author_id: int
    content: str
    recipients: int  # members queued to receive it
    created_at: datetime


# One member's copy: its text and template fields, in that member's language choice.
NoticeWording = Callable[[str | None, PostedNotice], tuple[str, dict[str, str] | None]]


async def post_notice(
    session: Session, *, studio_id: int, author_id: int, content: str, now: datetime,
    word: NoticeWording,
) -> PostedNotice:
    """Record the notice and queue one push per member who can receive it now.

    The audience is counted here, at sending, not when the leader was asked to confirm:
    someone may have bound or left since. Each row is keyed by the notice, so a re-run of
    the transaction (WeChat retrying the confirm) cannot queue anyone twice.
    Raises TooLong, or NoAudience when nobody can receive it (nothing is recorded then)."""
    if len(content) > MAX_CHARS:
        raise TooLong(limit=MAX_CHARS, chars=len(content))
    audience = await studio_audience(session, studio_id, author_id)
    if not audience.reachable:
        raise NoAudience(unbound=audience.unbound, unfollowed=audience.unfollowed)
    notice = await add_notice(session, studio_id=studio_id, author_id=author_id,
                              content=content, recipients=len(audience.reachable), now=now)
    posted = PostedNotice(notice_id=notice.id, studio_id=studio_id, author_id=author_id,
                          content=content, recipients=len(audience.reachable), created_at=now)
    languages = await languages_of(session, audience.reachable)
    # Written once per language choice: a studio reads in one or two languages, not forty.
    chosen = {mid: languages.get(mid) for mid in audience.reachable}
    copies = {choice: word(choice, posted) for choice in set(chosen.values())}
    await enqueue_many(session, NOTICE_KIND, notice_period(notice.id),
                       {mid: copies[choice] for mid, choice in chosen.items()}, now)
    return posted
