"""The union's rating rubric: its items, the measures automatic items take from the records,
their scales, the stars' thresholds — checked when imported, and scored.

An item's 评分方式 is ``manual`` (the experts score it) or a measure with its scale::

    log_rate 60%:2 75%:4 90%:6                    bands: the points of the highest band reached
    topics_accepted per=3 cap=9                    per unit: 3 points each, at most 9
    benefit step=10 per=1 cap=6                    per step: 1 point for each full 10 万元
    results invention_patent=4 utility_model=2 cap=12   per result type, capped
    ledger_months min=90% 6:2 10:4 12:5            ledger_months: what makes a month complete

Rates (log_rate, members_bound) take their thresholds in per cent; a cap defaults to the
item's points and may not exceed them; band points rise with their thresholds and stay
within the item's points. MEASURES says what each measure counts.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from domain import DomainError
from storage.models import RATING_MANUAL, RESULT_TYPES
from storage.queries import rating as store
from storage.session import Session

MANUAL = RATING_MANUAL
FULL_MARKS = 100.0
# The least score of one, two and three stars unless the rubric says otherwise.
DEFAULT_THRESHOLDS: tuple[float, float, float] = (60.0, 75.0, 85.0)
STARS = (1, 2, 3)
# ledger_months: the share of a month's weekly logs that makes its ledger complete, unless
# its scale says min=…
DEFAULT_MONTH_RATE = 0.9
# Points are kept to this many decimals (half points are common; thirds are not).
DECIMALS = 2
_EPSILON = 1e-9

# What a measure's value is: a rate (0–1, thresholds in %), a count (of things, 万元,
# months, check-ins per pair), or results counted by type.
RATE = "rate"
COUNT = "count"
BY_TYPE = "by_type"


@dataclass(frozen=True)
class Measure:
    """An automatic measure: its code (as a rubric writes it), the kind of value it gives,
    and the parameters its scale may have besides bands, per, step and cap."""

    code: str
    kind: str
    extra: tuple[str, ...] = ()


# What each measure counts over the rating period (storage.queries.rating.studio_measures):
#   log_rate                 weekly logs submitted / owed (members and leaders × weeks begun)
#   checkins_per_pair        confirmed mentorship check-ins / active pairs
#   topics_accepted          topics moved to 验收 or 推广应用 in the period
#   results                  results reported in the period and verified, by type
#   benefit                  their economic benefit, 万元
#   suggestions_implemented  suggestions made in the period and now implemented
#   members_bound            members who bound WeChat / members (now)
#   ledger_months            months whose ledger is complete: at least min (90%) of the
#                            weekly logs owed, and as many confirmed check-ins as pairs
MEASURES: dict[str, Measure] = {m.code: m for m in (
    Measure("log_rate", RATE),
    Measure("checkins_per_pair", COUNT),
    Measure("topics_accepted", COUNT),
    Measure("results", BY_TYPE),
    Measure("benefit", COUNT),
    Measure("suggestions_implemented", COUNT),
    Measure("members_bound", RATE),
    Measure("ledger_months", COUNT, extra=("min",)),
)}


@dataclass(frozen=True)
class Scale:
    """How a measure's value turns into points: bands (threshold, points), rising; or
    `per` points for each `step` units (results: `types`, points per result type), at
    most `cap` (None: the item's points)."""

    bands: tuple[tuple[float, float], ...] = ()
    per: float | None = None
    step: float = 1.0
    types: Mapping[str, float] = field(default_factory=dict)
    cap: float | None = None
    min_rate: float | None = None  # ledger_months

    def to_json(self) -> dict[str, Any]:
        stored: dict[str, Any] = {}
        if self.bands:
            stored["bands"] = [list(b) for b in self.bands]
        if self.per is not None:
            stored["per"] = self.per
            stored["step"] = self.step
        if self.types:
            stored["types"] = dict(self.types)
        if self.cap is not None:
            stored["cap"] = self.cap
        if self.min_rate is not None:
            stored["min"] = self.min_rate
        return stored

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> Scale:
        return cls(bands=tuple((float(t), float(p)) for t, p in stored.get("bands", ())),
                   per=None if stored.get("per") is None else float(stored["per"]),
                   step=float(stored.get("step", 1.0)),
                   types={str(k): float(v) for k, v in stored.get("types", {}).items()},
                   cap=None if stored.get("cap") is None else float(stored["cap"]),
                   min_rate=None if stored.get("min") is None else float(stored["min"]))


@dataclass(frozen=True)
class Item:
    """One item of a rubric."""

    id: int
    code: str
    category: str
    title: str
    points: float
    method: str  # MANUAL or a measure's code
    scale: Scale
    scale_text: str
    criteria: str
    position: int

    @property
    def automatic(self) -> bool:
        return self.method != MANUAL

    @property
    def cap(self) -> float:
        return self.points if self.scale.cap is None else self.scale.cap


@dataclass(frozen=True)
class Rubric:
    """A version of the rubric, its items in the file's order and its stars' thresholds."""

    id: int
    version: int
    source: str
    thresholds: tuple[float, float, float]  # one, two, three stars
    items: tuple[Item, ...]
    created_at: datetime

    def stars(self, score: float) -> int:
        """The stars a score earns (0: none)."""
        earned = 0
        for stars, least in zip(STARS, self.thresholds, strict=True):
            if score + _EPSILON >= least:
                earned = stars
        return earned

    def threshold(self, stars: int) -> float:
        return self.thresholds[stars - 1]

    def item(self, code: str) -> Item | None:
        return next((i for i in self.items if i.code == code), None)

    @property
    def automatic_points(self) -> float:
        return sum(i.points for i in self.items if i.automatic)

    @property
    def manual_points(self) -> float:
        return sum(i.points for i in self.items if not i.automatic)


# -- reading a rubric's lines ---------------------------------------------------------


@dataclass(frozen=True)
class ItemProblem:
    """Why a line of a rubric file was refused: a code (rating.problem.<code>) and facts."""

    line: int
    code: str
    facts: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class ItemLine:
    """A rubric line as the file gives it (cells as text)."""

    line: int
    code: str
    category: str
    title: str
    points: str
    method: str
    criteria: str


@dataclass(frozen=True)
class StarLine:
    """A line setting one star's threshold (编号 ★★, 分值 75)."""

    line: int
    stars: int
    value: str


@dataclass(frozen=True)
class ItemSpec:
    """A checked item, ready to store."""

    line: int
    code: str
    category: str
    title: str
    points: float
    method: str
    scale: Scale
    scale_text: str
    criteria: str


@dataclass
class Checked:
    """A rubric file checked: its items and thresholds, or what is wrong with it. `total`
    is set when the items' points (all readable) do not add up to 100."""

    items: list[ItemSpec] = field(default_factory=list)
    thresholds: tuple[float, float, float] = DEFAULT_THRESHOLDS
    problems: list[ItemProblem] = field(default_factory=list)
    total: float | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and self.total is None and bool(self.items)


class ScaleError(Exception):
    """A 评分方式 that cannot be read: a code (rating.problem.<code>) and facts."""

    def __init__(self, code: str, **facts: object) -> None:
        super().__init__(code)
        self.code = code
        self.facts = facts


_SEPARATORS = re.compile(r"[\s,;]+")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def _folded(text: str) -> str:
    """Full width to half width (：→:, ％→%, ＝→=, ，→,), case folded."""
    return unicodedata.normalize("NFKC", text).casefold().strip()


def number(text: str) -> float | None:
    """A plain decimal number as a cell gives it ("10", "2.5", "10分" is not one)."""
    text = _folded(text)
    return float(text) if _NUMBER.match(text) else None


def _amount(text: str, kind: str, part: str) -> float:
    """A threshold: a rate in per cent (75% → 0.75), or a count."""
    if kind == RATE:
        if not text.endswith("%"):
            raise ScaleError("rate_needs_percent", part=part)
        value = number(text[:-1])
        if value is None or not 0 <= value <= 100:
            raise ScaleError("scale_bad", part=part)
        return value / 100
    value = number(text)
    if value is None or value < 0:
        raise ScaleError("scale_bad", part=part)
    return value


def parse_method(text: str, points: float, *, manual_words: Iterable[str] = (MANUAL,),
                 type_words: Mapping[str, str] | None = None) -> tuple[str, Scale]:
    """(method, scale) from a 评分方式 cell: ``manual`` (or one of `manual_words`), or a
    measure and its scale (the module's docstring). `type_words` maps what a results scale
    may call a result type (folded: 发明专利, invention_patent) to its code. Raises
    ScaleError."""
    folded = _folded(text)
    if not folded:
        raise ScaleError("method_missing")
    words = {_folded(w) for w in (*manual_words, MANUAL)}
    if folded in words:
        return MANUAL, Scale()
    parts = [p for p in _SEPARATORS.split(folded) if p]
    name, params = parts[0], parts[1:]
    measure = MEASURES.get(name)
    if measure is None:
        if name in words:
            raise ScaleError("manual_scale", part=" ".join(params))
        raise ScaleError("measure_unknown", measure=name, known=", ".join(MEASURES))
    if not params:
        raise ScaleError("scale_missing", measure=name)
    types = {code: code for code in RESULT_TYPES}
    types.update({_folded(k): v for k, v in (type_words or {}).items()})
    bands: list[tuple[float, float]] = []
    named: dict[str, float] = {}
    by_type: dict[str, float] = {}
    for part in params:
        if ":" in part:
            threshold, _, earned = part.partition(":")
            value = number(earned)
            if value is None or value < 0:
                raise ScaleError("scale_bad", part=part)
            bands.append((_amount(threshold, measure.kind, part), value))
            continue
        key, sep, raw = part.partition("=")
        if not sep:
            raise ScaleError("scale_bad", part=part)
        if key == "min":
            if "min" not in measure.extra:
                raise ScaleError("param_unknown", part=part, measure=name)
            named["min"] = _amount(raw, RATE, part)
            continue
        value = number(raw)
        if value is None or value < 0:
            raise ScaleError("scale_bad", part=part)
        if key in ("per", "step", "cap") and not (measure.kind == BY_TYPE and key != "cap"):
            if key == "step" and value == 0:
                raise ScaleError("scale_bad", part=part)
            named[key] = value
        elif measure.kind == BY_TYPE:
            code = types.get(key)
            if code is None:
                raise ScaleError("type_unknown", part=part, types=", ".join(RESULT_TYPES))
            by_type[code] = value
        else:
            raise ScaleError("param_unknown", part=part, measure=name)
    return name, _scale(measure, bands, named, by_type, points)


def _scale(measure: Measure, bands: list[tuple[float, float]], named: dict[str, float],
           by_type: dict[str, float], points: float) -> Scale:
    per = named.get("per")
    if measure.kind == BY_TYPE:
        if bands:
            raise ScaleError("bands_not_for_results")
        if not by_type:
            raise ScaleError("scale_missing", measure=measure.code)
    elif bands and (per is not None or "step" in named or "cap" in named):
        raise ScaleError("scale_mixed")
    elif not bands and per is None:
        raise ScaleError("scale_missing", measure=measure.code)
    elif not bands and measure.kind == RATE:
        # A rate earns by bands: "per 1%" would be a scale nobody writes.
        raise ScaleError("rate_needs_bands", measure=measure.code)
    cap = named.get("cap")
    if cap is not None and cap > points + _EPSILON:
        raise ScaleError("cap_over_points", cap=_shown(cap), points=_shown(points))
    for (t0, p0), (t1, p1) in itertools.pairwise(bands):
        if t1 <= t0 or p1 <= p0:
            raise ScaleError("bands_order")
    if bands and bands[-1][1] > points + _EPSILON:
        raise ScaleError("band_over_points", band=_shown(bands[-1][1]), points=_shown(points))
    for code, each in by_type.items():
        if each > points + _EPSILON:
            raise ScaleError("type_over_points", type=code, each=_shown(each),
                             points=_shown(points))
    if per is not None and per > points + _EPSILON:
        raise ScaleError("per_over_points", per=_shown(per), points=_shown(points))
    return Scale(bands=tuple(bands), per=per, step=named.get("step", 1.0), types=by_type,
                 cap=cap, min_rate=named.get("min"))


def _shown(value: float) -> str:
    return f"{value:g}"


def check_rubric(lines: Sequence[ItemLine], stars: Sequence[StarLine] = (), *,
                 manual_words: Iterable[str] = (MANUAL,),
                 type_words: Mapping[str, str] | None = None) -> Checked:
    """Check every line of a rubric file: each item readable, its points above zero, its
    method a known measure with a sound scale, its number unique; the stars' thresholds
    rising from one star to three; and, when every line is sound, the points adding up to
    100 (``Checked.total`` otherwise)."""
    checked = Checked()
    manual = tuple(manual_words)
    first: dict[str, int] = {}
    for row in lines:
        problem = _line_problem(row, first)
        if problem is not None:
            checked.problems.append(problem)
            continue
        points = number(row.points)
        assert points is not None  # _line_problem checked it
        try:
            method, scale = parse_method(row.method, points, manual_words=manual,
                                         type_words=type_words)
        except ScaleError as error:
            checked.problems.append(ItemProblem(row.line, error.code, error.facts))
            continue
        checked.items.append(ItemSpec(
            line=row.line, code=row.code.strip(), category=row.category.strip(),
            title=row.title.strip(), points=points, method=method, scale=scale,
            scale_text="" if method == MANUAL else " ".join(row.method.split()),
            criteria=row.criteria.strip()))
    thresholds = list(DEFAULT_THRESHOLDS)
    seen: dict[int, int] = {}
    for star in stars:
        value = number(star.value)
        if star.stars in seen:
            checked.problems.append(ItemProblem(star.line, "star_duplicate",
                                                {"first_line": seen[star.stars]}))
        elif value is None or not 0 < value <= FULL_MARKS:
            checked.problems.append(ItemProblem(star.line, "threshold_bad",
                                                {"value": star.value}))
        else:
            seen[star.stars] = star.line
            thresholds[star.stars - 1] = value
    if not (thresholds[0] < thresholds[1] < thresholds[2]):
        line = max(seen.values()) if seen else 0
        checked.problems.append(ItemProblem(line, "thresholds_order", {
            "one": _shown(thresholds[0]), "two": _shown(thresholds[1]),
            "three": _shown(thresholds[2])}))
    checked.thresholds = (thresholds[0], thresholds[1], thresholds[2])
    if not checked.problems:
        total = round(sum(i.points for i in checked.items), DECIMALS)
        if checked.items and abs(total - FULL_MARKS) > _EPSILON:
            checked.total = total
    return checked


def _line_problem(row: ItemLine, first: dict[str, int]) -> ItemProblem | None:
    code = row.code.strip()
    if not code:
        return ItemProblem(row.line, "code_missing")
    if code in first:
        return ItemProblem(row.line, "code_duplicate", {"code": code, "first_line": first[code]})
    first[code] = row.line
    if not row.title.strip():
        return ItemProblem(row.line, "title_missing", {"code": code})
    raw = row.points.strip()
    if not raw:
        return ItemProblem(row.line, "points_missing", {"code": code})
    points = number(raw)
    if points is None:
        return ItemProblem(row.line, "points_bad", {"code": code, "points": raw})
    if points <= 0:
        return ItemProblem(row.line, "points_not_positive", {"code": code, "points": raw})
    return None


# -- storing and reading versions -----------------------------------------------------


@dataclass(frozen=True)
class Imported:
    """What an import did: the version now current, and whether it is a new one."""

    version: int
    items: int
    created: bool


def _same(rubric: Rubric, checked: Checked) -> bool:
    mine = [(i.code, i.category, i.title, i.points, i.method, i.scale.to_json(), i.criteria)
            for i in rubric.items]
    theirs = [(i.code, i.category, i.title, i.points, i.method, i.scale.to_json(), i.criteria)
              for i in checked.items]
    return mine == theirs and rubric.thresholds == checked.thresholds


async def import_rubric(session: Session, checked: Checked, *, source: str,
                        now: datetime) -> Imported:
    """Store a checked rubric as the next version (rounds opened before keep theirs); a
    file identical to the current version changes nothing. Raises DomainError("not_ok")
    for a rubric that did not pass check_rubric."""
    if not checked.ok:
        raise DomainError("not_ok")
    current = await current_rubric(session)
    if current is not None and _same(current, checked):
        return Imported(current.version, len(current.items), created=False)
    version = (current.version if current is not None else 0) + 1
    await store.add_rubric(session, version=version, source=source,
                           thresholds=checked.thresholds, now=now, items=[
                               store.ItemRow(position=n, code=i.code, category=i.category,
                                             title=i.title, points=i.points, method=i.method,
                                             scale=i.scale.to_json(), scale_text=i.scale_text,
                                             criteria=i.criteria)
                               for n, i in enumerate(checked.items, start=1)])
    return Imported(version, len(checked.items), created=True)


def _rubric(found: store.RubricRows) -> Rubric:
    r = found.rubric
    return Rubric(id=r.id, version=r.version, source=r.source,
                  thresholds=(r.star1, r.star2, r.star3), created_at=r.created_at,
                  items=tuple(Item(id=i.id, code=i.code, category=i.category, title=i.title,
                                   points=i.points, method=i.method,
                                   scale=Scale.from_json(i.scale or {}),
                                   scale_text=i.scale_text, criteria=i.criteria,
                                   position=i.position)
                              for i in found.items))


async def current_rubric(session: Session) -> Rubric | None:
    """The latest version, or None before the first import."""
    found = await store.rubric_rows(session)
    return None if found is None else _rubric(found)


async def rubric_version(session: Session, version: int | None = None,
                         rubric_id: int | None = None) -> Rubric | None:
    """A version by its number or its id (neither: the current one)."""
    found = await store.rubric_rows(session, version=version, rubric_id=rubric_id)
    return None if found is None else _rubric(found)


# -- scoring --------------------------------------------------------------------------


def points_for(item: Item, value: float, detail: Mapping[str, int] | None = None) -> float:
    """The points an automatic item earns for a measured `value` (results: `detail`, the
    count of each type)."""
    scale = item.scale
    if scale.bands:
        earned = 0.0
        for threshold, points in scale.bands:
            if value + _EPSILON >= threshold:
                earned = points
        return round(min(earned, item.points), DECIMALS)
    if scale.types:
        counts = detail or {}
        raw = sum(each * counts.get(code, 0) for code, each in scale.types.items())
        return round(min(raw, item.cap), DECIMALS)
    assert scale.per is not None
    steps = math.floor(value / scale.step + _EPSILON)
    return round(min(scale.per * steps, item.cap), DECIMALS)


@dataclass(frozen=True)
class Move:
    """The least more an automatic item needs to earn more: from `now` to `needed` (a rate
    as a fraction; results: one more of `type`), for `gain` points."""

    code: str
    type: str | None
    now: float
    needed: float
    gain: float


def moves(item: Item, value: float, detail: Mapping[str, int] | None = None) -> list[Move]:
    """Each next move that earns this item more points (results: one per type)."""
    earned = points_for(item, value, detail)
    scale = item.scale
    found: list[Move] = []
    if scale.bands:
        for threshold, points in scale.bands:
            if points > earned + _EPSILON and value + _EPSILON < threshold:
                found.append(Move(item.code, None, value, threshold,
                                  round(min(points, item.points) - earned, DECIMALS)))
                break
        return found
    room = round(item.cap - earned, DECIMALS)
    if room <= 0:
        return found
    if scale.types:
        counts = detail or {}
        for code, each in scale.types.items():
            if each > 0:
                have = counts.get(code, 0)
                found.append(Move(item.code, code, have, have + 1, min(each, room)))
        return found
    assert scale.per is not None
    if scale.per > 0:
        needed = (math.floor(value / scale.step + _EPSILON) + 1) * scale.step
        found.append(Move(item.code, None, value, needed, min(scale.per, room)))
    return found


@dataclass(frozen=True)
class Step:
    """One step of the way up, as shown: one item's moves taken together (two more
    实用新型: `times` 2), from `now` to `needed`, for `gain` points."""

    code: str
    title: str
    measure: str
    type: str | None
    now: float
    needed: float
    gain: float
    times: int


# Steps shown at most: a WeChat reply holds 2,048 bytes.
MOST_STEPS = 6


def way_up(items: Sequence[Item], values: Mapping[str, tuple[float, Mapping[str, int]]],
           short_by: float, most: int = MOST_STEPS) -> list[Step]:
    """The fewest moves that close `short_by` points: each round takes the move that earns
    most (ties: the item first in the rubric, then the result type first in its scale),
    until the gap is closed or no move is left. Moves of one item (and type) are shown as
    one step. `values`: each automatic item's (value, detail) by code."""
    state = {i.code: (values[i.code][0], dict(values[i.code][1])) for i in items
             if i.automatic and i.code in values}
    order = {i.code: n for n, i in enumerate(items)}
    by_code = {i.code: i for i in items}
    taken: list[Move] = []
    gained = 0.0
    while gained + _EPSILON < short_by and len(taken) < 50:
        candidates = [(m, n) for code, (value, detail) in state.items()
                      for n, m in enumerate(moves(by_code[code], value, detail))]
        if not candidates:
            break
        best, _ = min(candidates, key=lambda c: (-c[0].gain, order[c[0].code], c[1]))
        taken.append(best)
        gained += best.gain
        value, detail = state[best.code]
        if best.type is not None:
            detail[best.type] = detail.get(best.type, 0) + 1
            state[best.code] = (value + 1, detail)
        else:
            state[best.code] = (best.needed, detail)
    steps: dict[tuple[str, str | None], Step] = {}
    for move in taken:
        key = (move.code, move.type)
        item = by_code[move.code]
        if key in steps:
            steps[key] = replace(steps[key], needed=move.needed,
                                 gain=round(steps[key].gain + move.gain, DECIMALS),
                                 times=steps[key].times + 1)
        else:
            steps[key] = Step(move.code, item.title, item.method, move.type, move.now,
                              move.needed, move.gain, 1)
    return list(steps.values())[:most]
