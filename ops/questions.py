"""`workshop-bot questions …`: the members' 留言 — list them, answer one (the answer is pushed
to the member), promote an answered one into the policy FAQ. The rules are
domain.questions', the push's words locales.pushes'."""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from domain import NotFound, TooLong, WrongState
from domain.questions import AnswerWording, answer, promote, questions
from locales import pushes
from ops.terminal import err, office_words
from storage.db import Database
from storage.queries.questions import QUESTION_OPEN, QuestionView


async def questions_list(settings: Settings, *, open_only: bool) -> int:
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        async with db.reader() as session:
            found = await questions(session, state=QUESTION_OPEN if open_only else None)
    finally:
        await db.dispose()
    if not found:
        print(words("questions.ops.list_empty_open" if open_only else "questions.ops.list_empty"))
        return 0
    for q in found:
        asked = q.asked_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
        state = words(f"questions.ops.state.{q.state}")
        print(words("questions.ops.list_line", id=q.id, state=state, at=asked,
                    name=q.name, employee_no=q.employee_no, text=q.text))
        if q.answer is not None:
            print(words("questions.ops.list_answer", answer=q.answer))
    waiting = sum(1 for q in found if q.answered_at is None)
    print(words("questions.ops.list_summary", n=len(found), open=waiting))
    return 0


def _push(settings: Settings, at: datetime) -> AnswerWording:
    """The wording of an answer's push for one language choice (locales.pushes)."""
    moment = at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")

    def word(choice: str | None, q: QuestionView, said: str) -> tuple[str, dict[str, str] | None]:
        return pushes.question_answer(choice, question=q.text, answer=said, at=moment)

    return word


async def questions_answer(settings: Settings, question_id: int, text: str, now: datetime) -> int:
    """Answer a question: 0 recorded and queued for the member; 1 unknown number or answered
    before; 2 an empty or overlong answer. Nothing is written unless 0."""
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        try:
            async with db.transaction() as session:
                found = await answer(session, question_id=question_id, text=text, now=now,
                                     word=_push(settings, now))
        except NotFound:
            err.print(words("questions.ops.not_found", id=question_id))
            return 1
        except WrongState:
            err.print(words("questions.ops.already_answered", id=question_id))
            return 1
        except TooLong as refused:
            key = "questions.ops.answer_too_long" if text.strip() else "questions.ops.answer_empty"
            err.print(words(key, **refused.facts))
            return 2
    finally:
        await db.dispose()
    print(words("questions.ops.answered", id=question_id, name=found.name))
    return 0


async def questions_promote(settings: Settings, question_id: int, now: datetime,
                            as_question: str | None = None) -> int:
    """Turn an answered question into an FAQ entry (the version bumped: every process sees
    it at its next look). 1: unknown number, or not answered yet."""
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        try:
            async with db.transaction() as session:
                done = await promote(session, question_id=question_id, now=now,
                                     as_question=as_question)
        except NotFound:
            err.print(words("questions.ops.not_found", id=question_id))
            return 1
        except WrongState:
            err.print(words("questions.ops.not_answered", id=question_id))
            return 1
    finally:
        await db.dispose()
    print(words("questions.ops.promoted", id=question_id, entry=done.entry_id,
                question=done.question))
    return 0
