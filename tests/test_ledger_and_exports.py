"""Exports with Chinese column names (--headers zh) and the studio ledger, every word of it
from the catalog: its 概况 sheet built from the studio's figures, not from a reply's text."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from domain.exports import CHECKIN_COLUMNS, LOG_COLUMNS, RESULT_COLUMNS, STUDIO_COLUMNS, SUGGESTION_COLUMNS
from domain.ledger import LEDGER_SHEETS, overview_rows
from domain.tables import headers_in
from locales import t, words_for
from ops import exports, ledger
from storage.calendar import month_bounds, weeks_of_month
from storage.indicators import DEFAULT_WEIGHTS, StudioFigures
from storage.queries.indicators import studio_figures
from storage.queries.invites import member_by_employee_no
from storage.queries.proposals import add_achievement, add_suggestion
from tests.support import Service, roster_service

ROSTER = """studio,name,employee_no,role,mentor_employee_no,phone
甲工作室,甲领衔,L1,leader,,
甲工作室,甲师傅,T1,member,,
甲工作室,甲徒弟,A1,member,T1,
"""
OPENIDS = {"L1": "o-l1", "T1": "o-t1", "A1": "o-a1"}
FRIDAY = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
KINDS = {"logs": LOG_COLUMNS, "checkins": CHECKIN_COLUMNS,
         "suggestions": SUGGESTION_COLUMNS, "results": RESULT_COLUMNS,
         "studios": STUDIO_COLUMNS}
ZH = words_for("zh-CN")


@pytest.fixture(scope="module")
async def svc(database_url: str, var_dir: Path,
              tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Service]:
    service = await roster_service(database_url, str(var_dir), tmp_path_factory.mktemp("r"),
                                   ROSTER, OPENIDS, FRIDAY)
    assert "已提交" in (await service.text("o-t1", "周报 调试焊接机器人 6小时") or "")
    await service.text("o-a1", "打卡 学习焊接图纸 2小时")
    async with service.db.transaction() as session:
        member = await member_by_employee_no(session, "T1")
        assert member is not None and member.studio_id is not None
        await add_suggestion(session, studio_id=member.studio_id, member_id=member.id,
                             content="工具柜加锁", now=FRIDAY)
        await add_achievement(session, studio_id=member.studio_id, member_id=member.id,
                              type="qc_result", title="焊缝返修率降低", economic_benefit=2.5,
                              promoted=True, now=FRIDAY)
    yield service
    await service.client.close()


def table(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_every_export_names_its_columns_in_chinese_on_request(
        svc: Service, kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert await exports.export(svc.settings, kind, "csv", "-", FRIDAY, month="2026-11") == 0
    english = table(capsys.readouterr().out)
    assert english[0] == list(KINDS[kind])  # the default stays machine-readable
    assert await exports.export(svc.settings, kind, "csv", "-", FRIDAY, month="2026-11",
                                headers="zh") == 0
    chinese = table(capsys.readouterr().out)
    assert chinese[0] == [t("zh-CN", f"export.header.{c}") for c in KINDS[kind]]
    assert chinese[1:] == english[1:]  # the same rows under either header
    assert len(set(chinese[0])) == len(chinese[0])  # a code and its label are told apart


async def test_chinese_headers_read_as_the_union_office_writes_them(
        svc: Service, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert await exports.export(svc.settings, "logs", "csv", "-", FRIDAY, week="2026-W47",
                                headers="zh") == 0
    assert table(capsys.readouterr().out)[0] == [
        "周次", "工作室", "工号", "姓名", "内容", "时长（小时）", "提交时间", "迟交"]


async def test_codes_keep_their_column_and_gain_a_label(
        svc: Service, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert await exports.export(svc.settings, "results", "csv", "-", FRIDAY) == 0
    [header, row] = table(capsys.readouterr().out)
    result = dict(zip(header, row, strict=True))
    assert (result["type"], result["type_label"]) == ("qc_result", t("zh-CN", "result.type.qc_result"))
    assert (result["status"], result["status_label"]) == (
        "reported", t("zh-CN", "result.status.reported"))
    assert await exports.export(svc.settings, "suggestions", "csv", "-", FRIDAY) == 0
    [header, row] = table(capsys.readouterr().out)
    suggestion = dict(zip(header, row, strict=True))
    assert (suggestion["status"], suggestion["status_label"]) == ("submitted", "待处理")


def test_the_overview_rows_are_the_figures() -> None:
    f = StudioFigures(studio_id=1, studio="丙工作室", members=4, bound=3, writers=4, logs=12,
                      log_hours=24.0, pairs=1, checkins=3, checkins_confirmed=2,
                      checkin_hours=5.25, topics_active=2, topics_progressed=1,
                      progress_updates=3,
                      topics_by_status={"paused": 1, "in_progress": 2, "旧状态": 1},
                      results_by_type={"qc_result": 1, "invention_patent": 1},
                      results_verified=2, results_promoted=1, benefit_reported=13.5,
                      benefit_verified=12.5,
                      suggestions_by_status={"submitted": 1, "accepted": 2})
    october = weeks_of_month("2026-10")  # 2026-W40 … W44: 1 October is a Thursday
    rows = overview_rows(ZH, "丙工作室", "2026-10", f, october, DEFAULT_WEIGHTS)
    assert rows == [
        ["工作室", "丙工作室"],
        ["月份", "2026-10"],
        ["周报周次", "第40—44周（周四在本月的 5 周）"],
        ["周报", "已交 12/20 份（60%），工作时长 24 小时"],
        ["师徒打卡", "3 次，已确认 2，共 5.2 小时"],
        # Statuses in their order, then a value stored before statuses were codes, as is.
        ["课题", "攻关中 2，暂停 1，旧状态 1；本月有进展 1/2 个（更新 3 次）"],
        ["新成果", "2 项（发明专利 1，QC成果 1），已认定 2，推广应用 1"],
        ["经济效益", "已认定 12.5 万元（登记 13.5 万元）"],
        ["合理化建议", "3 条（已采纳 2，待处理 1）"],
        ["指标得分", f.score(DEFAULT_WEIGHTS, 5)],
    ]
    idle = overview_rows(ZH, "丁工作室", "2026-10", StudioFigures(2, "丁工作室"), october,
                                DEFAULT_WEIGHTS)
    assert [value for _label, value in idle[3:]] == [
        "已交 0/0 份（0%），工作时长 0 小时", "0 次，已确认 0，共 0 小时", "暂无", "0 项",
        "已认定 0 万元（登记 0 万元）", "0 条（无）", 0.0]


async def test_the_ledger_speaks_the_catalog_and_its_overview_is_the_studios_figures(
        svc: Service, tmp_path: Path) -> None:
    assert await ledger.export_ledger(svc.settings, "2026-11", "甲工作室", str(tmp_path),
                                      FRIDAY) == 0
    wb = load_workbook(tmp_path / "甲工作室-2026-11.xlsx", read_only=True)
    assert wb.sheetnames == [t("zh-CN", f"ledger.sheet.{name}") for name in LEDGER_SHEETS]
    assert wb.sheetnames == ["概况", "周报", "师徒打卡", "课题进展", "合理化建议", "成果", "资助"]
    sheets = {name: [list(r) for r in wb[t("zh-CN", f"ledger.sheet.{name}")].iter_rows(
        values_only=True)] for name in LEDGER_SHEETS}
    for name, columns in LEDGER_SHEETS.items():
        assert sheets[name][0] == headers_in(ZH, columns)
    assert sheets["results"][0][3:6] == ["类型", "名称", "状态"]
    assert sheets["results"][1][3] == t("zh-CN", "result.type.qc_result")
    weeks = weeks_of_month("2026-11")
    async with svc.db.transaction() as session:
        figures = {f.studio: f for f in (await studio_figures(
            session, weeks, *month_bounds("2026-11"), svc.settings.tz)).values()}
    assert sheets["overview"][1:] == overview_rows(
        ZH, "甲工作室", "2026-11", figures["甲工作室"], weeks, svc.settings.rank_weights)
    overview = dict((r[0], r[1]) for r in sheets["overview"][1:])
    # November's figures count the weeks whose Thursday is in November: 2 November (a
    # Monday) to 29 November; week 49 (Thursday 3 December) is December's.
    assert overview["周报周次"] == "第45—48周（周四在本月的 4 周）"
    assert overview["周报"].startswith("已交 1/12 份（8%），工作时长 ")
    assert overview["师徒打卡"].startswith("1 次")


def test_export_headers_option_on_the_command_line(tmp_path: Path) -> None:
    from tests.test_cli import run

    proc = run(tmp_path, "export", "studios", "--headers", "zh")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "\ufeff工作室,领衔人,成员数,已绑定人数,星级,指标得分"
    xlsx = run(tmp_path, "export", "logs", "--headers", "zh", "--format", "xlsx", "-o", "w.xlsx")
    assert xlsx.returncode == 0, xlsx.stderr
    wb = load_workbook(tmp_path / "w.xlsx", read_only=True)
    assert wb.sheetnames == ["周报"]
    assert run(tmp_path, "export", "logs", "--headers", "fr").returncode == 2
    refused = run(tmp_path, "export", "logs", "--format", "xlsx")
    assert refused.returncode == 2 and "XLSX 需要用 -o 指定输出文件" in refused.stderr
