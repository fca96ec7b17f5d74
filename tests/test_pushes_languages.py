"""The scheduled pushes in each recipient's language (bilingual 蒙汉双语 ones within one
message), written once per language however many share them; the roster's language column."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from domain.roster import problem_words
from domain.roster_file import read_roster
from locales import BILINGUAL_SEPARATOR, PUSH_LIMIT, Words, formats, words_for
from ops import roster as roster_command
from scheduled.jobs import monthly_summary
from scheduled.jobs.common import Shared
from scheduled.scheduler import run_job
from storage.models import Member, OutboxMessage, Studio
from storage.queries.invites import member_by_employee_no
from storage.queries.members import set_member_language
from storage.queries.roster import LineProblem, apply_roster
from tests.support import Service, roster_service

ROSTER = """studio,name,employee_no,role,mentor_employee_no,phone
甲工作室,甲领衔,L1,leader,,
甲工作室,英文成员,E1,member,,
甲工作室,双语成员,B1,member,,
甲工作室,中文成员,Z1,member,,
甲工作室,中文二,Z2,member,,
,双语管理员,A1,admin,,
,管理员二,A2,admin,,
,管理员三,A3,admin,,
"""
OPENIDS = {no: f"o-{no.lower()}" for no in ("L1", "E1", "B1", "Z1", "Z2", "A1", "A2", "A3")}
FRIDAY = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai, ISO week 47
TZ = ZoneInfo("Asia/Shanghai")
REMINDER = "weekly-log-reminder"


@pytest.fixture(scope="module")
async def svc(database_url: str, var_dir: Path,
              tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Service]:
    service = await roster_service(database_url, str(var_dir), tmp_path_factory.mktemp("r"),
                                   ROSTER, OPENIDS, FRIDAY)
    async with service.db.transaction() as session:
        for no, language in (("E1", "en"), ("B1", "mn+zh-CN"), ("A1", "mn+zh-CN")):
            member = await member_by_employee_no(session, no)
            assert member is not None
            await set_member_language(session, member.id, language)
    yield service
    await service.client.close()


async def rows_for(svc: Service, kind: str, period: str) -> dict[str, OutboxMessage]:
    """The queued rows of one run, by the recipient's employee number."""
    async with svc.db.transaction() as session:
        found = (await session.execute(
            select(Member.employee_no, OutboxMessage)
            .join(Member, Member.id == OutboxMessage.recipient_id)
            .where(OutboxMessage.kind == kind, OutboxMessage.period == period))).all()
    return {no: row for no, row in found}


def reminder(language: str, name: str) -> str:
    """The week-47 reminder as the catalog of `language` writes it."""
    w = words_for(language)
    deadline = w("push.weekly_log_reminder.deadline", day=formats.month_day(w, date(2026, 11, 22)),
                 time="24:00")
    return w("push.weekly_log_reminder.text", name=name, week=formats.week_label(w, "2026-W47"),
             deadline=deadline)


async def test_each_member_is_reminded_in_their_language(svc: Service) -> None:
    report = await run_job(svc.db, REMINDER, FRIDAY, TZ)
    assert report.queued == 5  # the leader and four members; admins owe no log
    rows = await rows_for(svc, REMINDER, "2026-W47")
    # One row per member, whatever their language.
    assert sorted(rows) == ["B1", "E1", "L1", "Z1", "Z2"]
    assert rows["E1"].text == reminder("en", "英文成员")
    assert rows["Z1"].text == reminder("zh-CN", "中文成员")
    assert BILINGUAL_SEPARATOR not in rows["Z1"].text
    # 蒙汉双语: the Mongolian text first, then the Chinese one, in one message.
    bilingual = rows["B1"].text
    first, second = bilingual.split(BILINGUAL_SEPARATOR)
    assert first == reminder("mn", "双语成员")
    assert second == reminder("zh-CN", "双语成员") and second.startswith("【周报提醒】双语成员")
    assert len(bilingual.encode("utf-8")) <= PUSH_LIMIT
    # Template fields speak the recipient's (first) language too.
    assert rows["E1"].template_fields == {
        "thing1": words_for("en")("push.weekly_log_reminder.thing1")[:20],
        "time2": "2026-11-22 24:00"}
    assert rows["Z1"].template_fields == {"thing1": "本周周报未提交",
                                          "time2": "2026-11-22 24:00"}


async def test_what_reminders_share_is_written_once_per_language(
        svc: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    week_label = formats.week_label

    def counted(words: Words, week: str) -> str:
        calls.append(words.language)
        return week_label(words, week)

    monkeypatch.setattr(formats, "week_label", counted)
    next_friday = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    assert (await run_job(svc.db, REMINDER, next_friday, TZ)).queued == 5
    # Five reminders in zh-CN, en and (for 蒙汉双语) mn: three week labels, not five or six.
    assert sorted(calls) == ["en", "mn", "zh-CN"]


async def test_a_long_bilingual_union_summary_fits_one_message(
        svc: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    # Thirty studios with long names, each with a leader: the union's month names twenty.
    async with svc.db.transaction() as session:
        for i in range(30):
            studio = Studio(name=f"第{i:02d}号" + "职工技术创新劳模工匠工作室" * 3, created_at=FRIDAY)
            session.add(studio)
            await session.flush()
            session.add(Member(employee_no=f"X{i:02d}", name=f"领衔{i}", role="leader",
                               studio_id=studio.id, created_at=FRIDAY))
    written: list[str] = []
    union_text = monthly_summary._union_text

    def counted(words: Words, *args: object, **kwargs: object) -> str:
        written.append(words.language)
        return union_text(words, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(monthly_summary, "_union_text", counted)
    report = await run_job(svc.db, "monthly-summary", datetime(2026, 12, 1, 1, 0, tzinfo=UTC), TZ)
    assert report.period == "2026-11"
    rows = await rows_for(svc, "monthly-summary", "2026-11")
    # Three admins, two languages among them: the union's month is written twice.
    assert sorted(written) == ["mn", "zh-CN"]
    assert rows["A2"].text == rows["A3"].text
    bilingual = rows["A1"].text
    assert len(bilingual.encode("utf-8")) <= PUSH_LIMIT
    parts = bilingual.split(BILINGUAL_SEPARATOR)
    assert len(parts) == 2 and all(parts)
    # Each half is the start of that language's text, cut at a whole line.
    assert rows["A2"].text.startswith(parts[1]) and parts[1].startswith("【11月本工会月报】")
    assert len(rows["A2"].text.encode("utf-8")) > PUSH_LIMIT // 2  # so it was cut


def test_a_shared_push_is_composed_once_per_choice() -> None:
    built: list[str] = []

    def build(words: Words) -> str:
        built.append(words.language)
        return words("push.quarterly_review.none")

    shared = Shared(build)
    choices: list[str | None] = ["zh-CN", None, "en", "mn+zh-CN"] * 1000
    texts = [shared(choice) for choice in choices]
    assert sorted(built) == ["en", "mn", "zh-CN"]
    assert texts[3] == words_for("mn")("push.quarterly_review.none") + BILINGUAL_SEPARATOR + "无"


# -- the roster's language column ----------------------------------------------------------

LANGUAGE_ROSTER = """工作室,姓名,工号,角色,师傅工号,手机,语言
乙工作室,乙领衔,R1,领衔人,,,English
乙工作室,乙蒙汉,R2,成员,,,蒙汉双语
乙工作室,乙代码,R3,成员,,,zh-TW
乙工作室,乙空白,R4,成员,,,
乙工作室,乙错误,R5,成员,,,火星文
"""


async def language_of(svc: Service, employee_no: str) -> str | None:
    async with svc.db.transaction() as session:
        return await session.scalar(select(Member.language)
                                    .where(Member.employee_no == employee_no))


async def test_the_roster_language_column_sets_languages_and_refuses_unknown_ones(
        svc: Service, tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(LANGUAGE_ROSTER, encoding="utf-8")
    read = read_roster(path)
    assert [(e.employee_no, e.language) for e in read.entries] == [
        ("R1", "en"), ("R2", "mn+zh-CN"), ("R3", "zh-TW"), ("R4", None)]
    [bad] = read.errors
    assert (bad.line, bad.code, bad.facts["language"]) == (6, "language_unknown", "火星文")
    worded = problem_words(words_for("zh-CN"), bad)
    assert worded.startswith("语言“火星文”无法识别") and "mn+zh-CN" in worded
    async with svc.db.transaction() as session:
        await apply_roster(session, read.entries, root_union=svc.settings.workshop_bot_union_name,
                           now=svc.clock.now, today=svc.clock.now.date())
    assert [await language_of(svc, no) for no in ("R1", "R2", "R3", "R4", "R5")] == [
        "en", "mn+zh-CN", "zh-TW", None, None]  # R4: the union's default; R5 refused


async def test_an_empty_language_cell_keeps_the_members_own_choice(
        svc: Service, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # R3 chose zh-TW (above); a file without the column, or with the cell empty, keeps it;
    # a new value replaces it. Through the command, which prints the refused line.
    changed = (LANGUAGE_ROSTER.replace("乙代码,R3,成员,,,zh-TW", "乙代码,R3,成员,,,")
               .replace("乙空白,R4,成员,,,", "乙空白,R4,成员,,,en"))
    path = tmp_path / "roster.csv"
    path.write_text(changed, encoding="utf-8")
    capsys.readouterr()
    assert await roster_command.import_roster(svc.settings, path, svc.clock.now) == 1
    out = capsys.readouterr().out
    assert "第 6 行：语言“火星文”无法识别" in out
    assert "更新 1" in out  # R4's language; R3 unchanged
    assert await language_of(svc, "R3") == "zh-TW"
    assert await language_of(svc, "R4") == "en"


def test_problems_are_codes_the_office_words() -> None:
    words: Callable[[LineProblem], str] = lambda p: problem_words(  # noqa: E731
        words_for("zh-CN"), p)
    assert words(LineProblem(13, "mentor_unknown", {"employee_no": "X9999"})) == (
        "师傅工号“X9999”在名册和系统中都找不到；已导入该成员，师徒关系未改动")
    assert words(LineProblem(4, "name_missing")) == "缺少姓名"
