"""The rules: who may do what to a record, and the state it moves to.

Chat handlers, the jobs and (later) the web console call these same functions, so a rule is
written once. Each takes the session first and never commits (the caller owns the
transaction), returns frozen views, and raises a :class:`DomainError` subclass whose
``code`` the caller words in the reader's language.
"""

from __future__ import annotations


class DomainError(Exception):
    """A request the rules refuse; ``code`` names why (the caller has the words)."""

    code = "refused"

    def __init__(self, code: str | None = None, **facts: object) -> None:
        super().__init__(code or self.code)
        if code is not None:
            self.code = code
        self.facts = facts


class TooLong(DomainError):
    """A text over its limit (a log, a check-in, a notice, a question). Facts: ``limit``,
    ``chars``. Each domain module names its own limit and raises this one."""

    code = "too_long"


class NotFound(DomainError):
    """No such record for this person: another studio's looks exactly like a missing one."""

    code = "not_found"


class NotAllowed(DomainError):
    """The record exists but this person may not do this to it."""

    code = "not_allowed"


class WrongState(DomainError):
    """The record is not in a state this change may follow."""

    code = "wrong_state"


class HoursOutOfRange(DomainError):
    """Hours a record cannot hold: not above zero, or above what one such record can
    take. Facts: ``hours``, ``limit``."""

    code = "hours_out_of_range"


def check_hours(hours: float | None, limit: float) -> None:
    """HoursOutOfRange unless `hours` is missing or in (0, limit]."""
    if hours is not None and not 0 < hours <= limit:
        raise HoursOutOfRange(hours=hours, limit=limit)
