"""Pushes that people's actions cause, worded once for every caller that causes them — the
chat's handlers, the console, the command line: the domain functions that queue them take a
wording callback, and these are the words.

Each takes the recipient's language choice (None: zh-CN) and plain facts, and returns the
push's text (a bilingual choice gets both languages within the push limit) and its template
fields (``thing1`` in the recipient's first language, cut to WeChat's 20 characters, and
``time2``, a local time the caller formats).
"""

from __future__ import annotations

from locales import PUSH_LIMIT, TEMPLATE_FIELD_LIMIT, Words, clip, compose, words_for

Push = tuple[str, dict[str, str]]

# How much of a question an answer's push repeats.
QUESTION_SNIPPET = 40


def _fields(choice: str | None, key: str, at: str, **facts: object) -> dict[str, str]:
    """The template fields: the gist in the first language of the choice, and the time."""
    thing = words_for(choice)(key, **facts)
    return {"thing1": thing[:TEMPLATE_FIELD_LIMIT], "time2": at}


def snippet(text: str, limit: int = QUESTION_SNIPPET) -> str:
    """A text on one line, at most `limit` characters and marked when cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def question_answer(choice: str | None, *, question: str, answer: str, at: str) -> Push:
    """The union office's answer to a member's 留言 (outbox kind ``question-answer``)."""
    asked = snippet(question)
    headings = "\n".join(w("push.question_answer.heading", question=asked)
                         for w in words_for(choice).each())
    text = headings + "\n" + clip(answer, PUSH_LIMIT - len(headings.encode("utf-8")) - 1)
    return text, _fields(choice, "push.question_answer.thing1", at, question=asked)


def notice(choice: str | None, *, content: str, author: str, sender: str, at: str) -> Push:
    """One member's copy of a notice (outbox kind ``notice``): `sender` is the studio's name,
    or the union's for an admin's notice (empty: neither is known)."""

    def build(w: Words) -> str:
        return w("push.notice.text", studio=sender or w("push.notice.studio_fallback"),
                 content=content, leader=author)

    fields = _fields(choice, "push.notice.thing1", at, studio=sender)
    languages = words_for(choice).each()
    if len(languages) == 1:
        return compose(choice, build), fields
    # Bilingual: the heading in each language, the author's own words once.
    headings = "\n".join(w("push.notice.heading", leader=author,
                           studio=sender or w("push.notice.studio_fallback"))
                         for w in languages)
    # The author's text gets what room the headings leave (a notice can reach 600
    # characters of three bytes each): cut on a character, marked, never over the limit.
    return headings + "\n" + clip(content, PUSH_LIMIT - len(headings.encode("utf-8")) - 1), \
        fields


def role_changed(choice: str | None, *, name: str, role: str, at: str) -> Push:
    """A member's role changed (outbox kind ``member-role``); `role` is the new role's code."""

    def build(w: Words) -> str:
        return w("push.member_role.text", name=name, role=w.named("role", role))

    return compose(choice, build), _fields(choice, "push.member_role.thing1", at,
                                           role=words_for(choice).named("role", role))


def studio_changed(choice: str | None, *, name: str, studio: str, role: str, at: str) -> Push:
    """A member was moved to another studio (outbox kind ``member-studio``); `role` is their
    role's code."""

    def build(w: Words) -> str:
        return w("push.member_studio.text", name=name, studio=studio, role=w.named("role", role))

    return compose(choice, build), _fields(choice, "push.member_studio.thing1", at,
                                           studio=studio)


SNIPPET = 30  # characters of a suggestion or a result named in a push


def cut(words: Words, text: str, n: int = SNIPPET) -> str:
    return text if len(text) <= n else text[:n] + words("common.ellipsis")


def decision_push(choice: str | None, *, decision: str, subject: str, record_id: int,
                  content: str, result_type: str | None, status: str, said: str | None,
                  decided_by: str, comment_only: bool, by_office: bool = False) -> str:
    """What the proposer reads of a decision on their suggestion or result, in their
    language choice. `decision` is the decision's name (accept, reject, implemented, verify,
    return), `subject` suggestion or result, `status` the status it now has (a code);
    `comment_only`: only the decider's words changed; `by_office`: a union admin decided
    (on the console) rather than the studio's leader."""

    def build(words: Words) -> str:
        named = content if subject == "suggestion" else words(
            "proposals.result_subject", type=words.named("result.type", result_type or ""),
            title=content)
        facts: dict[str, object] = {
            "id": record_id, "snippet": cut(words, named), "leader": decided_by,
            "status": words.named(f"{subject}.status", status)}
        what = words(f"proposals.what.{decision}")
        # push.suggestion_decision.text, push.result_comment.by_office …
        key = f"push.{subject}_{'comment' if comment_only else 'decision'}." \
              f"{'by_office' if by_office else 'text'}"
        if comment_only:
            return words(key, what=what, said=said, **facts)
        return words(key, said=words("proposals.said", what=what, said=said) if said else "",
                     **facts)

    return compose(choice, build)
