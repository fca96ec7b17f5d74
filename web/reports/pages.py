"""The report pages as HTML: the facts (web.reports.data) in the reader's words, with their
charts; one rendering for the browser and, with `pdf`, one for WeasyPrint."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from locales import Words, formats
from storage.indicators import AT_RISK
from storage.models import RESULT_TYPES, SUGGESTION_STATUSES
from web.reports.charts import PAIR, Charts, number, stylesheet
from web.reports.data import TOPIC_MONTHS, MyPage, StudioMonth, UnionMonth

WEB = Path(__file__).resolve().parents[1]
TEMPLATES = WEB / "templates" / "reports"
STATIC = WEB / "static" / "reports"
SHOWN = 20  # rows of the union's ranking and heat map shown before "all N studios"
HEAT_STEPS = (0.2, 0.5, 0.8, 1.0)  # heat map shades: below 20%, 50%, 80%, 100%, then 100%


@functools.cache
def environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES),
                       autoescape=select_autoescape(("html",), default=True),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


@functools.cache
def static_files() -> dict[str, tuple[bytes, str]]:
    """What /r/static/ serves: name → (content, version): the page's stylesheet and the
    charts' (web.reports.charts.stylesheet). The version goes in each link, so a browser
    may keep a file for good and still gets a changed one."""
    files = {"report.css": (STATIC / "report.css").read_bytes(),
             "charts.css": stylesheet().encode("utf-8")}
    return {name: (content, hashlib.sha256(content).hexdigest()[:12])
            for name, content in files.items()}


def static_url(name: str) -> str:
    return f"/r/static/{name}?v={static_files()[name][1]}"


@dataclass(frozen=True)
class Nav:
    """Where a page's links go (each carries the viewer's link token)."""

    before: str = ""
    before_month: str = ""
    after: str | None = None
    after_month: str = ""
    union: str | None = None  # an admin's way back to the union's page
    pdf: str | None = None
    studio: Callable[[int], str] | None = None  # a studio's page, from the union's
    everything: str | None = None  # the union's page with every studio in its lists


class Renderer:
    """Renders pages in one reader's words, as of one moment."""

    def __init__(self, words: Words, now: datetime, tz: tzinfo, weights: Mapping[str, float],
                 *, pdf: bool = False, print_css: str = "") -> None:
        self.words = words
        self.now = now
        self.tz = tz
        self.weights = weights
        self.pdf = pdf
        self.print_css = print_css  # a document's own rules, after the page's
        self.charts = Charts(inline=pdf)

    # What templates use to put facts into words.

    def pct(self, fraction: float) -> str:
        return formats.percent(self.words, fraction)

    def month(self, month: str) -> str:
        return formats.month_label(self.words, month) if month else ""

    def local(self, when: datetime) -> datetime:
        """A moment on the union's clock (pygal hands times back without their zone: UTC)."""
        return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(self.tz)

    def day(self, when: date | datetime) -> str:
        if isinstance(when, datetime):
            when = when.astimezone(self.tz).date()
        return formats.month_day(self.words, when)

    def week_row(self, week: str) -> Markup:
        """「第45周」 with its first day beneath: a table's first column on a phone."""
        year, number = int(week[:4]), int(week[6:])
        monday = date.fromisocalendar(year, number, 1)
        return Markup('{}<br><span class="muted">{}</span>').format(
            self.words("format.week_one", number=number),
            self.words("report.week_from", start=formats.month_day(self.words, monday)))

    def week_short(self, week: str) -> str:
        return self.words("report.week_short", number=int(week[6:]))

    def weeks_short(self, weeks: list[str]) -> str:
        return self.words("report.weeks_owed",
                          weeks=formats.join(self.words, [str(int(w[6:])) for w in weeks]))

    def stars(self, n: int) -> str:
        return "★" * n if n else self.words("report.stars.none")

    def change(self, before: float, now: float) -> str:
        if not before:
            return "—"
        return self.words("report.union.change_value",
                          sign="+" if now >= before else "−",
                          percent=formats.half_up(abs(now - before) * 100 / before))

    @staticmethod
    def heat_class(rate: float) -> str:
        for i, step in enumerate(HEAT_STEPS):
            if rate < step:
                return f"h{i}"
        return f"h{len(HEAT_STEPS)}"

    @staticmethod
    def tag_of(status: str) -> str:
        return {"accepted": "ok", "implemented": "ok", "verified": "ok", "rejected": "no",
                "returned": "no"}.get(status, "wait")

    def _render(self, template: str, **context: Any) -> str:
        w = self.words
        values: dict[str, Any] = {
            "t": w, "named": w.named, "lang": w.language, "pdf": self.pdf,
            "num": number, "pct": self.pct, "month": self.month, "day": self.day,
            "week": self.week_row, "week_short": self.week_short,
            "weeks_short": self.weeks_short, "hours": functools.partial(formats.hours, w),
            "stars": self.stars, "static": static_url, "at_risk": AT_RISK,
            "as_of": f"{self.now.astimezone(self.tz):%Y-%m-%d %H:%M}",
            "page_css": Markup(static_files()["report.css"][0].decode("utf-8")
                               + (self.print_css if self.pdf else "")),
        }
        values.update(context)
        return environment().get_template(template).render(values)

    # The pages.

    def studio(self, page: StudioMonth, nav: Nav) -> str:
        w, c = self.words, self.charts
        f = page.figures
        charts = {
            "parts": c.bars(w("report.score.chart"), [w(f"indicator.{p.name}") for p in page.parts],
                            [(w("report.score.earned"), [p.points for p in page.parts]),
                             (w("report.score.missed"), [p.full - p.points for p in page.parts])],
                            horizontal=True, stacked=True),
            "weeks": c.bars(w("report.logs.chart"), [self.week_short(r.week) for r in page.week_rows],
                            [(w("report.logs.handed_in"), [r.logs for r in page.week_rows]),
                             (w("report.logs.expected"), [r.expected for r in page.week_rows])]),
            "pairs": c.bars(w("report.checkins.chart"),
                            [w("report.checkins.pair_names", mentor=p.mentor, apprentice=p.apprentice)
                             for p in page.pairs],
                            [(w("report.checkins.confirmed"), [p.confirmed for p in page.pairs]),
                             (w("report.checkins.unconfirmed"),
                              [p.checkins - p.confirmed for p in page.pairs])],
                            horizontal=True, stacked=True) if page.pairs else "",
            "topics": self._topics(page) if page.topics else "",
            "results": c.bars(w("report.results.chart"),
                              [w.named("result.type", k) for k in _ordered(f.results_by_type,
                                                                           RESULT_TYPES)],
                              [(w("report.results.reported"),
                                [f.results_by_type[k] for k in _ordered(f.results_by_type,
                                                                        RESULT_TYPES)])],
                              horizontal=True) if f.results else "",
            "suggestions": c.bars(w("report.suggestions.chart"),
                                  [w.named("suggestion.status", k)
                                   for k in _ordered(f.suggestions_by_status, SUGGESTION_STATUSES)],
                                  [(w("report.suggestions.count"),
                                    [f.suggestions_by_status[k] for k in _ordered(
                                        f.suggestions_by_status, SUGGESTION_STATUSES)])],
                                  horizontal=True) if f.suggestions else "",
            "history": c.lines(w("report.history.chart"),
                               [w(f"format.month.{int(h.month[5:])}") for h in page.history],
                               [(page.studio if len(page.studio) <= 14 else w("report.history.this"),
                                 [h.score for h in page.history]),
                                (w("report.history.median"), [h.median for h in page.history])],
                               max_value=100),
        }
        return self._render("studio.html", page=page, nav=nav, charts=charts,
                            weights_text=formats.describe_weights(w, self.weights))

    def _topics(self, page: StudioMonth) -> Markup:
        w = self.words
        series = []
        for topic in page.topics:
            points: list[dict[str, Any]] = []
            last = topic.before
            if last is not None:
                points.append({"value": (page.topics_since, last)})
            for p in topic.points:
                if p.percent is not None:
                    last = p.percent
                if last is None and p.kind != "status":
                    continue
                point: dict[str, Any] = {"value": (p.at, last if last is not None else 0)}
                if p.kind == "status" and p.status:
                    # A status a leader set: marked on the line with its name.
                    point["label"] = w.named("topic.status", p.status)
                    point["node"] = {"r": 6}
                points.append(point)
            if last is not None and points:
                points.append({"value": (page.topics_until, last)})
            series.append((topic.title, points))
        first = page.topics_since.astimezone(self.tz)
        ticks = [datetime(first.year + (first.month - 1 + i) // 12, (first.month - 1 + i) % 12 + 1,
                          1, tzinfo=self.tz) for i in range(TOPIC_MONTHS + 1)]
        ticks = [tick for tick in ticks if tick <= page.topics_until]
        return self.charts.timeline(w("report.topics.chart"), series, ticks=ticks,
                                    label_of=lambda d: w(f"format.month.{self.local(d).month}"),
                                    formatter=lambda v: "" if v is None else f"{v:g}%")

    def union(self, page: UnionMonth, nav: Nav, *, everything: bool = False) -> str:
        """The union's month; its ranking and heat map list SHOWN studios unless
        `everything` (2,000 rows each are for the asking: they weigh and take time)."""
        w, c = self.words, self.charts
        # Best band on top, as the ranking reads.
        labels = [f"{i * 10}–{i * 10 + 9}" if i < len(page.buckets) - 1 else f"{i * 10}–100"
                  for i in range(len(page.buckets))][::-1]
        medians = [h.median for h in page.medians]
        charts = {
            "distribution": c.bars(w("report.union.distribution"), labels,
                                   [(w("report.union.studios"), page.buckets[::-1])],
                                   horizontal=True),
            "medians": c.lines(w("report.union.medians"),
                               [w(f"format.month.{int(h.month[5:])}") for h in page.medians],
                               [(w("report.history.median"), medians)], max_value=100)
            if sum(1 for m in medians if m is not None) > 1 else "",
        }
        t0, t1 = page.totals_before, page.totals
        totals = [("report.union.total.logs", t0.logs, t1.logs),
                  ("report.union.total.checkins", t0.checkins, t1.checkins),
                  ("report.union.total.results", t0.results, t1.results),
                  ("report.union.total.benefit", round(t0.benefit, 2), round(t1.benefit, 2))]
        studio_href = nav.studio or (lambda _sid: "")
        return self._render("union.html", page=page, nav=nav, charts=charts, totals=totals,
                            shown=len(page.ranked) if everything else SHOWN,
                            heat_class=self.heat_class, change=self.change,
                            studio_href=studio_href,
                            union_label=page.union or w("stats.union_name"))

    def me(self, page: MyPage) -> str:
        w = self.words
        handed_in = sum(1 for _w, log in page.weeks if log is not None)
        # This week's log is not owed until the week is over.
        owed = len(page.weeks) - (1 if page.weeks and page.weeks[-1][1] is None else 0)
        total = sum(log.hours or 0.0 for _w, log in page.weeks if log is not None)
        charts = {"hours": self.charts.bars(
            w("report.me.chart"), [self.week_short(week) for week, _log in page.weeks],
            [(w("report.logs.hours"),
              [(log.hours or 0.0) if log is not None else 0.0 for _w, log in page.weeks])],
            palette=PAIR)}
        return self._render("me.html", page=page, charts=charts, handed_in=handed_in,
                            owed=owed, total_hours=total, tag_of=self.tag_of)

    def refused(self, heading: str, advice: str) -> str:
        return self._render("refused.html", heading=heading, advice=advice)


def _ordered(counts: Mapping[str, int], order: tuple[str, ...]) -> list[str]:
    """The codes with a count, in their usual order, then any unknown ones."""
    return [c for c in order if counts.get(c)] + sorted(c for c in counts
                                                       if c not in order and counts[c])
