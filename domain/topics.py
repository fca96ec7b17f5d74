"""A studio's topics (课题 / 攻关项目): creating one, recording progress, setting its fields,
renaming and deleting it.

Every function acts on a live topic of the caller's studio only (another studio's, or a
deleted one, is as good as missing: NotFound) and takes codes, never words: a kind of
TOPIC_KINDS, a status of TOPIC_STATUSES. The first progress update on a topic just set up
(approved) means the work has started: it moves to in_progress. A status a leader sets is
kept in the topic's history as a row of its own kind (PROGRESS_STATUS), apart from the
progress updates.

Deleting a topic marks it deleted and keeps everything: its progress stays in the history
and the exports, and the periods that ended before still count it
(storage.queries.topics.counted_in); its name is free for a new topic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from domain import DomainError, NotFound, WrongState
from storage.models import (
    PROGRESS_STATUS,
    TOPIC_APPROVED,
    TOPIC_IN_PROGRESS,
    TOPIC_KINDS,
    TOPIC_STATUSES,
    Topic,
)
from storage.queries.topics import (
    add_progress,
    add_topic,
    live_topic_titled,
    progress_count,
    studio_member_named,
    topic_in_studio,
)
from storage.session import Session

# The longest name a topic may have (it is quoted in replies and pushes), and the longest
# target text kept.
MAX_TITLE = 40
MAX_TARGET = 1000
TARGET_PERIODS = ("monthly", "quarterly")


@dataclass(frozen=True)
class TopicState:
    """A topic as a change left it."""

    id: int
    title: str
    kind: str
    status: str
    percent: int | None
    owner_id: int | None
    owner_name: str | None  # only when the change named the owner
    due_date: date | None
    monthly_target: str | None
    quarterly_target: str | None

    @classmethod
    def of(cls, topic: Topic, owner_name: str | None = None) -> TopicState:
        return cls(id=topic.id, title=topic.title, kind=topic.kind, status=topic.status,
                   percent=topic.percent, owner_id=topic.owner_id, owner_name=owner_name,
                   due_date=topic.due_date, monthly_target=topic.monthly_target,
                   quarterly_target=topic.quarterly_target)


class UnknownValue(DomainError):
    """A value that is not one of the codes a field takes (code: unknown_kind, unknown_status)."""

    code = "unknown_value"


def _check_kind(kind: str) -> None:
    if kind not in TOPIC_KINDS:
        raise UnknownValue("unknown_kind", kind=kind)


async def _topic(session: Session, topic_id: int, studio_id: int) -> Topic:
    topic = await topic_in_studio(session, topic_id, studio_id)
    if topic is None:
        raise NotFound(id=topic_id)
    return topic


async def create_topic(session: Session, *, studio_id: int, title: str, kind: str,
                       owner_id: int | None, today: date, now: datetime) -> TopicState:
    """A new topic of `kind`, set up (approved) today, owned by `owner_id`."""
    _check_kind(kind)
    topic = await add_topic(session, studio_id=studio_id, title=title, kind=kind,
                            owner_id=owner_id, today=today, now=now)
    return TopicState.of(topic)


async def record_progress(session: Session, topic_id: int, *, studio_id: int,
                          author_id: int, content: str, percent: int | None,
                          now: datetime) -> TopicState:
    """A progress update (with the figure reached, if given)."""
    topic = await _topic(session, topic_id, studio_id)
    # The first update on a topic just set up means the work has started.
    status = TOPIC_IN_PROGRESS if topic.status == TOPIC_APPROVED else None
    await add_progress(session, topic, author_id=author_id, content=content, percent=percent,
                       status=status, now=now)
    return TopicState.of(topic)


async def set_status(session: Session, topic_id: int, *, studio_id: int, author_id: int,
                     status: str, note: str, now: datetime) -> TopicState:
    """Move the topic to `status`, recorded as a progress update reading `note` (the caller's
    words for the change, in the author's language: the record keeps them)."""
    if status not in TOPIC_STATUSES:
        raise UnknownValue("unknown_status", status=status)
    topic = await _topic(session, topic_id, studio_id)
    await add_progress(session, topic, author_id=author_id, content=note, percent=None,
                       status=status, now=now, kind=PROGRESS_STATUS)
    return TopicState.of(topic)


async def set_kind(session: Session, topic_id: int, *, studio_id: int, kind: str,
                   now: datetime) -> TopicState:
    _check_kind(kind)
    topic = await _topic(session, topic_id, studio_id)
    topic.kind, topic.updated_at = kind, now
    return TopicState.of(topic)


async def set_owner(session: Session, topic_id: int, *, studio_id: int, owner: str,
                    now: datetime) -> TopicState:
    """Make the studio's active member named `owner` (a name or an employee number) the
    topic's owner. Raises NotFound with code "unknown_owner" when there is none."""
    topic = await _topic(session, topic_id, studio_id)
    found = await studio_member_named(session, studio_id, owner)
    if found is None:
        raise NotFound("unknown_owner", name=owner)
    topic.owner_id, topic.updated_at = found.id, now
    return TopicState.of(topic, owner_name=found.name)


async def set_due_date(session: Session, topic_id: int, *, studio_id: int, due: date,
                       now: datetime) -> TopicState:
    topic = await _topic(session, topic_id, studio_id)
    topic.due_date, topic.updated_at = due, now
    return TopicState.of(topic)


async def set_target(session: Session, topic_id: int, *, studio_id: int, period: str,
                     text: str, now: datetime) -> TopicState:
    """The monthly or quarterly target (`period` one of TARGET_PERIODS), cut to MAX_TARGET."""
    if period not in TARGET_PERIODS:
        raise ValueError(f"no {period!r} target")
    topic = await _topic(session, topic_id, studio_id)
    if period == "monthly":
        topic.monthly_target = text[:MAX_TARGET]
    else:
        topic.quarterly_target = text[:MAX_TARGET]
    topic.updated_at = now
    return TopicState.of(topic)


async def rename_topic(session: Session, topic_id: int, *, studio_id: int, title: str,
                       now: datetime) -> TopicState:
    """Give the topic a new name; its history goes with it. Raises WrongState with code
    "title_taken" (facts: title) when another live topic of the studio has that name."""
    topic = await _topic(session, topic_id, studio_id)
    other = await live_topic_titled(session, studio_id, title)
    if other is not None and other.id != topic.id:
        raise WrongState("title_taken", title=title)
    topic.title, topic.updated_at = title, now
    return TopicState.of(topic)


@dataclass(frozen=True)
class DeletedTopic:
    id: int
    title: str
    kept: int  # the rows of its history, kept


async def delete_topic(session: Session, topic_id: int, *, studio_id: int,
                       now: datetime) -> DeletedTopic:
    """Mark the topic deleted (the module's docstring says what stays)."""
    topic = await _topic(session, topic_id, studio_id)
    topic.deleted_at = topic.updated_at = now
    return DeletedTopic(id=topic.id, title=topic.title,
                        kept=await progress_count(session, topic.id))
