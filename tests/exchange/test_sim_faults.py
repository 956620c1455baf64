"""Fault injection on the simulated exchange: each fault does what it says."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from marginwatch.exchange.credentials import Credentials
from marginwatch.exchange.endpoints import Endpoints
from marginwatch.exchange.rest_client import BinanceRestClient
from marginwatch.exchange.sim import DEMO_API_KEY, DEMO_API_SECRET, SimulatedExchange
from tests.exchange.sim_ws_client import TICK, listen_key, nothing_for, recv, recv_event


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[SimulatedExchange]:
    async with SimulatedExchange(scenario="calm", tick_interval=TICK, seed=11) as s:
        s.pause()
        yield s


MARKET = "/market/ws/btcusdt@markPrice@1s"


async def closed_without_close_frame(ws: aiohttp.ClientWebSocketResponse) -> None:
    while True:
        msg = await ws.receive(timeout=2)
        if msg.type != aiohttp.WSMsgType.TEXT:
            break
    assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)  # not CLOSE: no close frame


@pytest.mark.asyncio
@pytest.mark.parametrize("target", ["market", "all"])
async def test_drop_cuts_sockets_without_a_close_frame(sim: SimulatedExchange, http: aiohttp.ClientSession,
                                                        target: str) -> None:
    async with http.ws_connect(f"{sim.ws_url}{MARKET}") as ws:
        await recv(ws)
        assert await sim.faults.drop(target) == 1
        await closed_without_close_frame(ws)


@pytest.mark.asyncio
async def test_drop_private_leaves_market_alone(sim: SimulatedExchange, http: aiohttp.ClientSession) -> None:
    key = await listen_key(sim, http)
    async with http.ws_connect(f"{sim.ws_url}{MARKET}") as mws, \
            http.ws_connect(f"{sim.ws_url}/private/ws/{key}") as pws:
        assert await sim.faults.drop("private") == 1
        await closed_without_close_frame(pws)
        assert (await recv(mws))["e"] == "markPriceUpdate"


@pytest.mark.asyncio
async def test_stall_sends_nothing_answers_no_pings_then_resumes(sim: SimulatedExchange,
                                                                 http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(f"{sim.ws_url}{MARKET}", autoping=False) as ws:
        await recv(ws)
        sim.faults.stall("market")
        await ws.ping(b"hello")
        await nothing_for(ws, sim, 5)  # neither frames nor a pong
        sim.faults.resume()
        assert (await recv(ws))["e"] == "markPriceUpdate"
        await ws.ping(b"again")
        while (msg := await ws.receive(timeout=2)).type == aiohttp.WSMsgType.TEXT:
            pass
        assert msg.type == aiohttp.WSMsgType.PONG and msg.data == b"again"


@pytest.mark.asyncio
async def test_stall_for_n_seconds_ends_by_itself(sim: SimulatedExchange, http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(f"{sim.ws_url}{MARKET}") as ws:
        await recv(ws)
        sim.faults.stall("all", seconds=TICK * 4)
        await nothing_for(ws, sim, 2)
        assert (await recv(ws, 2.0))["e"] == "markPriceUpdate"


@pytest.mark.asyncio
async def test_malformed_frame(sim: SimulatedExchange, http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(f"{sim.ws_url}/market/ws") as ws:
        assert sim.faults.send_malformed("market") == 1
        msg = await ws.receive(timeout=2)
    with pytest.raises(ValueError):
        json.loads(msg.data)


@pytest.mark.asyncio
async def test_expire_listen_key_sends_the_event_and_stops_delivery(sim: SimulatedExchange,
                                                                    http: aiohttp.ClientSession) -> None:
    key = await listen_key(sim, http)
    async with http.ws_connect(f"{sim.ws_url}/private/ws/{key}") as ws:
        assert sim.faults.expire_listen_key() == key
        ev = await recv(ws)
        assert ev["e"] == "listenKeyExpired" and ev["listenKey"] == key
        sim.engine.emit_margin_call("SOLUSDT")
        await nothing_for(ws, sim, 4)
    async with http.put(f"{sim.base_url}/fapi/v1/listenKey") as r:
        assert (await r.json())["code"] == -1125


@pytest.mark.asyncio
async def test_forced_24h_cut_closes_with_a_close_frame(sim: SimulatedExchange,
                                                        http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(f"{sim.ws_url}/market/ws") as ws:
        await asyncio.wait_for(sim.tick_event.wait(), 2)
        assert await sim.faults.force_24h_cut("all") == 1
        msg = await ws.receive(timeout=2)
    assert msg.type == aiohttp.WSMsgType.CLOSE and "24h" in msg.extra


@pytest.mark.asyncio
async def test_duplicate_and_reorder_user_events(sim: SimulatedExchange, http: aiohttp.ClientSession) -> None:
    key = await listen_key(sim, http)
    async with http.ws_connect(f"{sim.ws_url}/private/ws/{key}") as ws:
        sim.faults.duplicate_user_events(1)
        sim.engine.apply_funding_fee("BTCUSDT", "-1")
        a, b = await recv(ws), await recv(ws)
        assert a == b and a["a"]["m"] == "FUNDING_FEE"
        sim.faults.reorder_user_events(2)
        sim.engine.apply_funding_fee("BTCUSDT", "-2")
        sim.engine.apply_funding_fee("BTCUSDT", "-3")
        first, second = await recv(ws), await recv(ws)
        assert [first["a"]["B"][0]["bc"], second["a"]["B"][0]["bc"]] == ["-3.00000000", "-2.00000000"]
        assert first["E"] >= second["E"]  # out of order on the wire
    assert len(sim.events_emitted) == 3  # recorded once each, in generation order


@pytest.mark.asyncio
async def test_fault_endpoint_drives_marks_and_reports_state(sim: SimulatedExchange,
                                                            http: aiohttp.ClientSession) -> None:
    key = await listen_key(sim, http)
    async with http.ws_connect(f"{sim.ws_url}/private/ws/{key}") as ws:
        async with http.post(f"{sim.base_url}/_sim/fault",
                             json={"kind": "mark", "symbol": "SOLUSDT", "price": "172"}) as r:
            assert r.status == 200
        mc = await recv_event(ws, "MARGIN_CALL")
    assert mc["p"][0]["s"] == "SOLUSDT"
    async with http.get(f"{sim.base_url}/_sim/state") as r:
        state = await r.json()
    assert state["marks"]["SOLUSDT"] == "172.0000" and state["marginCalls"] == 1 and state["paused"] is True


async def post_fault(sim: SimulatedExchange, http: aiohttp.ClientSession, spec: object) -> tuple[int, Any]:
    async with http.post(f"{sim.base_url}/_sim/fault", json=spec) as r:
        return r.status, await r.json()


@pytest.mark.asyncio
async def test_refuse_private_closes_every_new_private_socket_with_the_code_until_clear(
        sim: SimulatedExchange, http: aiohttp.ClientSession) -> None:
    key = await listen_key(sim, http)
    assert await post_fault(sim, http, {"kind": "refuse_private", "code": 4003}) == (200, {"ok": True})
    for _ in range(2):  # not a one-off: every attempt is refused
        async with http.ws_connect(f"{sim.ws_url}/private/ws/{key}") as ws:
            msg = await ws.receive(timeout=2)
        assert (msg.type, msg.data) == (aiohttp.WSMsgType.CLOSE, 4003)
    async with http.ws_connect(f"{sim.ws_url}{MARKET}") as mws:
        assert (await recv(mws))["e"] == "markPriceUpdate"  # market sockets are left alone
    assert await post_fault(sim, http, {"kind": "clear"}) == (200, {"ok": True})
    async with http.ws_connect(f"{sim.ws_url}/private/ws/{key}") as ws:
        sim.engine.emit_margin_call("SOLUSDT")
        assert (await recv(ws))["e"] == "MARGIN_CALL"


@pytest.mark.asyncio
async def test_refuse_private_leaves_open_private_sockets_open(sim: SimulatedExchange,
                                                               http: aiohttp.ClientSession) -> None:
    key = await listen_key(sim, http)
    async with http.ws_connect(f"{sim.ws_url}/private/ws/{key}") as ws:
        sim.faults.refuse_private(1008)
        sim.engine.emit_margin_call("SOLUSDT")
        assert (await recv(ws))["e"] == "MARGIN_CALL"


@pytest.mark.asyncio
@pytest.mark.parametrize("code", [1006, 1005, 999, 5000, "soon"])
async def test_refuse_private_rejects_a_code_a_close_frame_cannot_carry(sim: SimulatedExchange,
                                                                         http: aiohttp.ClientSession,
                                                                         code: object) -> None:
    key = await listen_key(sim, http)
    status, body = await post_fault(sim, http, {"kind": "refuse_private", "code": code})
    assert status == 400 and "code" in body["error"]
    async with http.ws_connect(f"{sim.ws_url}/private/ws/{key}") as ws:  # nothing was refused
        sim.engine.emit_margin_call("SOLUSDT")
        assert (await recv(ws))["e"] == "MARGIN_CALL"


BAD_MARGIN_CALL = {"e": "MARGIN_CALL", "E": "soon", "cw": -1, "p": [{"s": "SOLUSDT", "mp": None}]}


@pytest.mark.asyncio
async def test_user_frame_pushes_the_raw_object_to_the_private_streams_unrecorded(
        sim: SimulatedExchange, http: aiohttp.ClientSession) -> None:
    key = await listen_key(sim, http)
    async with http.ws_connect(f"{sim.ws_url}/private/ws/{key}") as plain, \
            http.ws_connect(f"{sim.ws_url}/private/stream?listenKey={key}") as combined, \
            http.ws_connect(f"{sim.ws_url}{MARKET}") as market:
        await recv(market)
        status, body = await post_fault(sim, http, {"kind": "user_frame", "frame": BAD_MARGIN_CALL})
        assert (status, body) == (200, {"ok": True, "affected": 2})  # the two private sockets, not market
        assert await recv(plain) == BAD_MARGIN_CALL
        assert await recv(combined) == {"stream": key, "data": BAD_MARGIN_CALL}
    # A raw frame is not an event the exchange generated: counts and records stay as they were.
    assert sim.emitted.margin_calls == 0 and list(sim.margin_calls_emitted) == []


@pytest.mark.asyncio
async def test_user_frame_passes_by_the_order_faults(sim: SimulatedExchange, http: aiohttp.ClientSession) -> None:
    key = await listen_key(sim, http)
    async with http.ws_connect(f"{sim.ws_url}/private/ws/{key}") as ws:
        sim.faults.duplicate_user_events(5)
        sim.faults.push_user_frame({"e": "PING_ME"})
        sim.engine.emit_margin_call("SOLUSDT")  # duplicated: the raw frame used up none of the five
        kinds = [(await recv(ws))["e"] for _ in range(3)]
    assert kinds == ["PING_ME", "MARGIN_CALL", "MARGIN_CALL"]


@pytest.mark.asyncio
@pytest.mark.parametrize("spec", [{"kind": "user_frame"}, {"kind": "user_frame", "frame": [1, 2]},
                                  {"kind": "user_frame", "frame": "MARGIN_CALL"}])
async def test_user_frame_must_be_a_json_object(sim: SimulatedExchange, http: aiohttp.ClientSession,
                                                spec: dict[str, Any]) -> None:
    key = await listen_key(sim, http)
    async with http.ws_connect(f"{sim.ws_url}/private/ws/{key}") as ws:
        status, body = await post_fault(sim, http, spec)
        assert status == 400 and "JSON object" in body["error"]
        await nothing_for(ws, sim, 3)


@pytest.mark.asyncio
async def test_key_permissions_fault_changes_what_api_restrictions_reports_until_clear(
    sim: SimulatedExchange, http: aiohttp.ClientSession
) -> None:
    client = BinanceRestClient(Endpoints.local(sim.base_url, sim.ws_url), Credentials(DEMO_API_KEY, DEMO_API_SECRET))
    try:
        status, body = await post_fault(sim, http, {"kind": "key_permissions", "flags": {"enableWithdrawals": True}})
        assert status == 200 and body["flags"] == {"enableWithdrawals": True}
        granted = await client.api_restrictions()
        assert granted.enableWithdrawals is True and granted.enableFutures is False
        status, body = await post_fault(sim, http, {"kind": "key_permissions", "flags": {"enableFutures": "yes"}})
        assert status == 400 and "true or false" in body["error"]
        await post_fault(sim, http, {"kind": "clear"})
        assert (await client.api_restrictions()).enableWithdrawals is False
    finally:
        await client.close()
