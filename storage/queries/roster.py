"""Applying a validated roster in bulk: studios, members and mentorship pairs."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update

from storage.models import Member, MentorshipPair, Studio, TradeUnion
from storage.queries.mentorship import MENTOR_UNKNOWN, end_pairs_with_admins, pairing_refusal
from storage.session import Session

_MEMBER = cast(Table, Member.__table__)
_PAIR = cast(Table, MentorshipPair.__table__)
_STUDIO = cast(Table, Studio.__table__)


@dataclass(frozen=True)
class RosterEntry:
    """One valid roster line (validation happens before it gets here)."""

    line: int
    studio: str | None
    name: str
    employee_no: str
    role: str
    mentor_employee_no: str | None
    phone_masked: str | None
    union: str | None = None  # a sub-union of the root, when the file names one
    language: str | None = None  # a language choice (zh-CN, en, mn+zh-CN …); None: unchanged


@dataclass(frozen=True)
class LineProblem:
    """Why a roster line was refused, or only partly applied: a code and its facts, which
    the operator tools put into words (``mentor_unknown``, employee_no="X9999")."""

    line: int
    code: str
    facts: Mapping[str, object] = field(default_factory=dict)


@dataclass
class RosterOutcome:
    members_created: int = 0
    members_updated: int = 0
    members_unchanged: int = 0
    studios_created: int = 0
    unions_created: int = 0
    pairs_created: int = 0
    pairs_ended: int = 0
    # Problems found only against the database, e.g. an unknown mentor: the member was
    # imported, their pairing left as it was.
    problems: list[LineProblem] = field(default_factory=list)
    not_in_file: int = 0  # members in the database the file does not mention


async def ensure_union(session: Session, name: str, parent_id: int | None,
                       now: datetime) -> tuple[int, bool]:
    found = await session.scalar(select(TradeUnion.id).where(TradeUnion.name == name))
    if found is not None:
        return int(found), False
    union = TradeUnion(name=name, parent_id=parent_id, created_at=now)
    session.add(union)
    await session.flush()
    return union.id, True


async def apply_roster(
    session: Session,
    entries: Sequence[RosterEntry],
    *,
    root_union: str,
    now: datetime,
    today: date,
    progress: Callable[[int], None] | None = None,
) -> RosterOutcome:
    """Create or update everything the entries describe, in the caller's transaction.

    Idempotent on employee_no: importing the same file twice changes nothing the second
    time. Bulk statements throughout, so 50,000 lines take seconds, not minutes.
    """
    out = RosterOutcome()
    conn = await session.connection()
    root_id, created = await ensure_union(session, root_union, None, now)
    out.unions_created += int(created)
    union_ids: dict[str, int] = {root_union: root_id}
    for name in sorted({e.union for e in entries if e.union} - {root_union}):
        union_ids[name], created = await ensure_union(session, name, root_id, now)
        out.unions_created += int(created)

    # Studios: create the missing ones in one statement.
    studio_ids = {
        name: sid for name, sid in (await conn.execute(select(_STUDIO.c.name, _STUDIO.c.id))).all()
    }
    new_studios: dict[str, int] = {}
    for e in entries:
        if e.studio and e.studio not in studio_ids and e.studio not in new_studios:
            new_studios[e.studio] = union_ids[e.union or root_union]
    if new_studios:
        await conn.execute(insert(_STUDIO), [
            {"name": n, "union_id": u, "status": "active", "stars": 0, "created_at": now}
            for n, u in new_studios.items()
        ])
        out.studios_created = len(new_studios)
        studio_ids = {
            n: sid for n, sid in (await conn.execute(select(_STUDIO.c.name, _STUDIO.c.id))).all()
        }

    # Members: one read of what exists, then one insert and one update batch.
    cols = (_MEMBER.c.id, _MEMBER.c.employee_no, _MEMBER.c.name, _MEMBER.c.role,
            _MEMBER.c.studio_id, _MEMBER.c.union_id, _MEMBER.c.phone_masked, _MEMBER.c.active,
            _MEMBER.c.language)
    existing = {row.employee_no: row for row in (await conn.execute(select(*cols))).all()}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    # A language column only ever sets a language: an empty cell keeps the member's own
    # choice (made in the chat with 语言), so these go in a batch of their own.
    languages: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, e in enumerate(entries):
        seen.add(e.employee_no)
        values = {
            "name": e.name,
            "role": e.role,
            "studio_id": studio_ids.get(e.studio) if e.studio else None,
            "union_id": union_ids[e.union or root_union],
            "phone_masked": e.phone_masked,
            "active": True,
        }
        row = existing.get(e.employee_no)
        if row is None:
            # No language given: None, so the union's default applies.
            inserts.append({"employee_no": e.employee_no, "subscribed": True,
                            "language": e.language, "created_at": now, **values})
        else:
            changed = any(getattr(row, k) != v for k, v in values.items())
            if changed:
                updates.append({"member_id": row.id, **values})
            # A language the member already has (chosen in the chat with 语言, or from an
            # earlier roster) is theirs: a re-import only fills one in where none is set.
            if e.language and row.language is None:
                languages.append({"member_id": row.id, "language": e.language})
                changed = True
            if not changed:
                out.members_unchanged += 1
        if progress is not None and i % 1000 == 999:
            progress(1000)
    if inserts:
        await conn.execute(insert(_MEMBER), inserts)
    if updates:
        await conn.execute(
            update(_MEMBER).where(_MEMBER.c.id == bindparam("member_id")).values(
                {k: bindparam(k) for k in updates[0] if k != "member_id"}
            ),
            updates,
        )
    if languages:
        await conn.execute(
            update(_MEMBER).where(_MEMBER.c.id == bindparam("member_id"))
            .values(language=bindparam("language")),
            languages,
        )
    out.members_created = len(inserts)
    out.members_updated = len({u["member_id"] for u in updates}
                              | {u["member_id"] for u in languages})
    out.not_in_file = len(set(existing) - seen)

    # Mentorship pairs: the file is the truth for every apprentice it lists.
    ids = {no: (mid, role, active) for no, mid, role, active in (await conn.execute(
        select(_MEMBER.c.employee_no, _MEMBER.c.id, _MEMBER.c.role, _MEMBER.c.active))).all()}
    active = {
        apprentice: (pair_id, mentor)
        for pair_id, apprentice, mentor in (await conn.execute(
            select(_PAIR.c.id, _PAIR.c.apprentice_id, _PAIR.c.mentor_id)
            .where(_PAIR.c.end_date.is_(None)))).all()
    }
    new_pairs: list[dict[str, Any]] = []
    ended: list[dict[str, Any]] = []
    for e in entries:
        apprentice_id = ids[e.employee_no][0]
        current = active.get(apprentice_id)
        mentor_id: int | None = None
        if e.mentor_employee_no:
            mentor = ids.get(e.mentor_employee_no)
            # The console's rule for a pair (domain.members.set_mentor asks the same).
            problem = MENTOR_UNKNOWN if mentor is None else pairing_refusal(
                same_person=mentor[0] == apprentice_id, apprentice_role=e.role,
                mentor_role=mentor[1], mentor_active=bool(mentor[2]))
            if problem is not None:
                # Keep whatever pairing the apprentice had; only this line's change is refused.
                out.problems.append(LineProblem(e.line, problem,
                                                {"employee_no": e.mentor_employee_no}))
                continue
            assert mentor is not None
            mentor_id = mentor[0]
        if current is not None and current[1] != mentor_id:
            ended.append({"pair_id": current[0], "end_date": today})
        if mentor_id is not None and (current is None or current[1] != mentor_id):
            new_pairs.append({"mentor_id": mentor_id, "apprentice_id": apprentice_id,
                              "start_date": today, "end_date": None})
    if ended:
        await conn.execute(
            update(_PAIR).where(_PAIR.c.id == bindparam("pair_id"))
            .values(end_date=bindparam("end_date")),
            ended,
        )
    if new_pairs:
        await conn.execute(insert(_PAIR), new_pairs)
    # Someone the file made a union admin takes no part in a pair any more, whoever lists
    # them (domain.members.change_role ends their pairs the same way).
    with_admins = await end_pairs_with_admins(session, today)
    out.pairs_created, out.pairs_ended = len(new_pairs), len(ended) + with_admins
    return out


@dataclass(frozen=True)
class MemberNow:
    """A member as apply_roster compares them with a roster line: names where it compares
    ids (a studio's and a union's names are unique)."""

    employee_no: str
    name: str
    role: str
    studio: str | None
    union: str | None
    phone_masked: str | None
    active: bool
    language: str | None
    mentor_employee_no: str | None  # the mentor of the apprentice's pair in force


@dataclass(frozen=True)
class RosterState:
    members: dict[str, MemberNow]  # by employee_no
    studios: frozenset[str]
    unions: frozenset[str]


async def roster_state(session: Session) -> RosterState:
    """Everything a roster could change, as it stands: read only, for a preview."""
    conn = await session.connection()
    studios = {sid: name for sid, name in (await conn.execute(
        select(_STUDIO.c.id, _STUDIO.c.name))).all()}
    unions = {uid: name for uid, name in (await conn.execute(
        select(TradeUnion.id, TradeUnion.name))).all()}
    rows = (await conn.execute(select(
        _MEMBER.c.id, _MEMBER.c.employee_no, _MEMBER.c.name, _MEMBER.c.role,
        _MEMBER.c.studio_id, _MEMBER.c.union_id, _MEMBER.c.phone_masked, _MEMBER.c.active,
        _MEMBER.c.language))).all()
    numbers = {row.id: row.employee_no for row in rows}
    # As apply_roster reads them: the last pair in force per apprentice wins.
    mentors = {apprentice: numbers.get(mentor) for apprentice, mentor in (await conn.execute(
        select(_PAIR.c.apprentice_id, _PAIR.c.mentor_id)
        .where(_PAIR.c.end_date.is_(None)))).all()}
    return RosterState(
        members={row.employee_no: MemberNow(
            row.employee_no, row.name, row.role, studios.get(row.studio_id),
            unions.get(row.union_id), row.phone_masked, bool(row.active), row.language,
            mentors.get(row.id)) for row in rows},
        studios=frozenset(studios.values()),
        unions=frozenset(unions.values()),
    )
