"""Topics (课题 / 攻关项目) and their progress updates.

A deleted topic (``Topic.deleted_at``) keeps its row and its progress. The chat's lists
and lookups leave it out; what counts a period (the figures, the ledger, the digest) still
counts it in a period that ended before it was deleted (:func:`counted_in`), so past
months read as they did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, or_, select

from storage.models import (
    PROGRESS_UPDATE,
    TOPIC_APPROVED,
    TOPIC_PAUSED,
    Member,
    Studio,
    Topic,
    TopicProgress,
)
from storage.queries.scope import in_studio
from storage.session import Session


@dataclass(frozen=True)
class TopicView:
    id: int
    title: str
    kind: str  # a code of TOPIC_KINDS
    status: str  # a code of TOPIC_STATUSES
    percent: int | None
    owner: str | None
    due_date: date | None
    last_update: str | None
    last_update_at: datetime | None


def counted_in(until: datetime | None) -> ColumnElement[bool]:
    """Topics that count in a period ending at `until`: not deleted, or deleted only since
    (None: now, so live topics only)."""
    if until is None:
        return Topic.deleted_at.is_(None)
    return or_(Topic.deleted_at.is_(None), Topic.deleted_at >= until)


async def topics_of(session: Session, studio_id: int) -> list[Topic]:
    """The studio's live topics, oldest first."""
    return list(await session.scalars(
        select(Topic).where(Topic.studio_id == studio_id, Topic.deleted_at.is_(None))
        .order_by(Topic.created_at, Topic.id)))


async def topic_overview(session: Session, studio_id: int) -> list[TopicView]:
    """The studio's live topics, each with its latest progress update (a status a leader
    set is no progress: see :func:`topic_history`); paused ones last."""
    latest = (
        select(TopicProgress.topic_id, func.max(TopicProgress.id).label("last_id"))
        .where(TopicProgress.kind == PROGRESS_UPDATE)
        .group_by(TopicProgress.topic_id).subquery()
    )
    rows = (await session.execute(
        select(Topic.id, Topic.title, Topic.kind, Topic.status, Topic.percent, Member.name,
               Topic.due_date, TopicProgress.content, TopicProgress.created_at)
        .outerjoin(Member, Member.id == Topic.owner_id)
        .outerjoin(latest, latest.c.topic_id == Topic.id)
        .outerjoin(TopicProgress, TopicProgress.id == latest.c.last_id)
        .where(Topic.studio_id == studio_id, Topic.deleted_at.is_(None))
        .order_by(Topic.status == TOPIC_PAUSED, Topic.created_at, Topic.id)
    )).all()
    return [TopicView(*row) for row in rows]


@dataclass(frozen=True)
class HistoryRow:
    content: str
    percent: int | None
    status: str | None  # the status the row moved the topic to (a code), if any
    created_at: datetime


async def topic_history(session: Session, topic_id: int, kind: str,
                        limit: int) -> list[HistoryRow]:
    """A topic's latest rows of one kind (models.PROGRESS_KINDS), newest first."""
    rows = (await session.execute(
        select(TopicProgress.content, TopicProgress.percent, TopicProgress.status,
               TopicProgress.created_at)
        .where(TopicProgress.topic_id == topic_id, TopicProgress.kind == kind)
        .order_by(TopicProgress.created_at.desc(), TopicProgress.id.desc()).limit(limit)
    )).all()
    return [HistoryRow(*row) for row in rows]


async def progress_count(session: Session, topic_id: int) -> int:
    """How many rows a topic's history holds (of either kind)."""
    return int(await session.scalar(
        select(func.count(TopicProgress.id)).where(TopicProgress.topic_id == topic_id)) or 0)


async def topic_in_studio(session: Session, topic_id: int, studio_id: int) -> Topic | None:
    """The live topic, if it is this studio's (another studio's, or a deleted one, is as
    good as missing)."""
    return await session.scalar(
        select(Topic).where(Topic.id == topic_id, Topic.studio_id == studio_id,
                            Topic.deleted_at.is_(None)))


async def live_topic_titled(session: Session, studio_id: int, title: str) -> Topic | None:
    """The studio's live topic of exactly this title (the unique index's view)."""
    return await session.scalar(
        select(Topic).where(Topic.studio_id == studio_id, Topic.title == title,
                            Topic.deleted_at.is_(None)))


async def add_topic(session: Session, *, studio_id: int, title: str, kind: str,
                    owner_id: int | None, today: date, now: datetime) -> Topic:
    topic = Topic(studio_id=studio_id, title=title, kind=kind, owner_id=owner_id, status=TOPIC_APPROVED,
                  start_date=today, created_at=now, updated_at=now)
    session.add(topic)
    await session.flush()
    return topic


async def add_progress(session: Session, topic: Topic, *, author_id: int, content: str,
                       percent: int | None, status: str | None, now: datetime,
                       kind: str = PROGRESS_UPDATE) -> TopicProgress:
    """Record an update (or, `kind` PROGRESS_STATUS, a status set); it moves the topic's
    figure and status along with it."""
    progress = TopicProgress(topic_id=topic.id, author_id=author_id, content=content,
                             percent=percent, status=status, kind=kind, created_at=now)
    session.add(progress)
    if percent is not None:
        topic.percent = percent
    if status is not None:
        topic.status = status
    topic.updated_at = now
    await session.flush()
    return progress


async def studio_member_named(session: Session, studio_id: int, name: str) -> Member | None:
    """An active member of the studio by name or employee number (for 负责人)."""
    return (await session.scalars(
        select(Member).where(Member.studio_id == studio_id, Member.active.is_(True),
                             (Member.name == name) | (Member.employee_no == name))
        .order_by(Member.id).limit(1)
    )).first()


@dataclass(frozen=True)
class ProgressRow:
    studio: str
    topic: str
    kind: str  # codes, as stored (topic.kind.*, topic.status.* in the catalogs)
    status: str
    author: str
    content: str
    percent: int | None
    created_at: datetime
    author_employee_no: str


async def progress_between(session: Session, since: datetime, until: datetime,
                           studio_id: int | None = None) -> list[ProgressRow]:
    rows = (await session.execute(
        select(Studio.name, Topic.title, Topic.kind, Topic.status, Member.name,
               TopicProgress.content, TopicProgress.percent, TopicProgress.created_at,
               Member.employee_no)
        .join(Topic, Topic.id == TopicProgress.topic_id)
        .join(Studio, Studio.id == Topic.studio_id)
        .join(Member, Member.id == TopicProgress.author_id)
        .where(TopicProgress.created_at >= since, TopicProgress.created_at < until,
               counted_in(until), *in_studio(Topic.studio_id, studio_id))
        .order_by(TopicProgress.created_at, TopicProgress.id)
    )).all()
    return [ProgressRow(*row) for row in rows]


@dataclass(frozen=True)
class TopicRow:
    studio: str
    id: int
    title: str
    kind: str  # codes, as stored (topic.kind.*, topic.status.* in the catalogs)
    status: str
    percent: int | None
    owner: str | None
    monthly_target: str | None
    quarterly_target: str | None
    start_date: date | None
    due_date: date | None
    owner_employee_no: str | None


async def topic_rows(session: Session, until: datetime | None = None,
                     studio_id: int | None = None) -> list[TopicRow]:
    """Every topic (of one studio, with `studio_id`) with its studio and owner, for the
    ledger: the live ones, and with `until` (a period's end) those deleted since."""
    rows = (await session.execute(
        select(Studio.name, Topic.id, Topic.title, Topic.kind, Topic.status, Topic.percent,
               Member.name, Topic.monthly_target, Topic.quarterly_target, Topic.start_date,
               Topic.due_date, Member.employee_no)
        .join(Studio, Studio.id == Topic.studio_id)
        .outerjoin(Member, Member.id == Topic.owner_id)
        .where(counted_in(until), *in_studio(Topic.studio_id, studio_id))
        .order_by(Studio.name, Topic.created_at, Topic.id)
    )).all()
    return [TopicRow(*row) for row in rows]
