"""The union office's tools as an operator meets them: invite slips that are never voided
unasked, employee numbers and studio names as people type them, job runs by hand in the
listing, one source for a studio's stars, exports and ledgers that name people, and the
members still to bind."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.config import Settings
from domain.exports import CHECKIN_COLUMNS
from domain.ledger import LEDGER_SHEETS
from domain.rating import decide_stars
from domain.rating_words import decision_wording
from domain.tables import headers_in
from locales import t, words_for
from ops import chat, exports, invites, jobs, ledger
from scheduled.jobs.report import People, people_words
from storage.models import InviteCode, Member
from storage.queries.studios import studio_by_name
from tests.support import (
    FakeClock,
    Service,
    bind_members,
    import_roster_text,
    make_settings,
    number_in,
    start_service,
)

# Three studios: 王建国's all bound, 李红's two of three, 陈秀英's nobody (twelve members,
# more than a job's note names).
ROSTER = "\n".join([
    "studio,name,employee_no,role,mentor_employee_no,phone",
    ",赵敏,A0001,admin,,",
    "王建国劳模创新工作室,王建国,W1001,leader,,",
    "王建国劳模创新工作室,李强,W1002,member,,",
    "王建国劳模创新工作室,张伟,W1003,member,W1002,",
    "李红劳模创新工作室,李红,H2001,leader,,",
    "李红劳模创新工作室,赵六,H2002,member,,",
    "李红劳模创新工作室,钱七,H2003,member,,",
    "陈秀英焊接技能大师工作室,陈秀英,C3001,leader,,",
    *(f"陈秀英焊接技能大师工作室,焊工{i:02d},C30{i:02d},member,," for i in range(2, 13)),
]) + "\n"
OPENIDS = {"A0001": "o-admin", "W1001": "o-w1001", "W1002": "o-w1002", "W1003": "o-w1003",
           "H2001": "o-h2001", "H2002": "o-h2002"}
FRIDAY = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai, ISO week 2026-W47
WELDERS = "陈秀英焊接技能大师工作室"
ZH = words_for("zh-CN")


@pytest.fixture(scope="module")
async def svc(database_url: str, var_dir: Path,
              tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Service]:
    settings = make_settings(database_url, str(var_dir))
    # Scored on binding alone: 王建国's studio earns 100 (three stars), 李红's 66.7 (one).
    settings.workshop_bot_rank_weights = "bound=100"
    service = await start_service(settings, clock=FakeClock(FRIDAY))
    await import_roster_text(service, tmp_path_factory.mktemp("r") / "roster.csv", ROSTER)
    await bind_members(service, OPENIDS)
    yield service
    await service.client.close()


def offline(settings: Settings) -> Settings:
    """The same settings without credentials: `jobs run` queues and sends nothing."""
    return settings.model_copy(update={"wechat_app_id": ""})


def table(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


async def codes_of(svc: Service, codes: list[str]) -> dict[str, InviteCode]:
    async with svc.db.transaction() as session:
        return {c.code: c for c in await session.scalars(
            select(InviteCode).where(InviteCode.code.in_(codes)))}


# -- 15: invites ------------------------------------------------------------------------

async def test_a_studio_run_again_keeps_printed_slips_unless_reissued(
        svc: Service, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = tmp_path / "first.csv"
    assert await invites.invite_studio(svc.settings, WELDERS, FRIDAY, str(first)) == 0
    printed = [row[3] for row in table(first.read_text(encoding="utf-8"))[1:]]
    assert len(printed) == 12
    capsys.readouterr()

    # Run again (a lost file, a second operator): nothing is voided, and it says why.
    again = tmp_path / "again.csv"
    assert await invites.invite_studio(svc.settings, WELDERS, FRIDAY + timedelta(hours=1),
                                       str(again)) == 1
    said = capsys.readouterr().err
    assert "12 名未绑定成员都已持有未使用的邀请码" in said and "--reissue" in said
    assert not again.exists()
    assert all(c.revoked_at is None for c in (await codes_of(svc, printed)).values())

    # A member whose code was lost gets a fresh one alone; the studio run then slips only
    # those who hold no working code and names how many it left alone.
    async with svc.db.transaction() as session:
        lost = await session.scalar(select(InviteCode).where(InviteCode.code == printed[0]))
        assert lost is not None
        lost.revoked_at = FRIDAY
    partial = tmp_path / "partial.csv"
    assert await invites.invite_studio(svc.settings, WELDERS, FRIDAY + timedelta(hours=2),
                                       str(partial)) == 0
    assert len(table(partial.read_text(encoding="utf-8"))) == 2
    assert "另有 11 名未绑定成员已持有未使用的邀请码" in capsys.readouterr().err

    # --reissue voids them all and says so.
    fresh = tmp_path / "fresh.csv"
    assert await invites.invite_studio(svc.settings, WELDERS, FRIDAY + timedelta(hours=3),
                                       str(fresh), reissue=True) == 0
    assert "已作废 12 张" in capsys.readouterr().err
    assert len(table(fresh.read_text(encoding="utf-8"))) == 13
    assert all(c.revoked_at is not None for c in (await codes_of(svc, printed)).values())

    # Codes past their 14 days void nothing: a later run issues without --reissue.
    later = tmp_path / "later.csv"
    assert await invites.invite_studio(svc.settings, WELDERS, FRIDAY + timedelta(days=15),
                                       str(later)) == 0
    assert len(table(later.read_text(encoding="utf-8"))) == 13
    assert "--reissue" not in capsys.readouterr().err


async def test_inviting_a_bound_member_warns_that_the_old_wechat_lets_go(
        svc: Service, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert await invites.invite(svc.settings, "W1003", FRIDAY, qr=False) == 0
    out, said = capsys.readouterr()
    assert len(out.splitlines()[-1]) == 8  # the code is still issued, as the last line
    assert "张伟（工号 W1003）已绑定微信" in said and "解除绑定" in said
    # Inviting again voids the code just printed, and says that too.
    assert await invites.invite(svc.settings, "W1003", FRIDAY, qr=False) == 0
    assert "尚未使用的邀请码（原定 2026-12-04 16:00 前有效）已作废" in capsys.readouterr().err
    # A member not bound gets neither warning.
    assert await invites.invite(svc.settings, "H2003", FRIDAY, qr=False) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("typed", ["w1002", " W1002 ", "Ｗ１００２"])
async def test_employee_numbers_match_however_they_are_typed(
        svc: Service, typed: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert await invites.invite(svc.settings, typed, FRIDAY, qr=False) == 0
    assert "李强（王建国劳模创新工作室，工号 W1002）" in capsys.readouterr().out
    # `chat --as` speaks as the same console whatever the case.
    openid, code = await chat._invite_for_console(svc.settings, typed, None)
    assert openid == chat.console_openid(svc.settings, "W1002") and code is not None
    assert await invites.invite(svc.settings, "X" + typed, FRIDAY, qr=False) == 1


async def test_a_studio_is_found_by_a_distinctive_part_of_its_name(
        svc: Service, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    slips = tmp_path / "slips.csv"
    # (钱七 holds a code from the test above: reissued here.)
    assert await invites.invite_studio(svc.settings, "李红", FRIDAY, str(slips),
                                       reissue=True) == 0
    assert "按“李红”找到工作室：李红劳模创新工作室" in capsys.readouterr().err
    assert [row[:3] for row in table(slips.read_text(encoding="utf-8"))[1:]] == [
        ["李红劳模创新工作室", "钱七", "H2003"]]

    # A part several names share: the candidates, and nothing issued.
    assert await invites.invite_studio(svc.settings, "劳模", FRIDAY, None) == 1
    said = capsys.readouterr()
    assert said.out == ""
    assert "有 2 个工作室的名称含有“劳模”" in said.err
    assert "  王建国劳模创新工作室" in said.err and "  李红劳模创新工作室" in said.err
    assert await invites.invite_studio(svc.settings, "不存在", FRIDAY, None) == 1
    assert "没有名称为“不存在”或含有“不存在”的工作室" in capsys.readouterr().err

    # The ledger's --studio reads the same way.
    assert await ledger.export_ledger(svc.settings, "2026-11", "焊接", str(tmp_path), FRIDAY) == 0
    assert (tmp_path / f"{WELDERS}-2026-11.xlsx").exists()
    assert await ledger.export_ledger(svc.settings, "2026-11", "工作室", str(tmp_path),
                                      FRIDAY) == 2
    assert "有 3 个工作室" in capsys.readouterr().err


# -- 16: jobs, stars, exports, the ledger -------------------------------------------------

async def test_jobs_list_shows_a_run_started_by_hand(
        svc: Service, capsys: pytest.CaptureFixture[str]) -> None:
    assert await jobs.jobs_run(offline(svc.settings), "mentorship-reminder", FRIDAY) == 0
    capsys.readouterr()
    assert await jobs.jobs_list(svc.settings, FRIDAY) == 0
    listing = capsys.readouterr().out
    lines = listing.splitlines()
    start = lines.index("mentorship-reminder") + 1
    entry = []  # the job's own indented lines, up to the next job's name
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        entry.append(line)
    assert "  上次：2026-11-20 16:00 2026-W47，排队 0（手动运行）" in entry
    assert not any("从未运行" in line for line in entry)


def test_the_moment_given_with_now() -> None:
    shanghai = make_settings("sqlite+aiosqlite://", "var").tz
    assert jobs.parse_moment("2026-11-20 16:00", shanghai) == FRIDAY
    assert jobs.parse_moment("2026-11-20T08:00+00:00", shanghai) == FRIDAY
    for bad in ("2026-13-01", "friday", ""):
        with pytest.raises(ValueError):
            jobs.parse_moment(bad, shanghai)


async def test_export_studios_shows_the_official_stars_and_the_ranking_score(
        svc: Service, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert await exports.export(svc.settings, "studios", "csv", "-", FRIDAY) == 0
    exported = {row[0]: row for row in table(capsys.readouterr().out)[1:]}
    ranking = await svc.text("o-admin", "排名") or ""
    ranked = {}
    for line in ranking.splitlines():
        found = re.match(r"\d+\. (\S+) ([\d.]+) 分", line)
        if found:
            ranked[found.group(1)] = (line.count("★"), found.group(2))
    assert ranked == {"王建国劳模创新工作室": (3, "100"), "李红劳模创新工作室": (1, "66.7"),
                      WELDERS: (0, "0")}
    for studio, (_activity_stars, score) in ranked.items():
        # No rating round has awarded stars: the official stars are 0, whatever the
        # month's activity measure shows.
        assert exported[studio][4] == "0"
        assert float(exported[studio][5]) == float(score)
    # Stars the office decides show in the export.
    async with svc.db.transaction() as session:
        studio = await studio_by_name(session, "李红劳模创新工作室")
        assert studio is not None
        await decide_stars(session, studio.id, 2, reason="年度复核", now=FRIDAY,
                           word=decision_wording(svc.settings.tz, FRIDAY))
    assert await exports.export(svc.settings, "studios", "csv", "-", FRIDAY) == 0
    exported = {row[0]: row for row in table(capsys.readouterr().out)[1:]}
    assert exported["李红劳模创新工作室"][4] == "2"
    assert exported["王建国劳模创新工作室"][4] == "0"


async def checked_in_and_confirmed(svc: Service) -> int:
    """张伟 checks in, his mentor 李强 confirms with a comment; the check-in's number."""
    saved = await svc.text("o-w1003", "打卡 学习焊接图纸 2小时") or ""
    checkin = number_in(saved)
    confirmed = await svc.text("o-w1002", f"确认 {checkin} 图纸读得很细") or ""
    assert "图纸读得很细" in confirmed
    assert "已提交" in (await svc.text("o-w1003", "周报 调试焊接机器人\n第二行 6小时") or "")
    return checkin


async def test_checkins_export_and_ledger_name_people_and_carry_the_mentors_comment(
        svc: Service, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    await checked_in_and_confirmed(svc)
    capsys.readouterr()
    assert await exports.export(svc.settings, "checkins", "csv", "-", FRIDAY) == 0
    [header, row] = table(capsys.readouterr().out)
    assert header == list(CHECKIN_COLUMNS)
    got = dict(zip(header, row, strict=True))
    assert (got["mentor_employee_no"], got["mentor_name"]) == ("W1002", "李强")
    assert (got["apprentice_employee_no"], got["apprentice_name"]) == ("W1003", "张伟")
    assert (got["confirmed"], got["comment"]) == ("true", "图纸读得很细")

    assert await ledger.export_ledger(svc.settings, "2026-11", "王建国劳模创新工作室",
                                      str(tmp_path), FRIDAY) == 0
    wb = load_workbook(tmp_path / "王建国劳模创新工作室-2026-11.xlsx")
    checkins = [list(r) for r in wb[t("zh-CN", "ledger.sheet.checkins")].iter_rows(
        values_only=True)]
    assert checkins[0] == headers_in(ZH, LEDGER_SHEETS["checkins"])
    assert checkins[0] == ["日期", "师傅工号", "师傅姓名", "徒弟工号", "徒弟姓名", "内容",
                           "时长（小时）", "师傅已确认", "师傅评语"]
    assert checkins[1][1:5] == ["W1002", "李强", "W1003", "张伟"]
    assert checkins[1][7:] == ["是", "图纸读得很细"]


async def test_ledger_sheets_have_widths_bold_headers_and_date_cells(
        svc: Service, tmp_path: Path) -> None:
    assert await ledger.export_ledger(svc.settings, "2026-11", "王建国劳模创新工作室",
                                      str(tmp_path), FRIDAY) == 0
    wb = load_workbook(tmp_path / "王建国劳模创新工作室-2026-11.xlsx")
    for name in LEDGER_SHEETS:
        ws = wb[t("zh-CN", f"ledger.sheet.{name}")]
        assert all(cell.font.b for cell in ws[1]), name
        assert ws.freeze_panes == "A2"
        assert all((ws.column_dimensions[c.column_letter].width or 0) >= 8 for c in ws[1]), name
    logs = wb[t("zh-CN", "ledger.sheet.logs")]
    header = [c.value for c in logs[1]]
    submitted = logs.cell(2, header.index("提交时间") + 1)
    assert isinstance(submitted.value, datetime) and submitted.number_format == "yyyy-mm-dd hh:mm"
    assert submitted.value.date() == date(2026, 11, 20)
    content = logs.cell(2, header.index("内容") + 1)
    # A column is as wide as its widest text: the log's first line, in double-width characters.
    assert logs.column_dimensions[content.column_letter].width == len("调试焊接机器人") * 2 + 2
    assert content.alignment.wrap_text  # its two lines show as two
    assert logs.column_dimensions["A"].width == len("2026-W47") + 2
    checkins = wb[t("zh-CN", "ledger.sheet.checkins")]
    day = checkins.cell(2, 1)
    assert day.is_date and day.number_format == "yyyy-mm-dd"
    assert day.value.date() == date(2026, 11, 20)


# -- 17: who is not bound ------------------------------------------------------------------

async def not_bound(svc: Service) -> list[tuple[str, str, str]]:
    async with svc.db.transaction() as session:
        return [(m.name, m.employee_no, m.role) for m in await session.scalars(
            select(Member).where(Member.openid.is_(None), Member.active.is_(True)))]


async def test_the_reminder_names_members_not_bound_and_points_to_the_export(
        svc: Service, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert await jobs.jobs_run(offline(svc.settings), "weekly-log-reminder", FRIDAY) == 0
    [note] = [line for line in capsys.readouterr().out.splitlines() if line.startswith("提示：")]
    everyone = {f"{name}（{number}）" for name, number, role in await not_bound(svc)
                if role != "admin"}  # admins owe no weekly log
    assert f"{len(everyone)} 人尚未绑定微信，无法提醒：" in note
    named = note.split("无法提醒：", 1)[1].split("……", 1)[0].split("、")
    assert len(named) == 10 and set(named) <= everyone
    assert f"……等 {len(everyone)} 人" in note
    assert "workshop-bot export studios --unbound" in note


def test_a_short_list_of_people_is_not_cut() -> None:
    short = People((("钱七", "H2003"), ("焊工02", "C3002")), 2)
    assert people_words(ZH, short) == "钱七（H2003）、焊工02（C3002）"
    assert people_words(words_for("en"), People(short.shown, 5)) == (
        "钱七 (H2003), 焊工02 (C3002) … 5 in all")


async def test_export_studios_unbound_lists_the_members_still_to_bind(
        svc: Service, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert await exports.export(svc.settings, "studios", "csv", "-", FRIDAY, unbound=True) == 0
    [header, *rows] = table(capsys.readouterr().out)
    assert header == ["studio", "name", "employee_no", "role", "role_label"]
    assert sorted((r[1], r[2], r[3]) for r in rows) == sorted(await not_bound(svc))
    assert ["李红劳模创新工作室", "钱七", "H2003", "member", "成员"] in rows
    assert ([WELDERS, "陈秀英", "C3001", "leader", "领衔人"]) in rows
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)  # by studio
    assert await exports.export(svc.settings, "studios", "xlsx", str(tmp_path / "u.xlsx"),
                                FRIDAY, unbound=True, headers="zh") == 0
    wb = load_workbook(tmp_path / "u.xlsx", read_only=True)
    assert wb.sheetnames == ["未绑定成员"]
    assert next(wb.active.iter_rows(values_only=True)) == ("工作室", "姓名", "工号", "角色代码",
                                                           "角色")
    assert await exports.export(svc.settings, "logs", "csv", "-", FRIDAY, unbound=True) == 2
    assert "--unbound 只用于 export studios" in capsys.readouterr().err
