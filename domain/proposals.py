"""The leaders' decisions on what members put forward: 采纳 / 不采纳 / 实施 on a suggestion
(合理化建议), 认定 / 退回 on a result (成果).

A decision moves the record to its status only from the statuses listed in
``Decision.allowed_from``; a record already in that status, or one of another studio
(which looks exactly like a missing one), is refused. The proposer hears of it in their
own language: the caller gives the words (``word_push``), this module decides whether
and to whom, and queues the push in the same transaction.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from domain import NotFound, WrongState
from storage.models import RESULT_REPORTED, RESULT_VERIFIED, Achievement, Suggestion
from storage.queries.members import languages_of
from storage.queries.outbox import enqueue
from storage.queries.proposals import (
    achievement_by_id,
    achievement_titles,
    add_achievement,
    add_suggestion,
    suggestion_by_id,
)
from storage.queries.studios import leaders_of
from storage.session import Session

SUGGESTION = "suggestion"
RESULT = "result"
# The leader's words with a decision (a reply, a reason): kept to this many characters.
MAX_SAID = 500
# Two titles of a studio's results of one type from which the second is probably the
# first reported again (difflib's ratio of their letters, spaces and punctuation left out):
# 一种焊接夹具 and 一种焊接用夹具 are 0.92, 一种焊接夹具 and 一种切割夹具 0.67.
SIMILAR_RATIO = 0.85
# A title written inside another (焊接夹具 in 一种焊接夹具) is the same result from this
# many characters on.
SIMILAR_INSIDE = 4
# A result still counts (and could be counted twice) while reported or verified; one that
# was returned is expected to be reported again, corrected.
_COUNTED = (RESULT_REPORTED, RESULT_VERIFIED)


@dataclass(frozen=True)
class Decision:
    """One decision a leader can take: its name (the command's key), what it decides on,
    the status it sets and the statuses it may follow."""

    name: str  # accept, reject, implemented, verify, return
    subject: str  # SUGGESTION or RESULT
    status: str
    allowed_from: tuple[str, ...]


ACCEPT = Decision("accept", SUGGESTION, "accepted", ("submitted", "rejected"))
REJECT = Decision("reject", SUGGESTION, "rejected", ("submitted", "accepted"))
IMPLEMENT = Decision("implemented", SUGGESTION, "implemented", ("submitted", "accepted"))
VERIFY = Decision("verify", RESULT, RESULT_VERIFIED, (RESULT_REPORTED, "returned"))
RETURN = Decision("return", RESULT, "returned", (RESULT_REPORTED, RESULT_VERIFIED))
DECISIONS = (ACCEPT, REJECT, IMPLEMENT, VERIFY, RETURN)


@dataclass(frozen=True)
class Decided:
    """A record after a decision: what the caller words in its reply and in the push."""

    id: int
    subject: str  # SUGGESTION or RESULT
    status: str  # the status it now has
    proposer_id: int
    said: str | None  # the leader's words, if any
    content: str  # a suggestion's text, a result's title
    type: str | None  # a result's type code; None for a suggestion
    notified: bool  # a push to the proposer was queued (they are not the leader)


# Words the proposer's push: (the decision taken, the recipient's language choice) → text.
WordPush = Callable[[Decided, str | None], str]


async def decide(session: Session, decision: Decision, record_id: int, *, studio_id: int,
                 leader_id: int, said: str | None, now: datetime,
                 word_push: WordPush) -> Decided:
    """Take `decision` on record `record_id` of the leader's studio.

    Raises NotFound (no such record in this studio, facts: id), WrongState with code
    "already" (facts: id, status) or "cannot" (facts: id, status, target).
    """
    record: Suggestion | Achievement | None = (
        await suggestion_by_id(session, record_id) if decision.subject == SUGGESTION
        else await achievement_by_id(session, record_id))
    if record is None or record.studio_id != studio_id:
        raise NotFound(id=record_id, subject=decision.subject)
    if record.status == decision.status:
        raise WrongState("already", id=record_id, subject=decision.subject, status=record.status)
    if record.status not in decision.allowed_from:
        raise WrongState("cannot", id=record_id, subject=decision.subject, status=record.status,
                         target=decision.status)
    said = (said or "").strip()[:MAX_SAID] or None
    record.status = decision.status
    if isinstance(record, Suggestion):
        record.reply, record.decided_by_id, record.decided_at = said, leader_id, now
        content, kind = record.content, None
    else:
        record.note, record.verified_by_id, record.verified_at = said, leader_id, now
        content, kind = record.title, record.type
    decided = Decided(id=record_id, subject=decision.subject, status=decision.status,
                      proposer_id=record.member_id, said=said, content=content, type=kind,
                      notified=record.member_id != leader_id)
    if decided.notified:
        languages = await languages_of(session, [record.member_id])
        # One message per decision: a change of mind later is news again.
        await enqueue(session, kind=f"{decision.subject}-decision",
                      period=f"{record_id}:{decision.status}:{int(now.timestamp())}",
                      recipient_id=record.member_id,
                      text=word_push(decided, languages.get(record.member_id)), now=now)
    return decided


# -- putting something forward --------------------------------------------------------


@dataclass(frozen=True)
class SimilarResult:
    """A result of the studio that a new one looks like."""

    id: int
    title: str


def title_key(title: str) -> str:
    """A title as compared: width folded, case folded, only letters and digits."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", title).casefold() if ch.isalnum())


def likeness(a: str, b: str) -> float:
    """How alike two titles are, 0 to 1 (1: the same once spaces and punctuation go)."""
    a, b = title_key(a), title_key(b)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    shorter, longer = sorted((a, b), key=len)
    if len(shorter) >= SIMILAR_INSIDE and shorter in longer:
        return 1.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


async def similar_result(session: Session, *, studio_id: int, type: str,
                         title: str) -> SimilarResult | None:
    """The studio's result of the same type most like `title`, if one is alike enough
    that the new one may be it reported again (and its benefit counted twice)."""
    best: tuple[float, SimilarResult] | None = None
    for record_id, other in await achievement_titles(session, studio_id=studio_id, type=type,
                                                     statuses=_COUNTED):
        ratio = likeness(title, other)
        if ratio >= SIMILAR_RATIO and (best is None or ratio > best[0]):
            best = (ratio, SimilarResult(record_id, other))
    return None if best is None else best[1]

# Words the leaders' push about a new record: the recipient's language choice → text.
WordNew = Callable[[str | None], str]


@dataclass(frozen=True)
class Submitted:
    """A suggestion or result just put forward, and whether any leader will hear of it."""

    id: int
    leaders_told: int  # the studio's other leaders, each with a push queued
    has_leader: bool  # False: the studio has no leader at all (the member is told so)


async def _tell_leaders(session: Session, subject: str, record_id: int, *, studio_id: int,
                        author_id: int, now: datetime, word: WordNew) -> Submitted:
    """The rule: every leader of the studio but the author hears of it, in their language."""
    leaders = await leaders_of(session, studio_id)
    others = [leader for leader in leaders if leader != author_id]
    languages = await languages_of(session, others)
    for leader in others:
        await enqueue(session, kind=subject, period=f"{subject}:{record_id}", recipient_id=leader,
                      text=word(languages.get(leader)), now=now)
    return Submitted(id=record_id, leaders_told=len(others), has_leader=bool(leaders))


async def submit_suggestion(session: Session, *, studio_id: int, member_id: int,
                            content: str, now: datetime,
                            word: Callable[[int, str | None], str]) -> Submitted:
    """Record a suggestion and tell the studio's leaders (`word(id, language)` words it)."""
    suggestion = await add_suggestion(session, studio_id=studio_id, member_id=member_id,
                                      content=content, now=now)
    return await _tell_leaders(session, SUGGESTION, suggestion.id, studio_id=studio_id,
                               author_id=member_id, now=now,
                               word=lambda language: word(suggestion.id, language))


async def submit_result(session: Session, *, studio_id: int, member_id: int, type: str,
                        title: str, economic_benefit: float | None, promoted: bool,
                        now: datetime, word: Callable[[int, str | None], str]) -> Submitted:
    """Record a result for the leaders to verify and tell them (`word(id, language)`)."""
    result = await add_achievement(session, studio_id=studio_id, member_id=member_id, type=type,
                                   title=title, economic_benefit=economic_benefit,
                                   promoted=promoted, now=now)
    return await _tell_leaders(session, RESULT, result.id, studio_id=studio_id,
                               author_id=member_id, now=now,
                               word=lambda language: word(result.id, language))
