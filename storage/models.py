"""Tables. Times are aware datetimes stored in UTC."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.db import Base, UTCDateTime

ROLE_MEMBER = "member"
ROLE_LEADER = "leader"
ROLE_ADMIN = "admin"
ROLES = (ROLE_MEMBER, ROLE_LEADER, ROLE_ADMIN)

STUDIO_ACTIVE = "active"
STUDIO_STATUSES = (STUDIO_ACTIVE, "suspended", "delisted")


class TradeUnion(Base):
    """A union in the org tree (总工会 → 产业工会 / 基层工会): studios and admins hang off it."""

    __tablename__ = "trade_union"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("trade_union.id"), index=True)
    # On the root union: the language of members who chose none (None: zh-CN).
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Studio(Base):
    __tablename__ = "studio"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    union_id: Mapped[int | None] = mapped_column(ForeignKey("trade_union.id"), index=True)
    # 公司级 / 市级 / 省级 / 全国示范 …: as the union names it.
    level: Mapped[str | None] = mapped_column(String(40))
    stars: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # 0 = not yet rated, else 1–3
    status: Mapped[str] = mapped_column(String(20), default=STUDIO_ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    members: Mapped[list[Member]] = relationship(back_populates="studio")


class Member(Base):
    __tablename__ = "member"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_no: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20), default=ROLE_MEMBER)
    studio_id: Mapped[int | None] = mapped_column(ForeignKey("studio.id"), index=True)
    union_id: Mapped[int | None] = mapped_column(ForeignKey("trade_union.id"), index=True)
    phone_masked: Mapped[str | None] = mapped_column(String(32))
    # A language code (zh-CN, zh-TW, en, mn) or mn+zh-CN; None: the union's default.
    language: Mapped[str | None] = mapped_column(String(16))
    openid: Mapped[str | None] = mapped_column(String(64), unique=True)
    subscribed: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_interaction_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    studio: Mapped[Studio | None] = relationship(back_populates="members")


class InviteCode(Base):
    __tablename__ = "invite_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_by_openid: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MentorshipPair(Base):
    """师徒结对: one mentor, one apprentice, from a start date until it ends."""

    __tablename__ = "mentorship_pair"
    __table_args__ = (Index("ix_mentorship_pair_active", "apprentice_id", "end_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    apprentice_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)


class WeeklyLog(Base):
    """A member's activity log for one ISO week (Asia/Shanghai): one per member and week."""

    __tablename__ = "weekly_log"
    # Week first: a period's logs by week and studio, with their hours, come from this index
    # alone (the month's figures for 2,000 studios read it, not the table).
    __table_args__ = (UniqueConstraint("member_id", "week"),
                      Index("ix_weekly_log_week", "week", "studio_id", "hours"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    # The studio at the time of writing, so a later transfer does not move old logs.
    studio_id: Mapped[int | None] = mapped_column(ForeignKey("studio.id"), index=True)
    week: Mapped[str] = mapped_column(String(8))  # "2026-W47"
    content: Mapped[str] = mapped_column(Text)
    hours: Mapped[float | None] = mapped_column(Float)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WeeklyLogVersion(Base):
    """Every state a log has been in: the audit trail a union auditor reads."""

    __tablename__ = "weekly_log_version"
    __table_args__ = (UniqueConstraint("log_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    log_id: Mapped[int] = mapped_column(ForeignKey("weekly_log.id"))
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))  # create, replace, append
    content: Mapped[str] = mapped_column(Text)
    hours: Mapped[float | None] = mapped_column(Float)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LogAttachment(Base):
    """A picture sent during the log dialog (WeChat's media id expires; PicUrl stays)."""

    __tablename__ = "log_attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    log_id: Mapped[int] = mapped_column(ForeignKey("weekly_log.id"), index=True)
    media_id: Mapped[str | None] = mapped_column(String(128))
    pic_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CheckIn(Base):
    """A mentorship check-in: what was taught or learned, on which day, for how long."""

    __tablename__ = "check_in"
    __table_args__ = (Index("ix_check_in_pair_date", "pair_id", "checkin_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("mentorship_pair.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    checkin_date: Mapped[date] = mapped_column(Date)
    content: Mapped[str] = mapped_column(Text)
    hours: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    comment: Mapped[str | None] = mapped_column(Text)


class OutboxMessage(Base):
    """A message to someone other than the sender, written in the same transaction as its cause.

    The unique (kind, period, recipient) key is what makes every push happen at most once,
    however often the job or handler that wrote it runs.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        UniqueConstraint("kind", "period", "recipient_id"),
        Index("ix_outbox_message_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(40))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    text: Mapped[str] = mapped_column(Text)
    # Short facts for a template message, used when the 48-hour window is closed.
    template_fields: Mapped[dict[str, str] | None] = mapped_column(JSON)
    # The page a template message opens when tapped (its report link), if any.
    url: Mapped[str | None] = mapped_column(String(500))
    # pending → in_flight → sent | undeliverable | failed (see scheduled/delivery.py)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    channel: Mapped[str | None] = mapped_column(String(16))  # custom, template
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    result: Mapped[str | None] = mapped_column(Text)  # WeChat's answer, or why not sent
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    in_flight_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class JobRun(Base):
    """One run of a scheduled job for one period: what it queued and when."""

    __tablename__ = "job_run"
    __table_args__ = (Index("ix_job_run_name_period", "name", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    queued: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)  # already queued by an earlier run
    # Started by the operator (`jobs run`), not by the scheduler.
    manual: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Lease(Base):
    """Who runs a singleton (the scheduler) among several processes, until when."""

    __tablename__ = "lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AccessToken(Base):
    """The account's WeChat access token, shared by every process on this database."""

    __tablename__ = "access_token"

    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(String(600))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BindAttempt(Base):
    """Wrong invite codes per openid, for the brute-force lockout."""

    __tablename__ = "bind_attempt"
    __table_args__ = (Index("ix_bind_attempt_openid_at", "openid", "attempted_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    openid: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InboundMessage(Base):
    """Every message WeChat delivered, once: the de-duplication key and the reply given.

    WeChat retries a message it got no answer to; the unique key makes the retry find
    this row and get the same reply instead of running the handler again.
    """

    __tablename__ = "inbound_message"
    __table_args__ = (UniqueConstraint("dedupe_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(160))
    openid: Mapped[str] = mapped_column(String(64), index=True)
    msg_type: Mapped[str] = mapped_column(String(32))
    event: Mapped[str | None] = mapped_column(String(64))
    content: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # "done": the reply went back in the HTTP response; "deferred": the handler outran
    # the reply budget, WeChat got `success` and the reply followed as a customer-service
    # message, so a late retry must get `success` too.
    status: Mapped[str] = mapped_column(String(16), default="done")
    reply: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class DialogState(Base):
    """One row per openid: where that user is in a multi-step conversation."""

    __tablename__ = "dialog_state"
    __table_args__ = (Index("ix_dialog_state_expires_at", "expires_at"),)

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


# Codes, as stored; the words people read are the catalog's (topic.kind.<code>,
# topic.status.<code>). Migration 0009 turned the Chinese words stored before into these.
TOPIC_KIND_DEFAULT = "tech_breakthrough"  # 技术攻关
TOPIC_KINDS = (TOPIC_KIND_DEFAULT, "research", "five_small", "qc")  # 课题研究, 五小, QC
TOPIC_APPROVED = "approved"  # 立项: set up, no work reported yet
TOPIC_IN_PROGRESS = "in_progress"  # 攻关中
TOPIC_PAUSED = "paused"  # 暂停: left out of the active topics the indicator counts
# 立项, 攻关中, 验收, 推广应用, 暂停
TOPIC_STATUSES = (TOPIC_APPROVED, TOPIC_IN_PROGRESS, "acceptance", "applied", TOPIC_PAUSED)
# The longest code, tech_breakthrough, needs more than the 16 characters the words needed.
TOPIC_KIND_LENGTH = 32


# A deleted topic keeps its row and its progress: it leaves the lists, and the figures of
# the periods that ended after its deletion, but not those of the periods before.
_LIVE_TOPIC = text("deleted_at IS NULL")


class Topic(Base):
    """A studio's research topic or technical problem (课题 / 攻关项目)."""

    __tablename__ = "topic"
    # One live topic of a name per studio; a deleted one does not hold its name.
    __table_args__ = (Index("uq_topic_studio_id_title_live", "studio_id", "title", unique=True,
                            sqlite_where=_LIVE_TOPIC, postgresql_where=_LIVE_TOPIC),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    studio_id: Mapped[int] = mapped_column(ForeignKey("studio.id"))
    title: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(TOPIC_KIND_LENGTH), default=TOPIC_KIND_DEFAULT)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    status: Mapped[str] = mapped_column(String(16), default=TOPIC_APPROVED)
    percent: Mapped[int | None] = mapped_column(Integer)  # the latest progress figure given
    monthly_target: Mapped[str | None] = mapped_column(Text)
    quarterly_target: Mapped[str | None] = mapped_column(Text)
    start_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # 进展 <课题> 删除


# What a topic_progress row records: a progress update (prose, perhaps a figure; the first
# one also moves a topic just set up to in_progress), or a status a leader set.
PROGRESS_UPDATE = "progress"
PROGRESS_STATUS = "status"
PROGRESS_KINDS = (PROGRESS_UPDATE, PROGRESS_STATUS)


class TopicProgress(Base):
    """One progress update on a topic, as the leader posted it (never edited)."""

    __tablename__ = "topic_progress"
    __table_args__ = (Index("ix_topic_progress_topic_at", "topic_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    content: Mapped[str] = mapped_column(Text)
    percent: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str | None] = mapped_column(String(16))  # the status it moved the topic to
    kind: Mapped[str] = mapped_column(String(16), default=PROGRESS_UPDATE,
                                      server_default=PROGRESS_UPDATE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


NOTICE_AUDIENCES = ("studio", "leaders", "members")  # a leader's; an admin's to the union


class Notice(Base):
    """An announcement a leader sent to the studio, or an admin to every leader or every
    member of the union (no studio); its deliveries are outbox rows with kind "notice"
    and period "notice:<id>"."""

    __tablename__ = "notice"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    studio_id: Mapped[int | None] = mapped_column(ForeignKey("studio.id"), index=True)
    audience: Mapped[str] = mapped_column(String(16), default="studio",
                                          server_default="studio")
    author_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    content: Mapped[str] = mapped_column(Text)
    recipients: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


SUGGESTION_STATUSES = ("submitted", "accepted", "rejected", "implemented")


class Suggestion(Base):
    """A rationalisation suggestion (合理化建议) and the leaders' decision on it."""

    __tablename__ = "suggestion"
    __table_args__ = (Index("ix_suggestion_studio_at", "studio_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    studio_id: Mapped[int] = mapped_column(ForeignKey("studio.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    reply: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# Codes, as stored (result.type.<code> in the catalogs): 发明专利, 实用新型, 外观设计,
# 软件著作权, QC成果, 五小成果, 论文, 竞赛获奖, 其他.
RESULT_TYPES = ("invention_patent", "utility_model", "design_patent", "software_copyright",
                "qc_result", "five_small", "paper", "award", "other")
# software_copyright needs more than the 16 characters the words needed.
RESULT_TYPE_LENGTH = 32
RESULT_REPORTED = "reported"  # waits for a leader
RESULT_VERIFIED = "verified"  # counts for the indicator
RESULT_STATUSES = (RESULT_REPORTED, RESULT_VERIFIED, "returned")


class Achievement(Base):
    """A result (成果) a member reported: patent, QC result, 五小, paper, award …"""

    __tablename__ = "achievement"
    __table_args__ = (Index("ix_achievement_studio_at", "studio_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    studio_id: Mapped[int] = mapped_column(ForeignKey("studio.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    type: Mapped[str] = mapped_column(String(RESULT_TYPE_LENGTH))
    title: Mapped[str] = mapped_column(String(200))
    economic_benefit: Mapped[float | None] = mapped_column(Float)  # 万元
    promoted: Mapped[bool] = mapped_column(Boolean, default=False)  # 推广应用
    status: Mapped[str] = mapped_column(String(16), default=RESULT_REPORTED)
    note: Mapped[str | None] = mapped_column(Text)  # the leader's word when verifying or returning
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FaqEntry(Base):
    """One question of the union's policy FAQ (`workshop-bot faq import`). A question missing
    from a later import is retired (retired_at), not deleted."""

    __tablename__ = "faq_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question: Mapped[str] = mapped_column(String(500), unique=True)
    variants: Mapped[str] = mapped_column(Text, default="")  # other wordings, one a line
    answer: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(100))
    keywords: Mapped[str] = mapped_column(Text, default="")  # words never split, one a line
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FaqSynonym(Base):
    """A group of words the FAQ treats as one (补贴=补助=经费), folded to the first."""

    __tablename__ = "faq_synonym"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    words: Mapped[str] = mapped_column(Text)  # the group, `=`-separated
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FaqMiss(Base):
    """A question the FAQ could not answer: who asked, what, when (`faq stats`, and what
    a later 留言 may carry along)."""

    __tablename__ = "faq_miss"
    __table_args__ = (Index("ix_faq_miss_asked_at", "asked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), index=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FaqVersion(Base):
    """One row: bumped by every FAQ import or synonym change, so that each process rebuilds
    its index when it sees a new number."""

    __tablename__ = "faq_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Question(Base):
    """A member's 留言 to the union office (`workshop-bot questions`): what they asked (or
    the FAQ miss it carried along), the office's answer, and the FAQ entry it became."""

    __tablename__ = "question"
    __table_args__ = (Index("ix_question_member_asked", "member_id", "asked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    text: Mapped[str] = mapped_column(Text)
    miss_id: Mapped[int | None] = mapped_column(ForeignKey("faq_miss.id"))  # carried along
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    faq_entry_id: Mapped[int | None] = mapped_column(ForeignKey("faq_entry.id"))
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# -- star rating (星级评定) -------------------------------------------------------------

# How an item is scored: by the experts, or one of the measures domain.rubric computes
# from the records (log_rate, results, …).
RATING_MANUAL = "manual"
# A round's life: open (applications, then the experts' scores) → published (公示: the
# proposed list out, objections taken until objection_until) → finalised (stars set).
ROUND_OPEN = "open"
ROUND_PUBLISHED = "published"
ROUND_FINALISED = "finalised"
ROUND_STATUSES = (ROUND_OPEN, ROUND_PUBLISHED, ROUND_FINALISED)


class RatingRubric(Base):
    """One version of the union's rating rubric (`workshop-bot rating rubric import`): its
    items and the scores its stars need. A round keeps the version it was opened with."""

    __tablename__ = "rating_rubric"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    source: Mapped[str] = mapped_column(String(200))  # the file it came from
    # The least score for one, two and three stars.
    star1: Mapped[float] = mapped_column(Float)
    star2: Mapped[float] = mapped_column(Float)
    star3: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RatingItem(Base):
    """One line of a rubric: 编号, 类别, 指标, 分值, 评分方式 (and its scale), 评分标准."""

    __tablename__ = "rating_item"
    __table_args__ = (UniqueConstraint("rubric_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rating_rubric.id"))
    position: Mapped[int] = mapped_column(Integer)  # its place in the file
    code: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    points: Mapped[float] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(40))  # RATING_MANUAL or a measure's code
    # The measure's scale as domain.rubric reads it (bands, or points per unit and a cap).
    scale: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    scale_text: Mapped[str] = mapped_column(Text, default="")  # as the file wrote it
    criteria: Mapped[str] = mapped_column(Text, default="")


class RatingRound(Base):
    """A rating round: the period its automatic items measure, the application deadline
    (the last day applications are taken, in the union's time zone) and where it stands."""

    __tablename__ = "rating_round"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rating_rubric.id"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # the period's last day
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=ROUND_OPEN)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    objection_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finalised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RatingExpert(Base):
    """A member given the expert role for one round: they score its manual items."""

    __tablename__ = "rating_expert"
    __table_args__ = (UniqueConstraint("round_id", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rating_round.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RatingApplication(Base):
    """A studio's application (申报) to a round: its automatic items frozen when it was
    made (rating_answer), the leader's self-assessment of the manual ones."""

    __tablename__ = "rating_application"
    __table_args__ = (UniqueConstraint("round_id", "studio_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rating_round.id"))
    studio_id: Mapped[int] = mapped_column(ForeignKey("studio.id"), index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    automatic: Mapped[float] = mapped_column(Float)  # the automatic items' points, frozen
    measured_until: Mapped[date] = mapped_column(Date)  # the last day the measures counted
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RatingAnswer(Base):
    """One item of an application: an automatic item's measure and points as frozen at
    application, or a manual item's self-assessment and evidence."""

    __tablename__ = "rating_answer"
    __table_args__ = (UniqueConstraint("application_id", "item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("rating_application.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("rating_item.id"))
    value: Mapped[float | None] = mapped_column(Float)  # the measure (a rate as a fraction)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # results: count per type
    points: Mapped[float | None] = mapped_column(Float)  # an automatic item's points
    self_points: Mapped[float | None] = mapped_column(Float)  # the leader's own score
    evidence: Mapped[str | None] = mapped_column(Text)


class RatingPicture(Base):
    """A photo sent as evidence for an item during 申报 (WeChat's media id expires after
    three days; PicUrl stays)."""

    __tablename__ = "rating_picture"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("rating_answer.id"), index=True)
    media_id: Mapped[str | None] = mapped_column(String(128))
    pic_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RatingScore(Base):
    """One expert's score of one manual item of an application, with a comment."""

    __tablename__ = "rating_score"
    __table_args__ = (UniqueConstraint("application_id", "item_id", "expert_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("rating_application.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("rating_item.id"))
    expert_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    points: Mapped[float] = mapped_column(Float)
    comment: Mapped[str | None] = mapped_column(Text)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RatingObjection(Base):
    """An objection (异议) to a studio on a published list, sent during its 公示."""

    __tablename__ = "rating_objection"
    __table_args__ = (Index("ix_rating_objection_round_at", "round_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rating_round.id"))
    studio_id: Mapped[int] = mapped_column(ForeignKey("studio.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StarChange(Base):
    """A studio's official stars set: by a round's finalising (round_id, score) or by the
    union office's decision (a reason). Every setting is kept, unchanged stars too."""

    __tablename__ = "star_change"
    __table_args__ = (Index("ix_star_change_studio_at", "studio_id", "decided_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    studio_id: Mapped[int] = mapped_column(ForeignKey("studio.id"))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rating_round.id"))
    from_stars: Mapped[int] = mapped_column(Integer)
    to_stars: Mapped[int] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StudioFunding(Base):
    """One-off funding granted to a studio (万元), for a purpose, on a date."""

    __tablename__ = "studio_funding"
    __table_args__ = (Index("ix_studio_funding_studio_date", "studio_id", "grant_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    studio_id: Mapped[int] = mapped_column(ForeignKey("studio.id"))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rating_round.id"))
    amount: Mapped[float] = mapped_column(Float)
    purpose: Mapped[str] = mapped_column(Text)
    grant_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# -- the web console (/console/) ---------------------------------------------------------
# Links and sessions are random tokens handed to the browser; only their SHA-256 is stored,
# so a copy of the database opens nothing. Neither holds anything personal beyond whose
# they are.

CONSOLE_VIA = ("chat", "cli")  # where a sign-in link was asked for: 后台, login-link


class ConsoleLink(Base):
    """A one-time sign-in link (`后台`, `workshop-bot login-link`): valid until it is used or
    expires (ten minutes)."""

    __tablename__ = "console_link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    via: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ConsoleSession(Base):
    """A signed-in browser: ends after twelve idle hours, on 退出, or when revoked
    (`workshop-bot sessions revoke`)."""

    __tablename__ = "console_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    link_id: Mapped[int | None] = mapped_column(ForeignKey("console_link.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # signed_out (退出), revoked (the operator), replaced (a new sign-in in the same browser)
    end_reason: Mapped[str | None] = mapped_column(String(16))


class AuditEntry(Base):
    """One console action: who did what to which record, when, and the record before and
    after (JSON, as stored: codes, not words). `studio_id` scopes it for a leader's view."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_at", "at"),
                      Index("ix_audit_entry_studio_at", "studio_id", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # None: the operator at the terminal (workshop-bot sessions revoke).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))  # suggestion.decide, session.start, …
    subject: Mapped[str] = mapped_column(String(24))  # suggestion, result, topic, session
    subject_id: Mapped[int | None] = mapped_column(Integer)
    studio_id: Mapped[int | None] = mapped_column(ForeignKey("studio.id"))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


# What a report link opens (report_link.page): one studio's pages ("studio:<id>", any month),
# the union's pages ("union": an admin's, which reach every studio's too) or the viewer's
# own page ("me").
PAGE_UNION = "union"
PAGE_ME = "me"
PAGE_STUDIO_PREFIX = "studio:"


class ReportLink(Base):
    """A signed link to a report page (/r/…), issued to one member, for one page, until it
    expires or is revoked. The URL carries its id and a signature, nothing else."""

    __tablename__ = "report_link"
    __table_args__ = (Index("ix_report_link_viewer_page", "viewer_id", "page"),)

    id: Mapped[str] = mapped_column(String(24), primary_key=True)  # random, URL-safe
    page: Mapped[str] = mapped_column(String(40))
    viewer_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    # Where it was handed out: a push kind (monthly-summary …) or a command (stats, me).
    origin: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StudioScore(Base):
    """A studio's indicator score for a month as it stood when the month was summed up (the
    monthly summary, or `workshop-bot report scores`): the points of a report's 12-month
    line, read back rather than worked out again from a year of records."""

    __tablename__ = "studio_score"
    __table_args__ = (UniqueConstraint("studio_id", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    studio_id: Mapped[int] = mapped_column(ForeignKey("studio.id"))
    month: Mapped[str] = mapped_column(String(7))  # "2026-11"
    score: Mapped[float] = mapped_column(Float)
    stars: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class UnionScore(Base):
    """The union's median indicator score for a month, recorded with the studios' scores."""

    __tablename__ = "union_score"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    median: Mapped[float] = mapped_column(Float)
    rated: Mapped[int] = mapped_column(Integer)  # studios rated (with members)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
