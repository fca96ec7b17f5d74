"""The console's pages for the union office over plain HTTP — 推送 (the outbox), 任务 (the
scheduled jobs), 留言 (members' questions) and the FAQ — on SQLite and PostgreSQL: admins
only (a leader gets "page not found"), a forged form changes nothing, each action changes
what it should through the same rules as the command line, writes an audit entry, and a
refused one changes nothing. The service delivers its pushes to the fake WeChat API, so an
answer's push and a push sent again are seen arriving."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import SCHEDULED_KEY
from storage.models import (
    AuditEntry,
    FaqEntry,
    FaqSynonym,
    JobRun,
    Member,
    OutboxMessage,
    Question,
)
from storage.queries.outbox import settle
from tests.console_helpers import Browser, Page, csrf_in, login_path
from tests.fakes import FakeWeChatAPI
from tests.support import (
    FakeClock,
    Service,
    bind_members,
    import_roster_text,
    make_settings,
    number_in,
    start_service,
)

ROSTER = """studio,name,employee_no,role,mentor_employee_no,phone
焊接创新工作室,王建国,L1,leader,,
焊接创新工作室,<script>alert(1)</script>,M1,member,L1,
焊接创新工作室,李强,M2,member,,
焊接创新工作室,赵六,M3,member,,
,管理员,A1,admin,,
"""
OPENIDS = {"L1": "p-l1", "M1": "p-m1", "M2": "p-m2", "A1": "p-a1"}  # M3 never bound
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # Friday 16:00 in Shanghai
SEND = "/cgi-bin/message/custom/send"
FAQ_CSV = """问题,相似问法,答案,分类,关键词
星级评定怎么评,评星级流程|星级是怎么评出来的,星级评定采用百分制，专家评审、现场核查和答辩。,星级,星级评定
星级评定满分多少分,评星级看几分,星级评定满分一百分。,星级,星级评定
工会补助经费能用在哪些方面,补助资金怎么用,主要用于设施建设、技术攻关和培训带徒。,经费,
师徒结对多久考核一次,师徒季度考核,师徒结对按季度考核。,师徒,师徒结对
"""
OFFICE_PAGES = ("/console/outbox", "/console/outbox/retry-failed", "/console/outbox/1/retry",
                "/console/outbox/1/drop", "/console/jobs", "/console/jobs/weekly-log-reminder",
                "/console/jobs/weekly-log-reminder/run", "/console/questions",
                "/console/questions/1/answer", "/console/questions/1/promote", "/console/faq",
                "/console/faq/import", "/console/faq/synonyms")
ACTIONS = tuple(path for path in OFFICE_PAGES if path.rsplit("/", 1)[-1] in (
    "retry-failed", "retry", "drop", "run", "answer", "promote", "import", "synonyms"))


# Each service's announcement of a finished sweep of its outbox (by the service's id).
SWEPT: dict[int, asyncio.Condition] = {}


def watch_sweeps(service: Service) -> None:
    """Each finished sweep of the service's outbox is announced (SWEPT), so a test can
    await delivery instead of guessing how long it takes."""
    deliverer = service.app[SCHEDULED_KEY].deliverer
    assert deliverer is not None
    swept = asyncio.Condition()
    sweep = deliverer.run

    async def run(*, limit: int | None = None) -> Any:
        try:
            return await sweep(limit=limit)
        finally:
            async with swept:
                swept.notify_all()

    deliverer.run = run  # type: ignore[method-assign]
    SWEPT[id(service)] = swept


@pytest.fixture(scope="module")
async def svc(database_url: str, var_dir: Path, tmp_path_factory: pytest.TempPathFactory,
              fake_api: FakeWeChatAPI) -> AsyncIterator[Service]:
    """One service per database that delivers its pushes to the fake WeChat API."""
    settings = make_settings(database_url, str(var_dir), api_base=fake_api.base_url).model_copy(
        # The FAQ's index is looked at afresh on every question (an import shows at once).
        update={"workshop_bot_faq_refresh_seconds": 0.0})
    service = await start_service(settings, clock=FakeClock(NOW), deliver=True)
    watch_sweeps(service)
    await import_roster_text(service, tmp_path_factory.mktemp("r") / "roster.csv", ROSTER)
    await bind_members(service, OPENIDS)
    yield service
    await service.client.close()


@pytest.fixture(scope="module")
async def world(svc: Service) -> dict[str, int]:
    """Two 留言 left in the chat (their writers' 48 hours open for the answers)."""
    first = number_in(await svc.text("p-m1", "留言 食堂几点关门？") or "")
    second = number_in(await svc.text("p-m2", "留言 职工书屋周末开放吗") or "")
    await svc.dispatcher.writer.flush()
    return {"first": first, "second": second}


@pytest.fixture(scope="module")
async def admin(svc: Service, world: dict[str, int]) -> AsyncIterator[Browser]:
    b = Browser(svc)
    await b.sign_in(await login_path(svc, "A1"))
    yield b
    await b.close()


@pytest.fixture(scope="module")
async def leader(svc: Service, world: dict[str, int]) -> AsyncIterator[Browser]:
    b = Browser(svc)
    await b.sign_in(await login_path(svc, "L1"))
    yield b
    await b.close()


async def audits(svc: Service, action: str) -> list[AuditEntry]:
    async with svc.db.transaction() as session:
        return list(await session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                          .order_by(AuditEntry.id)))


async def outbox_row(svc: Service, outbox_id: int) -> OutboxMessage:
    async with svc.db.transaction() as session:
        row = await session.get(OutboxMessage, outbox_id)
        assert row is not None
        return row


async def question_row(svc: Service, question_id: int) -> Question:
    async with svc.db.transaction() as session:
        row = await session.get(Question, question_id)
        assert row is not None
        return row


async def confirm(b: Browser, path: str, data: dict[str, str] | None = None) -> Page:
    """Open an action's confirm page and press its button (the page's CSRF token)."""
    page = await b.get(path)
    assert page.status == 200, page.text
    return await b.post(path, {"csrf": csrf_in(page.text), **(data or {})})


def text_of(html: str) -> str:
    """The page's words without its tags (what a person reads)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def delivered(fake_api: FakeWeChatAPI, openid: str, words: str) -> str:
    """The text of the first push to `openid` holding `words` that reached the WeChat API
    (the console's action woke the service's delivery loop: nothing here nudges it)."""
    async def arrived() -> str:
        while True:
            for call in fake_api.calls_to(SEND):
                content = call.body.get("text", {}).get("content", "")
                if call.body.get("touser") == openid and words in content:
                    return str(content)
            await fake_api.wait_for_calls(SEND, len(fake_api.calls_to(SEND)) + 1)

    return await asyncio.wait_for(arrived(), 10)


async def settled(svc: Service, outbox_id: int) -> OutboxMessage:
    """The row once delivery is done with it (sent, or ended otherwise): the service's
    delivery loop nudged, and each of its sweeps awaited, until then."""
    swept = SWEPT[id(svc)]

    async def done() -> OutboxMessage:
        while True:
            row = await outbox_row(svc, outbox_id)
            if row.status not in ("pending", "in_flight"):
                return row
            svc.app[SCHEDULED_KEY].nudge()  # a nudge always brings one more sweep
            async with swept:
                await swept.wait()

    return await asyncio.wait_for(done(), 10)


# -- who may -----------------------------------------------------------------------------


async def test_the_office_pages_are_not_there_for_a_leader(svc: Service, leader: Browser,
                                                           admin: Browser) -> None:
    home = await leader.get("/console/")
    for label in ("推送", "任务", "问答库"):
        assert f">{label}</a>" not in home.text
    for path in OFFICE_PAGES:
        page = await leader.get(path)
        assert page.status == 404, path
        assert "找不到这个页面" in page.text
    # … and no form of theirs does anything there.
    token = await leader.csrf()
    for path in ACTIONS:
        assert (await leader.post(path, {"csrf": token})).status == 404, path
    # The office sees all four in its navigation.
    nav = (await admin.get("/console/")).text
    assert all(f">{label}</a>" in nav for label in ("推送", "任务", "留言", "问答库"))


async def test_a_form_without_its_token_is_refused_and_changes_nothing(
        svc: Service, world: dict[str, int], admin: Browser) -> None:
    q = world["first"]
    before_runs = await _count(svc, JobRun)
    for path, data in ((f"/console/questions/{q}/answer", {"answer": "伪造", "confirm": "1"}),
                       (f"/console/questions/{q}/promote", {}),
                       ("/console/jobs/weekly-log-reminder/run", {}),
                       ("/console/outbox/retry-failed", {}),
                       ("/console/outbox/1/drop", {})):
        refused = await admin.post(path, data)
        assert refused.status == 403, path
        forged = await admin.post(path, {**data, "csrf": "0" * 64})
        assert forged.status == 403, path
    assert (await question_row(svc, q)).answer is None
    assert await _count(svc, JobRun) == before_runs


async def _count(svc: Service, model: Any) -> int:
    async with svc.db.transaction() as session:
        return int(await session.scalar(select(func.count(model.id))) or 0)


# -- 留言 ----------------------------------------------------------------------------------


async def test_a_question_is_answered_and_the_answer_reaches_the_member(
        svc: Service, world: dict[str, int], admin: Browser, fake_api: FakeWeChatAPI) -> None:
    q = world["first"]
    inbox = await admin.get("/console/questions")
    assert inbox.status == 200 and "食堂几点关门？" in inbox.text
    # The asker's name is shown as typed.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in inbox.text
    assert f'/console/questions/{q}/answer' in inbox.text
    form = await admin.get(f"/console/questions/{q}/answer")
    assert form.status == 200 and "食堂几点关门？" in form.text
    token = csrf_in(form.text)
    # An empty answer is refused, and nothing is kept.
    empty = await admin.post(f"/console/questions/{q}/answer", {"csrf": token, "answer": " "})
    assert empty.status == 422 and "答复不能为空" in empty.text
    too_long = await admin.post(f"/console/questions/{q}/answer",
                                {"csrf": token, "answer": "长" * 501, "confirm": "1"})
    assert too_long.status == 422 and "最多 500 个字" in too_long.text
    # The first press shows the push as the member will read it; nothing is sent yet.
    said = "工作日晚上七点关门，周末六点。"
    preview = await admin.post(f"/console/questions/{q}/answer", {"csrf": token, "answer": said})
    assert preview.status == 200 and "将在微信中收到" in preview.text
    assert f"【工会答复】您的留言：食堂几点关门？\n{said}" in preview.text
    assert (await question_row(svc, q)).answer is None and not await audits(svc, "question.answer")
    done = await admin.post(f"/console/questions/{q}/answer",
                            {"csrf": token, "answer": said, "confirm": "1"})
    assert done.status == 303
    assert done.headers["Location"] == f"/console/questions?done=answered&id={q}"
    after = await question_row(svc, q)
    assert after.answer == said and after.answered_at == NOW
    entry, = await audits(svc, "question.answer")
    assert entry.subject == "question" and entry.subject_id == q
    assert entry.before is not None and entry.before["answer"] is None
    assert entry.after is not None and entry.after["answer"] == said
    shown = await admin.get(done.headers["Location"])
    assert f"已答复编号 {q} 的留言" in shown.text
    pushed = await delivered(fake_api, "p-m1", said)
    assert pushed == f"【工会答复】您的留言：食堂几点关门？\n{said}"
    # Answering again is refused: nothing is written or sent twice.
    again = await admin.post(f"/console/questions/{q}/answer",
                             {"csrf": token, "answer": "另一个答复", "confirm": "1"})
    assert again.status == 409 and "已经答复过了" in again.text
    assert (await question_row(svc, q)).answer == said
    assert len(await audits(svc, "question.answer")) == 1
    async with svc.db.transaction() as session:
        assert await session.scalar(select(func.count(OutboxMessage.id)).where(
            OutboxMessage.period == f"question:{q}")) == 1
    # The inbox filters by state.
    answered = await admin.get("/console/questions?state=answered")
    assert said in answered.text and "职工书屋" not in answered.text
    waiting = await admin.get("/console/questions")
    assert "职工书屋周末开放吗" in waiting.text and said not in waiting.text


async def test_an_answered_question_is_promoted_into_the_faq(
        svc: Service, world: dict[str, int], admin: Browser) -> None:
    q, unanswered = world["first"], world["second"]
    # Not answered yet: refused, nothing changes.
    refused = await confirm(admin, f"/console/questions/{unanswered}/promote")
    assert refused.status == 409 and "还没有答复" in refused.text
    assert (await question_row(svc, unanswered)).faq_entry_id is None
    assert not await audits(svc, "question.promote")
    page = await admin.get(f"/console/questions/{q}/promote")
    assert page.status == 200 and "收入问答库" in page.text
    done = await admin.post(f"/console/questions/{q}/promote",
                            {"csrf": csrf_in(page.text), "as_question": "食堂几点关门"})
    assert done.status == 303 and "done=promoted" in done.headers["Location"]
    row = await question_row(svc, q)
    assert row.faq_entry_id is not None
    async with svc.db.transaction() as session:
        entry = await session.get(FaqEntry, row.faq_entry_id)
        assert entry is not None and entry.question == "食堂几点关门"
        assert entry.variants == "食堂几点关门？" and entry.answer == row.answer
    audit, = await audits(svc, "question.promote")
    assert audit.after is not None and audit.after["faq_entry_id"] == row.faq_entry_id
    shown = await admin.get(done.headers["Location"])
    assert "已收入问答库" in shown.text and "食堂几点关门？" in shown.text
    # The member's question now has its answer in the chat.
    assert await svc.text("p-m2", "食堂几点关门") == row.answer
    assert (await admin.get("/console/questions/999999/answer")).status == 404


# -- the FAQ -------------------------------------------------------------------------------


async def upload(b: Browser, path: str, name: str, data: bytes, *, token: str | None = None
                 ) -> Page:
    """Post a file as the page's form does (multipart)."""
    form = aiohttp.FormData()
    form.add_field("csrf", token if token is not None else csrf_in((await b.get(path)).text))
    form.add_field("file", data, filename=name, content_type="application/octet-stream")
    async with b.http.post(b.base + path, data=form, allow_redirects=False) as resp:
        return Page(resp.status, await resp.text(), resp.headers, str(resp.url))


async def live(svc: Service) -> list[str]:
    async with svc.db.transaction() as session:
        return list(await session.scalars(select(FaqEntry.question)
                                          .where(FaqEntry.retired_at.is_(None))
                                          .order_by(FaqEntry.id)))


async def test_a_faq_file_with_a_bad_line_shows_the_line_and_imports_nothing(
        svc: Service, world: dict[str, int], admin: Browser) -> None:
    before = await live(svc)
    bad = FAQ_CSV + "没有答案的问题,,,,\n" + "星级评定怎么评,,又一个答案,,\n"
    page = await upload(admin, "/console/faq/import", "faq.csv", bad.encode("utf-8"))
    assert page.status == 422
    shown = text_of(page.text)
    assert "第 6 行：问题“没有答案的问题”没有答案" in shown
    assert "第 7 行：问题“星级评定怎么评”与第 2 行重复" in shown
    assert "有 2 行有问题，本次没有导入任何内容" in shown
    assert await live(svc) == before and not await audits(svc, "faq.import")
    # A file that cannot be read at all says why.
    wrong = await upload(admin, "/console/faq/import", "faq.pdf", b"%PDF-1.4")
    assert wrong.status == 422 and "不支持“.pdf”文件" in wrong.text
    none = await upload(admin, "/console/faq/import", "", b"")
    assert none.status == 422 and "请选择一个文件" in none.text
    assert await live(svc) == before
    # Without the form's token the upload is refused like any other form.
    assert (await upload(admin, "/console/faq/import", "faq.csv", FAQ_CSV.encode(),
                         token="")).status == 403


async def test_a_faq_file_is_imported_in_gbk_and_a_question_tried(
        svc: Service, world: dict[str, int], admin: Browser) -> None:
    page = await upload(admin, "/console/faq/import", "faq.csv", FAQ_CSV.encode("gbk"))
    assert page.status == 303, page.text
    assert await live(svc) == ["星级评定怎么评", "星级评定满分多少分", "工会补助经费能用在哪些方面",
                               "师徒结对多久考核一次"]
    entry, = await audits(svc, "faq.import")
    # The promoted entry was not in the file: it is retired (kept, no longer answered).
    assert entry.after == {"file": "faq.csv", "created": 4, "updated": 0, "unchanged": 0,
                           "retired": 1}
    faq = await admin.get(page.headers["Location"])
    assert "新增 4 条" in faq.text and "下线 1 条" in faq.text
    assert "已下线的问答（1 条）" in faq.text and "食堂几点关门" in faq.text
    tried = await admin.get("/console/faq?q=补助资金能用在哪")
    shown = text_of(tried.text)
    assert "结果：直接回答第 1 条" in shown
    assert "主要用于设施建设、技术攻关和培训带徒。" in shown
    scores = re.findall(r"\d+\.\d\d", shown)
    assert scores and "工会补助经费能用在哪些方面" in shown
    choose = text_of((await admin.get("/console/faq?q=星级评定")).text)
    assert "结果：请提问人从上面几条中选择" in choose and "您是想问：" in choose
    # A miss in the chat is listed as this month's unanswered, and can be tried from there.
    assert "答不上来" in (await svc.text("p-m1", "今天天气怎么样") or "")
    listed = text_of((await admin.get("/console/faq")).text)
    assert "2026年11月答不上来的问题" in listed and "今天天气怎么样 1" in listed
    miss = text_of((await admin.get("/console/faq?q=今天天气怎么样")).text)
    assert "结果：答不上来" in miss


async def test_synonyms_are_replaced_or_a_bad_line_changes_nothing(
        svc: Service, world: dict[str, int], admin: Browser) -> None:
    bad = await upload(admin, "/console/faq/synonyms", "syn.txt", "补贴=补助=经费\n考核\n".encode())
    assert bad.status == 422 and "第 2 行：至少要两个词" in text_of(bad.text)
    assert await _count(svc, FaqSynonym) == 0 and not await audits(svc, "faq.synonyms")
    done = await upload(admin, "/console/faq/synonyms", "syn.txt", "补贴=补助=经费\n".encode())
    assert done.status == 303 and "groups=1" in done.headers["Location"]
    assert await _count(svc, FaqSynonym) == 1
    entry, = await audits(svc, "faq.synonyms")
    assert entry.before == {"groups": []} and entry.after is not None
    assert entry.after["groups"] == ["补贴=补助=经费"]
    page = await admin.get("/console/faq/synonyms")
    assert "补贴=补助=经费" in page.text


async def test_an_upload_over_the_limit_is_refused(svc: Service, world: dict[str, int],
                                                   admin: Browser) -> None:
    big = await upload(admin, "/console/faq/synonyms", "syn.txt", b"a=b\n" * 300_000)
    assert big.status == 413 and "内容太大" in big.text
    assert await _count(svc, FaqSynonym) == 1
    # A browser that is not signed in gets nothing read, whatever it sends.
    stranger = Browser(svc)
    try:
        refused = await upload(stranger, "/console/faq/synonyms", "syn.txt", b"x=y\n",
                               token="0" * 64)
        assert refused.status == 403
    finally:
        await stranger.close()
    assert await _count(svc, FaqSynonym) == 1


# -- 任务 ----------------------------------------------------------------------------------


async def test_the_jobs_with_their_schedules_and_running_one_now(
        svc: Service, world: dict[str, int], admin: Browser) -> None:
    page = await admin.get("/console/jobs")
    shown = text_of(page.text)
    assert page.status == 200
    assert "提醒本周还没交周报的成员" in shown and "每周五 16:00（遇节假日顺延到下一个工作日）" in shown
    assert shown.count("从未运行") == 5
    confirm_page = await admin.get("/console/jobs/weekly-log-reminder/run")
    assert "2026-W47" in confirm_page.text and "确认运行" in confirm_page.text
    assert await _count(svc, JobRun) == 0
    ran = await admin.post("/console/jobs/weekly-log-reminder/run",
                           {"csrf": csrf_in(confirm_page.text)})
    report = text_of(ran.text)
    # L1, M1, M2 owe this week's log and are bound; 赵六 (M3) is not, and is named.
    assert ran.status == 200 and "新排队 3 条推送，此前已排队 0 条" in report, report
    assert "赵六（M3）" in report
    again = await admin.post("/console/jobs/weekly-log-reminder/run",
                             {"csrf": csrf_in(confirm_page.text)})
    assert "新排队 0 条推送，此前已排队 3 条" in text_of(again.text)
    async with svc.db.transaction() as session:
        runs = list(await session.scalars(select(JobRun).order_by(JobRun.id)))
        reminders = await session.scalar(select(func.count(OutboxMessage.id)).where(
            OutboxMessage.kind == "weekly-log-reminder"))
    assert [(r.name, r.period, r.queued, r.skipped, r.manual) for r in runs] == [
        ("weekly-log-reminder", "2026-W47", 3, 0, True),
        ("weekly-log-reminder", "2026-W47", 0, 3, True)]
    assert reminders == 3
    first, second = await audits(svc, "job.run")
    assert first.subject_id == runs[0].id and first.after == {
        "name": "weekly-log-reminder", "period": "2026-W47", "queued": 3, "skipped": 0}
    assert second.after is not None and second.after["skipped"] == 3
    listing = text_of((await admin.get("/console/jobs")).text)
    assert "2026-W47 手动运行" in listing and shown.count("从未运行") - 1 == listing.count("从未运行")
    runs_page = text_of((await admin.get("/console/jobs/weekly-log-reminder")).text)
    assert "最近的运行（2 次）" in runs_page
    assert (await admin.get("/console/jobs/no-such-job")).status == 404
    assert (await admin.post("/console/jobs/no-such-job/run",
                             {"csrf": csrf_in(confirm_page.text)})).status == 404
    assert await _count(svc, JobRun) == 2


# -- 推送 ----------------------------------------------------------------------------------


async def failed_row(svc: Service, kind: str, employee_no: str, result: str = "busy:-1",
                     status: str = "failed") -> int:
    """The member's latest row of `kind`, once delivery is done with it, as if delivery had
    ended it so (failed after its attempts, by default)."""
    async with svc.db.transaction() as session:
        row_id = await session.scalar(
            select(func.max(OutboxMessage.id)).join(Member, Member.id == OutboxMessage.recipient_id)
            .where(OutboxMessage.kind == kind, Member.employee_no == employee_no))
        assert row_id is not None
    await settled(svc, row_id)
    async with svc.db.transaction() as session:
        await settle(session, row_id, status=status, channel="custom", result=result,
                     now=svc.clock.now)
    return row_id


async def test_the_outbox_counts_lists_and_words_reasons(
        svc: Service, world: dict[str, int], admin: Browser) -> None:
    row = await failed_row(svc, "weekly-log-reminder", "M1", "rejected:43004", "undeliverable")
    page = await admin.get("/console/outbox")
    shown = text_of(page.text)
    assert page.status == 200
    assert "周报提醒" in shown and "留言答复" in shown
    assert "微信拒绝发送（rejected 43004）" in shown
    assert f'href="/console/outbox/{row}/retry"' in page.text
    # The counts by state and kind are the domain's.
    assert re.search(r'data-state="undeliverable">.*?<span class="value">(\d+)</span>',
                     page.text, re.S)
    narrowed = await admin.get("/console/outbox?state=undeliverable&kind=weekly-log-reminder")
    rows = re.findall(r'<tr id="row-(\d+)"', narrowed.text)
    assert str(row) in rows
    only_sent = await admin.get("/console/outbox?state=sent")
    assert f'id="row-{row}"' not in only_sent.text
    # A filter that is none is ignored, not an error.
    assert (await admin.get("/console/outbox?state=nonsense&kind=x&before=abc")).status == 200


async def test_a_failed_push_is_sent_again_at_once(
        svc: Service, world: dict[str, int], admin: Browser, fake_api: FakeWeChatAPI) -> None:
    row = await failed_row(svc, "question-answer", "M1")
    page = await admin.get(f"/console/outbox/{row}/retry")
    assert page.status == 200 and "微信繁忙，稍后重试（busy -1）" in text_of(page.text)
    assert "工作日晚上七点关门" in page.text  # the push's text, to decide on
    calls = len(fake_api.calls_to(SEND))
    done = await admin.post(f"/console/outbox/{row}/retry", {"csrf": csrf_in(page.text)})
    assert done.status == 303 and done.headers["Location"] == \
        f"/console/outbox?done=retried&id={row}"
    audit, = await audits(svc, "outbox.retry")
    assert audit.subject_id == row and audit.before is not None
    assert audit.before["status"] == "failed" and audit.after is not None
    assert audit.after["status"] == "pending" and audit.after["attempts"] == 0
    # Sent at once: the action nudged the delivery loop.
    await asyncio.wait_for(fake_api.wait_for_calls(SEND, calls + 1), 10)
    assert (await settled(svc, row)).status == "sent"
    assert fake_api.calls_to(SEND)[-1].body["touser"] == "p-m1"
    # A sent push cannot be sent again: refused, nothing changes, no audit entry.
    refused = await confirm(admin, f"/console/outbox/{row}/retry")
    assert refused.status == 409 and "只有失败、无法送达或已放弃的推送可以重发" in refused.text
    assert (await outbox_row(svc, row)).status == "sent"
    assert len(await audits(svc, "outbox.retry")) == 1
    assert (await admin.get("/console/outbox/999999/retry")).status == 404


async def test_a_push_is_dropped_and_every_failed_one_sent_again(
        svc: Service, world: dict[str, int], admin: Browser, fake_api: FakeWeChatAPI) -> None:
    row = await failed_row(svc, "question-answer", "M1")
    done = await confirm(admin, f"/console/outbox/{row}/drop")
    assert done.status == 303
    after = await outbox_row(svc, row)
    assert after.status == "dropped" and after.result == "dropped_by_operator"
    audit, = await audits(svc, "outbox.drop")
    assert audit.before is not None and audit.before["status"] == "failed"
    again = await confirm(admin, f"/console/outbox/{row}/drop")
    assert again.status == 409 and "不能放弃" in again.text
    assert len(await audits(svc, "outbox.drop")) == 1
    # Nothing failed now: retrying every failed push is refused.
    nothing = await confirm(admin, "/console/outbox/retry-failed")
    assert nothing.status == 409 and "现在没有失败的推送" in nothing.text
    assert not await audits(svc, "outbox.retry_failed")
    # Every failed row goes back (the undeliverable ones stay).
    one = await failed_row(svc, "weekly-log-reminder", "M2")
    page = await admin.get("/console/outbox/retry-failed")
    assert "1 条失败的推送" in page.text
    calls = len(fake_api.calls_to(SEND))
    done = await admin.post("/console/outbox/retry-failed", {"csrf": csrf_in(page.text)})
    assert done.status == 303 and done.headers["Location"] == \
        "/console/outbox?done=retried_all&n=1"
    audit, = await audits(svc, "outbox.retry_failed")
    assert audit.after == {"rows": 1}
    await asyncio.wait_for(fake_api.wait_for_calls(SEND, calls + 1), 10)
    assert (await settled(svc, one)).status == "sent"
    assert fake_api.calls_to(SEND)[-1].body["touser"] == "p-m2"
    # The dropped one stayed dropped.
    assert (await outbox_row(svc, row)).status == "dropped"
    audit_page = await admin.get("/console/audit")
    for words in ("重发推送", "放弃推送", "重发全部失败的推送", "立即运行任务", "答复留言",
                  "留言收入问答库", "导入问答", "更新同义词"):
        assert words in audit_page.text, words
