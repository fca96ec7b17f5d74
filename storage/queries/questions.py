"""留言: members' questions to the union office, their answers and the FAQ entries they became."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from storage.models import Member, Question
from storage.session import Session

QUESTION_ANSWER_KIND = "question-answer"
# Where a question is: waiting for the office, answered, or answered and made an FAQ entry.
QUESTION_OPEN = "open"
QUESTION_ANSWERED = "answered"
QUESTION_PROMOTED = "promoted"
QUESTION_STATES = (QUESTION_OPEN, QUESTION_ANSWERED, QUESTION_PROMOTED)


def question_period(question_id: int) -> str:
    """The outbox period of a question's answer: one push per question."""
    return f"question:{question_id}"


@dataclass(frozen=True)
class QuestionView:
    id: int
    member_id: int
    name: str
    employee_no: str
    text: str
    asked_at: datetime
    answer: str | None
    answered_at: datetime | None
    faq_entry_id: int | None

    @property
    def state(self) -> str:
        """QUESTION_OPEN, QUESTION_ANSWERED or QUESTION_PROMOTED."""
        if self.faq_entry_id is not None:
            return QUESTION_PROMOTED
        return QUESTION_OPEN if self.answered_at is None else QUESTION_ANSWERED


def _select() -> Any:
    """A question with its asker's name and employee number (a Select)."""
    return (select(Question.id, Question.member_id, Member.name, Member.employee_no,
                   Question.text, Question.asked_at, Question.answer, Question.answered_at,
                   Question.faq_entry_id)
            .join(Member, Member.id == Question.member_id))


async def add_question(session: Session, member_id: int, text: str, at: datetime,
                       miss_id: int | None = None) -> int:
    row = Question(member_id=member_id, text=text, miss_id=miss_id, asked_at=at)
    session.add(row)
    await session.flush()
    return row.id


async def count_asked_since(session: Session, member_id: int, since: datetime) -> int:
    """How many questions the member left after `since` (the rate limit)."""
    return await session.scalar(
        select(func.count(Question.id))
        .where(Question.member_id == member_id, Question.asked_at > since)) or 0


async def question(session: Session, question_id: int) -> QuestionView | None:
    row = (await session.execute(_select().where(Question.id == question_id))).first()
    return None if row is None else QuestionView(**row._mapping)


async def questions_of(session: Session, member_id: int, limit: int) -> list[QuestionView]:
    """The member's latest questions, newest first."""
    rows = await session.execute(_select().where(Question.member_id == member_id)
                                 .order_by(Question.asked_at.desc(), Question.id.desc())
                                 .limit(limit))
    return [QuestionView(**row._mapping) for row in rows.all()]


async def question_list(session: Session, *, open_only: bool = False,
                        state: str | None = None) -> list[QuestionView]:
    """Every question (only the unanswered with `open_only`, only those in `state` when
    given), oldest first."""
    stmt = _select().order_by(Question.id)
    if open_only or state == QUESTION_OPEN:
        stmt = stmt.where(Question.answered_at.is_(None))
    elif state == QUESTION_ANSWERED:
        stmt = stmt.where(Question.answered_at.is_not(None), Question.faq_entry_id.is_(None))
    elif state == QUESTION_PROMOTED:
        stmt = stmt.where(Question.faq_entry_id.is_not(None))
    return [QuestionView(**row._mapping) for row in (await session.execute(stmt)).all()]


async def mark_answered(session: Session, question_id: int, answer: str, at: datetime) -> bool:
    """Record the answer; False when the question was answered meanwhile."""
    result = await session.execute(
        update(Question).where(Question.id == question_id, Question.answered_at.is_(None))
        .values(answer=answer, answered_at=at).execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


async def mark_promoted(session: Session, question_id: int, entry_id: int, at: datetime) -> None:
    await session.execute(
        update(Question).where(Question.id == question_id)
        .values(faq_entry_id=entry_id, promoted_at=at).execution_options(synchronize_session=False))


async def carried(session: Session, miss_id: int) -> bool:
    """Whether an earlier 留言 already carried this FAQ miss along."""
    return await session.scalar(select(Question.id).where(Question.miss_id == miss_id)
                                .limit(1)) is not None
