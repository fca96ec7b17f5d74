"""The web console over plain HTTP: signing in with one-time links, sessions, CSRF, the
security headers, who sees what (a leader's every URL into another studio is a 404),
decisions and topic edits through the chat's own rules, the audit trail. On SQLite and
PostgreSQL."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from yarl import URL

from bot.config import Settings
from ops.console import login_link, sessions_list, sessions_revoke
from storage.models import (
    Achievement,
    AuditEntry,
    ConsoleLink,
    ConsoleSession,
    Studio,
    Suggestion,
    Topic,
)
from tests.console_helpers import LOGIN, Browser, csrf_in, login_path
from tests.support import Service, inbox, number_in, roster_fixture

ROSTER = """studio,name,employee_no,role,mentor_employee_no,phone
焊接创新工作室,王建国,L1,leader,,
焊接创新工作室,<script>alert(1)</script>,M1,member,L1,
焊接创新工作室,{{7*7}},M2,member,,
<b>机加</b>创新工作室,' OR 1=1,L2,leader,,
<b>机加</b>创新工作室,李四,M3,member,,
,管理员,A1,admin,,
"""
OPENIDS = {"L1": "o-l1", "M1": "o-m1", "M2": "o-m2", "L2": "o-l2", "M3": "o-m3", "A1": "o-a1"}
# Friday 20 November 2026, 16:00 in Shanghai.
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)

svc = roster_fixture(ROSTER, OPENIDS, NOW)


@contextlib.contextmanager
def later(service: Service, **delta: float) -> Iterator[None]:
    """The clock moved on for a while (the module's tests share it)."""
    service.clock.advance(**delta)
    try:
        yield
    finally:
        service.clock.now -= timedelta(**delta)


@pytest.fixture(scope="module")
async def world(svc: Service) -> dict[str, int]:
    """Records in both studios, made through the chat, and the studios' ids."""
    svc.settings.workshop_bot_public_url = str(svc.client.make_url("")).rstrip("/")
    mine = number_in(await svc.text("o-m1", "建议 焊机加装防护罩") or "")
    theirs = number_in(await svc.text("o-m3", "建议 机床换新导轨") or "")
    theirs_result = number_in(await svc.text("o-m3", "成果 专利 一种快换刀架") or "")
    mine_result = number_in(await svc.text("o-m1", "成果 专利 一种焊接夹具") or "")
    await svc.text("o-l2", "进展 刀具寿命 开题 10%")
    await svc.text("o-l2", "是")
    await svc.text("o-l1", "进展 焊缝检测 开题 10%")
    await svc.text("o-l1", "是")
    async with svc.db.transaction() as session:
        studios = {name: sid for sid, name in (await session.execute(
            select(Studio.id, Studio.name))).all()}
        topics = {title: tid for tid, title in (await session.execute(
            select(Topic.id, Topic.title))).all()}
    return {"mine": mine, "theirs": theirs, "mine_result": mine_result,
            "theirs_result": theirs_result, "studio": studios["焊接创新工作室"],
            "other": studios["<b>机加</b>创新工作室"], "topic": topics["焊缝检测"],
            "their_topic": topics["刀具寿命"]}


@pytest.fixture
async def browser(svc: Service) -> AsyncIterator[Browser]:
    b = Browser(svc)
    yield b
    await b.close()


async def signed_in(svc: Service, employee_no: str) -> Browser:
    b = Browser(svc)
    await b.sign_in(await login_path(svc, employee_no))
    return b


# -- signing in ---------------------------------------------------------------------------


async def test_a_leader_gets_a_link_in_wechat_that_works_once(svc: Service, world: dict[str, int],
                                                              browser: Browser) -> None:
    reply = await svc.text("o-l1", "后台") or ""
    assert "10 分钟内有效" in reply and "只能使用一次" in reply
    url = re.search(r"(http://\S+)", reply)
    assert url is not None and url.group(1).startswith(svc.settings.workshop_bot_public_url or "?")
    path = url.group(1).removeprefix(svc.settings.workshop_bot_public_url or "")
    assert path.startswith(LOGIN)
    # Opening it only shows the button: a link checker fetching it uses nothing up.
    first = await browser.get(path)
    again = await browser.get(path)
    assert first.status == again.status == 200 and "进入后台" in again.text
    done = await browser.post(path, {"csrf": csrf_in(again.text)})
    assert done.status == 303 and done.headers["Location"] == "/console/"
    cookie = done.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/console/" in cookie
    assert "Secure" not in cookie  # the public address is http here
    home = await browser.get("/console/")
    assert home.status == 200 and "焊接创新工作室" in home.text
    # Used: a second browser opening it is told so, politely, with how to get another.
    other = Browser(svc)
    try:
        used = await other.get(path)
        assert used.status == 410 and "已经用过" in used.text and "发送“后台”" in used.text
    finally:
        await other.close()


async def test_members_get_no_link_and_cannot_sign_in(svc: Service, world: dict[str, int],
                                                      browser: Browser) -> None:
    refused = await svc.text("o-m1", "后台") or ""
    assert "仅限" in refused and "领衔人" in refused and "http" not in refused
    english = await svc.text("o-m2", "语言 English")
    assert english is not None
    assert "only" in (await svc.text("o-m2", "console") or "")
    await svc.text("o-m2", "语言 简体中文")
    from domain import NotAllowed

    with pytest.raises(NotAllowed):
        await login_path(svc, "M1")


async def test_expired_unknown_and_foreign_links_say_so(svc: Service, world: dict[str, int],
                                                        browser: Browser) -> None:
    path = await login_path(svc, "L1")
    with later(svc, minutes=10, seconds=1):
        expired = await browser.get(path)
        assert expired.status == 410 and "已过期" in expired.text and "10 分钟" in expired.text
    unknown = await browser.get(LOGIN + "not-a-real-token")
    assert unknown.status == 404 and "链接无效" in unknown.text
    cut_short = await browser.get(path[:-5])
    assert cut_short.status == 404
    # The link still works within its ten minutes; its button needs the page's own token.
    page = await browser.get(path)
    forged = await browser.post(path, {"csrf": "guessed"})
    assert forged.status == 403
    assert (await browser.post(path, {"csrf": csrf_in(page.text)})).status == 303


async def test_not_set_up_outside_trial_mode(svc: Service, world: dict[str, int],
                                             caplog: pytest.LogCaptureFixture) -> None:
    public = svc.settings.workshop_bot_public_url
    svc.settings.workshop_bot_public_url = None
    try:
        with caplog.at_level(logging.WARNING):
            reply = await svc.text("o-a1", "后台") or ""
        assert "还没有开通" in reply and "http" not in reply
        assert "WORKSHOP_BOT_PUBLIC_URL" in caplog.text
    finally:
        svc.settings.workshop_bot_public_url = public


def test_trial_mode_links_point_at_the_local_address(tmp_path: Path) -> None:
    trial = Settings(wechat_token=None, workshop_bot_var_dir=tmp_path, workshop_bot_port=8123)
    assert trial.console_base_url is None
    assert trial.ensure_token()
    assert trial.console_base_url == "http://127.0.0.1:8123"
    public = Settings(wechat_token="t", workshop_bot_public_url="https://bot.example.org/")
    assert public.console_base_url == "https://bot.example.org" and public.secure_cookies
    assert not Settings(wechat_token="t").secure_cookies


async def test_the_cookie_is_secure_behind_https(svc: Service, world: dict[str, int],
                                                 browser: Browser) -> None:
    public = svc.settings.workshop_bot_public_url
    svc.settings.workshop_bot_public_url = "https://bot.example.org"
    try:
        path = await login_path(svc, "L1")
        page = await browser.get(path)
        assert "Secure" in page.headers["Set-Cookie"]
        # The browser would send the Secure cookie over https only: sent here by hand.
        form_token = csrf_in(page.text)
        done = await svc.client.post(path, data={"csrf": form_token}, allow_redirects=False,
                                     headers={"Cookie": f"wb_console_login={form_token}"})
        assert done.status == 303 and "Secure" in done.headers["Set-Cookie"]
    finally:
        svc.settings.workshop_bot_public_url = public


async def test_login_link_prints_the_link(svc: Service, world: dict[str, int],
                                          capsys: pytest.CaptureFixture[str],
                                          browser: Browser) -> None:
    assert await login_link(svc.settings, "a1", svc.clock.now) == 0
    printed = capsys.readouterr()
    link = printed.out.strip().splitlines()[-1]
    assert link.startswith(f"{svc.settings.workshop_bot_public_url}{LOGIN}")
    assert "管理员" in printed.err and "10 分钟" in printed.err
    home = await browser.sign_in(link.removeprefix(svc.settings.workshop_bot_public_url or ""))
    assert "测试市总工会" in home.text
    assert await login_link(svc.settings, "M1", svc.clock.now) == 1
    assert await login_link(svc.settings, "NOBODY", svc.clock.now) == 1
    assert "不是工会管理员或工作室领衔人" in capsys.readouterr().err


def test_without_a_public_url_the_link_names_the_port_serve_runs_on(tmp_path: Path) -> None:
    """Regression: `serve --port 8099` in trial mode, then `login-link` printed a link on
    the configured port (8080), where nothing listened."""
    from ops.chat import SERVE_URL_FILE
    from ops.console import login_url

    settings = Settings(wechat_token="t", workshop_bot_var_dir=tmp_path)
    assert login_url(settings, "tok") == f"http://127.0.0.1:8080{LOGIN}tok"
    (tmp_path / SERVE_URL_FILE).write_text("http://127.0.0.1:8099/wechat\n", encoding="utf-8")
    assert login_url(settings, "tok") == f"http://127.0.0.1:8099{LOGIN}tok"
    public = settings.model_copy(update={"workshop_bot_public_url": "https://bot.example.org"})
    assert login_url(public, "tok") == f"https://bot.example.org{LOGIN}tok"


async def test_tokens_are_stored_only_as_hashes(svc: Service, world: dict[str, int],
                                                browser: Browser) -> None:
    path = await login_path(svc, "L1")
    await browser.sign_in(path)
    token, cookie = path.removeprefix(LOGIN), browser.cookie("wb_console")
    assert cookie
    async with svc.db.transaction() as session:
        stored = [*(await session.scalars(select(ConsoleLink.token_hash))).all(),
                  *(await session.scalars(select(ConsoleSession.token_hash))).all()]
    assert stored and all(len(h) == 64 for h in stored)
    assert token not in stored and cookie not in stored


# -- sessions -----------------------------------------------------------------------------


async def test_a_new_session_at_every_sign_in_and_the_old_one_ends(
        svc: Service, world: dict[str, int], browser: Browser) -> None:
    await browser.sign_in(await login_path(svc, "L1"))
    before = browser.cookie("wb_console")
    await browser.sign_in(await login_path(svc, "L1"))
    after = browser.cookie("wb_console")
    assert before and after and before != after
    stale = Browser(svc)
    try:
        stale.http.cookie_jar.update_cookies({"wb_console": before},
                                             response_url=URL(stale.base))
        assert (await stale.get("/console/")).status == 401
    finally:
        await stale.close()


async def test_twelve_idle_hours_end_a_session(svc: Service, world: dict[str, int],
                                               browser: Browser) -> None:
    await browser.sign_in(await login_path(svc, "L1"))
    with later(svc, hours=11, minutes=59):
        assert (await browser.get("/console/")).status == 200  # and it counts as a visit
        with later(svc, hours=11, minutes=59):
            assert (await browser.get("/console/")).status == 200
    # Twelve hours after the last of those visits (at 23:58) it is over.
    with later(svc, hours=35, minutes=58):
        page = await browser.get("/console/")
        assert page.status == 401 and "发送“后台”" in page.text


async def test_signing_out_ends_the_session(svc: Service, world: dict[str, int],
                                            browser: Browser) -> None:
    home = await browser.sign_in(await login_path(svc, "L1"))
    assert (await browser.get("/console/logout")).status == 200  # the confirm page
    done = await browser.post("/console/logout", {"csrf": csrf_in(home.text)})
    assert done.status == 303 and done.headers["Location"] == "/console/signed-out"
    assert "已退出" in (await browser.get("/console/signed-out")).text
    assert (await browser.get("/console/")).status == 401


async def test_a_session_ends_when_its_member_may_no_longer_use_the_console(
        svc: Service, world: dict[str, int], browser: Browser) -> None:
    from sqlalchemy import update

    from storage.models import Member

    await browser.sign_in(await login_path(svc, "L2"))
    async with svc.db.transaction() as session:
        await session.execute(update(Member).where(Member.employee_no == "L2")
                              .values(role="member"))
    try:
        assert (await browser.get("/console/")).status == 401
    finally:
        async with svc.db.transaction() as session:
            await session.execute(update(Member).where(Member.employee_no == "L2")
                                  .values(role="leader"))
    # Back as a leader, the same session holds again (it was not ended, only refused).
    assert (await browser.get("/console/")).status == 200


async def test_sessions_list_and_revoke(svc: Service, world: dict[str, int], browser: Browser,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    await browser.sign_in(await login_path(svc, "L2"))
    capsys.readouterr()
    assert await sessions_list(svc.settings, svc.clock.now, everything=False) == 0
    listed = capsys.readouterr().out
    assert "' OR 1=1 (L2)" in listed and "登录中" in listed
    async with svc.db.transaction() as session:
        newest = await session.scalar(select(ConsoleSession.id).order_by(ConsoleSession.id.desc()))
    assert newest is not None
    assert await sessions_revoke(svc.settings, newest, svc.clock.now) == 0
    assert "已注销会话" in capsys.readouterr().out
    assert (await browser.get("/console/")).status == 401
    assert await sessions_revoke(svc.settings, newest, svc.clock.now) == 1
    assert await sessions_list(svc.settings, svc.clock.now, everything=True) == 0
    assert "已注销" in capsys.readouterr().out


async def test_refused_sign_in_attempts_are_limited_per_address(svc: Service, world: dict[str, int]) -> None:
    prober = Browser(svc, address="198.51.100.7")
    bystander = Browser(svc, address="198.51.100.8")
    try:
        statuses = [(await prober.get(f"{LOGIN}guess{i}")).status for i in range(21)]
        assert statuses[:20] == [404] * 20 and statuses[20] == 429
        # Refused from then on, a good link too; another address is not.
        good = await login_path(svc, "L1")
        assert "尝试太频繁" in (await prober.get(good)).text
        assert (await bystander.get(f"{LOGIN}guess")).status == 404
        with later(svc, minutes=10):
            await prober.sign_in(await login_path(svc, "L1"))
    finally:
        await prober.close()
        await bystander.close()


# -- security ------------------------------------------------------------------------------


async def test_every_response_carries_the_security_headers(svc: Service, world: dict[str, int],
                                                           browser: Browser) -> None:
    pages = [await browser.get(LOGIN + "x"), await browser.get("/console/")]
    await browser.sign_in(await login_path(svc, "A1"))
    pages += [await browser.get(p) for p in ("/console/", "/console/studios", "/console/nope",
                                             f"/console/studios/{world['studio']}")]
    for page in pages:
        csp = page.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert page.headers["X-Frame-Options"] == "DENY"
        assert page.headers["Referrer-Policy"] == "same-origin"
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        assert page.headers["Cache-Control"] == "no-store"
        # Nothing inline for the CSP to forbid: no script at all, no style attribute.
        assert "<script" not in page.text and " style=" not in page.text
    bare = await browser.get("/console", follow=False)
    assert bare.status == 301 and bare.headers["Location"] == "/console/"
    wrong = await browser.post("/console/audit", {"csrf": await browser.csrf()})
    assert wrong.status == 405 and wrong.headers["X-Frame-Options"] == "DENY"
    css = await browser.get(re.findall(r'href="(/console/static/[^"]+)"', pages[-1].text)[0])
    assert css.status == 200 and css.headers["X-Content-Type-Options"] == "nosniff"


async def test_a_post_without_the_csrf_token_is_refused(svc: Service, world: dict[str, int],
                                                        browser: Browser) -> None:
    await browser.sign_in(await login_path(svc, "L1"))
    path = f"/console/suggestions/{world['mine']}/decide"
    for data in ({"decision": "accept"}, {"decision": "accept", "csrf": "0" * 64}):
        refused = await browser.post(path, data)
        assert refused.status == 403 and "操作未被接受" in refused.text
    # Another session's token is no good either.
    other = await signed_in(svc, "L1")
    try:
        assert (await browser.post(path, {"decision": "accept",
                                          "csrf": await other.csrf()})).status == 403
    finally:
        await other.close()
    assert (await browser.post("/console/logout", {})).status == 403
    async with svc.db.transaction() as session:
        suggestion = await session.get(Suggestion, world["mine"])
        assert suggestion is not None and suggestion.status == "submitted"
    assert (await browser.get("/console/")).status == 200  # still signed in


async def test_hostile_names_show_as_typed(svc: Service, world: dict[str, int],
                                           browser: Browser) -> None:
    await browser.sign_in(await login_path(svc, "A1"))
    page = (await browser.get(f"/console/studios/{world['studio']}")).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page
    assert "{{7*7}}" in page and ">49<" not in page
    other = (await browser.get(f"/console/studios/{world['other']}")).text
    assert "&lt;b&gt;机加&lt;/b&gt;创新工作室" in other and "&#39; OR 1=1" in other
    # A search for a quote-laden text finds nothing (it is a name, not SQL).
    found = (await browser.get("/console/studios?q=%27+OR+1%3D1")).text
    assert "没有符合条件的工作室" in found
    assert "&lt;b&gt;机加" in (await browser.get("/console/studios?q=%3Cb%3E")).text


# -- who sees what --------------------------------------------------------------------------


async def test_a_leader_sees_only_their_studio(svc: Service, world: dict[str, int],
                                               browser: Browser) -> None:
    home = await browser.sign_in(await login_path(svc, "L1"))
    assert "焊接创新工作室" in home.text
    assert "&lt;b&gt;机加" not in home.text and "机床换新导轨" not in home.text
    listing = await browser.get("/console/studios", follow=False)
    assert listing.status == 303
    assert listing.headers["Location"] == f"/console/studios/{world['studio']}"
    own = await browser.get(f"/console/studios/{world['studio']}")
    assert own.status == 200 and "焊机加装防护罩" in own.text
    other, sid = world["other"], world["theirs"]
    for path in (f"/console/studios/{other}", f"/console/studios/{other}?week=2026-W46",
                 f"/console/suggestions/{sid}/decide?decision=accept",
                 f"/console/results/{world['theirs_result']}/decide?decision=verify",
                 f"/console/topics/{world['their_topic']}/edit",
                 "/console/studios/0", "/console/studios/abc", "/console/suggestions/x/decide",
                 "/console/studios/99999999999999999999"):
        page = await browser.get(path)
        assert page.status == 404, path
        assert "找不到这个页面" in page.text and "机床换新导轨" not in page.text
    csrf = csrf_in(home.text)
    for path, data in ((f"/console/suggestions/{sid}/decide", {"decision": "accept"}),
                       (f"/console/results/{world['theirs_result']}/decide",
                        {"decision": "verify"}),
                       (f"/console/topics/{world['their_topic']}/edit",
                        {"title": "改名", "status": "paused", "kind": "qc", "confirm": "1"})):
        assert (await browser.post(path, {**data, "csrf": csrf})).status == 404, path
    async with svc.db.transaction() as session:
        theirs = await session.get(Suggestion, sid)
        topic = await session.get(Topic, world["their_topic"])
        assert theirs is not None and theirs.status == "submitted"
        assert topic is not None and topic.title == "刀具寿命"
    # The pages made for admins only are not there for a leader either.
    assert "机床换新导轨" not in (await browser.get("/console/")).text


async def test_the_admin_sees_the_whole_union(svc: Service, world: dict[str, int],
                                              browser: Browser) -> None:
    home = await browser.sign_in(await login_path(svc, "A1"))
    assert "测试市总工会" in home.text and "待提升的工作室" in home.text
    listing = await browser.get("/console/studios?sort=name&order=asc")
    names = re.findall(r'href="/console/studios/\d+\?month=[^"]*">([^<]+)<', listing.text)
    assert names == ["&lt;b&gt;机加&lt;/b&gt;创新工作室", "焊接创新工作室"]
    for path in (f"/console/studios/{world['other']}",
                 f"/console/suggestions/{world['theirs']}/decide?decision=reject"):
        assert (await browser.get(path)).status == 200


# -- actions --------------------------------------------------------------------------------


async def test_a_leader_decides_a_suggestion_as_in_the_chat(svc: Service, world: dict[str, int],
                                                            browser: Browser) -> None:
    await browser.sign_in(await login_path(svc, "L1"))
    path = f"/console/suggestions/{world['mine']}/decide"
    confirm = await browser.get(path + "?decision=accept")
    assert confirm.status == 200 and "焊机加装防护罩" in confirm.text
    assert "确认后状态将改为“已采纳”" in confirm.text and "将收到微信通知" in confirm.text
    before = len(await inbox(svc, "M1"))
    done = await browser.post(path, {"decision": "accept", "said": "下周安装",
                                     "csrf": csrf_in(confirm.text)})
    assert done.status == 303
    assert done.headers["Location"].startswith(f"/console/studios/{world['studio']}?done=decided")
    shown = await browser.get(done.headers["Location"])
    assert "已决定，提出人将收到通知" in shown.text
    pushes = await inbox(svc, "M1")
    assert len(pushes) == before + 1
    assert "已被领衔人王建国标为“已采纳”" in pushes[-1] and "下周安装" in pushes[-1]
    # The same function as the chat's: the chat sees the decision, and refuses it again.
    again = await browser.post(path, {"decision": "accept", "csrf": csrf_in(confirm.text)})
    assert again.status == 409 and "已经是这个状态" in again.text
    async with svc.db.transaction() as session:
        entry = await session.scalar(select(AuditEntry).where(
            AuditEntry.action == "suggestion.accept").order_by(AuditEntry.id.desc()))
        assert entry is not None and entry.subject_id == world["mine"]
        assert entry.before is not None and entry.after is not None
        assert (entry.before["status"], entry.after["status"]) == ("submitted", "accepted")
        assert entry.after["reply"] == "下周安装" and entry.studio_id == world["studio"]
    audit = await browser.get("/console/audit?what=suggestion.accept")
    assert "采纳建议" in audit.text and "王建国" in audit.text and "下周安装" in audit.text


async def test_a_rejection_needs_a_reason_and_a_final_decision_warns(
        svc: Service, world: dict[str, int], browser: Browser) -> None:
    await browser.sign_in(await login_path(svc, "A1"))
    path = f"/console/suggestions/{world['theirs']}/decide"
    csrf = await browser.csrf()
    bare = await browser.post(path, {"decision": "reject", "csrf": csrf})
    assert bare.status == 422 and "请写明原因" in bare.text
    done = await browser.post(path, {"decision": "reject", "said": "成本太高", "csrf": csrf})
    assert done.status == 303
    pushes = await inbox(svc, "M3")
    assert "已被工会管理员管理员标为“未采纳”" in pushes[-1] and "成本太高" in pushes[-1]
    # Undoing it: the confirm page says it changes a final decision, and its button does.
    confirm = await browser.get(path + "?decision=accept")
    assert "已经是“未采纳”" in confirm.text and 'name="final" value="1"' in confirm.text
    unconfirmed = await browser.post(path, {"decision": "accept", "csrf": csrf})
    assert unconfirmed.status == 409 and "最终决定" in unconfirmed.text
    assert (await browser.post(path, {"decision": "accept", "final": "1",
                                      "csrf": csrf})).status == 303
    async with svc.db.transaction() as session:
        suggestion = await session.get(Suggestion, world["theirs"])
        assert suggestion is not None and suggestion.status == "accepted"


async def test_a_result_is_verified_and_returned(svc: Service, world: dict[str, int],
                                                 browser: Browser) -> None:
    await browser.sign_in(await login_path(svc, "L1"))
    path = f"/console/results/{world['mine_result']}/decide"
    csrf = await browser.csrf()
    assert "一种焊接夹具" in (await browser.get(path + "?decision=verify")).text
    assert (await browser.post(path, {"decision": "verify", "csrf": csrf})).status == 303
    assert "标为“已认定”" in (await inbox(svc, "M1"))[-1]
    assert (await browser.post(path, {"decision": "return", "said": "材料不全", "final": "1",
                                      "csrf": csrf})).status == 303
    async with svc.db.transaction() as session:
        result = await session.get(Achievement, world["mine_result"])
        assert result is not None and result.status == "returned" and result.note == "材料不全"
    assert (await browser.get(path + "?decision=nonsense")).status == 404


async def test_a_topic_is_edited_after_a_confirm_step(svc: Service, world: dict[str, int],
                                                      browser: Browser) -> None:
    await browser.sign_in(await login_path(svc, "L1"))
    path = f"/console/topics/{world['topic']}/edit"
    form = await browser.get(path)
    assert form.status == 200 and 'value="焊缝检测"' in form.text
    csrf = csrf_in(form.text)
    wanted = {"title": "焊缝视觉检测", "status": "acceptance", "kind": "qc",
              "monthly_target": "完成样机", "quarterly_target": "", "csrf": csrf}
    preview = await browser.post(path, wanted)
    assert preview.status == 200 and "将做以下修改" in preview.text and "焊缝视觉检测" in preview.text
    async with svc.db.transaction() as session:
        topic = await session.get(Topic, world["topic"])
        assert topic is not None and topic.title == "焊缝检测"  # nothing yet
    done = await browser.post(path, {**wanted, "confirm": "1"})
    assert done.status == 303 and done.headers["Location"].endswith("#topics")
    page = await browser.get(done.headers["Location"])
    assert "课题已更新" in page.text and "焊缝视觉检测" in page.text and "验收" in page.text
    async with svc.db.transaction() as session:
        topic = await session.get(Topic, world["topic"])
        assert topic is not None
        assert (topic.title, topic.status, topic.kind, topic.monthly_target) == (
            "焊缝视觉检测", "acceptance", "qc", "完成样机")
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "topic.update"))
        assert entry is not None and entry.before is not None and entry.after is not None
        assert entry.before["title"] == "焊缝检测" and entry.after["title"] == "焊缝视觉检测"
    # The chat's rules hold: the name is taken, or too long.
    await svc.text("o-l1", "进展 智能点检 开题")
    await svc.text("o-l1", "是")
    taken = await browser.post(path, {**wanted, "title": "智能点检", "confirm": "1"})
    assert taken.status == 409 and "已有同名课题" in taken.text
    assert (await browser.post(path, {**wanted, "title": "长" * 41})).status == 422
    assert (await browser.post(path, {**wanted, "confirm": "1"})).status == 422  # unchanged
    # The chat sees the new name and status.
    assert "验收" in (await svc.text("o-l1", "进展 焊缝视觉检测") or "")


async def test_the_audit_page_filters_and_a_leader_sees_their_studio(
        svc: Service, world: dict[str, int], browser: Browser) -> None:
    await browser.sign_in(await login_path(svc, "A1"))
    everything = (await browser.get("/console/audit")).text
    assert "登录" in everything and "不采纳建议" in everything
    narrowed = await browser.get("/console/audit?what=topic.update&since=2026-11-20"
                                 "&until=2026-11-20")
    assert "修改课题" in narrowed.text and "不采纳建议" not in narrowed.text.split("<table")[-1]
    none = await browser.get("/console/audit?since=2026-11-21")
    assert "没有符合条件的记录" in none.text
    leader = await signed_in(svc, "L2")
    try:
        theirs = (await leader.get("/console/audit")).text.split("<table")[-1]
        assert "&#39; OR 1=1" in theirs and "王建国" not in theirs
    finally:
        await leader.close()


async def test_overview_figures_are_the_chats(svc: Service, world: dict[str, int],
                                              browser: Browser) -> None:
    """The same function as 统计: the numbers on 总览 are those of the reply."""
    home = await browser.sign_in(await login_path(svc, "A1"))
    figures = dict(re.findall(r'data-figure="(\w+)">\s*<span class="label">[^<]*</span>\s*'
                              r'<span class="value">([^<]*)</span>', home.text))
    stats = await svc.text("o-a1", "统计") or ""
    logs = re.search(r"已交 (\d+)/(\d+) 份", stats)
    assert logs is not None and figures["logs"] == f"{logs.group(1)}/{logs.group(2)}"
    suggestions = re.search(r"合理化建议：(\d+) 条", stats)
    assert suggestions is not None and figures["suggestions"] == suggestions.group(1)
    results = re.search(r"新成果：(\d+) 项", stats)
    assert results is not None and figures["results"] == results.group(1)
    assert figures["studios"] == re.search(r"(\d+) 个工作室", stats).group(1)  # type: ignore[union-attr]
