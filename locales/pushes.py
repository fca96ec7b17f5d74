"""Pushes worded one way wherever their cause happens: a leader's decision taken in the chat
or on the web console reads the same to the member it concerns."""

from __future__ import annotations

from locales import Words, compose

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
