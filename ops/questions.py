"""`workshop-bot questions …`: the members' 留言 — list them, answer one (the answer is pushed
to the member), promote an answered one into the policy FAQ."""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from bot.replies import clip_text
from domain import NotFound, TooLong, WrongState
from domain.questions import AnswerWording, answer, promote
from locales import PUSH_LIMIT, TEMPLATE_FIELD_LIMIT, words_for
from ops.terminal import err, office_words
from storage.db import Database
from storage.queries.questions import QuestionView, question_list

# How much of a question the push and the list repeat.
SNIPPET = 40


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET else text[:SNIPPET] + "…"


def _state(q: QuestionView) -> str:
    if q.faq_entry_id is not None:
        return "promoted"
    return "open" if q.answered_at is None else "answered"


async def questions_list(settings: Settings, *, open_only: bool) -> int:
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        async with db.reader() as session:
            found = await question_list(session, open_only=open_only)
    finally:
        await db.dispose()
    if not found:
        print(words("questions.ops.list_empty_open" if open_only else "questions.ops.list_empty"))
        return 0
    for q in found:
        asked = q.asked_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
        state = words(f"questions.ops.state.{_state(q)}")
        print(words("questions.ops.list_line", id=q.id, state=state, at=asked,
                    name=q.name, employee_no=q.employee_no, text=q.text))
        if q.answer is not None:
            print(words("questions.ops.list_answer", answer=q.answer))
    waiting = sum(1 for q in found if q.answered_at is None)
    print(words("questions.ops.list_summary", n=len(found), open=waiting))
    return 0


def _push(settings: Settings, at: datetime) -> AnswerWording:
    """The wording of an answer's push for one language choice: the text, and the template
    fields for when the 48-hour window is closed (the question in thing1, the time)."""
    moment = at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")

    def word(choice: str | None, q: QuestionView, said: str) -> tuple[str, dict[str, str] | None]:
        # A heading in each of the member's languages, the office's answer once (it is in
        # whatever language the office wrote; twice would halve what fits).
        headings = [w("push.question_answer.heading", question=_snippet(q.text))
                    for w in words_for(choice).each()]
        heading = "\n".join(headings)
        text = heading + "\n" + clip_text(said, PUSH_LIMIT - len(heading.encode("utf-8")) - 1)
        thing = words_for(choice)("push.question_answer.thing1", question=_snippet(q.text))
        return text, {"thing1": thing[:TEMPLATE_FIELD_LIMIT], "time2": moment}

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
