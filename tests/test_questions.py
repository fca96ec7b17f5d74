"""留言 and `workshop-bot questions`: a person behind the FAQ, through the real endpoint."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.wechat_api import WeChatAPI
from ops import faq as faq_ops
from ops import questions as questions_ops
from scheduled.delivery import Deliverer
from storage.models import FaqEntry, Member, OutboxMessage, Question
from tests.fakes import FakeWeChatAPI
from tests.support import (
    FakeClock,
    Service,
    bind_members,
    import_roster_text,
    inbox,
    make_settings,
    start_service,
)

TZ = ZoneInfo("Asia/Shanghai")
ROSTER = """studio,name,employee_no,role,mentor_employee_no,phone
甲工作室,甲领衔,L1,leader,,
甲工作室,甲成员,M1,member,,
甲工作室,乙成员,M2,member,,
甲工作室,丙成员,M3,member,,
甲工作室,丁成员,M4,member,,
"""
OPENIDS = {"L1": "o-l1", "M1": "o-m1", "M2": "o-m2", "M3": "o-m3", "M4": "o-m4"}
FRIDAY = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
UNANSWERED = "这个问题我还答不上来。回复‘留言’，工会工作人员会尽快答复您。"
SEND = "/cgi-bin/message/custom/send"
TEMPLATE_SEND = "/cgi-bin/message/template/send"
FAQ = """问题,相似问法,答案,分类,关键词
星级评定怎么评,评星级流程,星级评定采用百分制，专家评审、现场核查和答辩。,星级,星级评定
师徒结对多久考核一次,师徒季度考核,师徒结对按季度考核。,师徒,师徒结对
"""
CANTEEN = "职工食堂晚上几点关门"
ANSWER = "职工食堂工作日晚上七点关门，周末六点关门。"


@pytest.fixture(scope="module")
async def svc(database_url: str, var_dir: Path,
              tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Service]:
    # Every message looks for a new FAQ version (the default waits a few seconds).
    settings = make_settings(database_url, str(var_dir)).model_copy(
        update={"workshop_bot_faq_refresh_seconds": 0.0})
    service = await start_service(settings, clock=FakeClock(FRIDAY))
    folder = tmp_path_factory.mktemp("q")
    await import_roster_text(service, folder / "roster.csv", ROSTER)
    await bind_members(service, OPENIDS)
    (folder / "faq.csv").write_text(FAQ, encoding="utf-8")
    assert await faq_ops.faq_import(service.settings, folder / "faq.csv", service.clock.now) == 0
    yield service
    await service.client.close()


def number_of(reply: str) -> int:
    found = re.search(r"编号 (\d+)", reply)
    assert found is not None, reply
    return int(found.group(1))


async def unanswered_count(svc: Service) -> float:
    text = await (await svc.client.get("/metrics")).text()
    found = re.search(r"^workshop_bot_faq_unanswered_total (\S+)$", text, re.MULTILINE)
    assert found is not None, text
    return float(found.group(1))


async def deliver(svc: Service, fake_api: FakeWeChatAPI, employee_no: str, *,
                  window_open: bool, templates: dict[str, str] | None = None) -> None:
    """Run the outbox worker once, the member last heard from within 48 h or not."""
    async with svc.db.transaction() as session:
        member = await session.scalar(select(Member).where(Member.employee_no == employee_no))
        assert member is not None
        member.last_interaction_at = svc.clock.now - (
            timedelta(hours=1) if window_open else timedelta(days=3))
    api = WeChatAPI(fake_api.base_url, "wx", "secret", clock=svc.clock, retry_delays=(0, 0))
    deliverer = Deliverer(svc.db, api, templates=templates or {}, tz=TZ, clock=svc.clock)
    await deliverer.run()


async def test_a_question_the_faq_missed_is_answered_by_the_office_then_by_the_faq(
    svc: Service, fake_api: FakeWeChatAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    before = await unanswered_count(svc)
    assert await svc.text("o-m1", CANTEEN) == UNANSWERED
    assert await unanswered_count(svc) == before + 1
    # 留言 alone carries the question just left unanswered along, and says what was sent.
    sent = await svc.text("o-m1", "留言") or ""
    assert "已把您刚才的问题转给工会工作人员" in sent and CANTEEN in sent
    question_id = number_of(sent)
    # A second 留言 alone does not send it twice: it lists the member's questions.
    mine = await svc.text("o-m1", "留言") or ""
    assert mine.startswith("您最近的 1 条留言：") and CANTEEN in mine and "（等待答复）" in mine

    assert await questions_ops.questions_list(svc.settings, open_only=True) == 0
    listed = capsys.readouterr().out
    assert f"{question_id}  待答复" in listed and "甲成员（M1）" in listed and CANTEEN in listed

    assert await questions_ops.questions_answer(svc.settings, question_id, ANSWER,
                                                svc.clock.now) == 0
    assert "答复将推送给甲成员" in capsys.readouterr().out
    async with svc.db.transaction() as session:
        row = await session.scalar(select(OutboxMessage)
                                   .where(OutboxMessage.kind == "question-answer"))
    assert row is not None and row.period == f"question:{question_id}"
    assert row.template_fields is not None and row.template_fields["thing1"].startswith("留言已答复")
    assert (await inbox(svc, "M1"))[-1] == f"【工会答复】您的留言：{CANTEEN}\n{ANSWER}"

    # The worker sends it as a customer-service message: M1 wrote within 48 hours.
    fake_api.calls.clear()
    await deliver(svc, fake_api, "M1", window_open=True)
    sends = fake_api.calls_to(SEND)
    assert len(sends) == 1 and sends[0].body["touser"] == "o-m1"
    assert ANSWER in sends[0].body["text"]["content"]

    # Answering again sends nothing more.
    assert await questions_ops.questions_answer(svc.settings, question_id, "再答一次",
                                                svc.clock.now) == 1
    assert "已经答复过了" in capsys.readouterr().err
    assert len(await inbox(svc, "M1")) == 1

    # 留言 alone now shows the answer.
    assert ANSWER in (await svc.text("o-m1", "留言") or "")

    # Promoted into the FAQ: the next member asking the same gets the answer at once.
    assert await questions_ops.questions_promote(svc.settings, question_id, svc.clock.now) == 0
    assert "已收入问答库" in capsys.readouterr().out
    async with svc.db.transaction() as session:
        entry = await session.scalar(select(FaqEntry).where(FaqEntry.question == CANTEEN))
        promoted = await session.get(Question, question_id)
    assert entry is not None and entry.answer == ANSWER
    assert promoted is not None and promoted.faq_entry_id == entry.id
    counted = await unanswered_count(svc)
    assert await svc.text("o-m2", CANTEEN) == ANSWER
    assert await unanswered_count(svc) == counted


async def test_a_question_of_ones_own_with_the_template_when_the_window_is_closed(
    svc: Service, fake_api: FakeWeChatAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    sent = await svc.text("o-m3", "留言 劳模创新工作室可以申报几次") or ""
    assert sent.startswith("已留言（编号 ") and "劳模创新工作室可以申报几次" in sent
    question_id = number_of(sent)
    assert await questions_ops.questions_answer(svc.settings, question_id, "每年可申报一次。",
                                                svc.clock.now) == 0
    capsys.readouterr()
    fake_api.calls.clear()
    await deliver(svc, fake_api, "M3", window_open=False,
                  templates={"question_answer": "TPL-ANSWER"})
    assert fake_api.calls_to(SEND) == []
    (call,) = fake_api.calls_to(TEMPLATE_SEND)
    assert call.body["touser"] == "o-m3" and call.body["template_id"] == "TPL-ANSWER"
    assert call.body["data"]["thing1"]["value"].startswith("留言已答复：劳模创新")
    mine = await svc.text("o-m3", "留言") or ""
    assert "劳模创新工作室可以申报几次" in mine and "答复：每年可申报一次。" in mine


async def test_answering_an_unknown_question_writes_nothing(
    svc: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    async with svc.db.transaction() as session:
        pushes = await session.scalar(select(func.count(OutboxMessage.id)))
        answered = await session.scalar(select(func.count(Question.id))
                                         .where(Question.answered_at.is_not(None)))
    assert await questions_ops.questions_answer(svc.settings, 987654, "答复",
                                                svc.clock.now) == 1
    assert "没有编号为 987654 的留言" in capsys.readouterr().err
    assert await questions_ops.questions_promote(svc.settings, 987654, svc.clock.now) == 1
    assert "没有编号为 987654 的留言" in capsys.readouterr().err
    async with svc.db.transaction() as session:
        assert await session.scalar(select(func.count(OutboxMessage.id))) == pushes
        assert await session.scalar(select(func.count(Question.id))
                                    .where(Question.answered_at.is_not(None))) == answered


async def test_an_unanswered_question_cannot_be_promoted(
    svc: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    question_id = number_of(await svc.text("o-m4", "留言 工会会员卡丢了怎么补办") or "")
    assert await questions_ops.questions_promote(svc.settings, question_id, svc.clock.now) == 1
    assert "还没有答复" in capsys.readouterr().err
    # A member reading two languages gets the heading in each, the office's answer once.
    async with svc.db.transaction() as session:
        member = await session.scalar(select(Member).where(Member.employee_no == "M4"))
        assert member is not None
        member.language = "mn+zh-CN"
    assert await questions_ops.questions_answer(svc.settings, question_id, "到工会办公室补办。",
                                                svc.clock.now) == 0
    (pushed,) = await inbox(svc, "M4")
    assert pushed.count("工会会员卡丢了怎么补办") == 2 and pushed.count("到工会办公室补办。") == 1
    assert pushed.endswith("\n到工会办公室补办。")


async def test_strangers_are_asked_to_bind_first(svc: Service) -> None:
    assert "需要先绑定" in (await svc.text("o-stranger", "留言 食堂在哪") or "")
    async with svc.db.transaction() as session:
        assert await session.scalar(select(func.count(Question.id))
                                    .where(Question.text == "食堂在哪")) == 0


async def test_twenty_questions_a_minute_at_most(svc: Service) -> None:
    svc.clock.advance(minutes=5)
    for n in range(20):
        assert (await svc.text("o-l1", f"留言 第{n}个问题") or "").startswith("已留言")
    refused = await svc.text("o-l1", "留言 第二十一个问题") or ""
    assert "每分钟最多 20 条" in refused
    async with svc.db.transaction() as session:
        assert await session.scalar(select(func.count(Question.id))
                                    .where(Question.text == "第二十一个问题")) == 0
    svc.clock.advance(minutes=1)
    assert (await svc.text("o-l1", "留言 第二十一个问题") or "").startswith("已留言")
