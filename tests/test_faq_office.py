"""The FAQ and the 留言 as the union office keeps them (the console's FAQ and 留言 pages, and
`workshop-bot faq` / `questions`): domain.faq, domain.faq_file and domain.questions with an
uploaded file's bytes, on the database."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from bot.config import Settings
from domain import NotFound, WrongState, faq_file
from domain import faq as rules
from domain import questions as office
from domain.faq_file import BadLines, FaqFileError
from locales import pushes
from storage.db import Database
from storage.models import OutboxMessage
from storage.queries import faq as store
from tests.seed import seed

ROSTER = """studio,name,employee_no,role,mentor_employee_no
甲工作室,甲领衔,L1,leader,
甲工作室,甲成员,M1,member,
"""
FRIDAY = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")
FAQ = """问题,相似问法,答案,分类,关键词
星级评定怎么评,评星级流程|星级是怎么评出来的,星级评定采用百分制，专家评审、现场核查和答辩。,星级,星级评定
工会补助经费能用在哪些方面,补助资金怎么用,主要用于设施建设、技术攻关和培训带徒。,经费,
师徒结对多久考核一次,师徒季度考核,师徒结对按季度考核。,师徒,师徒结对
"""
# Every look at the index sees the latest import.
SETTINGS = Settings.model_construct(workshop_bot_faq_refresh_seconds=0.0)


@pytest.fixture(scope="module")
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture(scope="module")
async def ids(db: Database) -> dict[str, int]:
    return await seed(db, ROSTER, FRIDAY, {"L1": "o-l1", "M1": "o-m1"})


def xlsx(rows: list[list[str]]) -> bytes:
    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


async def import_bytes(db: Database, data: bytes, name: str) -> store.ImportOutcome:
    async with db.transaction() as session:
        return await rules.import_faq(session, data, name, now=FRIDAY)


async def live(db: Database) -> list[str]:
    async with db.reader() as session:
        return [e.question for e in await store.entries(session)]


async def test_an_uploaded_file_imports_as_utf8_gbk_or_xlsx(db: Database,
                                                            ids: dict[str, int]) -> None:
    first = await import_bytes(db, FAQ.encode("utf-8-sig"), "政策问答.csv")
    assert (first.created, first.updated, first.retired) == (3, 0, 0)
    # The same questions from Excel in GBK: nothing to change.
    again = await import_bytes(db, FAQ.encode("gbk"), "faq.CSV")
    assert (again.created, again.unchanged) == (0, 3)
    rows = [line.split(",") for line in FAQ.strip().splitlines()]
    rows[1][2] = "星级评定采用百分制。"
    from_excel = await import_bytes(db, xlsx(rows[:2]), "faq.xlsx")
    assert (from_excel.updated, from_excel.retired) == (1, 2)
    assert await live(db) == ["星级评定怎么评"]
    await import_bytes(db, FAQ.encode(), "faq.csv")
    assert len(await live(db)) == 3


@pytest.mark.parametrize("data, name, code", [
    (b"", "faq.csv", "empty"),
    ("问题,答案\n甲,一\n".encode(), "faq.pdf", "file_type"),
    ("问题,说明\n甲,一\n".encode(), "faq.csv", "columns_missing"),
    ("问题,答案\n,\n".encode(), "faq.csv", "no_rows"),
    (b"\xff\xfe\x00\x81\x30", "faq.csv", "encoding"),
    (b"PK\x03\x04 not really a workbook", "faq.xlsx", "damaged"),
    (b"q,a\n\"" + b"x" * 200_000 + b"\"\n", "faq.csv", "damaged"),
])
async def test_a_file_that_cannot_be_read_is_refused_with_a_code(
        db: Database, data: bytes, name: str, code: str) -> None:
    before = await live(db)
    with pytest.raises(FaqFileError) as refused:
        await import_bytes(db, data, name)
    assert refused.value.code == code
    assert await live(db) == before


async def test_uploads_are_bounded(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(faq_file, "MAX_FILE_BYTES", 100)
    with pytest.raises(FaqFileError) as big:
        await import_bytes(db, ("问题,答案\n" + "甲,一\n" * 30).encode(), "faq.csv")
    assert (big.value.code, big.value.facts["limit"]) == ("too_big", 100)
    monkeypatch.undo()
    # A zip whose parts unpack to far more than the file: refused before it is parsed.
    monkeypatch.setattr(faq_file, "MAX_UNPACKED_BYTES", 100_000)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 100_001)
    assert len(bomb.getvalue()) < 1000
    with pytest.raises(FaqFileError) as unpacked:
        await import_bytes(db, bomb.getvalue(), "faq.xlsx")
    assert unpacked.value.code == "unpacked_too_big"
    monkeypatch.setattr(faq_file, "MAX_ROWS", 2)
    with pytest.raises(FaqFileError) as many:
        await import_bytes(db, FAQ.encode(), "faq.csv")
    assert (many.value.code, many.value.facts["limit"]) == ("too_many", 2)


def test_a_cell_far_to_the_right_does_not_widen_every_row() -> None:
    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.append(["问题", "答案"])
    sheet.append(["甲", "一"])
    sheet["XFD2"] = "far away"
    buffer = io.BytesIO()
    wb.save(buffer)
    rows = list(faq_file.table_rows(buffer.getvalue(), "faq.xlsx"))
    assert rows == [(1, ["问题", "答案"]), (2, ["甲", "一"])]
    read = faq_file.read_faq(buffer.getvalue(), "faq.xlsx")
    assert [(e.question, e.answer) for e in read.entries] == [("甲", "一")]


async def test_bad_rows_are_all_reported_and_nothing_is_imported(db: Database) -> None:
    before = await live(db)
    with pytest.raises(BadLines) as refused:
        await import_bytes(db, "问题,答案\n甲,一\n,二\n甲,三\n乙,\n".encode(), "faq.csv")
    assert [(p.line, p.code) for p in refused.value.problems] == [
        (3, "question_missing"), (4, "duplicate"), (5, "answer_missing")]
    assert refused.value.problems[1].facts == {"question": "甲", "first_line": 2}
    assert await live(db) == before


async def test_synonyms_unanswered_and_a_question_tried(db: Database, ids: dict[str, int]) -> None:
    await import_bytes(db, FAQ.encode(), "faq.csv")
    async with db.transaction() as session:
        miss = await rules.try_question(session, "拨款怎么用", key=db.url,
                                        settings=SETTINGS)
        with pytest.raises(BadLines) as refused:
            await rules.set_synonyms(session, "补助=拨款\n# 注释\n只有一个词\n".encode(),
                                     now=FRIDAY)
    assert miss.verdict == "miss" and miss.offered == []
    assert [(p.line, p.code) for p in refused.value.problems] == [(3, "synonym_group")]
    async with db.transaction() as session:
        groups = await rules.set_synonyms(session, "补助＝拨款=经费\n".encode("gbk"), now=FRIDAY)
        hit = await rules.try_question(session, "拨款怎么用", key=db.url,
                                       settings=SETTINGS)
    assert groups == [("补助", "拨款", "经费")]
    assert hit.verdict == "answer" and hit.hits[0].entry.question == "工会补助经费能用在哪些方面"
    assert 0 < hit.hits[0].confidence <= 1 and hit.hits[0].score > 0 and len(hit.hits) <= 3
    # A weak match naming the domain's words is offered, not declined.
    anchored = await _try(db, "考核结果去哪里查询呢")
    assert anchored.anchored and anchored.verdict == "choose"
    assert [h.entry.question for h in anchored.offered] == ["师徒结对多久考核一次"]

    async with db.transaction() as session:
        for text, at in (("食堂几点关门", FRIDAY), ("食堂几点关门", FRIDAY),
                         ("停车场在哪", FRIDAY), ("上个月的问题", FRIDAY - timedelta(days=30))):
            await store.record_miss(session, ids["M1"], "o-m1", text, at)
        month = await rules.unanswered(session, FRIDAY, TZ, limit=1)
    assert (month.month, month.total, month.top) == ("2026-11", 3, [("食堂几点关门", 2)])


async def _try(db: Database, question: str) -> rules.Trial:
    async with db.reader() as session:
        return await rules.try_question(session, question, key=db.url,
                                        settings=SETTINGS)


async def test_questions_are_listed_answered_with_a_push_and_promoted(
        db: Database, ids: dict[str, int]) -> None:
    async with db.transaction() as session:
        asked = await office.ask(session, member_id=ids["M1"], text="职工食堂晚上几点关门",
                                 now=FRIDAY)
        waiting = await office.questions(session, state="open")
    assert [q.id for q in waiting] == [asked] and waiting[0].state == "open"
    with pytest.raises(ValueError):
        async with db.reader() as session:
            await office.questions(session, state="lost")

    def word(choice: str | None, q: office.QuestionView, said: str
             ) -> tuple[str, dict[str, str] | None]:
        return pushes.question_answer(choice, question=q.text, answer=said, at="2026-11-20 16:00")

    async with db.transaction() as session:
        with pytest.raises(WrongState):
            await office.promote(session, question_id=asked, now=FRIDAY)
        await office.answer(session, question_id=asked, text="工作日晚上七点关门。", now=FRIDAY,
                            word=word)
        with pytest.raises(WrongState):
            await office.answer(session, question_id=asked, text="又一次", now=FRIDAY, word=word)
        with pytest.raises(NotFound):
            await office.answer(session, question_id=987654, text="答", now=FRIDAY, word=word)
        pushed = await session.scalar(select(OutboxMessage).where(
            OutboxMessage.kind == "question-answer", OutboxMessage.recipient_id == ids["M1"]))
        answered = await office.questions(session, state="answered")
        promoted = await office.promote(session, question_id=asked, now=FRIDAY,
                                        as_question="食堂几点关门")
        done = await office.questions(session, state="promoted")
    assert pushed is not None and pushed.period == f"question:{asked}"
    assert pushed.text == "【工会答复】您的留言：职工食堂晚上几点关门\n工作日晚上七点关门。"
    assert pushed.template_fields == {"thing1": "留言已答复：职工食堂晚上几点关门",
                                      "time2": "2026-11-20 16:00"}
    assert [q.id for q in answered] == [asked]
    assert [q.id for q in done] == [asked] and done[0].state == "promoted"
    assert "食堂几点关门" in await live(db) and promoted.question == "食堂几点关门"
