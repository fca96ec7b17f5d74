"""Star rating in the web console over plain HTTP, on SQLite and PostgreSQL: the experts sign
in (后台, login-link) to the 评审 pages and nothing else, score items (each seeing only their
own until 公示; a score above the item's points refused and nothing stored); a leader's gap
list on the studio page says what 评星 says, and a leader applies on the web; the office's
sheet (total = automatic + the experts' mean, the spread), 公示 and the decision queued to
the leaders through the outbox; another studio's application is a 404. The tests run in
order on one service."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.simulator import message_xml
from domain import NotAllowed
from ops import rating as office
from ops.console import login_link
from storage.models import (
    RESULT_VERIFIED,
    Achievement,
    AuditEntry,
    OutboxMessage,
    RatingApplication,
    RatingRound,
    RatingScore,
    Studio,
    WeeklyLog,
)
from storage.queries.invites import member_by_employee_no
from tests.console_helpers import Browser, csrf_in, login_path
from tests.support import Service, inbox, roster_fixture

ROSTER = """studio,name,employee_no,role,mentor_employee_no,phone
,赵敏,A0001,admin,,
王建国劳模创新工作室,王建国,W1001,leader,,
王建国劳模创新工作室,李强,W1002,member,,
李红劳模创新工作室,李红,H2001,leader,,
李红劳模创新工作室,赵六,H2002,member,,
陈秀英焊接技能大师工作室,陈秀英,C3001,leader,,
陈秀英焊接技能大师工作室,周杰,C3002,member,,
陈秀英焊接技能大师工作室,吴磊,C3003,member,,
"""
OPENIDS = {"A0001": "o-admin", "W1001": "o-w1", "W1002": "o-w2", "H2001": "o-h1",
           "H2002": "o-h2", "C3001": "o-c1", "C3002": "o-c2", "C3003": "o-c3"}
FRIDAY = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai
WANG, LI = "王建国劳模创新工作室", "李红劳模创新工作室"
ROUND = "2026年11月星级评定"
RUBRIC = """编号,类别,指标,分值,评分方式,评分标准
A1,三有,标志明显,20,manual,门口悬挂统一标牌
A2,专家评审,现场答辩,20,manual,领衔人汇报并答辩
B1,台帐详实,周报提交率,20,log_rate 50%:10 75%:15 90%:20,
B2,成效明显,创新成果,20,results 发明专利=8 utility_model=4 cap=20,
B3,成效明显,经济效益,10,benefit step=5 per=2 cap=10,
B4,组建团队,成员绑定,10,members_bound 50%:5 100%:10,
★★★,星级,,85,,
★★,星级,,70,,
★,星级,,50,,
"""

svc = roster_fixture(ROSTER, OPENIDS, FRIDAY)
# What the tests learn as they go (the module's tests run in order on one service).
known: dict[str, int] = {}


def at(day: int, hour: int = 10, month: int = 11) -> datetime:
    """A moment in Shanghai (UTC+8)."""
    return datetime(2026, month, day, hour - 8, 0, tzinfo=UTC)


async def signed_in(svc: Service, employee_no: str) -> Browser:
    b = Browser(svc)
    await b.sign_in(await login_path(svc, employee_no))
    return b


def text_of(page: str) -> str:
    """A page's words as a person reads them: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


async def count(svc: Service, model: type, *where: object) -> int:
    async with svc.db.transaction() as session:
        return int(await session.scalar(
            select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


async def audit_actions(svc: Service) -> list[tuple[str, int | None]]:
    async with svc.db.transaction() as session:
        return [(a, s) for a, s in (await session.execute(
            select(AuditEntry.action, AuditEntry.studio_id).order_by(AuditEntry.id))).all()]


async def picture(svc: Service, openid: str, media: str, msg_id: int) -> str:
    reply = await svc.deliver(message_xml({
        "ToUserName": "gh", "FromUserName": openid, "CreateTime": svc.clock.ts,
        "MsgType": "image", "PicUrl": f"http://mmbiz.qpic.cn/{media}.jpg", "MediaId": media,
        "MsgId": msg_id}))
    assert reply is not None
    return str(reply["Content"])


async def score(b: Browser, path: str, points: str, comment: str = "") -> tuple[int, str]:
    """An expert's form posted: (the status, the page — or where a saved score leads)."""
    page = await b.post(path, {"csrf": await b.csrf(), "points": points,
                               "comment": comment})
    return page.status, page.headers.get("Location") or page.text


# -- a round, and who may sign in -------------------------------------------------------


async def test_members_are_refused_until_they_are_experts_of_a_round(
        svc: Service, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    svc.settings.workshop_bot_public_url = str(svc.client.make_url("")).rstrip("/")
    refused = await svc.text("o-c2", "后台") or ""
    assert "仅限" in refused and "领衔人" in refused and "http" not in refused
    assert "后台" not in (await svc.text("o-c2", "帮助") or "")
    with pytest.raises(NotAllowed):
        await login_path(svc, "C3002")
    assert await login_link(svc.settings, "C3002", FRIDAY) == 1
    assert "也不是进行中的星级评定的评审专家" in capsys.readouterr().err
    rubric = tmp_path / "rubric.csv"
    rubric.write_text(RUBRIC, encoding="utf-8")
    assert await office.rubric_import(svc.settings, rubric, FRIDAY) == 0
    assert await office.round_open(svc.settings, ROUND, "2026-11-02", "2026-11-30",
                                   "2026-11-25", FRIDAY) == 0
    assert await office.round_experts(svc.settings, ROUND, ["C3002", "C3003"], FRIDAY) == 0
    async with svc.db.transaction() as session:
        known["round"] = (await session.scalars(select(RatingRound.id))).one()
        known.update({name: sid for sid, name in (await session.execute(
            select(Studio.id, Studio.name))).all()})
    # An expert of a round under way: 后台 is theirs now (listed in 帮助 too), login-link too.
    assert await login_link(svc.settings, "C3002", FRIDAY) == 0
    assert "/console/login/" in capsys.readouterr().out
    assert "后台" in (await svc.text("o-c2", "帮助") or "")
    assert "只能使用一次" in (await svc.text("o-c2", "后台") or "")
    # Another member still is not.
    assert "仅限" in (await svc.text("o-w2", "后台") or "")


async def test_a_leader_applies_in_the_chat_with_a_photo(svc: Service) -> None:
    # 王建国's studio: every log of W45–W47 (20 points) and two patents verified (16), with
    # both of its members bound (10): 46 automatic points.
    async with svc.db.transaction() as session:
        for no in ("W1001", "W1002"):
            member = await member_by_employee_no(session, no)
            assert member is not None
            for week in ("2026-W45", "2026-W46", "2026-W47"):
                session.add(WeeklyLog(member_id=member.id, studio_id=member.studio_id,
                                      week=week, content="调试", hours=6, submitted_at=FRIDAY,
                                      updated_at=FRIDAY))
            session.add(Achievement(studio_id=member.studio_id, member_id=member.id,
                                    type="invention_patent", title=f"专利{no}",
                                    status=RESULT_VERIFIED, created_at=at(10)))
    assert "第 1/2 项" in (await svc.text("o-w1", "申报") or "")
    await svc.text("o-w1", "18 门口悬挂统一标牌，室内有<b>成果</b>展示")
    assert "本项共 1 张" in await picture(svc, "o-w1", "MEDIA-A1", 99001)
    await svc.text("o-w1", "下一项")
    await svc.text("o-w1", "16 汇报材料已准备")
    await svc.text("o-w1", "完成")
    assert "已提交" in (await svc.text("o-w1", "确认") or "")
    async with svc.db.transaction() as session:
        application = (await session.scalars(select(RatingApplication))).one()
        known["wang_app"] = application.id
    assert application.automatic == 46


# -- a leader's side ----------------------------------------------------------------------


async def test_the_studio_page_shows_the_gap_list_in_the_chats_words(svc: Service) -> None:
    chat = await svc.text("o-h1", "评星") or ""
    b = await signed_in(svc, "H2001")
    try:
        page = await b.get(f"/console/studios/{known[LI]}")
        assert page.status == 200
        shown = text_of(page.text)
        # Every line 评星 answers with, word for word (the items' list included).
        lines = [line for line in chat.splitlines() if line.strip()]
        assert len(lines) > 8 and "距一星★" in chat
        assert [line for line in lines if line not in shown] == []
        assert "网上申报" in shown  # a round takes applications and the studio has none
        # The leader's 星级评定 page: the same lines, the round, the stars on record.
        own = text_of((await b.get("/console/rating")).text)
        assert all(line in own for line in lines) and "现评定：无星级" in own
    finally:
        await b.close()


async def test_a_leader_applies_on_the_web(svc: Service) -> None:
    b = await signed_in(svc, "H2001")
    try:
        form = await b.get("/console/rating/apply")
        assert form.status == 200 and "照片只能在微信里附上" in text_of(form.text)
        token = csrf_in(form.text)
        over = await b.post("/console/rating/apply", {
            "csrf": token, "points-0": "25", "evidence-0": "标牌齐全", "points-1": "15",
            "evidence-1": ""})
        assert over.status == 422 and "自评分应在 0 到 20 分之间" in over.text
        assert "标牌齐全" in over.text  # what was typed is kept
        fields = {"csrf": token, "points-0": "17.5", "evidence-0": "标牌齐全，<i>展板</i>更新",
                  "points-1": "", "evidence-1": "汇报材料"}
        check = await b.post("/console/rating/apply", fields)
        assert check.status == 200 and "确认提交申报" in check.text
        assert "17.5/40" in text_of(check.text) and await count(svc, RatingApplication) == 1
        done = await b.post("/console/rating/apply", fields | {"confirm": "1"})
        assert done.status == 303
        shown = await b.get(done.headers["Location"])
        assert shown.status == 200 and "申报已提交" in shown.text
        assert "标牌齐全，<i>展板</i>更新" in text_of(shown.text)
        assert "&lt;i&gt;" in shown.text  # shown as typed, never as markup
        again = await b.get("/console/rating/apply")
        assert "不能重复申报" in again.text
        async with svc.db.transaction() as session:
            app = (await session.scalars(select(RatingApplication).where(
                RatingApplication.studio_id == known[LI]))).one()
            known["li_app"] = app.id
        assert ("rating.apply", known[LI]) in await audit_actions(svc)
    finally:
        await b.close()


# -- the experts ---------------------------------------------------------------------------


async def test_an_expert_signs_in_and_sees_only_the_review_pages(svc: Service) -> None:
    reply = await svc.text("o-c2", "后台") or ""
    found = re.search(r"(http://\S+)", reply)
    assert found is not None
    b = Browser(svc)
    try:
        home = await b.sign_in(found.group(1).removeprefix(
            svc.settings.workshop_bot_public_url or ""))
        # Signed in, the console's front page sends an expert on to their rounds.
        assert home.status == 200 and home.url.endswith("/console/review")
        assert ROUND in home.text and "评审专家" in home.text
        assert "共 2 份申报，您已评 0/4 项" in home.text
        nav = re.findall(r'<nav class="main".*?</nav>', home.text, re.S)[0]
        assert "评审" in nav and "总览" not in nav and "工作室" not in nav
        own_studio = known["陈秀英焊接技能大师工作室"]
        for path in ("/studios", f"/studios/{own_studio}", "/audit", "/rating",
                     f"/rating/rounds/{known['round']}",
                     f"/rating/applications/{known['wang_app']}", "/rating/apply",
                     "/suggestions/1/decide?decision=accept"):
            assert (await b.get("/console" + path)).status == 404, path
        # 退出 is theirs, as it is everyone's.
        assert (await b.get("/console/logout")).status == 200
    finally:
        await b.close()


async def test_an_expert_scores_an_item(svc: Service) -> None:
    b = await signed_in(svc, "C3002")
    try:
        listing = await b.get(f"/console/review/rounds/{known['round']}")
        assert WANG in listing.text and LI in listing.text and "已评 0/4 项" in listing.text
        path = f"/console/review/rounds/{known['round']}/applications/{known['wang_app']}"
        page = await b.get(path)
        assert page.status == 200
        shown = text_of(page.text)
        assert "门口悬挂统一标牌，室内有<b>成果</b>展示" in shown  # the evidence, as typed
        # The photo is a link to WeChat's copy: nothing is loaded from elsewhere.
        assert 'href="http://mmbiz.qpic.cn/MEDIA-A1.jpg"' in page.text and "<img" not in page.text
        assert "B1 周报提交率" in shown and "自动计分项（申报时固定）" in shown
        status, after = await score(b, path + "/items/A1", "18", "材料齐全")
        assert status == 303 and after == path + "?done=A1#item-A1"
        mine = await b.get(after)
        assert "A1 的评分已保存" in mine.text and "我的评分：18 分" in mine.text
        assert "材料齐全" in mine.text
        async with svc.db.transaction() as session:
            [(points, comment)] = (await session.execute(
                select(RatingScore.points, RatingScore.comment))).all()
        assert (points, comment) == (18, "材料齐全")
        # The trail keeps it with no studio: a leader's view of it does not show scores.
        assert ("rating.score", None) in await audit_actions(svc)
        # A score given again replaces the expert's own.
        for points_ in ("19", "20"):
            assert (await score(b, path + "/items/A2", points_))[0] == 303
        assert await count(svc, RatingScore) == 2
        li = f"/console/review/rounds/{known['round']}/applications/{known['li_app']}"
        for code, points_ in (("A1", "15"), ("A2", "12")):
            assert (await score(b, li + f"/items/{code}", points_, "可"))[0] == 303
    finally:
        await b.close()


async def test_a_score_over_the_items_points_is_refused_and_nothing_is_stored(
        svc: Service) -> None:
    b = await signed_in(svc, "C3003")
    try:
        path = (f"/console/review/rounds/{known['round']}/applications/{known['wang_app']}"
                "/items/A2")
        before = await count(svc, RatingScore)
        status, page = await score(b, path, "25", "很好")
        assert status == 422 and "25 分超过了本项的分值：评分应在 0 到 20 分之间" in page
        assert 'value="25"' in page and "很好" in page  # shown again to correct
        status, page = await score(b, path, "很多", "")
        assert status == 422 and "请填写 0 到 20 之间的分数" in page
        forged = await b.post(path, {"points": "5", "comment": ""})
        assert forged.status == 403
        unknown = await b.post(path.replace("/A2", "/B1"), {
            "csrf": await b.csrf(), "points": "5"})
        assert unknown.status == 404  # an automatic item is no expert's to score
        assert await count(svc, RatingScore) == before
    finally:
        await b.close()


async def test_a_second_expert_does_not_see_the_firsts_scores(svc: Service) -> None:
    b = await signed_in(svc, "C3003")
    try:
        path = f"/console/review/rounds/{known['round']}/applications/{known['wang_app']}"
        page = await b.get(path)
        assert page.status == 200
        assert "材料齐全" not in page.text and "周杰" not in page.text
        assert "我的评分" not in page.text
        for code, points in (("A1", "16"), ("A2", "18")):
            assert (await score(b, f"{path}/items/{code}", points, "标牌规范"))[0] == 303
        li = f"/console/review/rounds/{known['round']}/applications/{known['li_app']}"
        for code, points in (("A1", "13"), ("A2", "14")):
            assert (await score(b, f"{li}/items/{code}", points))[0] == 303
        listing = await b.get(f"/console/review/rounds/{known['round']}")
        assert "已评 4/4 项" in listing.text
    finally:
        await b.close()


async def test_a_leader_of_another_studio_sees_no_application(svc: Service) -> None:
    other = await signed_in(svc, "H2001")
    own = await signed_in(svc, "W1001")
    try:
        path = f"/console/rating/applications/{known['wang_app']}"
        assert (await other.get(path)).status == 404
        assert (await other.get(f"/console/rating/applications/{known['wang_app'] + 99}")
                ).status == 404
        assert (await other.get(f"/console/review/rounds/{known['round']}")).status == 404
        assert (await other.get(f"/console/rating/rounds/{known['round']}")).status == 404
        mine = await own.get(path)
        assert mine.status == 200 and "门口悬挂统一标牌" in text_of(mine.text)
        # The experts' scores and comments are not the studio's to read.
        assert "材料齐全" not in mine.text and "周杰" not in mine.text
        assert "标牌规范" not in mine.text
        # Nor in its audit trail.
        assert "rating.score" not in (await own.get("/console/audit")).text
        assert "专家评分" not in text_of((await own.get("/console/audit")).text)
    finally:
        await other.close()
        await own.close()


# -- the office ------------------------------------------------------------------------------


async def test_the_admins_sheet_has_the_total_mean_and_spread(svc: Service) -> None:
    b = await signed_in(svc, "A0001")
    try:
        rounds = await b.get("/console/rating")
        assert ROUND in rounds.text and "申报评审中" in rounds.text
        page = await b.get(f"/console/rating/rounds/{known['round']}")
        assert page.status == 200
        shown = " ".join(text_of(page.text).split())
        # A1: 18 and 16 (mean 17), A2: 20 and 18 (19): 36 on top of the 46 frozen points.
        assert "总分 82（自动 46 + 专家均分 36）→ 二星★★ 评定星级 现为无星级" in shown
        assert "A1 标志明显 （20 分） 18 17 16—18（2 人）" in shown
        assert "A2 现场答辩 （20 分） 16 19 18—20（2 人）" in shown
        assert "各专家评分合计相差 4 分" in shown  # 周杰 38, 吴磊 34
        assert "周杰（已评 4/4）" in shown and "吴磊（已评 4/4）" in shown
        detail = await b.get(f"/console/rating/applications/{known['wang_app']}")
        assert "材料齐全" in detail.text and "标牌规范" in detail.text
    finally:
        await b.close()


async def test_publish_and_finalise_from_the_console_queue_the_pushes(svc: Service) -> None:
    svc.clock.now = at(27)
    b = await signed_in(svc, "A0001")
    expert = await signed_in(svc, "C3002")
    try:
        publish = f"/console/rating/rounds/{known['round']}/publish"
        confirm = await b.get(publish)
        assert confirm.status == 200 and "将公示 2 家工作室的拟评结果" in text_of(confirm.text)
        assert await count(svc, OutboxMessage) == 0  # the confirm page does nothing
        token = csrf_in(confirm.text)
        bad = await b.post(publish, {"csrf": token, "days": "0"})
        assert bad.status == 422 and "公示天数应为 1 到 60 天" in bad.text
        done = await b.post(publish, {"csrf": token, "days": "3"})
        assert done.status == 303
        shown = await b.get(done.headers["Location"])
        assert "已公示" in shown.text and "异议受理至 11月30日 24:00" in shown.text
        # The CLI's words, to every leader a push reaches (王建国, 李红, 陈秀英), once.
        told = [t for t in await inbox(svc, "W1001") if "星级评定公示" in t]
        assert len(told) == 1 and f"本工作室（{WANG}）总分" in told[0]
        assert await count(svc, OutboxMessage,
                           OutboxMessage.kind == "rating-publicity") == 3
        assert (await b.post(publish, {"csrf": token, "days": "3"})).status == 409
        # Scoring is over: each expert sees the others', and scores no more.
        path = f"/console/review/rounds/{known['round']}/applications/{known['wang_app']}"
        closed = await expert.get(path)
        assert "吴磊：16 分" in closed.text and "标牌规范" in closed.text
        assert 'name="points"' not in closed.text
        status, _page = await score(expert, path + "/items/A1", "5")
        assert status == 409
        # An objection in the chat shows on the round's page.
        assert "已记录" in (await svc.text("o-h2", "异议 王建国 成果数量与台帐不符") or "")
        objections = await b.get(f"/console/rating/rounds/{known['round']}")
        assert "成果数量与台帐不符" in objections.text and "赵六（工号 H2002）" in objections.text
        # The decision waits for the end of the 公示.
        finalise = f"/console/rating/rounds/{known['round']}/finalise"
        early = await b.post(finalise, {"csrf": token})
        assert early.status == 409 and "公示期至 11月30日 24:00" in early.text
        assert await count(svc, OutboxMessage, OutboxMessage.kind == "rating-result") == 0
        svc.clock.now = at(1, month=12)
        # Days later: signed in afresh (a session ends after 12 idle hours).
        await b.close()
        await expert.close()
        b, expert = await signed_in(svc, "A0001"), await signed_in(svc, "C3002")
        token = await b.csrf()
        check = await b.get(finalise)
        assert "确认评定" in check.text and "无星级 → 二星★★" in text_of(check.text)
        done = await b.post(finalise, {"csrf": token})
        assert done.status == 303 and "星级已确定" in (await b.get(done.headers["Location"])).text
        result = [t for t in await inbox(svc, "W1001") if t.startswith("【星级评定】")]
        assert len(result) == 1 and f"{WANG}评为二星★★" in result[0]
        assert await count(svc, OutboxMessage, OutboxMessage.kind == "rating-result") == 2
        actions = [a for a, _s in await audit_actions(svc)]
        assert "rating.publish" in actions and "rating.finalise" in actions
        # Its round finalised, the expert is an expert no more: the session ends, 后台 refuses.
        assert (await expert.get("/console/review")).status == 401
        assert "仅限" in (await svc.text("o-c2", "后台") or "")
    finally:
        await b.close()
        await expert.close()
