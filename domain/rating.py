"""Star rating (星级评定): a studio's standing on the rubric with the shortest way up (评星), rating
rounds and their experts, applications (申报), the experts' scores, 公示 and objections (异议),
the decision that sets a studio's stars (kept in their history), and one-off funding.

The rules:

- One round is under way at a time: opened, then published, then finalised. Applications
  are taken while it is open, until its deadline (a day in the union's time zone, inclusive);
  experts score while it is open; once published, nothing is scored any more and each
  expert sees the others' scores.
- An application freezes the automatic items as measured then, over the round's period
  (up to the day it is made, if the period has not ended); the manual items carry the
  leader's self-assessment, evidence and photos.
- An application's total is its automatic points plus, for each manual item, the mean of
  the experts' scores of it. A round is published only when every manual item of every
  application has a score.
- Finalising sets every applying studio's official stars to what its total earns — more,
  the same, fewer, or none (摘牌) — each kept in the history with the round and the score.
  The office may also set a studio's stars outside a round (the yearly review), with a
  reason. A studio that did not apply keeps its stars.
- Who sees what: an application is seen by its studio's leaders, the union's admins and
  the round's experts; an expert's scores by that expert (everyone's once the round is
  published) and the admins. Anything else looks like a record that does not exist.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, tzinfo

from domain import DomainError, NotAllowed, NotFound, TooLong, WrongState
from domain.rubric import (
    DECIMALS,
    DEFAULT_MONTH_RATE,
    Item,
    Rubric,
    Step,
    current_rubric,
    points_for,
    rubric_version,
    way_up,
)
from storage.calendar import weeks_between
from storage.models import (
    ROLE_ADMIN,
    ROLE_LEADER,
    ROUND_FINALISED,
    ROUND_OPEN,
    ROUND_PUBLISHED,
    RatingRound,
)
from storage.queries import rating as store
from storage.queries.members import languages_of
from storage.queries.outbox import enqueue_many
from storage.queries.sender import MemberView
from storage.queries.studios import studios_called
from storage.session import Session

# Characters kept of an item's evidence, an expert's comment, an objection, a reason.
MAX_EVIDENCE = 1000
MAX_COMMENT = 500
MAX_OBJECTION = 500
MAX_REASON = 500
MAX_PURPOSE = 200
# Photos one item of an application may carry.
MAX_PICTURES = 9
# The longest 公示 (days of objections) a round may have.
MAX_OBJECTION_DAYS = 60
_EPSILON = 1e-9

# How a manual item's points are known in a standing.
MEASURED = "measured"  # an automatic item, from the records
LAST_RATING = "last_rating"  # the experts' mean in the studio's last rating
PENDING = "pending"  # 待评: not scored yet

# What a setting of the stars did (a studio's leader is told in these terms).
RATED, RAISED, KEPT, LOWERED, REMOVED, UNRATED = (
    "rated", "raised", "kept", "lowered", "removed", "unrated")


def change_of(before: int, after: int) -> str:
    """rated (first stars), raised, kept, lowered, removed (摘牌), or unrated (none before,
    none now)."""
    if after == before:
        return KEPT if after else UNRATED
    if before == 0:
        return RATED
    if after == 0:
        return REMOVED
    return RAISED if after > before else LOWERED


class NoRubric(DomainError):
    """The union has imported no rubric yet."""

    code = "no_rubric"


class NoRound(DomainError):
    """No round takes this now: none open for applications (code "no_round"), or none in
    its 公示 for objections (code "no_publicity")."""

    code = "no_round"


class PastDeadline(DomainError):
    """The round's application deadline has passed. Facts: round, deadline."""

    code = "past_deadline"


class AlreadyApplied(DomainError):
    """The studio has applied to this round. Facts: round, application_id, submitted_at."""

    code = "already_applied"


class OverPoints(DomainError):
    """A score outside 0 … the item's points. Facts: item (its code), points, most."""

    code = "over_points"


class Unscored(DomainError):
    """Manual items no expert has scored yet. Facts: missing, a list of (studio, codes)."""

    code = "unscored"


class InPublicity(DomainError):
    """The 公示 runs until `until`: nothing is finalised before. Facts: until."""

    code = "in_publicity"


class Ambiguous(DomainError):
    """A studio name that fits several studios. Facts: text, studios."""

    code = "ambiguous"


# -- rounds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundView:
    id: int
    name: str
    rubric_id: int
    period_start: date
    period_end: date  # its last day
    deadline: date  # the last day applications are taken
    status: str  # open, published, finalised
    opened_at: datetime
    published_at: datetime | None
    objection_until: datetime | None
    finalised_at: datetime | None

    @classmethod
    def of(cls, r: RatingRound) -> RoundView:
        return cls(r.id, r.name, r.rubric_id, r.period_start, r.period_end, r.deadline, r.status,
                   r.opened_at, r.published_at, r.objection_until, r.finalised_at)

    def takes_applications(self, today: date) -> bool:
        return self.status == ROUND_OPEN and today <= self.deadline

    def in_publicity(self, now: datetime) -> bool:
        return (self.status == ROUND_PUBLISHED and self.objection_until is not None
                and now < self.objection_until)

    @property
    def closed(self) -> bool:
        """Scoring is over: each expert may see the others' scores."""
        return self.status != ROUND_OPEN


def local_day(now: datetime, tz: tzinfo) -> date:
    return now.astimezone(tz).date()


async def open_round(session: Session, *, name: str, period_start: date, period_end: date,
                     deadline: date, now: datetime) -> RoundView:
    """Open a round on the current rubric. Refused (DomainError with a code) for an empty
    name ("name_missing"), a period that ends before it starts ("period"), a name in use
    ("name_taken"), no rubric (NoRubric), or while another round is under way (WrongState
    "round_unfinished", facts: name)."""
    name = " ".join(name.split())
    if not name:
        raise DomainError("name_missing")
    if period_end < period_start:
        raise DomainError("period", start=period_start, end=period_end)
    rubric = await current_rubric(session)
    if rubric is None:
        raise NoRubric()
    if await store.round_by_name(session, name) is not None:
        raise DomainError("name_taken", name=name)
    unfinished = await store.unfinished_round(session)
    if unfinished is not None:
        raise WrongState("round_unfinished", name=unfinished.name)
    return RoundView.of(await store.add_round(
        session, name=name, rubric_id=rubric.id, period_start=period_start,
        period_end=period_end, deadline=deadline, now=now))


async def manual_items(session: Session, round_id: int) -> dict[str, Item] | None:
    """The manual items (by 编号) of a round that takes applications; None otherwise (an
    application dialog then ends: the round moved on under it)."""
    found = await store.round_by_id(session, round_id)
    if found is None or found.status != ROUND_OPEN:
        return None
    rubric = await rubric_version(session, rubric_id=found.rubric_id)
    return None if rubric is None else {i.code: i for i in rubric.items if not i.automatic}


async def round_named(session: Session, name: str) -> RoundView:
    found = await store.round_by_name(session, " ".join(name.split()))
    if found is None:
        raise NotFound("no_such_round", name=name)
    return RoundView.of(found)


async def rounds(session: Session) -> list[RoundView]:
    """Every round, the latest first."""
    return [RoundView.of(r) for r in await store.all_rounds(session)]


async def round_under_way(session: Session) -> RoundView | None:
    found = await store.unfinished_round(session)
    return None if found is None else RoundView.of(found)


@dataclass(frozen=True)
class ExpertsAdded:
    added: list[store.Person]
    had: list[store.Person]  # experts of the round already
    unknown: list[str]  # employee numbers no active member has


async def add_experts(session: Session, round_id: int, employee_nos: Sequence[str], *,
                      now: datetime) -> ExpertsAdded:
    """Give the members with these employee numbers the expert role for the round. Unknown
    numbers are reported and nothing is added (DomainError "unknown_members", facts:
    unknown); a finalised round takes no experts (WrongState "finalised")."""
    found = await store.round_by_id(session, round_id)
    if found is None:
        raise NotFound("no_such_round", name=round_id)
    if found.status == ROUND_FINALISED:
        raise WrongState("finalised", name=found.name)
    people = await store.members_numbered(session, employee_nos)
    unknown = [no for no in employee_nos if no.strip().casefold() not in people]
    if unknown:
        raise DomainError("unknown_members", unknown=unknown)
    before = {p.id for p in await store.experts_of(session, round_id)}
    chosen = list({p.id: p for p in people.values()}.values())
    await store.add_experts(session, round_id, [p.id for p in chosen], now)
    return ExpertsAdded(added=[p for p in chosen if p.id not in before],
                        had=[p for p in chosen if p.id in before], unknown=[])


async def experts(session: Session, round_id: int) -> list[store.Person]:
    return await store.experts_of(session, round_id)


async def expert_rounds(session: Session, expert_id: int) -> list[RoundView]:
    """The rounds a member is an expert of, the latest first: the console's list."""
    return [RoundView.of(r) for r in await store.rounds_of_expert(session, expert_id)]


# -- what the records say: a studio's standing ----------------------------------------


def rolling_year(today: date) -> tuple[date, date]:
    """The twelve months up to `today` (its first and last day): the period a standing
    measures when no round is under way."""
    try:
        year_before = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        year_before = today.replace(year=today.year - 1, day=28)
    return year_before + timedelta(days=1), today


async def measure(session: Session, studio_id: int, start: date, last: date, today: date,
                  tz: tzinfo) -> tuple[date, store.StudioMeasures]:
    """The studio's measures over [start, last] as far as `today`: (the last day counted,
    the measures)."""
    until = min(last, today)
    end = until + timedelta(days=1)
    weeks = weeks_between(start, end, today)
    return until, await store.studio_measures(session, studio_id, weeks, start, end, tz)


def complete_months(m: store.StudioMeasures, least: float) -> int:
    """Months whose ledger is complete: at least `least` of the weekly logs owed for their
    weeks, and at least as many confirmed check-ins as the studio has pairs."""
    done = 0
    for month in m.months:
        owed = m.writers * month.weeks
        if owed and month.logs + _EPSILON >= least * owed and month.confirmed >= m.pairs:
            done += 1
    return done


def value_of(item: Item, m: store.StudioMeasures) -> tuple[float, dict[str, int]]:
    """An automatic item's measure: (value, results by type). Rates are fractions."""
    method = item.method
    if method == "log_rate":
        owed = m.writers * m.weeks
        return (m.logs / owed if owed else 0.0), {}
    if method == "members_bound":
        return (m.bound / m.members if m.members else 0.0), {}
    if method == "checkins_per_pair":
        return (m.checkins_confirmed / m.pairs if m.pairs else 0.0), {}
    if method == "topics_accepted":
        return float(m.topics_accepted), {}
    if method == "results":
        return float(sum(m.results_verified.values())), dict(m.results_verified)
    if method == "benefit":
        return m.benefit_verified, {}
    if method == "suggestions_implemented":
        return float(m.suggestions_implemented), {}
    if method == "ledger_months":
        least = item.scale.min_rate if item.scale.min_rate is not None else DEFAULT_MONTH_RATE
        return float(complete_months(m, least)), {}
    raise ValueError(f"unknown measure {method!r}")


@dataclass(frozen=True)
class ItemStanding:
    """One item of a standing: what it measures and earns (None: 待评), and how that is
    known (MEASURED, LAST_RATING, PENDING)."""

    item: Item
    value: float | None
    detail: Mapping[str, int]
    earned: float | None
    basis: str


@dataclass(frozen=True)
class Standing:
    """A studio's provisional score on the rubric over a period and the shortest way to its
    next star: what 评星, the report page and the console show."""

    studio_id: int
    studio: str
    rubric: Rubric
    round: RoundView | None  # the round whose period is measured, when one is under way
    period_start: date
    period_end: date
    measured_until: date
    items: tuple[ItemStanding, ...]
    score: float  # the points known: measured, and manual ones from the last rating
    pending: float  # the points of manual items no one has scored
    stars: int  # what `score` earns
    official: int  # the studio's stars now
    target: int | None  # the next star above `stars`; None at three
    short_by: float | None  # points `score` lacks for `target`
    steps: tuple[Step, ...]  # the shortest way up through the automatic items
    reachable: bool  # whether `steps` close `short_by`

    @property
    def automatic(self) -> float:
        return round(sum(i.earned or 0.0 for i in self.items if i.basis == MEASURED), DECIMALS)


async def _last_manual(session: Session, studio_id: int, rubric: Rubric,
                       before_round: int | None) -> dict[str, float]:
    """The experts' mean for each manual item in the studio's last rating, by item code,
    scaled to the item's points in `rubric` where a later version changed them."""
    last = await store.latest_finalised_application(session, studio_id, before_round)
    if last is None:
        return {}
    then = await store.round_by_id(session, last.round_id)
    assert then is not None
    old = await rubric_version(session, rubric_id=then.rubric_id)
    if old is None:
        return {}
    by_id = {i.id: i for i in old.items}
    means = _means(await store.scores_of(session, [last.id]))
    found: dict[str, float] = {}
    for (_app, item_id), mean in means.items():
        before = by_id.get(item_id)
        now = rubric.item(before.code) if before is not None else None
        if before is None or now is None or now.automatic:
            continue
        found[now.code] = round(mean * now.points / before.points, DECIMALS)
    return found


def _means(scores: Sequence[store.ScoreRow]) -> dict[tuple[int, int], float]:
    grouped: dict[tuple[int, int], list[float]] = {}
    for s in scores:
        grouped.setdefault((s.application_id, s.item_id), []).append(s.points)
    return {key: round(statistics.fmean(points), DECIMALS) for key, points in grouped.items()}


async def standing(session: Session, studio_id: int, *, now: datetime,
                   tz: tzinfo) -> Standing:
    """The studio's standing: on the round under way (its rubric and period) or else on the
    current rubric over the twelve months up to today. Automatic items are measured; a
    manual item counts the experts' mean from the studio's last rating when it had one
    (the same 编号), and is pending (待评) otherwise. Raises NoRubric, NotFound."""
    found = await store.studio_row(session, studio_id)
    if found is None:
        raise NotFound(id=studio_id)
    today = local_day(now, tz)
    under_way = await round_under_way(session)
    rubric = (await rubric_version(session, rubric_id=under_way.rubric_id)
              if under_way is not None else await current_rubric(session))
    if rubric is None:
        raise NoRubric()
    start, last = ((under_way.period_start, under_way.period_end) if under_way is not None
                   else rolling_year(today))
    until, m = await measure(session, studio_id, start, last, today, tz)
    earlier = await _last_manual(session, studio_id, rubric,
                                 under_way.id if under_way is not None else None)
    items: list[ItemStanding] = []
    values: dict[str, tuple[float, Mapping[str, int]]] = {}
    for item in rubric.items:
        if item.automatic:
            value, detail = value_of(item, m)
            values[item.code] = (value, detail)
            items.append(ItemStanding(item, value, detail, points_for(item, value, detail),
                                      MEASURED))
        elif item.code in earlier:
            items.append(ItemStanding(item, None, {}, earlier[item.code], LAST_RATING))
        else:
            items.append(ItemStanding(item, None, {}, None, PENDING))
    score = round(sum(i.earned or 0.0 for i in items), DECIMALS)
    pending = round(sum(i.item.points for i in items if i.basis == PENDING), DECIMALS)
    stars = rubric.stars(score)
    target = stars + 1 if stars < 3 else None
    short_by = round(rubric.threshold(target) - score, DECIMALS) if target else None
    steps = way_up(rubric.items, values, short_by) if short_by else []
    gain = sum(s.gain for s in steps)
    return Standing(
        studio_id=studio_id, studio=found.name, rubric=rubric, round=under_way,
        period_start=start, period_end=last, measured_until=until, items=tuple(items),
        score=score, pending=pending, stars=stars, official=found.stars, target=target,
        short_by=short_by, steps=tuple(steps),
        reachable=short_by is None or gain + _EPSILON >= short_by)


# -- applications (申报) ---------------------------------------------------------------


@dataclass(frozen=True)
class ApplicationForm:
    """What a leader fills in to apply: the round, its rubric's manual items, and what the
    automatic items earn now (measured again, and frozen, when the application is made)."""

    round: RoundView
    rubric: Rubric
    studio_id: int
    studio: str
    manual: tuple[Item, ...]
    automatic: float


async def _open_round_for(session: Session, member: MemberView,
                          today: date) -> tuple[RoundView, int]:
    """The round a leader may apply to now, and their studio. Raises NotAllowed
    ("not_leader"), NoRound, PastDeadline, AlreadyApplied."""
    if member.role != ROLE_LEADER or member.studio_id is None:
        raise NotAllowed("not_leader")
    under_way = await round_under_way(session)
    if under_way is None or under_way.status != ROUND_OPEN:
        raise NoRound()
    if today > under_way.deadline:
        raise PastDeadline(round=under_way.name, deadline=under_way.deadline)
    applied = await store.application_of(session, under_way.id, member.studio_id)
    if applied is not None:
        raise AlreadyApplied(round=under_way.name, application_id=applied.id,
                             submitted_at=applied.submitted_at)
    return under_way, member.studio_id


async def application_form(session: Session, member: MemberView, *, now: datetime,
                           tz: tzinfo) -> ApplicationForm:
    """What the leader's studio would apply with now (the rules of _open_round_for)."""
    today = local_day(now, tz)
    under_way, studio_id = await _open_round_for(session, member, today)
    rubric = await rubric_version(session, rubric_id=under_way.rubric_id)
    assert rubric is not None
    _until, m = await measure(session, studio_id, under_way.period_start, under_way.period_end,
                              today, tz)
    automatic = sum(points_for(i, *value_of(i, m)) for i in rubric.items if i.automatic)
    return ApplicationForm(round=under_way, rubric=rubric, studio_id=studio_id,
                           studio=member.studio_name or "",
                           manual=tuple(i for i in rubric.items if not i.automatic),
                           automatic=round(automatic, DECIMALS))


@dataclass(frozen=True)
class SelfAssessment:
    """A leader's answer to one manual item: their own score, evidence, photos."""

    code: str
    points: float | None = None
    evidence: str | None = None
    pictures: tuple[tuple[str | None, str | None], ...] = ()  # (media_id, pic_url)


def check_self(item: Item, points: float | None) -> None:
    """OverPoints unless `points` is missing or within the item's points."""
    if points is not None and not -_EPSILON <= points <= item.points + _EPSILON:
        raise OverPoints(item=item.code, points=points, most=item.points)


def check_evidence(text: str) -> None:
    if len(text) > MAX_EVIDENCE:
        raise TooLong(limit=MAX_EVIDENCE, chars=len(text))


@dataclass(frozen=True)
class Picture:
    media_id: str | None
    pic_url: str | None


@dataclass(frozen=True)
class Answer:
    """One item of an application: an automatic one's frozen measure and points, or a
    manual one's self-assessment with its evidence and photos."""

    item: Item
    value: float | None
    detail: Mapping[str, int]
    points: float | None  # automatic: the points frozen
    self_points: float | None
    evidence: str | None
    pictures: tuple[Picture, ...]


@dataclass(frozen=True)
class ApplicationView:
    id: int
    round: RoundView
    studio_id: int
    studio: str
    applicant: str
    submitted_at: datetime
    measured_until: date
    automatic: float
    answers: tuple[Answer, ...]

    @property
    def self_total(self) -> float:
        return round(sum(a.self_points or 0.0 for a in self.answers), DECIMALS)

    @property
    def pictures(self) -> int:
        return sum(len(a.pictures) for a in self.answers)


async def apply(session: Session, member: MemberView, *, round_id: int,
                answers: Sequence[SelfAssessment], now: datetime,
                tz: tzinfo) -> ApplicationView:
    """The leader's studio applies to the round: the automatic items measured and frozen
    now, the manual ones as the leader assessed them. Raises what _open_round_for does,
    WrongState("round_changed") when the round under way is no longer `round_id`,
    OverPoints, TooLong."""
    today = local_day(now, tz)
    under_way, studio_id = await _open_round_for(session, member, today)
    if under_way.id != round_id:
        raise WrongState("round_changed")
    rubric = await rubric_version(session, rubric_id=under_way.rubric_id)
    assert rubric is not None
    given = {a.code: a for a in answers}
    until, m = await measure(session, studio_id, under_way.period_start, under_way.period_end,
                             today, tz)
    rows: list[store.AnswerRow] = []
    automatic = 0.0
    for item in rubric.items:
        if item.automatic:
            value, detail = value_of(item, m)
            points = points_for(item, value, detail)
            automatic += points
            rows.append(store.AnswerRow(item.id, value=round(value, 4), detail=detail or None,
                                        points=points))
            continue
        answer = given.get(item.code, SelfAssessment(item.code))
        check_self(item, answer.points)
        evidence = (answer.evidence or "").strip() or None
        if evidence is not None:
            check_evidence(evidence)
        rows.append(store.AnswerRow(item.id, self_points=answer.points, evidence=evidence,
                                    pictures=answer.pictures[:MAX_PICTURES]))
    application = await store.add_application(
        session, round_id=under_way.id, studio_id=studio_id, applicant_id=member.id,
        automatic=round(automatic, DECIMALS), measured_until=until, answers=rows, now=now)
    return await _application(session, application.id, under_way, rubric)


async def _application(session: Session, application_id: int, round_: RoundView,
                       rubric: Rubric) -> ApplicationView:
    [row] = await store.applications_of(session, round_.id, application_id)
    return _view(row, round_, rubric, await store.answers_of(session, [application_id]))


def _view(row: store.ApplicationRow, round_: RoundView, rubric: Rubric,
          answers: Sequence[store.AnswerView]) -> ApplicationView:
    by_item = {a.item_id: a for a in answers if a.application_id == row.id}
    shown = []
    for item in rubric.items:
        a = by_item.get(item.id)
        if a is None:
            continue
        shown.append(Answer(item=item, value=a.value, detail=a.detail or {}, points=a.points,
                            self_points=a.self_points, evidence=a.evidence,
                            pictures=tuple(Picture(m, u) for m, u in a.pictures)))
    return ApplicationView(id=row.id, round=round_, studio_id=row.studio_id, studio=row.studio,
                           applicant=row.applicant, submitted_at=row.submitted_at,
                           measured_until=row.measured_until, automatic=row.automatic,
                           answers=tuple(shown))


async def _may_see(session: Session, viewer: MemberView, round_id: int, studio_id: int) -> bool:
    if viewer.role == ROLE_ADMIN:
        return True
    if viewer.role == ROLE_LEADER and viewer.studio_id == studio_id:
        return True
    return await store.is_expert(session, round_id, viewer.id)


async def application_for(session: Session, viewer: MemberView,
                          application_id: int) -> ApplicationView:
    """An application, for its studio's leaders, the admins and the round's experts;
    NotFound for anyone else, exactly as for a missing one."""
    found = await store.application_by_id(session, application_id)
    if found is None or not await _may_see(session, viewer, found.round_id, found.studio_id):
        raise NotFound(id=application_id)
    round_row = await store.round_by_id(session, found.round_id)
    assert round_row is not None
    rubric = await rubric_version(session, rubric_id=round_row.rubric_id)
    assert rubric is not None
    return await _application(session, application_id, RoundView.of(round_row), rubric)


async def own_application(session: Session, member: MemberView) -> ApplicationView | None:
    """The leader's studio's application to the round under way, if it made one."""
    if member.studio_id is None:
        return None
    under_way = await round_under_way(session)
    if under_way is None:
        return None
    found = await store.application_of(session, under_way.id, member.studio_id)
    return None if found is None else await application_for(session, member, found.id)


# -- the experts' scores --------------------------------------------------------------


@dataclass(frozen=True)
class ItemScore:
    expert_id: int
    expert: str
    points: float
    comment: str | None
    scored_at: datetime


@dataclass(frozen=True)
class ExpertItem:
    """A manual item of an application as an expert scores it: the leader's answer, the
    expert's own score, and the others' once the round is closed."""

    answer: Answer
    mine: ItemScore | None
    others: tuple[ItemScore, ...]


@dataclass(frozen=True)
class ExpertApplication:
    application: ApplicationView
    items: tuple[ExpertItem, ...]

    @property
    def scored(self) -> int:
        return sum(1 for i in self.items if i.mine is not None)


async def _expert_round(session: Session, round_id: int, expert_id: int
                        ) -> tuple[RoundView, Rubric]:
    found = await store.round_by_id(session, round_id)
    if found is None or not await store.is_expert(session, round_id, expert_id):
        raise NotFound(id=round_id)
    rubric = await rubric_version(session, rubric_id=found.rubric_id)
    assert rubric is not None
    return RoundView.of(found), rubric


def _score(s: store.ScoreRow) -> ItemScore:
    return ItemScore(s.expert_id, s.expert, s.points, s.comment, s.scored_at)


async def expert_sheet(session: Session, round_id: int, expert_id: int
                       ) -> list[ExpertApplication]:
    """A round's applications as one of its experts scores them: each manual item with the
    leader's answer and the expert's own score; the other experts' scores only once the
    round is closed. NotFound unless the member is an expert of the round."""
    round_, rubric = await _expert_round(session, round_id, expert_id)
    rows = await store.applications_of(session, round_id)
    ids = [r.id for r in rows]
    answers = await store.answers_of(session, ids)
    scores = await store.scores_of(session, ids, None if round_.closed else expert_id)
    sheet = []
    for row in rows:
        view = _view(row, round_, rubric, answers)
        items = []
        for answer in view.answers:
            if answer.item.automatic:
                continue
            given = [s for s in scores if s.application_id == row.id
                     and s.item_id == answer.item.id]
            mine = next((_score(s) for s in given if s.expert_id == expert_id), None)
            items.append(ExpertItem(answer, mine, tuple(_score(s) for s in given
                                                        if s.expert_id != expert_id)))
        sheet.append(ExpertApplication(view, tuple(items)))
    return sheet


@dataclass(frozen=True)
class Scored:
    application_id: int
    studio: str
    code: str
    points: float
    new: bool  # False: it replaced the expert's earlier score


async def score(session: Session, *, round_id: int, application_id: int, code: str,
                expert_id: int, points: float, comment: str | None,
                now: datetime) -> Scored:
    """An expert scores a manual item of an application (again: the new score replaces
    theirs). NotFound unless the member is an expert of the round, the application is in
    it and the item is one of its manual items (code "no_item"); WrongState("closed") once
    the round is published; OverPoints; TooLong for a long comment."""
    round_, rubric = await _expert_round(session, round_id, expert_id)
    found = await store.application_by_id(session, application_id)
    if found is None or found.round_id != round_id:
        raise NotFound(id=application_id)
    item = rubric.item(code)
    if item is None or item.automatic:
        raise NotFound("no_item", item=code)
    if round_.closed:
        raise WrongState("closed", name=round_.name)
    if not -_EPSILON <= points <= item.points + _EPSILON:
        raise OverPoints(item=item.code, points=points, most=item.points)
    comment = (comment or "").strip() or None
    if comment is not None and len(comment) > MAX_COMMENT:
        raise TooLong(limit=MAX_COMMENT, chars=len(comment))
    new = await store.set_score(session, application_id=application_id, item_id=item.id,
                                expert_id=expert_id, points=points, comment=comment, now=now)
    [row] = await store.applications_of(session, round_id, application_id)
    return Scored(application_id, row.studio, item.code, points, new)


# -- the round's sheet: totals, spread, the proposed stars ----------------------------


@dataclass(frozen=True)
class ItemResult:
    """One item of an application on the round's sheet: an automatic item's frozen points,
    or a manual one's experts' scores, their mean and spread (the highest less the
    lowest)."""

    answer: Answer
    scores: tuple[ItemScore, ...]
    points: float | None  # automatic: frozen; manual: the mean (None: nobody scored)
    spread: float | None


@dataclass(frozen=True)
class Drop:
    """An item that earned fewer points than in the studio's last rating."""

    code: str
    title: str
    before: float
    now: float


@dataclass(frozen=True)
class Entry:
    """A studio on a round's sheet."""

    application_id: int
    studio_id: int
    studio: str
    automatic: float
    manual: float  # the sum of the manual items' means
    total: float
    stars: int  # what the total earns
    current: int  # the studio's official stars now
    items: tuple[ItemResult, ...]
    unscored: tuple[str, ...]  # manual items nobody has scored (codes)
    expert_totals: Mapping[str, float]  # each expert who scored every manual item: their sum
    dropped: tuple[Drop, ...]  # when the stars would fall: items below the last rating

    @property
    def change(self) -> str:
        return change_of(self.current, self.stars)

    @property
    def spread(self) -> float | None:
        """How far apart the experts' manual totals are (None: fewer than two complete)."""
        totals = list(self.expert_totals.values())
        return round(max(totals) - min(totals), DECIMALS) if len(totals) > 1 else None


@dataclass(frozen=True)
class Sheet:
    round: RoundView
    rubric: Rubric
    experts: tuple[store.Person, ...]
    entries: tuple[Entry, ...]  # best total first, ties by name


def _item_points(entry_items: Sequence[ItemResult]) -> dict[str, float]:
    return {r.answer.item.code: r.points for r in entry_items if r.points is not None}


def _office_only(viewer: MemberView | None, record_id: int) -> None:
    """The office's views: for the union's admins (or the command line, `viewer` None)."""
    if viewer is not None and viewer.role != ROLE_ADMIN:
        raise NotFound(id=record_id)


async def round_sheet(session: Session, round_id: int,
                      viewer: MemberView | None = None) -> Sheet:
    """The admin's sheet of a round: each application's automatic points, each manual item
    with every expert's score, mean and spread, the total and the stars it earns, the
    change against the studio's stars now — and, for a fall, the items that dropped since
    its last rating. NotFound for a `viewer` who is not an admin."""
    _office_only(viewer, round_id)
    found = await store.round_by_id(session, round_id)
    if found is None:
        raise NotFound(id=round_id)
    round_ = RoundView.of(found)
    rubric = await rubric_version(session, rubric_id=found.rubric_id)
    assert rubric is not None
    rows = await store.applications_of(session, round_id)
    ids = [r.id for r in rows]
    answers = await store.answers_of(session, ids)
    scores = await store.scores_of(session, ids)
    manual_ids = {i.id for i in rubric.items if not i.automatic}
    entries = []
    for row in rows:
        view = _view(row, round_, rubric, answers)
        results = []
        per_expert: dict[str, dict[int, float]] = {}
        for answer in view.answers:
            if answer.item.automatic:
                results.append(ItemResult(answer, (), answer.points, None))
                continue
            given = tuple(_score(s) for s in scores
                          if s.application_id == row.id and s.item_id == answer.item.id)
            for s in given:
                per_expert.setdefault(s.expert, {})[answer.item.id] = s.points
            mean = round(statistics.fmean(s.points for s in given), DECIMALS) if given else None
            spread = (round(max(s.points for s in given) - min(s.points for s in given),
                            DECIMALS) if given else None)
            results.append(ItemResult(answer, given, mean, spread))
        manual = round(sum(r.points or 0.0 for r in results if not r.answer.item.automatic),
                       DECIMALS)
        total = round(row.automatic + manual, DECIMALS)
        stars = rubric.stars(total)
        dropped: tuple[Drop, ...] = ()
        if stars < row.studio_stars:
            dropped = await _dropped(session, row.studio_id, round_id, rubric, results)
        entries.append(Entry(
            application_id=row.id, studio_id=row.studio_id, studio=row.studio,
            automatic=row.automatic, manual=manual, total=total, stars=stars,
            current=row.studio_stars, items=tuple(results),
            unscored=tuple(r.answer.item.code for r in results
                           if not r.answer.item.automatic and r.points is None),
            expert_totals={name: round(sum(points.values()), DECIMALS)
                           for name, points in per_expert.items()
                           if set(points) >= manual_ids},
            dropped=dropped))
    entries.sort(key=lambda e: (-e.total, e.studio))
    return Sheet(round_, rubric, tuple(await store.experts_of(session, round_id)),
                 tuple(entries))


async def _dropped(session: Session, studio_id: int, round_id: int, rubric: Rubric,
                   results: Sequence[ItemResult]) -> tuple[Drop, ...]:
    """The items (by 编号) that earn less now than in the studio's last rating (its points
    then scaled to the item's points now)."""
    last = await store.latest_finalised_application(session, studio_id, round_id)
    if last is None:
        return ()
    then = await store.round_by_id(session, last.round_id)
    assert then is not None
    old = await rubric_version(session, rubric_id=then.rubric_id)
    if old is None:
        return ()
    before_rows = await store.applications_of(session, then.id, last.id)
    before_view = _view(before_rows[0], RoundView.of(then), old,
                        await store.answers_of(session, [last.id]))
    means = _means(await store.scores_of(session, [last.id]))
    before: dict[str, float] = {}
    for answer in before_view.answers:
        points = (answer.points if answer.item.automatic
                  else means.get((last.id, answer.item.id)))
        now_item = rubric.item(answer.item.code)
        if points is not None and now_item is not None:
            # Scaled to the item's points now, where a later rubric changed them.
            before[answer.item.code] = round(points * now_item.points / answer.item.points,
                                             DECIMALS)
    now = _item_points(results)
    return tuple(Drop(code, item.title, before[code], now[code])
                 for item in rubric.items for code in (item.code,)
                 if code in before and code in now and now[code] + _EPSILON < before[code])


# -- 公示 ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Publicity:
    """A round's proposed list as published: what the push to each recipient words."""

    round: RoundView
    entries: tuple[Entry, ...]
    until: datetime  # objections are taken until then

    def count(self, stars: int) -> int:
        return sum(1 for e in self.entries if e.stars == stars)


# The 公示 push for one recipient: (their language choice, the list, their studio's entry if
# it applied) → (text, template fields).
PublicityWording = Callable[[str | None, Publicity, Entry | None],
                            tuple[str, dict[str, str] | None]]


@dataclass(frozen=True)
class Published:
    publicity: Publicity
    queued: int  # pushes queued


def publicity_end(now: datetime, days: int, tz: tzinfo) -> datetime:
    """Objections are taken through the `days`-th day after publication (local), to its
    end: published on 20 November with 5 days, until 25 November 24:00."""
    day = now.astimezone(tz).date() + timedelta(days=days + 1)
    return datetime.combine(day, time(), tz)


async def publish(session: Session, round_id: int, *, objection_days: int,
                  all_members: bool, now: datetime, tz: tzinfo,
                  word: PublicityWording) -> Published:
    """Publish the round's proposed list (公示): the round closes to scores, objections are
    taken for `objection_days` days (publicity_end), and every leader a push can reach —
    with `all_members`, every member — is told, once (the outbox's key: the round).
    Raises WrongState "not_open" (published before) or "no_applications", Unscored,
    DomainError "days" (not 1 … MAX_OBJECTION_DAYS)."""
    found = await store.round_by_id(session, round_id)
    if found is None:
        raise NotFound(id=round_id)
    if found.status != ROUND_OPEN:
        raise WrongState("not_open", name=found.name, status=found.status)
    if not 1 <= objection_days <= MAX_OBJECTION_DAYS:
        raise DomainError("days", days=objection_days, most=MAX_OBJECTION_DAYS)
    sheet = await round_sheet(session, round_id)
    if not sheet.entries:
        raise WrongState("no_applications", name=found.name)
    missing = [(e.studio, list(e.unscored)) for e in sheet.entries if e.unscored]
    if missing:
        raise Unscored(missing=missing)
    until = publicity_end(now, objection_days, tz)
    await store.set_round_status(session, round_id, status=ROUND_PUBLISHED, published_at=now,
                                 objection_until=until)
    publicity = Publicity(replace(sheet.round, status=ROUND_PUBLISHED, published_at=now,
                                  objection_until=until), sheet.entries, until)
    reach = (await store.reachable_members(session) if all_members
             else await store.reachable_leaders(session))
    entry_of = {e.studio_id: e for e in sheet.entries}
    recipients = {mid: sid for sid, mids in reach.items() for mid in mids}
    languages = await languages_of(session, recipients)
    # Written once per (studio, language choice): a studio's members share their words.
    copies: dict[tuple[int, str | None], tuple[str, dict[str, str] | None]] = {}
    messages = {}
    for mid, sid in recipients.items():
        key = (sid, languages.get(mid))
        if key not in copies:
            copies[key] = word(key[1], publicity, entry_of.get(sid))
        messages[mid] = copies[key]
    await enqueue_many(session, store.PUBLICITY_KIND, store.round_period(round_id), messages,
                       now)
    return Published(publicity, len(messages))


@dataclass(frozen=True)
class Objected:
    id: int
    round: str
    studio: str


async def object_to(session: Session, member: MemberView, *, studio: str, content: str,
                    now: datetime) -> Objected:
    """Record an objection to a studio on the list in its 公示. Raises NoRound
    ("no_publicity"), NotFound "no_studio" (no studio so named, facts: text) or
    "not_listed" (not on the list, facts: studio), Ambiguous, DomainError "empty",
    TooLong."""
    under_way = await round_under_way(session)
    if under_way is None or not under_way.in_publicity(now):
        raise NoRound("no_publicity")
    content = content.strip()
    if not content:
        raise DomainError("empty")
    if len(content) > MAX_OBJECTION:
        raise TooLong(limit=MAX_OBJECTION, chars=len(content))
    named = await studios_called(session, studio)
    if not named:
        raise NotFound("no_studio", text=studio)
    listed = {r.studio_id for r in await store.applications_of(session, under_way.id)}
    on_list = [s for s in named if s.id in listed]
    if len(on_list) > 1:
        raise Ambiguous(text=studio, studios=[s.name for s in on_list])
    if not on_list:
        if len(named) > 1:
            raise Ambiguous(text=studio, studios=[s.name for s in named])
        raise NotFound("not_listed", studio=named[0].name)
    chosen = on_list[0]
    objection_id = await store.add_objection(session, round_id=under_way.id, studio_id=chosen.id,
                                             member_id=member.id, content=content, now=now)
    return Objected(objection_id, under_way.name, chosen.name)


async def objections(session: Session, round_id: int,
                     viewer: MemberView | None = None) -> list[store.ObjectionRow]:
    """The objections sent during the round's 公示, oldest first (the office's view)."""
    _office_only(viewer, round_id)
    return await store.objections_of(session, round_id)


# -- the decision ---------------------------------------------------------------------


@dataclass(frozen=True)
class StarDecision:
    """A studio's official stars set: from, to, why (a round and its score, or a reason)."""

    studio_id: int
    studio: str
    before: int
    after: int
    score: float | None
    round: str | None
    reason: str | None

    @property
    def change(self) -> str:
        return change_of(self.before, self.after)


# The push to a studio's leaders: (their language choice, the decision) → (text, fields).
DecisionWording = Callable[[str | None, StarDecision], tuple[str, dict[str, str] | None]]


async def _tell_leaders(session: Session, decisions: Sequence[StarDecision], *, period: str,
                        now: datetime, word: DecisionWording) -> int:
    leaders = await store.reachable_leaders(session, [d.studio_id for d in decisions])
    queued = 0
    for decision in decisions:
        mids = leaders.get(decision.studio_id, [])
        languages = await languages_of(session, mids)
        copies = {choice: word(choice, decision) for choice in set(languages.values())}
        queued += await enqueue_many(session, store.RESULT_KIND, period,
                                     {mid: copies[languages.get(mid)] for mid in mids}, now)
    return queued


@dataclass(frozen=True)
class Finalised:
    round: RoundView
    decisions: tuple[StarDecision, ...]
    queued: int


async def finalise(session: Session, round_id: int, *, now: datetime,
                   word: DecisionWording) -> Finalised:
    """Set each applying studio's official stars to what its total earns (raised, kept,
    lowered or removed), keep each in the history with the round and the score, and tell
    the studio's leaders. Raises WrongState "not_published" (or "finalised"), InPublicity
    while objections are still taken."""
    found = await store.round_by_id(session, round_id)
    if found is None:
        raise NotFound(id=round_id)
    if found.status == ROUND_FINALISED:
        raise WrongState("finalised", name=found.name)
    if found.status != ROUND_PUBLISHED:
        raise WrongState("not_published", name=found.name)
    if found.objection_until is not None and now < found.objection_until:
        raise InPublicity(until=found.objection_until)
    sheet = await round_sheet(session, round_id)
    decisions = []
    for entry in sheet.entries:
        before = await store.set_stars(session, studio_id=entry.studio_id, to_stars=entry.stars,
                                       round_id=round_id, score=entry.total, reason=None,
                                       now=now)
        decisions.append(StarDecision(entry.studio_id, entry.studio, before, entry.stars,
                                      entry.total, found.name, None))
    await store.set_round_status(session, round_id, status=ROUND_FINALISED, finalised_at=now)
    queued = await _tell_leaders(session, decisions, period=store.round_period(round_id),
                                 now=now, word=word)
    found_after = await store.round_by_id(session, round_id)
    assert found_after is not None
    return Finalised(RoundView.of(found_after), tuple(decisions), queued)


async def decide_stars(session: Session, studio_id: int, stars: int, *, reason: str,
                       now: datetime, word: DecisionWording) -> StarDecision:
    """The office sets a studio's stars outside a round (the yearly review: a demotion, a
    removal, a correction), with its reason; kept in the history and told to the studio's
    leaders. Raises DomainError "stars" (not 0–3), "reason_needed", TooLong, WrongState
    "already" (the studio has those stars)."""
    if stars not in (0, 1, 2, 3):
        raise DomainError("stars", stars=stars)
    reason = " ".join(reason.split())
    if not reason:
        raise DomainError("reason_needed")
    if len(reason) > MAX_REASON:
        raise TooLong(limit=MAX_REASON, chars=len(reason))
    found = await store.studio_row(session, studio_id)
    if found is None:
        raise NotFound(id=studio_id)
    if found.stars == stars:
        raise WrongState("already", studio=found.name, stars=stars)
    before = await store.set_stars(session, studio_id=studio_id, to_stars=stars, round_id=None,
                                   score=None, reason=reason, now=now)
    decision = StarDecision(studio_id, found.name, before, stars, None, None, reason)
    await _tell_leaders(session, [decision],
                        period=f"stars:{studio_id}:{int(now.timestamp())}", now=now, word=word)
    return decision


async def history(session: Session, studio_id: int | None = None) -> list[StarDecision]:
    """The stars' history, oldest first (one studio's, when given)."""
    return [StarDecision(r.studio_id, r.studio, r.from_stars, r.to_stars, r.score, r.round,
                         r.reason)
            for r in await store.star_changes(session, studio_id)]


# -- funding --------------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    id: int
    studio: str
    amount: float
    purpose: str
    grant_date: date
    round: str | None


async def grant_funding(session: Session, studio_id: int, *, amount: float, purpose: str,
                        grant_date: date, now: datetime, round_name: str | None = None
                        ) -> Grant:
    """Record one-off funding (万元) granted to a rated studio. Raises DomainError
    "amount" (not above 0), "purpose_missing", TooLong, NotAllowed "not_rated" (the studio
    has no stars), NotFound (the round named)."""
    if not amount > 0:
        raise DomainError("amount", amount=amount)
    purpose = " ".join(purpose.split())
    if not purpose:
        raise DomainError("purpose_missing")
    if len(purpose) > MAX_PURPOSE:
        raise TooLong(limit=MAX_PURPOSE, chars=len(purpose))
    found = await store.studio_row(session, studio_id)
    if found is None:
        raise NotFound(id=studio_id)
    if found.stars == 0:
        raise NotAllowed("not_rated", studio=found.name)
    round_id = None
    if round_name is not None:
        round_id = (await round_named(session, round_name)).id
    grant_id = await store.add_funding(session, studio_id=studio_id, amount=amount,
                                       purpose=purpose, grant_date=grant_date,
                                       round_id=round_id, now=now)
    return Grant(grant_id, found.name, amount, purpose, grant_date, round_name)


@dataclass(frozen=True)
class StudioRating:
    """What the records hold of a studio's rating: its stars, their history, its grants."""

    studio_id: int
    studio: str
    stars: int
    history: tuple[StarDecision, ...]
    grants: tuple[store.FundingRow, ...] = field(default_factory=tuple)


async def studio_rating(session: Session, studio_id: int) -> StudioRating:
    found = await store.studio_row(session, studio_id)
    if found is None:
        raise NotFound(id=studio_id)
    return StudioRating(studio_id, found.name, found.stars,
                        tuple(await history(session, studio_id)),
                        tuple(await store.funding_rows(session, studio_id=studio_id)))
