"""The policy FAQ: its entries and synonyms, the version every process watches, and the
questions it could not answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from storage.models import FaqEntry, FaqMiss, FaqSynonym, FaqVersion
from storage.session import Session

_VERSION_ROW = 1


@dataclass(frozen=True)
class EntryData:
    """One entry as an import file gives it (`line`: where it came from)."""

    line: int
    question: str
    variants: tuple[str, ...]
    answer: str
    category: str | None
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class EntryView:
    id: int
    question: str
    variants: tuple[str, ...]
    answer: str
    category: str | None
    keywords: tuple[str, ...]
    retired: bool = False


@dataclass(frozen=True)
class ImportOutcome:
    created: int
    updated: int
    unchanged: int
    retired: int


def _lines(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.split("\n") if part)


def _view(row: FaqEntry) -> EntryView:
    return EntryView(id=row.id, question=row.question, variants=_lines(row.variants),
                     answer=row.answer, category=row.category, keywords=_lines(row.keywords),
                     retired=row.retired_at is not None)


async def faq_version(session: Session) -> int:
    """The number every import and synonym change bumps (0: never imported)."""
    return await session.scalar(
        select(FaqVersion.version).where(FaqVersion.id == _VERSION_ROW)) or 0


async def _bump(session: Session, now: datetime) -> int:
    current = await session.get(FaqVersion, _VERSION_ROW)
    if current is None:
        session.add(FaqVersion(id=_VERSION_ROW, version=1, changed_at=now))
        await session.flush()
        return 1
    await session.execute(update(FaqVersion).where(FaqVersion.id == _VERSION_ROW)
                          .values(version=FaqVersion.version + 1, changed_at=now))
    return current.version + 1


async def entries(session: Session, *, retired: bool = False) -> list[EntryView]:
    """The live entries (and the retired ones too with `retired`), in question order of import."""
    stmt = select(FaqEntry).order_by(FaqEntry.id)
    if not retired:
        stmt = stmt.where(FaqEntry.retired_at.is_(None))
    return [_view(row) for row in await session.scalars(stmt)]


async def entry(session: Session, entry_id: int) -> EntryView | None:
    row = await session.get(FaqEntry, entry_id)
    return None if row is None or row.retired_at is not None else _view(row)


async def synonym_groups(session: Session) -> list[tuple[str, ...]]:
    rows = await session.scalars(select(FaqSynonym.words).order_by(FaqSynonym.id))
    return [tuple(w for w in words.split("=") if w) for words in rows]


async def apply_faq(session: Session, data: Sequence[EntryData], now: datetime) -> ImportOutcome:
    """Make the live FAQ what `data` says: new questions added, known ones updated (a retired
    one comes back), questions missing from `data` retired. Keyed on the question."""
    existing = {row.question: row for row in await session.scalars(select(FaqEntry))}
    created = updated = unchanged = retired = 0
    seen = set()
    for item in data:
        seen.add(item.question)
        values = {"variants": "\n".join(item.variants), "answer": item.answer,
                  "category": item.category, "keywords": "\n".join(item.keywords)}
        row = existing.get(item.question)
        if row is None:
            session.add(FaqEntry(question=item.question, created_at=now, updated_at=now,
                                 **values))
            created += 1
            continue
        if row.retired_at is None and all(getattr(row, k) == v for k, v in values.items()):
            unchanged += 1
            continue
        for key, value in values.items():
            setattr(row, key, value)
        row.retired_at = None
        row.updated_at = now
        updated += 1
    for question, row in existing.items():
        if question not in seen and row.retired_at is None:
            row.retired_at = now
            row.updated_at = now
            retired += 1
    await session.flush()
    await _bump(session, now)
    return ImportOutcome(created, updated, unchanged, retired)


async def replace_synonyms(session: Session, groups: Sequence[Sequence[str]],
                           now: datetime) -> None:
    """The synonym table becomes `groups` (each folded to its first word)."""
    for row in list(await session.scalars(select(FaqSynonym))):
        await session.delete(row)
    session.add_all(FaqSynonym(words="=".join(g), created_at=now) for g in groups)
    await session.flush()
    await _bump(session, now)


async def record_miss(session: Session, member_id: int | None, openid: str, text: str,
                      at: datetime) -> int:
    row = FaqMiss(member_id=member_id, openid=openid, text=text, asked_at=at)
    session.add(row)
    await session.flush()
    return row.id


async def last_miss(session: Session, openid: str) -> FaqMiss | None:
    """The sender's latest unanswered question (for what 留言 carries along)."""
    return await session.scalar(select(FaqMiss).where(FaqMiss.openid == openid)
                                .order_by(FaqMiss.asked_at.desc(), FaqMiss.id.desc()).limit(1))


async def top_misses(session: Session, since: datetime, until: datetime,
                     limit: int = 20) -> list[tuple[str, int]]:
    """The unanswered wordings asked most between `since` and `until`, with how often."""
    count = func.count(FaqMiss.id)
    rows = await session.execute(
        select(FaqMiss.text, count).where(FaqMiss.asked_at >= since, FaqMiss.asked_at < until)
        .group_by(FaqMiss.text).order_by(count.desc(), FaqMiss.text).limit(limit))
    return [(text, n) for text, n in rows.all()]


async def count_misses(session: Session, since: datetime, until: datetime) -> int:
    return await session.scalar(select(func.count(FaqMiss.id))
                                .where(FaqMiss.asked_at >= since, FaqMiss.asked_at < until)) or 0


async def add_entry(session: Session, question: str, variants: Sequence[str], answer: str,
                    now: datetime) -> int:
    """One entry added to the live FAQ (its question known already: updated, brought back
    if retired, the variants added to its own), and the version bumped."""
    row = await session.scalar(select(FaqEntry).where(FaqEntry.question == question))
    if row is None:
        row = FaqEntry(question=question, variants="\n".join(variants), answer=answer,
                       category=None, keywords="", created_at=now, updated_at=now)
        session.add(row)
    else:
        known = _lines(row.variants)
        row.variants = "\n".join(known + tuple(v for v in variants if v not in known))
        row.answer = answer
        row.retired_at = None
        row.updated_at = now
    await session.flush()
    await _bump(session, now)
    return row.id
