"""A roster upload: what it would change (a preview that writes nothing), then applying it.

The preview reads the database as it stands and works out, line by line, what
storage.queries.roster.apply_roster would do with the same entries: the members it would
create, the fields it would change, the studios and unions it would create, the mentor
pairs it would start and end, and the lines it would refuse. Applying is apply_roster
itself, the code path of ``workshop-bot import-roster``.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from domain.roster_file import RosterFileError, RosterRead, read_roster_bytes
from locales import Words
from storage.models import ROLE_ADMIN
from storage.queries.mentorship import MENTOR_UNKNOWN, pairing_refusal
from storage.queries.roster import (
    LineProblem,
    RosterEntry,
    RosterOutcome,
    RosterState,
    apply_roster,
    roster_state,
)
from storage.session import Session

# The fields a roster line sets on a member, in the order a preview lists them (catalog:
# export.header.<field> names most of them).
FIELDS = ("name", "role", "studio", "union", "phone", "active", "language")


@dataclass(frozen=True)
class FieldChange:
    field: str  # one of FIELDS
    before: str | bool | None  # codes as stored: a role, a language choice; phone masked
    after: str | bool | None


@dataclass(frozen=True)
class MemberChange:
    """An existing member the file changes."""

    line: int
    employee_no: str
    name: str  # as the file has it
    changes: tuple[FieldChange, ...]

    def change(self, field: str) -> FieldChange | None:
        return next((c for c in self.changes if c.field == field), None)


@dataclass(frozen=True)
class NewMember:
    line: int
    employee_no: str
    name: str
    role: str  # a code (role.<code> in the catalogs)
    studio: str | None


@dataclass(frozen=True)
class MentorChange:
    """An apprentice whose pair in force ends, or who gets a new one, or both (a new mentor)."""

    line: int
    employee_no: str
    name: str
    mentor_before: str | None  # employee numbers
    mentor_after: str | None


@dataclass(frozen=True)
class RosterPreview:
    filename: str
    digest: str  # SHA-256 of the bytes previewed: apply what was shown, not another file
    lines: int  # lines with something in them
    imported: int  # lines that would be applied
    problems: tuple[LineProblem, ...]  # lines refused, or applied but for their mentor
    new_members: tuple[NewMember, ...]
    updated: tuple[MemberChange, ...]
    unchanged: int
    new_studios: tuple[str, ...]
    new_unions: tuple[str, ...]
    mentor_changes: tuple[MentorChange, ...]
    not_in_file: int  # members in the database the file does not mention (left as they are)

    @property
    def moves(self) -> tuple[MemberChange, ...]:
        """Members who would change studio."""
        return tuple(m for m in self.updated if m.change("studio"))

    @property
    def role_changes(self) -> tuple[MemberChange, ...]:
        return tuple(m for m in self.updated if m.change("role"))

    @property
    def pairs_created(self) -> int:
        return sum(1 for m in self.mentor_changes if m.mentor_after is not None)

    @property
    def pairs_ended(self) -> int:
        return sum(1 for m in self.mentor_changes if m.mentor_before is not None)

    @property
    def changes_anything(self) -> bool:
        return bool(self.new_members or self.updated or self.new_studios or self.new_unions
                    or self.mentor_changes)


@dataclass(frozen=True)
class RosterImport:
    """What applying a roster did: the file as read, and apply_roster's outcome."""

    read: RosterRead
    outcome: RosterOutcome

    @property
    def problems(self) -> list[LineProblem]:
        return sorted(self.read.errors + self.outcome.problems, key=lambda p: p.line)


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def preview_roster(session: Session, data: bytes, filename: str, *,
                         root_union: str) -> RosterPreview:
    """What importing this upload would do, writing nothing. RosterFileError when the file
    cannot be read at all (the size and format limits of domain.roster_file). The file is
    parsed in a thread: a large XLSX takes seconds of CPU the event loop need not wait on."""
    read = await asyncio.to_thread(read_roster_bytes, data, filename)
    return preview_read(await roster_state(session), read, root_union=root_union,
                        filename=filename, digest=digest_of(data))


def preview_read(state: RosterState, read: RosterRead, *, root_union: str,
                 filename: str = "", digest: str = "") -> RosterPreview:
    """apply_roster's decisions for `read.entries` against `state`, without applying them."""
    entries = read.entries
    new_studios = list(dict.fromkeys(e.studio for e in entries
                                     if e.studio and e.studio not in state.studios))
    new_unions = [name for name in [root_union, *sorted({e.union for e in entries if e.union}
                                                        - {root_union})]
                  if name not in state.unions]
    new_members: list[NewMember] = []
    updated: list[MemberChange] = []
    unchanged = 0
    for e in entries:
        row = state.members.get(e.employee_no)
        if row is None:
            new_members.append(NewMember(e.line, e.employee_no, e.name, e.role, e.studio))
            continue
        after: dict[str, str | bool | None] = {
            "name": e.name, "role": e.role, "studio": e.studio or None,
            "union": e.union or root_union, "phone": e.phone_masked, "active": True}
        before: dict[str, str | bool | None] = {
            "name": row.name, "role": row.role, "studio": row.studio, "union": row.union,
            "phone": row.phone_masked, "active": row.active}
        changes = [FieldChange(f, before[f], after[f]) for f in after if before[f] != after[f]]
        # A language only fills in where the member has none (apply_roster's rule).
        if e.language and row.language is None:
            changes.append(FieldChange("language", None, e.language))
        if changes:
            updated.append(MemberChange(e.line, e.employee_no, e.name, tuple(changes)))
        else:
            unchanged += 1
    problems, mentor_changes = _pairs(state, entries)
    return RosterPreview(
        filename=filename, digest=digest, lines=read.lines, imported=len(entries),
        problems=tuple(sorted(read.errors + problems, key=lambda p: p.line)),
        new_members=tuple(new_members), updated=tuple(updated), unchanged=unchanged,
        new_studios=tuple(new_studios), new_unions=tuple(new_unions),
        mentor_changes=tuple(mentor_changes),
        not_in_file=len(set(state.members) - {e.employee_no for e in entries}))


def _pairs(state: RosterState, entries: Sequence[RosterEntry]
           ) -> tuple[list[LineProblem], list[MentorChange]]:
    """The file is the truth for every apprentice it lists: a mentor named starts a pair
    (ending another in force), none ends the one in force; a mentor the pair rule refuses
    (storage.queries.mentorship.pairing_refusal, as apply_roster asks it: unknown, an admin,
    deactivated) refuses only that line's pairing — and a pair in force with someone the
    file makes an admin ends all the same."""
    roles = {no: m.role for no, m in state.members.items()}
    roles.update({e.employee_no: e.role for e in entries})
    # Whom the file lists is active after it.
    active = {no: m.active for no, m in state.members.items()}
    active.update(dict.fromkeys((e.employee_no for e in entries), True))
    problems: list[LineProblem] = []
    changes: list[MentorChange] = []
    for e in entries:
        row = state.members.get(e.employee_no)
        current = row.mentor_employee_no if row is not None else None
        mentor = e.mentor_employee_no or None
        if mentor:
            problem = MENTOR_UNKNOWN if mentor not in roles else pairing_refusal(
                same_person=mentor == e.employee_no, apprentice_role=e.role,
                mentor_role=roles[mentor], mentor_active=active[mentor])
            if problem is not None:
                problems.append(LineProblem(e.line, problem, {"employee_no": mentor}))
                if current is None or roles.get(current) != ROLE_ADMIN:
                    continue
                mentor = None  # the pair in force is with an admin now: it ends
        if current != mentor:
            changes.append(MentorChange(e.line, e.employee_no, e.name, current, mentor))
    return problems, changes


async def apply_roster_read(session: Session, read: RosterRead, *, root_union: str,
                            now: datetime, today: date,
                            progress: Callable[[int], None] | None = None) -> RosterImport:
    """Apply what was read, in the caller's transaction: ``import-roster``'s code path."""
    outcome = await apply_roster(session, read.entries, root_union=root_union, now=now,
                                 today=today, progress=progress)
    return RosterImport(read, outcome)


async def import_roster_bytes(session: Session, data: bytes, filename: str, *,
                              root_union: str, now: datetime, today: date,
                              expected_digest: str | None = None) -> RosterImport:
    """The console's apply, after the user confirmed a preview: the same file read again
    and applied. With `expected_digest` (the preview's), a different file is refused
    (RosterFileError ``changed``) rather than applied unseen."""
    if expected_digest is not None and digest_of(data) != expected_digest:
        raise RosterFileError("changed")
    read = await asyncio.to_thread(read_roster_bytes, data, filename)
    return await apply_roster_read(session, read, root_union=root_union, now=now, today=today)


def problem_words(words: Words, problem: LineProblem) -> str:
    """Why a line was refused (or only partly applied), in `words`."""
    return words(f"roster.problem.{problem.code}", **problem.facts)


def worded(words: Words, problems: list[LineProblem]) -> list[tuple[int, str]]:
    """(line, reason) for each problem, in line order."""
    return [(p.line, problem_words(words, p)) for p in sorted(problems, key=lambda p: p.line)]


def file_error_words(words: Words, error: RosterFileError) -> str:
    """Why a file cannot be read at all, in `words`."""
    return words(f"roster.file.{error.code}", **error.facts)
