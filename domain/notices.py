"""The rules of a notice (通知): a leader's announcement to every member of the studio who
can receive it, or an admin's to every leader or every member of the union; counted when
it is sent.

Words are the caller's: each member's copy is written by a ``word(choice, notice)`` callback
given that member's language choice (None means zh-CN), which returns the text and the
template fields of the push.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from domain import DomainError, TooLong
from storage.queries.members import languages_of
from storage.queries.notices import NOTICE_KIND, add_notice, audience_of, notice_period
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
