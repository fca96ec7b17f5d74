"""The rating rubric without a database: the 评分方式 syntax and what it refuses, a file's line
errors (the total, caps, unknown measures, duplicate numbers), the points a measure earns,
the shortest way up, and the example rubric the repository ships."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.rating import complete_months, value_of
from domain.rubric import (
    DEFAULT_THRESHOLDS,
    Item,
    Rubric,
    Scale,
    ScaleError,
    parse_method,
    points_for,
    way_up,
)
from locales import t
from ops.rating_file import check_file
from storage.queries.rating import MonthRecord, StudioMeasures

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "rating-rubric.xlsx"
HEADER = "编号,类别,指标,分值,评分方式,评分标准\n"


def item(code: str, method: str, points: float, position: int = 1) -> Item:
    name, scale = parse_method(method, points)
    return Item(id=position, code=code, category="", title=code, points=points, method=name,
                scale=scale, scale_text=method, criteria="", position=position)


def test_the_scales_a_rubric_may_write() -> None:
    assert parse_method("manual", 5) == ("manual", Scale())
    assert parse_method("专家评分", 5, manual_words=["专家评分"])[0] == "manual"
    name, scale = parse_method("log_rate 60%:2 75%:4 90%:6", 6)
    assert name == "log_rate" and scale.bands == ((0.6, 2), (0.75, 4), (0.9, 6))
    # Full-width characters and commas as people type them in a spreadsheet.
    assert parse_method("log_rate 60％：2，90％：6", 6)[1].bands == ((0.6, 2), (0.9, 6))
    name, scale = parse_method("benefit step=10 per=1 cap=6", 6)
    assert (scale.step, scale.per, scale.cap) == (10, 1, 6)
    name, scale = parse_method("results 发明专利=4 utility_model=2 cap=10", 10,
                               type_words={"发明专利": "invention_patent"})
    assert dict(scale.types) == {"invention_patent": 4, "utility_model": 2} and scale.cap == 10
    assert parse_method("ledger_months min=80% 6:2 12:4", 4)[1].min_rate == 0.8


@pytest.mark.parametrize(("method", "points", "code"), [
    ("", 5, "method_missing"),
    ("log_ratio 60%:2", 5, "measure_unknown"),
    ("log_rate", 5, "scale_missing"),
    ("log_rate 60:2", 5, "rate_needs_percent"),
    ("log_rate per=1", 5, "rate_needs_bands"),
    ("topics_accepted 1:2 per=1", 5, "scale_mixed"),
    ("topics_accepted per=3 cap=12", 9, "cap_over_points"),
    ("topics_accepted 1:3 3:12", 9, "band_over_points"),
    ("topics_accepted 1:3 1:5", 9, "bands_order"),
    ("topics_accepted 1:5 2:3", 9, "bands_order"),
    ("results patent_of_sorts=3", 9, "type_unknown"),
    ("results invention_patent=12", 9, "type_over_points"),
    ("results 1:3", 9, "bands_not_for_results"),
    ("benefit min=90% per=1", 5, "param_unknown"),
    ("benefit per=-1", 5, "scale_bad"),
    ("benefit step=0 per=1", 5, "scale_bad"),
    ("benefit lots", 5, "scale_bad"),
])
def test_a_scale_that_cannot_be_scored_is_refused_with_its_reason(
        method: str, points: float, code: str) -> None:
    with pytest.raises(ScaleError) as refused:
        parse_method(method, points)
    assert refused.value.code == code
    # Every reason has its words, with the facts it names.
    assert t("zh-CN", f"rating.problem.{code}", **refused.value.facts)


def write(tmp_path: Path, body: str, name: str = "rubric.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_a_rubric_that_does_not_add_up_is_refused_with_its_lines(tmp_path: Path) -> None:
    checked = check_file(write(tmp_path, "A1,三有,标志明显,50,manual,挂牌\n"
                                         "B1,台帐,周报,45,log_rate 60%:20 90%:45,\n"))
    assert not checked.ok and not checked.problems
    assert checked.total == 95 and [i.line for i in checked.items] == [2, 3]


def test_line_errors_name_the_line_and_nothing_else_is_taken(tmp_path: Path) -> None:
    checked = check_file(write(tmp_path, "\n".join([
        "A1,三有,标志明显,20,manual,挂牌",
        "A1,三有,场所固定,10,manual,重复的编号",
        "A2,三有,设施齐全,-5,manual,负分",
        "A3,三有,团队,,manual,没有分值",
        "B1,台帐,周报,20,log_ratio 60%:10,未知指标",
        "B2,成效,课题,10,topics_accepted per=3 cap=12,封顶超过分值",
        ",成效,缺编号,10,manual,",
        "★★,星级,,abc,,",
    ]) + "\n"))
    problems = {(p.line, p.code) for p in checked.problems}
    assert problems == {(3, "code_duplicate"), (4, "points_not_positive"), (5, "points_missing"),
                        (6, "measure_unknown"), (7, "cap_over_points"), (8, "code_missing"),
                        (9, "threshold_bad")}
    assert checked.total is None and not checked.ok


def test_the_stars_thresholds_come_from_the_file(tmp_path: Path) -> None:
    body = "A1,三有,标志明显,100,manual,\n"
    assert check_file(write(tmp_path, body)).thresholds == DEFAULT_THRESHOLDS
    custom = check_file(write(tmp_path, body + "三星,星级,,90,,\n★,星级,,50,,\n"))
    assert custom.ok and custom.thresholds == (50, 75, 90)
    wrong = check_file(write(tmp_path, body + "★★,星级,,95,,\n"))
    assert [p.code for p in wrong.problems] == ["thresholds_order"]


def test_an_unreadable_rubric_says_why(tmp_path: Path) -> None:
    from ops.rating_file import RubricFileError

    path = tmp_path / "bad.csv"
    path.write_text("名称,分数\n甲,10\n", encoding="utf-8")
    with pytest.raises(RubricFileError) as refused:
        check_file(path)
    assert refused.value.code == "columns_missing"


def test_points_for_each_kind_of_scale() -> None:
    rate = item("D1", "log_rate 60%:2 75%:4 90%:6", 6)
    assert [points_for(rate, v) for v in (0.59, 0.6, 0.899, 0.9, 1.0)] == [0, 2, 4, 6, 6]
    per = item("E1", "topics_accepted per=3 cap=9", 9)
    assert [points_for(per, v) for v in (0, 1, 2, 3, 5)] == [0, 3, 6, 9, 9]
    money = item("E3", "benefit step=10 per=1 cap=6", 6)
    assert [points_for(money, v) for v in (9.99, 10, 25.5, 100)] == [0, 1, 2, 6]
    results = item("E2", "results invention_patent=4 utility_model=2 cap=12", 12)
    assert points_for(results, 3, {"invention_patent": 1, "utility_model": 2, "paper": 5}) == 8
    assert points_for(results, 5, {"invention_patent": 5}) == 12


def test_the_measures_of_a_studio() -> None:
    m = StudioMeasures(studio_id=1, members=5, bound=4, writers=4, weeks=8, logs=24, pairs=2,
                       checkins_confirmed=9, topics_accepted=2,
                       results_verified={"invention_patent": 1, "paper": 2},
                       benefit_verified=12.5, suggestions_implemented=3,
                       months=(MonthRecord("2026-10", 4, 15, 2), MonthRecord("2026-11", 4, 9, 3),
                               MonthRecord("2026-12", 1, 4, 1)))
    values = {method: value_of(item("X", f"{method} {scale}", 10), m)[0]
              for method, scale in (("log_rate", "50%:5"), ("members_bound", "50%:5"),
                                    ("checkins_per_pair", "per=1"), ("topics_accepted", "per=1"),
                                    ("results", "paper=1"), ("benefit", "per=1"),
                                    ("suggestions_implemented", "per=1"),
                                    ("ledger_months", "per=1"))}
    assert values == {"log_rate": 0.75, "members_bound": 0.8, "checkins_per_pair": 4.5,
                      "topics_accepted": 2, "results": 3, "benefit": 12.5,
                      "suggestions_implemented": 3, "ledger_months": 1}
    # A month's ledger is complete with 90% of its logs (15/16, 4/4) and a confirmed
    # check-in for each pair: November lacks logs (9/16), December a check-in (1 < 2).
    assert complete_months(m, 0.9) == 1
    assert complete_months(m, 0.5) == 2


def test_the_shortest_way_up_takes_the_biggest_steps_first() -> None:
    items = (item("D1", "log_rate 60%:2 75%:4 90%:6", 6, 1),
             item("E2", "results invention_patent=4 utility_model=2 cap=12", 12, 2),
             item("E3", "benefit step=10 per=1 cap=6", 6, 3))
    values = {"D1": (0.78, {}), "E2": (1.0, {"utility_model": 1}), "E3": (12.0, {})}
    steps = way_up(items, values, short_by=6)
    assert [(s.code, s.type, s.now, s.needed, s.gain, s.times) for s in steps] == [
        ("E2", "invention_patent", 0, 2, 8, 2)]
    # Ties go to the item first in the rubric: the log rate's band before a 10 万元 step.
    steps = way_up(items[:1] + items[2:], {"D1": (0.78, {}), "E3": (12.0, {})}, short_by=3)
    assert [(s.code, s.needed, s.gain) for s in steps] == [("D1", 0.9, 2), ("E3", 20, 1)]
    assert way_up(items, values, short_by=0) == []


def test_a_rubric_gives_the_stars_its_thresholds_say() -> None:
    from datetime import UTC, datetime

    rubric = Rubric(1, 1, "x.csv", (60, 75, 85), (), datetime(2026, 1, 1, tzinfo=UTC))
    assert [rubric.stars(s) for s in (59.99, 60, 74.9, 75, 85, 100)] == [0, 1, 1, 2, 3, 3]


def test_the_example_rubric_is_sound_and_made_by_its_script(tmp_path: Path) -> None:
    checked = check_file(EXAMPLE)
    assert checked.ok and checked.thresholds == (60, 75, 85)
    codes = {i.title for i in checked.items}
    # The eight standards and the expert review's site visit and presentation.
    assert {"标志明显", "场所固定", "设施齐全", "管理制度", "经费保障", "台帐齐全月份",
            "现场核查", "现场答辩"} <= codes
    assert {i.method for i in checked.items} >= {"manual", "log_rate", "results", "benefit",
                                                 "ledger_months", "members_bound"}
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_rating_rubric",
                                                  ROOT / "examples" / "make_rating_rubric.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path / "again.xlsx")
    assert (tmp_path / "again.xlsx").read_bytes() == EXAMPLE.read_bytes()
