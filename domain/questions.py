"""留言: a member's question for the union office, its answer (pushed to the member) and
its promotion into the policy FAQ. The chat asks, the office answers and promotes — at the
command line (`workshop-bot questions`) or on the console's 留言 page, through the same
functions; an answer's push is worded by locales.pushes.question_answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain import DomainError, NotFound, TooLong, WrongState
from storage.queries import faq as faq_store
from storage.queries.members import languages_of
from storage.queries.outbox import enqueue_many
from storage.queries.questions import (
    QUESTION_ANSWER_KIND,
    QUESTION_STATES,
    QuestionView,
    add_question,
    count_asked_since,
    mark_answered,
    mark_promoted,
    question,
    question_list,
    question_period,
)
from storage.session import Session

# At most this many questions from one member in RATE_WINDOW.
RATE_LIMIT = 20
RATE_WINDOW = timedelta(minutes=1)
# What one question and one answer may hold, in characters (a push holds 2,048 bytes).
MAX_QUESTION = 500
MAX_ANSWER = 500

# The answer's push in the recipient's language choice: its text and template fields.
AnswerWording = Callable[[str | None, QuestionView, str], tuple[str, dict[str, str] | None]]


class TooMany(DomainError):
    """The member left RATE_LIMIT questions within RATE_WINDOW. Facts: ``limit``."""

    code = "too_many"


@dataclass(frozen=True)
class Promoted:
    question_id: int
    entry_id: int
    question: str


async def ask(session: Session, *, member_id: int, text: str, now: datetime,
              miss_id: int | None = None) -> int:
    """Record the member's question; TooMany past the rate limit, TooLong past MAX_QUESTION."""
    if len(text) > MAX_QUESTION:
        raise TooLong(limit=MAX_QUESTION, chars=len(text))
    if await count_asked_since(session, member_id, now - RATE_WINDOW) >= RATE_LIMIT:
        raise TooMany(limit=RATE_LIMIT)
    return await add_question(session, member_id, text, now, miss_id)


async def questions(session: Session, *, state: str | None = None) -> list[QuestionView]:
    """The questions, oldest first; only those in `state` (open, answered, promoted: a
    QuestionView's ``state``) when given. ValueError for a state that is none."""
    if state is not None and state not in QUESTION_STATES:
        raise ValueError(f"no question state {state!r}")
    return await question_list(session, state=state)


async def answer(session: Session, *, question_id: int, text: str, now: datetime,
                 word: AnswerWording) -> QuestionView:
    """The office answers: recorded, and the asker told through the outbox. NotFound for
    an unknown number, WrongState when it was answered before, TooLong past MAX_ANSWER."""
    text = text.strip()
    if not text or len(text) > MAX_ANSWER:
        raise TooLong(limit=MAX_ANSWER, chars=len(text))
    found = await question(session, question_id)
    if found is None:
        raise NotFound(question_id=question_id)
    if found.answered_at is not None or not await mark_answered(session, question_id, text, now):
        raise WrongState(question_id=question_id)
    choice = (await languages_of(session, [found.member_id])).get(found.member_id)
    await enqueue_many(session, QUESTION_ANSWER_KIND, question_period(question_id),
                       {found.member_id: word(choice, found, text)}, now)
    return found


async def promote(session: Session, *, question_id: int, now: datetime,
                  as_question: str | None = None) -> Promoted:
    """An answered question becomes an FAQ entry: `as_question` (else the asker's wording)
    with the answer, the asker's wording kept as a variant. NotFound for an unknown number,
    WrongState while it has no answer."""
    found = await question(session, question_id)
    if found is None:
        raise NotFound(question_id=question_id)
    if found.answer is None:
        raise WrongState(question_id=question_id)
    wording = found.text.strip()
    title = (as_question or "").strip() or wording
    variants = [wording] if wording != title else []
    entry_id = await faq_store.add_entry(session, title, variants, found.answer, now)
    await mark_promoted(session, question_id, entry_id, now)
    return Promoted(question_id, entry_id, title)
