"""Topics (课题 / 攻关项目) and their progress updates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from storage.models import TOPIC_APPROVED, TOPIC_PAUSED, Member, Studio, Topic, TopicProgress
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


async def topics_of(session: Session, studio_id: int) -> list[Topic]:
    return list(await session.scalars(
        select(Topic).where(Topic.studio_id == studio_id).order_by(Topic.created_at, Topic.id)))


async def topic_overview(session: Session, studio_id: int) -> list[TopicView]:
    """The studio's topics, each with its latest progress update; paused ones last."""
    latest = (
        select(TopicProgress.topic_id, func.max(TopicProgress.id).label("last_id"))
        .group_by(TopicProgress.topic_id).subquery()
    )
    rows = (await session.execute(
        select(Topic.id, Topic.title, Topic.kind, Topic.status, Topic.percent, Member.name,
               Topic.due_date, TopicProgress.content, TopicProgress.created_at)
        .outerjoin(Member, Member.id == Topic.owner_id)
        .outerjoin(latest, latest.c.topic_id == Topic.id)
        .outerjoin(TopicProgress, TopicProgress.id == latest.c.last_id)
        .where(Topic.studio_id == studio_id)
        .order_by(Topic.status == TOPIC_PAUSED, Topic.created_at, Topic.id)
    )).all()
    return [TopicView(*row) for row in rows]


async def topic_in_studio(session: Session, topic_id: int, studio_id: int) -> Topic | None:
    """The topic, if it is this studio's (another studio's is as good as missing)."""
    return await session.scalar(
        select(Topic).where(Topic.id == topic_id, Topic.studio_id == studio_id))


async def add_topic(session: Session, *, studio_id: int, title: str, kind: str,
                    owner_id: int | None, today: date, now: datetime) -> Topic:
    topic = Topic(studio_id=studio_id, title=title, kind=kind, owner_id=owner_id, status=TOPIC_APPROVED,
                  start_date=today, created_at=now, updated_at=now)
    session.add(topic)
    await session.flush()
    return topic


async def add_progress(session: Session, topic: Topic, *, author_id: int, content: str,
                       percent: int | None, status: str | None, now: datetime) -> TopicProgress:
    """Record an update; it moves the topic's figure and status along with it."""
    progress = TopicProgress(topic_id=topic.id, author_id=author_id, content=content,
                             percent=percent, status=status, created_at=now)
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
               *in_studio(Topic.studio_id, studio_id))
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


async def topic_rows(session: Session) -> list[TopicRow]:
    """Every topic with its studio and owner, for the ledger."""
    rows = (await session.execute(
        select(Studio.name, Topic.id, Topic.title, Topic.kind, Topic.status, Topic.percent,
               Member.name, Topic.monthly_target, Topic.quarterly_target, Topic.start_date,
               Topic.due_date, Member.employee_no)
        .join(Studio, Studio.id == Topic.studio_id)
        .outerjoin(Member, Member.id == Topic.owner_id)
        .order_by(Studio.name, Topic.created_at, Topic.id)
    )).all()
    return [TopicRow(*row) for row in rows]
