"""Star rating (星级评定): rubric versions, rounds, applications, scores, objections, the stars'
history, one-off funding, and the measures a rubric's automatic items take from the records."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from typing import Any

from sqlalchemy import func, select, update

from storage.calendar import month_of_week
from storage.models import (
    RESULT_VERIFIED,
    ROLE_LEADER,
    ROLE_MEMBER,
    ROUND_FINALISED,
    Achievement,
    CheckIn,
    Member,
    MentorshipPair,
    RatingAnswer,
    RatingApplication,
    RatingExpert,
    RatingItem,
    RatingObjection,
    RatingPicture,
    RatingRound,
    RatingRubric,
    RatingScore,
    StarChange,
    Studio,
    StudioFunding,
    Suggestion,
    Topic,
    TopicProgress,
    WeeklyLog,
)
from storage.queries.jobs import studio_months
from storage.queries.topics import counted_in
from storage.session import Session

# Topic statuses that count as a topic brought to its end: 验收, 推广应用.
TOPIC_DONE = ("acceptance", "applied")
SUGGESTION_IMPLEMENTED = "implemented"
# Outbox kinds of the rating's pushes: the 公示 list, and a studio's result.
PUBLICITY_KIND = "rating-publicity"
RESULT_KIND = "rating-result"


def round_period(round_id: int) -> str:
    return f"rating:{round_id}"


# -- rubrics --------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRow:
    position: int
    code: str
    category: str
    title: str
    points: float
    method: str
    scale: dict[str, Any]
    scale_text: str
    criteria: str


@dataclass(frozen=True)
class RubricRows:
    rubric: RatingRubric
    items: list[RatingItem]


async def add_rubric(session: Session, *, version: int, source: str,
                     thresholds: tuple[float, float, float], now: datetime,
                     items: Sequence[ItemRow]) -> RatingRubric:
    rubric = RatingRubric(version=version, source=source[:200], star1=thresholds[0],
                          star2=thresholds[1], star3=thresholds[2], created_at=now)
    session.add(rubric)
    await session.flush()
    session.add_all([RatingItem(rubric_id=rubric.id, position=i.position, code=i.code,
                                category=i.category, title=i.title, points=i.points,
                                method=i.method, scale=i.scale, scale_text=i.scale_text,
                                criteria=i.criteria) for i in items])
    await session.flush()
    return rubric


async def rubric_rows(session: Session, *, version: int | None = None,
                      rubric_id: int | None = None) -> RubricRows | None:
    """A rubric and its items in order: by version, by id, or the latest."""
    q = select(RatingRubric)
    if rubric_id is not None:
        q = q.where(RatingRubric.id == rubric_id)
    elif version is not None:
        q = q.where(RatingRubric.version == version)
    rubric = (await session.scalars(q.order_by(RatingRubric.version.desc()).limit(1))).first()
    if rubric is None:
        return None
    items = list(await session.scalars(select(RatingItem).where(RatingItem.rubric_id == rubric.id)
                                       .order_by(RatingItem.position)))
    return RubricRows(rubric, items)


# -- rounds and experts ---------------------------------------------------------------


async def add_round(session: Session, *, name: str, rubric_id: int, period_start: date,
                    period_end: date, deadline: date, now: datetime) -> RatingRound:
    found = RatingRound(name=name, rubric_id=rubric_id, period_start=period_start,
                        period_end=period_end, deadline=deadline, opened_at=now)
    session.add(found)
    await session.flush()
    return found


async def round_by_name(session: Session, name: str) -> RatingRound | None:
    return (await session.scalars(select(RatingRound).where(RatingRound.name == name))).first()


async def round_by_id(session: Session, round_id: int) -> RatingRound | None:
    return await session.get(RatingRound, round_id)


async def all_rounds(session: Session) -> list[RatingRound]:
    """Every round, the latest opened first."""
    return list(await session.scalars(select(RatingRound).order_by(RatingRound.opened_at.desc(),
                                                                   RatingRound.id.desc())))


async def unfinished_round(session: Session) -> RatingRound | None:
    """The round not finalised yet (at most one exists: domain.rating opens no second)."""
    return (await session.scalars(select(RatingRound).where(RatingRound.status != ROUND_FINALISED)
                                  .order_by(RatingRound.id.desc()).limit(1))).first()


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    employee_no: str


async def members_numbered(session: Session, employee_nos: Iterable[str]) -> dict[str, Person]:
    """Active members by employee number, matched in any case: the folded number → person."""
    wanted = {no.strip().casefold() for no in employee_nos if no.strip()}
    if not wanted:
        return {}
    rows = await session.execute(select(Member.id, Member.name, Member.employee_no)
                                 .where(func.lower(Member.employee_no).in_(wanted),
                                        Member.active.is_(True)))
    return {no.casefold(): Person(mid, name, no) for mid, name, no in rows.all()}


async def add_experts(session: Session, round_id: int, member_ids: Iterable[int],
                      now: datetime) -> int:
    """Give these members the expert role for the round; those who had it keep it.
    Returns how many were added."""
    have = set(await session.scalars(select(RatingExpert.member_id)
                                     .where(RatingExpert.round_id == round_id)))
    new = [mid for mid in dict.fromkeys(member_ids) if mid not in have]
    session.add_all([RatingExpert(round_id=round_id, member_id=mid, added_at=now) for mid in new])
    await session.flush()
    return len(new)


async def experts_of(session: Session, round_id: int) -> list[Person]:
    rows = await session.execute(
        select(Member.id, Member.name, Member.employee_no)
        .join(RatingExpert, RatingExpert.member_id == Member.id)
        .where(RatingExpert.round_id == round_id).order_by(Member.employee_no))
    return [Person(*row) for row in rows.all()]


async def is_expert(session: Session, round_id: int, member_id: int) -> bool:
    return await session.scalar(select(RatingExpert.id).where(
        RatingExpert.round_id == round_id, RatingExpert.member_id == member_id)) is not None


async def rounds_of_expert(session: Session, member_id: int) -> list[RatingRound]:
    """The rounds this member is an expert of, the latest first."""
    return list(await session.scalars(
        select(RatingRound).join(RatingExpert, RatingExpert.round_id == RatingRound.id)
        .where(RatingExpert.member_id == member_id)
        .order_by(RatingRound.opened_at.desc(), RatingRound.id.desc())))


async def set_round_status(session: Session, round_id: int, **values: Any) -> None:
    await session.execute(update(RatingRound).where(RatingRound.id == round_id).values(**values)
                          .execution_options(synchronize_session=False))


# -- applications ---------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerRow:
    item_id: int
    value: float | None = None
    detail: dict[str, int] | None = None
    points: float | None = None
    self_points: float | None = None
    evidence: str | None = None
    pictures: Sequence[tuple[str | None, str | None]] = ()  # (media_id, pic_url)


async def add_application(session: Session, *, round_id: int, studio_id: int,
                          applicant_id: int, automatic: float, measured_until: date,
                          answers: Sequence[AnswerRow], now: datetime) -> RatingApplication:
    application = RatingApplication(round_id=round_id, studio_id=studio_id,
                                    applicant_id=applicant_id, automatic=automatic,
                                    measured_until=measured_until, submitted_at=now)
    session.add(application)
    await session.flush()
    for a in answers:
        answer = RatingAnswer(application_id=application.id, item_id=a.item_id, value=a.value,
                              detail=a.detail, points=a.points, self_points=a.self_points,
                              evidence=a.evidence)
        session.add(answer)
        if a.pictures:
            await session.flush()
            session.add_all([RatingPicture(answer_id=answer.id, media_id=media, pic_url=url,
                                           created_at=now) for media, url in a.pictures])
    await session.flush()
    return application


async def application_of(session: Session, round_id: int, studio_id: int
                         ) -> RatingApplication | None:
    return (await session.scalars(select(RatingApplication).where(
        RatingApplication.round_id == round_id, RatingApplication.studio_id == studio_id))).first()


async def application_by_id(session: Session, application_id: int) -> RatingApplication | None:
    return await session.get(RatingApplication, application_id)


@dataclass(frozen=True)
class ApplicationRow:
    id: int
    round_id: int
    studio_id: int
    studio: str
    studio_stars: int  # the studio's official stars now
    applicant: str
    automatic: float
    measured_until: date
    submitted_at: datetime


async def applications_of(session: Session, round_id: int,
                          application_id: int | None = None) -> list[ApplicationRow]:
    """A round's applications (or one of them), by studio name."""
    a = RatingApplication
    q = (select(a.id, a.round_id, a.studio_id, Studio.name, Studio.stars, Member.name,
                a.automatic, a.measured_until, a.submitted_at)
         .join(Studio, Studio.id == a.studio_id).join(Member, Member.id == a.applicant_id)
         .where(a.round_id == round_id).order_by(Studio.name))
    if application_id is not None:
        q = q.where(a.id == application_id)
    return [ApplicationRow(*row) for row in (await session.execute(q)).all()]


@dataclass(frozen=True)
class AnswerView:
    id: int
    application_id: int
    item_id: int
    value: float | None
    detail: dict[str, int] | None
    points: float | None
    self_points: float | None
    evidence: str | None
    pictures: list[tuple[str | None, str | None]] = field(default_factory=list)


async def answers_of(session: Session, application_ids: Sequence[int]) -> list[AnswerView]:
    """The answers of these applications, with their photos (oldest first)."""
    if not application_ids:
        return []
    rows = list(await session.scalars(select(RatingAnswer).where(
        RatingAnswer.application_id.in_(list(application_ids))).order_by(RatingAnswer.id)))
    pictures: dict[int, list[tuple[str | None, str | None]]] = defaultdict(list)
    if rows:
        for answer_id, media, url in (await session.execute(
                select(RatingPicture.answer_id, RatingPicture.media_id, RatingPicture.pic_url)
                .where(RatingPicture.answer_id.in_([r.id for r in rows]))
                .order_by(RatingPicture.id))).all():
            pictures[answer_id].append((media, url))
    return [AnswerView(r.id, r.application_id, r.item_id, r.value,
                       None if r.detail is None else {str(k): int(v) for k, v in r.detail.items()},
                       r.points, r.self_points, r.evidence, pictures.get(r.id, []))
            for r in rows]


async def latest_finalised_application(session: Session, studio_id: int,
                                       before_round: int | None = None
                                       ) -> RatingApplication | None:
    """The studio's application in the latest finalised round (other than `before_round`)."""
    q = (select(RatingApplication).join(RatingRound, RatingRound.id == RatingApplication.round_id)
         .where(RatingApplication.studio_id == studio_id, RatingRound.status == ROUND_FINALISED))
    if before_round is not None:
        q = q.where(RatingRound.id != before_round)
    return (await session.scalars(q.order_by(RatingRound.finalised_at.desc(), RatingRound.id.desc())
                                  .limit(1))).first()


# -- scores ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreRow:
    application_id: int
    item_id: int
    expert_id: int
    expert: str
    points: float
    comment: str | None
    scored_at: datetime


async def set_score(session: Session, *, application_id: int, item_id: int, expert_id: int,
                    points: float, comment: str | None, now: datetime) -> bool:
    """Record an expert's score of an item (replacing their earlier one); True if new."""
    found = (await session.scalars(select(RatingScore).where(
        RatingScore.application_id == application_id, RatingScore.item_id == item_id,
        RatingScore.expert_id == expert_id))).first()
    if found is not None:
        found.points, found.comment, found.scored_at = points, comment, now
        await session.flush()
        return False
    session.add(RatingScore(application_id=application_id, item_id=item_id, expert_id=expert_id,
                            points=points, comment=comment, scored_at=now))
    await session.flush()
    return True


async def scores_of(session: Session, application_ids: Sequence[int],
                    expert_id: int | None = None) -> list[ScoreRow]:
    """The scores given to these applications (only `expert_id`'s, when given)."""
    if not application_ids:
        return []
    s = RatingScore
    q = (select(s.application_id, s.item_id, s.expert_id, Member.name, s.points, s.comment,
                s.scored_at)
         .join(Member, Member.id == s.expert_id)
         .where(s.application_id.in_(list(application_ids)))
         .order_by(s.application_id, s.item_id, Member.employee_no))
    if expert_id is not None:
        q = q.where(s.expert_id == expert_id)
    return [ScoreRow(*row) for row in (await session.execute(q)).all()]


# -- objections -----------------------------------------------------------------------


async def add_objection(session: Session, *, round_id: int, studio_id: int, member_id: int,
                        content: str, now: datetime) -> int:
    objection = RatingObjection(round_id=round_id, studio_id=studio_id, member_id=member_id,
                                content=content, created_at=now)
    session.add(objection)
    await session.flush()
    return objection.id


@dataclass(frozen=True)
class ObjectionRow:
    id: int
    studio: str
    name: str  # who objected
    employee_no: str
    content: str
    created_at: datetime


async def objections_of(session: Session, round_id: int) -> list[ObjectionRow]:
    o = RatingObjection
    rows = await session.execute(
        select(o.id, Studio.name, Member.name, Member.employee_no, o.content, o.created_at)
        .join(Studio, Studio.id == o.studio_id).join(Member, Member.id == o.member_id)
        .where(o.round_id == round_id).order_by(o.created_at, o.id))
    return [ObjectionRow(*row) for row in rows.all()]


# -- stars and funding ----------------------------------------------------------------


@dataclass(frozen=True)
class StudioRow:
    id: int
    name: str
    stars: int


async def studio_row(session: Session, studio_id: int) -> StudioRow | None:
    found = (await session.execute(select(Studio.id, Studio.name, Studio.stars)
                                   .where(Studio.id == studio_id))).first()
    return None if found is None else StudioRow(*found)


async def set_stars(session: Session, *, studio_id: int, to_stars: int, round_id: int | None,
                    score: float | None, reason: str | None, now: datetime) -> int:
    """Set a studio's official stars and keep the change; returns the stars it had."""
    studio = await session.get(Studio, studio_id)
    assert studio is not None
    before = studio.stars
    studio.stars = to_stars
    session.add(StarChange(studio_id=studio_id, round_id=round_id, from_stars=before,
                           to_stars=to_stars, score=score, reason=reason, decided_at=now))
    await session.flush()
    return before


@dataclass(frozen=True)
class StarChangeRow:
    studio_id: int
    studio: str
    round: str | None
    from_stars: int
    to_stars: int
    score: float | None
    reason: str | None
    decided_at: datetime


async def star_changes(session: Session, studio_id: int | None = None) -> list[StarChangeRow]:
    """The stars' history, oldest first (one studio's, when given)."""
    c = StarChange
    q = (select(c.studio_id, Studio.name, RatingRound.name, c.from_stars, c.to_stars, c.score,
                c.reason, c.decided_at)
         .join(Studio, Studio.id == c.studio_id)
         .outerjoin(RatingRound, RatingRound.id == c.round_id)
         .order_by(c.decided_at, c.id))
    if studio_id is not None:
        q = q.where(c.studio_id == studio_id)
    return [StarChangeRow(*row) for row in (await session.execute(q)).all()]


async def add_funding(session: Session, *, studio_id: int, amount: float, purpose: str,
                      grant_date: date, round_id: int | None, now: datetime) -> int:
    grant = StudioFunding(studio_id=studio_id, amount=amount, purpose=purpose,
                          grant_date=grant_date, round_id=round_id, created_at=now)
    session.add(grant)
    await session.flush()
    return grant.id


@dataclass(frozen=True)
class FundingRow:
    """One grant, as the ledger and the office's lists show it."""

    grant_date: date
    studio: str
    amount: float  # 万元
    purpose: str
    round: str | None


async def funding_rows(session: Session, since: date | None = None, until: date | None = None,
                       studio_id: int | None = None) -> list[FundingRow]:
    """Grants dated in [since, until) (each bound when given), by date: the ledger's."""
    f = StudioFunding
    q = (select(f.grant_date, Studio.name, f.amount, f.purpose, RatingRound.name)
         .join(Studio, Studio.id == f.studio_id)
         .outerjoin(RatingRound, RatingRound.id == f.round_id)
         .order_by(f.grant_date, f.id))
    if since is not None:
        q = q.where(f.grant_date >= since)
    if until is not None:
        q = q.where(f.grant_date < until)
    if studio_id is not None:
        q = q.where(f.studio_id == studio_id)
    return [FundingRow(*row) for row in (await session.execute(q)).all()]


# -- who hears of it ------------------------------------------------------------------


def _reachable() -> list[Any]:
    """Members a push can reach now: active, bound, following the account."""
    return [Member.active.is_(True), Member.openid.is_not(None), Member.subscribed.is_(True),
            Member.studio_id.is_not(None)]


async def reachable_leaders(session: Session, studio_ids: Iterable[int] | None = None
                            ) -> dict[int, list[int]]:
    """The leaders a push can reach, per studio (of these studios, or of every one)."""
    q = select(Member.studio_id, Member.id).where(Member.role == ROLE_LEADER, *_reachable())
    if studio_ids is not None:
        q = q.where(Member.studio_id.in_(list(studio_ids)))
    found: dict[int, list[int]] = defaultdict(list)
    for sid, mid in (await session.execute(q.order_by(Member.id))).all():
        found[sid].append(mid)
    return dict(found)


async def reachable_members(session: Session) -> dict[int, list[int]]:
    """Every member and leader of a studio a push can reach, per studio."""
    found: dict[int, list[int]] = defaultdict(list)
    for sid, mid in (await session.execute(
            select(Member.studio_id, Member.id)
            .where(Member.role.in_((ROLE_LEADER, ROLE_MEMBER)), *_reachable())
            .order_by(Member.id))).all():
        found[sid].append(mid)
    return dict(found)


# -- the measures ---------------------------------------------------------------------


@dataclass(frozen=True)
class MonthRecord:
    """One month of a period: how many of its weeks count, the logs written for them and
    the check-ins confirmed in it."""

    month: str
    weeks: int
    logs: int
    confirmed: int


@dataclass(frozen=True)
class StudioMeasures:
    """What a studio's records say over a period, for the rubric's automatic items."""

    studio_id: int
    members: int = 0  # active, any role
    bound: int = 0
    writers: int = 0  # members and leaders, who owe a weekly log
    weeks: int = 0  # weeks counted
    logs: int = 0
    pairs: int = 0  # active mentorship pairs
    checkins_confirmed: int = 0
    topics_accepted: int = 0
    results_verified: dict[str, int] = field(default_factory=dict)  # by type code
    benefit_verified: float = 0.0  # 万元
    suggestions_implemented: int = 0
    months: tuple[MonthRecord, ...] = ()


async def studio_measures(session: Session, studio_id: int, weeks: list[str], start: date,
                          end: date, tz: tzinfo) -> StudioMeasures:
    """The studio's measures: logs for the ISO `weeks`, everything dated in [start, end)
    (local days). Results and suggestions count when made in the period and verified or
    implemented by now; topics when moved to 验收 or 推广应用 in it."""
    since = datetime.combine(start, time(), tz)
    until = datetime.combine(end, time(), tz)
    month = (await studio_months(session, weeks, start, end, top=0, studio_id=studio_id)
             ).get(studio_id)
    if month is None:
        return StudioMeasures(studio_id=studio_id)
    topics = int(await session.scalar(
        select(func.count(func.distinct(Topic.id)))
        .join(TopicProgress, TopicProgress.topic_id == Topic.id)
        .where(Topic.studio_id == studio_id, TopicProgress.status.in_(TOPIC_DONE),
               TopicProgress.created_at >= since, TopicProgress.created_at < until,
               counted_in(until))) or 0)
    results: dict[str, int] = {}
    benefit = 0.0
    for kind, n, money in (await session.execute(
            select(Achievement.type, func.count(Achievement.id),
                   func.coalesce(func.sum(Achievement.economic_benefit), 0.0))
            .where(Achievement.studio_id == studio_id, Achievement.status == RESULT_VERIFIED,
                   Achievement.created_at >= since, Achievement.created_at < until)
            .group_by(Achievement.type))).all():
        results[kind] = int(n)
        benefit += float(money or 0.0)
    implemented = int(await session.scalar(
        select(func.count(Suggestion.id))
        .where(Suggestion.studio_id == studio_id, Suggestion.status == SUGGESTION_IMPLEMENTED,
               Suggestion.created_at >= since, Suggestion.created_at < until)) or 0)
    return StudioMeasures(
        studio_id=studio_id, members=month.members, bound=month.bound, writers=month.writers,
        weeks=len(weeks), logs=month.logs, pairs=month.pairs,
        checkins_confirmed=month.confirmed, topics_accepted=topics, results_verified=results,
        benefit_verified=round(benefit, 4), suggestions_implemented=implemented,
        months=await _months(session, studio_id, weeks, start, end))


async def _months(session: Session, studio_id: int, weeks: list[str], start: date,
                  end: date) -> tuple[MonthRecord, ...]:
    """Per month of the period: its weeks counted, their logs, the check-ins confirmed."""
    weeks_in: dict[str, int] = defaultdict(int)
    for week in weeks:
        weeks_in[month_of_week(week)] += 1
    logs: dict[str, int] = defaultdict(int)
    if weeks:
        for week, n in (await session.execute(
                select(WeeklyLog.week, func.count(WeeklyLog.id))
                .where(WeeklyLog.studio_id == studio_id, WeeklyLog.week.in_(weeks))
                .group_by(WeeklyLog.week))).all():
            logs[month_of_week(week)] += int(n)
    confirmed: dict[str, int] = defaultdict(int)
    apprentice = Member
    for day, n in (await session.execute(
            select(CheckIn.checkin_date, func.count(CheckIn.id))
            .join(MentorshipPair, MentorshipPair.id == CheckIn.pair_id)
            .join(apprentice, apprentice.id == MentorshipPair.apprentice_id)
            .where(apprentice.studio_id == studio_id, CheckIn.confirmed_at.is_not(None),
                   CheckIn.checkin_date >= start, CheckIn.checkin_date < end)
            .group_by(CheckIn.checkin_date))).all():
        confirmed[f"{day.year}-{day.month:02d}"] += int(n)
    return tuple(MonthRecord(m, weeks_in[m], logs.get(m, 0), confirmed.get(m, 0))
                 for m in sorted(weeks_in))
