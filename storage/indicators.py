"""The studio indicator score (0–100) behind 排名 and the quarterly review.

A union rates its studios with a 100-point indicator system; this is the part of it the
records kept here can support. Each indicator is a fraction from 0 to 1 and counts with
its weight; the weights are configurable (WORKSHOP_BOT_RANK_WEIGHTS) and need not sum to
100: the score is scaled to 100 either way.

Default weights (one month; a quarter asks three times as much of the counted ones):

    logs         30   weekly logs submitted / expected
    checkins     20   confirmed mentorship check-ins per active pair (2 a month = full marks);
                      an apprentice's check-in counts once the mentor confirms it, a
                      mentor's own is confirmed as written
    topics       15   active topics with a progress update in the period / active topics
    results      15   results verified by a leader (1 a month = full marks)
    suggestions  10   suggestions made (1 a month per 5 members = full marks)
    bound        10   members with WeChat bound
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# The indicators by name; each is worded as indicator.<name> in the catalogs, and
# locales.formats.describe_weights says what a score is made of.
DEFAULT_WEIGHTS: dict[str, float] = {
    "logs": 30, "checkins": 20, "topics": 15, "results": 15, "suggestions": 10, "bound": 10,
}
FULL_MARKS = 100  # the score of a studio meeting every indicator, whatever the weights
AT_RISK = 60


def parse_weights(text: str) -> dict[str, float]:
    """"logs=30,checkins=20,…" → weights; unnamed indicators count 0. Raises ValueError."""
    weights = dict.fromkeys(DEFAULT_WEIGHTS, 0.0)
    for part in text.replace("，", ",").split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        name = name.strip().lower()
        if not sep or name not in weights:
            raise ValueError(f"{part.strip()!r}: expected NAME=NUMBER with NAME one of "
                             + ", ".join(DEFAULT_WEIGHTS))
        try:
            weights[name] = float(value)
        except ValueError:
            raise ValueError(f"{part.strip()!r}: the weight is not a number") from None
        if weights[name] < 0:
            raise ValueError(f"{part.strip()!r}: a weight cannot be negative")
    if not any(weights.values()):
        raise ValueError("at least one weight must be above 0")
    return weights


@dataclass
class StudioFigures:
    """One studio's records over a period (a month or a quarter)."""

    studio_id: int
    studio: str
    members: int = 0  # active members of any role
    bound: int = 0
    writers: int = 0  # members and leaders, who owe a weekly log
    logs: int = 0
    log_hours: float = 0.0
    pairs: int = 0  # active mentorship pairs
    checkins: int = 0
    checkins_confirmed: int = 0  # of those, confirmed: only these count in the score
    checkin_hours: float = 0.0
    topics_active: int = 0  # not paused, existing at the end of the period
    topics_progressed: int = 0  # of those, with a progress update in the period
    progress_updates: int = 0
    topics_by_status: dict[str, int] = field(default_factory=dict)  # as of now
    results_by_type: dict[str, int] = field(default_factory=dict)  # reported in the period
    results_verified: int = 0  # of those, verified
    results_promoted: int = 0
    benefit_reported: float = 0.0  # 万元, results reported in the period
    benefit_verified: float = 0.0
    suggestions_by_status: dict[str, int] = field(default_factory=dict)  # made in the period
    by_week: dict[str, tuple[int, float]] = field(default_factory=dict)  # (logs, hours) per week

    @property
    def results(self) -> int:
        return sum(self.results_by_type.values())

    @property
    def suggestions(self) -> int:
        return sum(self.suggestions_by_status.values())

    def expected_logs(self, weeks: int) -> int:
        return self.writers * weeks

    def log_rate(self, weeks: int) -> float:
        expected = self.expected_logs(weeks)
        return self.logs / expected if expected else 0.0

    def indicators(self, weeks: int, months: int = 1) -> dict[str, float]:
        return {
            "logs": min(1.0, self.log_rate(weeks)),
            # Confirmed ones only: a check-in nobody vouched for could be written at will.
            "checkins": (min(1.0, self.checkins_confirmed / (2 * months * self.pairs))
                         if self.pairs else 0.0),
            "topics": self.topics_progressed / self.topics_active if self.topics_active else 0.0,
            "results": min(1.0, self.results_verified / months),
            "suggestions": min(1.0, self.suggestions / (months * max(1.0, self.members / 5))),
            "bound": self.bound / self.members if self.members else 0.0,
        }

    def score(self, weights: Mapping[str, float], weeks: int, months: int = 1) -> float:
        total = sum(weights.values())
        parts = self.indicators(weeks, months)
        return round(FULL_MARKS * sum(weights.get(k, 0) * v for k, v in parts.items()) / total, 1)


def stars(points: float) -> int:
    """≥ 85 three stars, ≥ 70 two, ≥ 60 one; below 60 the studio is at risk."""
    return 3 if points >= 85 else 2 if points >= 70 else 1 if points >= AT_RISK else 0


@dataclass(frozen=True)
class Rating:
    """A studio's standing over a period: its score and the stars that score earns."""

    studio_id: int
    studio: str
    score: float
    stars: int


def ratings(figures: Iterable[StudioFigures], weights: Mapping[str, float], weeks: int,
            months: int = 1) -> list[Rating]:
    """The studios with members, rated and ranked (best first, ties by name): the one rating
    排名, 统计, the quarterly review and `export studios` all show."""
    rated = []
    for f in figures:
        if f.members:  # a studio nobody belongs to yet is not rated
            points = f.score(weights, weeks, months)
            rated.append(Rating(f.studio_id, f.studio, points, stars(points)))
    return sorted(rated, key=lambda r: (-r.score, r.studio))


def combined(figures: list[StudioFigures], name: str) -> StudioFigures:
    """Every studio's figures added up: the union's month."""
    total = StudioFigures(studio_id=0, studio=name)
    # One sum per figure (not one setattr per studio and figure): 2,000 studios add up in
    # a few milliseconds.
    for attr in ("members", "bound", "writers", "logs", "log_hours", "pairs", "checkins",
                 "checkins_confirmed", "checkin_hours", "topics_active", "topics_progressed",
                 "progress_updates", "results_verified", "results_promoted",
                 "benefit_reported", "benefit_verified"):
        setattr(total, attr, sum(getattr(f, attr) for f in figures))
    for f in figures:
        for mine, theirs in ((total.topics_by_status, f.topics_by_status),
                             (total.results_by_type, f.results_by_type),
                             (total.suggestions_by_status, f.suggestions_by_status)):
            for key, n in theirs.items():
                mine[key] = mine.get(key, 0) + n
        for week, (logs, hours) in f.by_week.items():
            had = total.by_week.get(week, (0, 0.0))
            total.by_week[week] = (had[0] + logs, had[1] + hours)
    return total
