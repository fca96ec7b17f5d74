"""The WeChat API client against the fake WeChat API server, with failures injected."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.wechat_api import WeChatAPI, WeChatAPIError
from tests.fakes import FakeWeChatAPI
from tests.support import FakeClock

SEND = "/cgi-bin/message/custom/send"


@pytest.fixture
async def api(fake_api: FakeWeChatAPI) -> AsyncIterator[WeChatAPI]:
    fake_api.calls.clear()
    fake_api.scripted.clear()
    fake_api.missing.clear()
    client = WeChatAPI(fake_api.base_url, "wxapp", "secret", clock=FakeClock(),
                       retry_delays=(0, 0))
    yield client
    await client.close()


async def test_one_token_for_many_concurrent_calls(api: WeChatAPI, fake_api: FakeWeChatAPI) -> None:
    await asyncio.gather(*(api.send_text(f"o{i}", "你好") for i in range(10)))
    assert len(fake_api.calls_to("/cgi-bin/stable_token")) == 1
    assert len(fake_api.calls_to(SEND)) == 10
    assert fake_api.calls_to("/cgi-bin/stable_token")[0].body == {
        "grant_type": "client_credential", "appid": "wxapp", "secret": "secret",
        "force_refresh": False}


async def test_expired_token_is_refreshed_once_mid_run(api: WeChatAPI,
                                                       fake_api: FakeWeChatAPI) -> None:
    await api.send_text("o1", "一")
    fake_api.script(SEND, {"errcode": 42001, "errmsg": "access_token expired"})
    await api.send_text("o2", "二")
    tokens = fake_api.calls_to("/cgi-bin/stable_token")
    assert len(tokens) == 2 and tokens[1].body["force_refresh"] is True
    sends = fake_api.calls_to(SEND)
    assert [c.body["touser"] for c in sends] == ["o1", "o2", "o2"]
    assert sends[1].query["access_token"] != sends[2].query["access_token"]


async def test_busy_is_retried_then_succeeds(api: WeChatAPI, fake_api: FakeWeChatAPI) -> None:
    fake_api.script(SEND, {"errcode": -1, "errmsg": "system busy"},
                    {"errcode": -1, "errmsg": "system busy"})
    await api.send_text("o1", "再试")
    assert len(fake_api.calls_to(SEND)) == 3


async def test_busy_three_times_gives_up_as_retryable(api: WeChatAPI,
                                                      fake_api: FakeWeChatAPI) -> None:
    fake_api.script(SEND, *[{"errcode": -1, "errmsg": "system busy"}] * 3)
    with pytest.raises(WeChatAPIError) as err:
        await api.send_text("o1", "放弃")
    assert err.value.kind == "retry"


@pytest.mark.parametrize(("errcode", "kind"), [(45015, "switch_channel"), (45047, "switch_channel"),
                                               (43004, "permanent"), (40003, "permanent"),
                                               (45009, "permanent")])
async def test_errors_are_classified_and_not_retried(api: WeChatAPI, fake_api: FakeWeChatAPI,
                                                     errcode: int, kind: str) -> None:
    fake_api.script(SEND, {"errcode": errcode, "errmsg": "no"})
    with pytest.raises(WeChatAPIError) as err:
        await api.send_text("o1", "不行")
    assert err.value.kind == kind and err.value.errcode == errcode
    assert len(fake_api.calls_to(SEND)) == 1


async def test_falls_back_to_the_plain_token_endpoint(api: WeChatAPI,
                                                      fake_api: FakeWeChatAPI) -> None:
    fake_api.missing.add("/cgi-bin/stable_token")
    await api.send_text("o1", "旧接口")
    [call] = fake_api.calls_to("/cgi-bin/token")
    assert call.query == {"grant_type": "client_credential", "appid": "wxapp",
                          "secret": "secret"}


async def test_template_menu_and_media(api: WeChatAPI, fake_api: FakeWeChatAPI) -> None:
    msgid = await api.send_template("o1", "TPL1", {"thing1": "本周周报", "time2": "周五 16:00"},
                                    url="https://example.org/log")
    assert msgid == "200228332"
    [call] = fake_api.calls_to("/cgi-bin/message/template/send")
    assert call.body == {"touser": "o1", "template_id": "TPL1", "url": "https://example.org/log",
                         "data": {"thing1": {"value": "本周周报"},
                                  "time2": {"value": "周五 16:00"}}}
    await api.create_menu({"button": [{"type": "click", "name": "周报", "key": "CMD_LOG"}]})
    assert fake_api.calls_to("/cgi-bin/menu/create")[0].body["button"][0]["key"] == "CMD_LOG"
    assert await api.upload_media("image", "slip.png", b"\x89PNG...") == "MEDIA1"
    upload = fake_api.calls_to("/cgi-bin/media/upload")[0]
    assert upload.query["type"] == "image" and upload.body == {"media": "slip.png"}


async def test_rate_limiter_spaces_call_starts() -> None:
    from bot.wechat_api import RateLimiter

    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(round(seconds, 3))

    limiter = RateLimiter(4, monotonic=lambda: now[0], sleep=sleep)
    for _ in range(4):
        await limiter.wait()
    assert slept == [0.25, 0.5, 0.75]  # the first starts at once, then every 1/4 s
    now[0] += 2.0  # idle for a while: no debt carried over
    await limiter.wait()
    assert slept == [0.25, 0.5, 0.75]
    unlimited = RateLimiter(0, monotonic=lambda: now[0], sleep=sleep)
    await unlimited.wait()
    assert len(slept) == 3
