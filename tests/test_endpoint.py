"""The /wechat endpoint over real HTTP: verification, the three modes, every rejection."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.simulator import Delivery, WeChatSide, message_xml, sign, text_xml
from storage.models import InboundMessage
from tests.fakes import FakeWeChatAPI
from tests.support import Service, make_settings, start_service

# WeChat's official sample messages, copied verbatim (tests/samples/wechat/README.md).
SAMPLES = Path(__file__).resolve().parent / "samples" / "wechat"


def sample(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def sample_json(name: str) -> dict[str, object]:
    return json.loads(sample(name))


@pytest.fixture(scope="module")
async def svc(database_url: str, var_dir: Path, fake_api: FakeWeChatAPI) -> AsyncIterator[Service]:
    settings = make_settings(database_url, str(var_dir), api_base=str(fake_api.server.make_url("")))
    service = await start_service(settings)
    yield service
    await service.client.close()


async def inbound_count(svc: Service) -> int:
    await svc.dispatcher.writer.flush()
    async with svc.db.transaction() as session:
        return int((await session.execute(select(func.count(InboundMessage.id)))).scalar_one())


# -- GET verification ---------------------------------------------------------------------

async def test_get_echoes_echostr_when_signed(svc: Service) -> None:
    resp = await svc.client.get("/wechat", params=svc.side.verify_query(svc.clock.ts, "5927782"))
    assert resp.status == 200
    assert await resp.text() == "5927782"


async def test_get_with_bad_signature_is_refused(svc: Service) -> None:
    query = svc.side.verify_query(svc.clock.ts, "x")
    query["signature"] = "0" * 40
    resp = await svc.client.get("/wechat", params=query)
    assert resp.status == 403
    assert "x" != await resp.text()


async def test_official_plain_signature_vector_verifies(database_url: str, var_dir: Path) -> None:
    vec = sample_json("plain_signature_sample.json")
    from datetime import UTC, datetime

    from tests.support import FakeClock

    clock = FakeClock(datetime.fromtimestamp(int(str(vec["timestamp"])), UTC))
    settings = make_settings(database_url, str(var_dir), token=str(vec["token"]))
    service = await start_service(settings, clock=clock)
    try:
        resp = await service.client.get("/wechat", params={
            "signature": vec["signature"], "timestamp": vec["timestamp"],
            "nonce": vec["nonce"], "echostr": "hello"})
        assert resp.status == 200 and await resp.text() == "hello"
    finally:
        await service.client.close()


# -- the three modes ----------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["plain", "compatible", "safe"])
async def test_help_in_every_mode_is_answered_in_kind(svc: Service, mode: str) -> None:
    xml = text_xml(f"o-mode-{mode}", "帮助", msg_id=100 + len(mode), create_time=svc.clock.ts)
    resp = await svc.post(svc.side.deliver(xml, timestamp=svc.clock.ts, mode=mode))
    assert resp.status == 200
    body = await resp.text()
    assert ("<Encrypt>" in body) == (mode != "plain")
    reply = svc.side.read_reply(body)
    assert reply is not None
    assert reply["MsgType"] == "text"
    assert reply["ToUserName"] == f"o-mode-{mode}"
    assert "绑定" in reply["Content"]
    assert int(reply["CreateTime"]) == svc.clock.ts


@pytest.mark.parametrize("name", [
    "plain_text.xml", "plain_image.xml", "plain_voice.xml", "plain_voice_recognition.xml",
    "plain_video.xml", "plain_shortvideo.xml", "plain_location.xml", "plain_link.xml",
    "event_subscribe.xml", "event_unsubscribe.xml", "event_subscribe_qrscene.xml",
    "event_scan.xml", "event_click.xml", "event_view.xml", "event_location.xml",
    "event_templatesendjobfinish_success.xml", "event_templatesendjobfinish_failed_system.xml",
    "event_subscribe_msg_popup.xml", "event_subscribe_msg_change.xml",
    "event_subscribe_msg_sent.xml",
])
async def test_every_official_sample_gets_a_harmless_answer(svc: Service, name: str) -> None:
    openid = "o-sample-" + name.split(".")[0]
    xml = sample(name).replace("[CDATA[FromUser]]", f"[CDATA[{openid}]]")
    xml = xml.replace("[CDATA[fromUser]]", f"[CDATA[{openid}]]")
    for mode in ("plain", "safe"):
        resp = await svc.post(svc.side.deliver(xml, timestamp=svc.clock.ts, mode=mode))
        assert resp.status == 200
        reply = svc.side.read_reply(await resp.text())
        if name.startswith("event_") and name not in ("event_subscribe.xml",
                                                      "event_subscribe_qrscene.xml",
                                                      "event_click.xml"):
            assert reply is None  # `success`: nothing to say to a VIEW, a LOCATION…
        else:
            assert reply is not None and reply["Content"]
    if name == "plain_voice_recognition.xml":
        assert "Meow" in reply["Content"]  # the recognised text was treated as text
    if name == "plain_voice.xml":
        assert "语音" in reply["Content"]


async def test_official_encrypted_samples_decrypt_once_resigned(
    database_url: str, var_dir: Path
) -> None:
    for name, mode in [("encrypted_official_cpp_sample.json", "safe"),
                       ("encrypted_official_python_sample.json", "compatible")]:
        vec = sample_json(name)
        settings = make_settings(database_url, str(var_dir), token=str(vec["token"]),
                                 aes_key=str(vec["encoding_aes_key"]), app_id=str(vec["appid"]))
        service = await start_service(settings)
        try:
            # As captured, the years-old timestamp is refused: a replay.
            stale = Delivery({"signature": sign(str(vec["token"]), str(vec["timestamp"]),
                                                str(vec["nonce"])),
                              "timestamp": str(vec["timestamp"]), "nonce": str(vec["nonce"]),
                              "encrypt_type": "aes", "msg_signature": str(vec["msg_signature"])},
                             str(vec["post_body"]).encode())
            assert (await service.post(stale)).status == 403
            fresh = service.side.resign(str(vec["encrypt"]), str(vec["post_body"]),
                                        timestamp=service.clock.ts)
            resp = await service.post(fresh)
            assert resp.status == 200, mode
            reply = service.side.read_reply(await resp.text())
            assert reply is not None
            # The reply goes to the sender inside the encrypted payload, not the envelope.
            assert reply["ToUserName"] == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
            assert reply["FromUserName"] == "gh_10f6c3c3ac5a"
            assert "abcdteT" in reply["Content"]
        finally:
            await service.client.close()


async def test_wechatpy_reference_vector_decrypts(database_url: str, var_dir: Path) -> None:
    vec = sample_json("encrypted_wechatpy_test_sample.json")
    dec = vec["decrypt"]
    assert isinstance(dec, dict)
    settings = make_settings(database_url, str(var_dir), token=str(vec["token"]),
                             aes_key=str(vec["encoding_aes_key"]), app_id=str(vec["appid"]))
    service = await start_service(settings)
    try:
        resp = await service.post(service.side.resign(dec["encrypt"], dec["post_body"],
                                                      timestamp=service.clock.ts))
        assert resp.status == 200
        reply = service.side.read_reply(await resp.text())
        assert reply is not None and reply["ToUserName"] == "messense"
        assert "test" in reply["Content"]
    finally:
        await service.client.close()


# -- rejections: 4xx and no side effect ---------------------------------------------------

def _text(svc: Service, openid: str, msg_id: int) -> str:
    return text_xml(openid, "帮助", msg_id=msg_id, create_time=svc.clock.ts)


async def _assert_rejected(svc: Service, delivery: Delivery, status: int) -> None:
    before = await inbound_count(svc)
    resp = await svc.post(delivery)
    assert resp.status == status, await resp.text()
    assert await inbound_count(svc) == before


async def test_bad_signature_is_rejected(svc: Service) -> None:
    d = svc.side.deliver(_text(svc, "o-rej-1", 1), timestamp=svc.clock.ts)
    d.query["signature"] = sign("not-our-token", d.query["timestamp"], d.query["nonce"])
    await _assert_rejected(svc, d, 403)


async def test_bad_msg_signature_is_rejected(svc: Service) -> None:
    d = svc.side.deliver(_text(svc, "o-rej-2", 2), timestamp=svc.clock.ts, mode="safe")
    d.query["msg_signature"] = "0" * 40
    await _assert_rejected(svc, d, 403)


@pytest.mark.parametrize("skew", [-301, 301, 3600 * 24 * 365])
async def test_timestamp_outside_window_is_rejected(svc: Service, skew: int) -> None:
    ts = svc.clock.ts + skew
    xml = text_xml("o-rej-3", "帮助", msg_id=3, create_time=ts)
    await _assert_rejected(svc, svc.side.deliver(xml, timestamp=ts), 403)


async def test_timestamp_at_edge_of_window_is_accepted(svc: Service) -> None:
    ts = svc.clock.ts - 299
    xml = text_xml("o-edge", "帮助", msg_id=4, create_time=ts)
    resp = await svc.post(svc.side.deliver(xml, timestamp=ts))
    assert resp.status == 200


async def test_body_over_64_kib_is_rejected(svc: Service) -> None:
    xml = text_xml("o-rej-4", "周报 " + "很" * 30000, msg_id=5, create_time=svc.clock.ts)
    assert len(xml.encode()) > 64 * 1024
    await _assert_rejected(svc, svc.side.deliver(xml, timestamp=svc.clock.ts), 413)


@pytest.mark.parametrize("mode", ["plain", "safe"])
async def test_dtd_and_entities_are_rejected(svc: Service, mode: str) -> None:
    bomb = ('<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            + _text(svc, "o-rej-5", 6).replace("帮助", "&b;"))
    await _assert_rejected(svc, svc.side.deliver(bomb, timestamp=svc.clock.ts, mode=mode), 400)


async def test_malformed_xml_is_rejected(svc: Service) -> None:
    for body in ["<xml><FromUserName>o</FromUserName>", "not xml at all", "<xml></xml>",
                 message_xml({"ToUserName": "gh", "MsgType": "text", "Content": "帮助"})]:
        await _assert_rejected(svc, svc.side.deliver(body, timestamp=svc.clock.ts), 400)


async def test_encrypted_without_key_is_rejected(database_url: str, var_dir: Path) -> None:
    settings = make_settings(database_url, str(var_dir), aes_key=None)
    service = await start_service(settings)
    try:
        other = WeChatSide(settings.token, aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
                           app_id=settings.wechat_app_id)
        d = other.deliver(text_xml("o-x", "帮助", msg_id=7, create_time=service.clock.ts),
                          timestamp=service.clock.ts, mode="safe")
        assert (await service.post(d)).status == 400
        # Plain mode still works on an account without a key.
        assert await service.text("o-x", "帮助")
    finally:
        await service.client.close()


async def test_encrypted_for_another_app_is_rejected(svc: Service) -> None:
    other = WeChatSide(svc.settings.token, aes_key=svc.settings.wechat_encoding_aes_key,
                       app_id="wxSomebodyElse00001")
    d = other.deliver(_text(svc, "o-rej-6", 8), timestamp=svc.clock.ts, mode="safe")
    await _assert_rejected(svc, d, 403)


async def test_missing_timestamp_is_rejected(svc: Service) -> None:
    d = svc.side.deliver(_text(svc, "o-rej-7", 9), timestamp=svc.clock.ts)
    del d.query["timestamp"]
    await _assert_rejected(svc, d, 400)


# -- health, readiness, metrics -----------------------------------------------------------

async def test_health_ready_and_metrics(svc: Service) -> None:
    assert (await svc.client.get("/healthz")).status == 200
    resp = await svc.client.get("/readyz")
    assert resp.status == 200 and (await resp.json())["database"] == "ok"
    await svc.text("o-metrics", "帮助")
    text = await (await svc.client.get("/metrics")).text()
    assert 'workshop_bot_wechat_requests_total{outcome="replied"}' in text
    assert 'workshop_bot_wechat_requests_total{outcome="rejected"}' in text
    assert "workshop_bot_handler_seconds_bucket" in text


async def test_readyz_reports_an_unreachable_database(var_dir: Path) -> None:
    settings = make_settings("sqlite+aiosqlite:////nonexistent-dir/x/wb.db", str(var_dir))
    service = await start_service(settings)
    try:
        resp = await service.client.get("/readyz")
        assert resp.status == 503
        # A signed message still gets a polite apology, never a 5xx.
        reply = await service.text("o-down", "帮助")
        assert reply is not None and "抱歉" in reply
    finally:
        await service.client.close()


async def test_a_large_body_under_the_limit_is_read_whole(svc: Service) -> None:
    xml = text_xml("o-big", "周报 " + "很" * 15000, msg_id=11, create_time=svc.clock.ts)
    assert 40 * 1024 < len(xml.encode()) < 64 * 1024
    reply = await svc.text("o-big", "周报 " + "很" * 15000)
    assert reply is not None and "绑定" in reply  # parsed in full: a refusal, not a 400
