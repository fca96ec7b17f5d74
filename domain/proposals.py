"""The leaders' decisions on what members put forward: 采纳 / 不采纳 / 实施 on a suggestion
(合理化建议), 认定 / 退回 on a result (成果).

A decision moves the record to its status only from the statuses listed in
``Decision.allowed_from``; one of another studio (which looks exactly like a missing one)
is refused. The rules, in the order they are checked:

- a record already in the decision's status keeps it: the leader's words with it, if new,
  replace the comment (a reason added later), and the proposer hears of that once; the
  same words again, or none, change nothing (WrongState "already");
- a decision that must say why (``Decision.needs_reason``: 不采纳, 退回) is refused
  without words (ReasonNeeded): the proposer would read a bare "no";
- a decision that undoes a final one (``FINAL``: rejected, implemented, verified,
  returned — a decision the proposer was told of and nothing follows) is refused until
  the caller confirms it (ChangesFinal); an accepted suggestion is on its way to being
  implemented, not final.

The proposer hears of it in their own language: the caller gives the words
(``word_push``), this module decides whether and to whom, and queues the push in the
same transaction.
"""

from __future__ import annotations

import difflib
import hashlib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from domain import DomainError, NotFound, WrongState
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
    needs_reason: bool = False  # refused without the leader's words (the proposer's why)


ACCEPT = Decision("accept", SUGGESTION, "accepted", ("submitted", "rejected"))
REJECT = Decision("reject", SUGGESTION, "rejected", ("submitted", "accepted"), needs_reason=True)
IMPLEMENT = Decision("implemented", SUGGESTION, "implemented", ("submitted", "accepted"))
VERIFY = Decision("verify", RESULT, RESULT_VERIFIED, (RESULT_REPORTED, "returned"))
RETURN = Decision("return", RESULT, "returned", (RESULT_REPORTED, RESULT_VERIFIED),
                  needs_reason=True)
DECISIONS = (ACCEPT, REJECT, IMPLEMENT, VERIFY, RETURN)
# Statuses a decision ends in for good: the proposer was told, and no decision leads on
# from them. Leaving one is a change of mind, taken only once confirmed.
FINAL = frozenset({"rejected", "implemented", RESULT_VERIFIED, "returned"})


def decision_named(name: str) -> Decision:
    """The decision of that name (a stored dialog keeps the name)."""
    for decision in DECISIONS:
        if decision.name == name:
            return decision
    raise KeyError(name)


def decision_for(subject: str, status: str) -> Decision | None:
    """The decision that leads to `status` (whose words a comment in it is: 意见, 原因 …)."""
    return next((d for d in DECISIONS if d.subject == subject and d.status == status), None)


class ReasonNeeded(DomainError):
    """A decision that must say why was given no words. Facts: id, subject."""

    code = "reason_needed"


class ChangesFinal(DomainError):
    """The decision would undo a final one; it waits for the caller's confirmation.
    Facts: id, subject, status (the record's now), proposer_id."""

    code = "changes_final"


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
    comment_only: bool = False  # the status was already this one: only the comment changed


# Words the proposer's push: (the decision taken, the recipient's language choice) → text.
WordPush = Callable[[Decided, str | None], str]


async def decide(session: Session, decision: Decision, record_id: int, *, studio_id: int,
                 leader_id: int, said: str | None, now: datetime,
                 word_push: WordPush, confirmed: bool = False) -> Decided:
    """Take `decision` on record `record_id` of the leader's studio (the rules: the module's
    docstring); `confirmed`: the leader has said yes to undoing a final decision.

    Raises NotFound (no such record in this studio, facts: id), WrongState with code
    "already" (facts: id, status) or "cannot" (facts: id, status, target), ReasonNeeded,
    ChangesFinal.
    """
    record: Suggestion | Achievement | None = (
        await suggestion_by_id(session, record_id) if decision.subject == SUGGESTION
        else await achievement_by_id(session, record_id))
    if record is None or record.studio_id != studio_id:
        raise NotFound(id=record_id, subject=decision.subject)
    said = (said or "").strip()[:MAX_SAID] or None
    before = record.reply if isinstance(record, Suggestion) else record.note
    if record.status == decision.status:
        if said is None or said == before:
            raise WrongState("already", id=record_id, subject=decision.subject,
                             status=record.status)
        return await _comment(session, decision, record, said, leader_id=leader_id, now=now,
                              word_push=word_push)
    if record.status not in decision.allowed_from:
        raise WrongState("cannot", id=record_id, subject=decision.subject, status=record.status,
                         target=decision.status)
    if decision.needs_reason and said is None:
        raise ReasonNeeded(id=record_id, subject=decision.subject)
    if record.status in FINAL and not confirmed:
        raise ChangesFinal(id=record_id, subject=decision.subject, status=record.status,
                           proposer_id=record.member_id)
    record.status = decision.status
    if isinstance(record, Suggestion):
        record.reply, record.decided_by_id, record.decided_at = said, leader_id, now
    else:
        record.note, record.verified_by_id, record.verified_at = said, leader_id, now
    decided = _decided(decision, record, said, leader_id)
    if decided.notified:
        # One message per decision: a change of mind later is news again.
        await _tell(session, decided, kind=f"{decision.subject}-decision",
                    period=f"{record_id}:{decision.status}:{int(now.timestamp())}", now=now,
                    word_push=word_push)
    return decided


async def _comment(session: Session, decision: Decision, record: Suggestion | Achievement,
                   said: str, *, leader_id: int, now: datetime, word_push: WordPush) -> Decided:
    """The leader's words on a decision taken already: they replace the comment; the
    decision keeps who took it and when."""
    if isinstance(record, Suggestion):
        record.reply = said
    else:
        record.note = said
    decided = _decided(decision, record, said, leader_id, comment_only=True)
    if decided.notified:
        # Each new comment once (the same words again were refused as "already"; two
        # within a second differ by their digest), under the decision's kind: the template
        # configured for decisions carries it too. The period holds 40 characters.
        digest = hashlib.blake2b(said.encode("utf-8"), digest_size=4).hexdigest()
        await _tell(session, decided, kind=f"{decision.subject}-decision",
                    period=f"{record.id}:note:{int(now.timestamp())}:{digest}",
                    now=now, word_push=word_push)
    return decided


def _decided(decision: Decision, record: Suggestion | Achievement, said: str | None,
             leader_id: int, *, comment_only: bool = False) -> Decided:
    if isinstance(record, Suggestion):
        content, kind = record.content, None
    else:
        content, kind = record.title, record.type
    return Decided(id=record.id, subject=decision.subject, status=decision.status,
                   proposer_id=record.member_id, said=said, content=content, type=kind,
                   notified=record.member_id != leader_id, comment_only=comment_only)


async def _tell(session: Session, decided: Decided, *, kind: str, period: str, now: datetime,
                word_push: WordPush) -> None:
    languages = await languages_of(session, [decided.proposer_id])
    await enqueue(session, kind=kind, period=period, recipient_id=decided.proposer_id,
                  text=word_push(decided, languages.get(decided.proposer_id)), now=now)


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
