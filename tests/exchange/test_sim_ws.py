"""The simulated exchange's WebSocket routes: market streams, legacy silence, user data, limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import aiohttp
import pytest
import pytest_asyncio

from marginwatch.exchange.sim import SimulatedExchange
from tests.exchange.sim_ws_client import TICK, listen_key, nothing_for, recv, recv_event


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[SimulatedExchange]:
    async with SimulatedExchange(scenario="calm", tick_interval=TICK, seed=3) as s:
        yield s


@pytest.mark.asyncio
async def test_market_ws_path_delivers_mark_price_every_tick(sim: SimulatedExchange,
                                                           http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(f"{sim.ws_url}/market/ws/btcusdt@markPrice@1s") as ws:
        first = await recv(ws)
        second = await recv(ws)
    assert first["e"] == "markPriceUpdate" and first["s"] == "BTCUSDT"
    assert set(first) >= {"E", "p", "ap", "i", "P", "r", "T"}
    assert isinstance(first["p"], str) and Decimal(first["p"]) > 0 and isinstance(first["E"], int)
    assert second["E"] >= first["E"]


@pytest.mark.asyncio
async def test_combined_stream_wraps_payloads(sim: SimulatedExchange, http: aiohttp.ClientSession) -> None:
    url = f"{sim.ws_url}/market/stream?streams=ethusdt@markPrice@1s/!markPrice@arr@1s"
    async with http.ws_connect(url) as ws:
        got = {}
        while len(got) < 2:
            m = await recv(ws)
            got[m["stream"]] = m["data"]
    assert got["ethusdt@markPrice@1s"]["s"] == "ETHUSDT"
    arr = got["!markPrice@arr@1s"]
    assert isinstance(arr, list) and {x["s"] for x in arr} >= {"BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT"}


@pytest.mark.asyncio
async def test_slow_mark_stream_pushes_every_third_tick(sim: SimulatedExchange,
                                                        http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(f"{sim.ws_url}/market/ws/solusdt@markPrice") as ws:
        a = await recv(ws)
        b = await recv(ws)
    assert a["s"] == "SOLUSDT"
    assert b["E"] - a["E"] >= 2 * TICK * 1000 * 0.8


@pytest.mark.asyncio
async def test_subscribe_list_and_lowercase_rule(sim: SimulatedExchange, http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(f"{sim.ws_url}/market/ws") as ws:
        await ws.send_json({"method": "SUBSCRIBE", "params": ["bnbusdt@markPrice@1s"], "id": 1})
        assert await recv(ws) == {"result": None, "id": 1}
        frame = await recv(ws)
        assert frame["s"] == "BNBUSDT"
        await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 2})
        while (m := await recv(ws)).get("id") != 2:
            pass
        assert m["result"] == ["bnbusdt@markPrice@1s"]
        await ws.send_json({"method": "SUBSCRIBE", "params": ["BTCUSDT@markPrice@1s"], "id": 3})
        while (m := await recv(ws)).get("id") != 3:
            pass
        assert m["code"] == 2  # uppercase symbols are rejected
        await ws.send_json({"method": "UNSUBSCRIBE", "params": ["bnbusdt@markPrice@1s"], "id": 4})
        while (m := await recv(ws)).get("id") != 4:
            pass
        assert m == {"result": None, "id": 4}
        await nothing_for(ws, sim)


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/ws/btcusdt@markPrice@1s", "/stream?streams=btcusdt@markPrice@1s",
                                  "/ws", "/public/ws/btcusdt@markPrice@1s"])
async def test_legacy_and_public_routes_deliver_no_mark_prices(sim: SimulatedExchange,
                                                               http: aiohttp.ClientSession, path: str) -> None:
    async with http.ws_connect(f"{sim.ws_url}{path}") as ws:
        await ws.send_json({"method": "SUBSCRIBE", "params": ["btcusdt@markPrice@1s", "!markPrice@arr"], "id": 9})
        assert await recv(ws) == {"result": None, "id": 9}
        await nothing_for(ws, sim, 5)


@pytest.mark.asyncio
async def test_more_than_ten_messages_per_second_disconnects(sim: SimulatedExchange,
                                                             http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(f"{sim.ws_url}/market/ws") as ws:
        for i in range(12):
            await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": i})
        while True:
            msg = await ws.receive(timeout=2)
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
        assert ws.closed or ws.close_code == 1008


@pytest.mark.asyncio
async def test_private_ws_delivers_account_update_and_margin_call(sim: SimulatedExchange,
                                                                  http: aiohttp.ClientSession) -> None:
    key = await listen_key(sim, http)
    sim.pause()
    async with http.ws_connect(f"{sim.ws_url}/private/ws/{key}") as ws:
        sim.engine.transfer_margin("SOLUSDT", "LONG", "10")
        upd = await recv_event(ws, "ACCOUNT_UPDATE")
        assert upd["a"]["m"] == "MARGIN_TRANSFER" and upd["T"] <= upd["E"]
        (pos,) = upd["a"]["P"]
        assert (pos["s"], pos["ps"], pos["mt"], pos["iw"]) == ("SOLUSDT", "LONG", "isolated", "460.00000000")
        assert upd["a"]["B"][0]["a"] == "USDT" and isinstance(upd["a"]["B"][0]["wb"], str)
        sim.engine.set_mark_price("SOLUSDT", "172.00")  # isolated ratio well above 80 %, below 100 %
        mc = await recv_event(ws, "MARGIN_CALL")
    assert "cw" not in mc  # isolated margin call
    (leg,) = mc["p"]
    assert set(leg) == {"s", "ps", "pa", "mt", "iw", "mp", "up", "mm"}
    assert (leg["s"], leg["ps"], leg["mt"]) == ("SOLUSDT", "LONG", "ISOLATED")
    assert list(sim.margin_calls_emitted) == [mc]


@pytest.mark.asyncio
async def test_private_stream_subscribe_like_the_sdk(sim: SimulatedExchange, http: aiohttp.ClientSession) -> None:
    key = await listen_key(sim, http)
    sim.pause()
    async with http.ws_connect(f"{sim.ws_url}/private/stream") as ws:
        await ws.send_json({"method": "SUBSCRIBE", "params": [key], "id": 1})
        assert await recv(ws) == {"result": None, "id": 1}
        sim.engine.apply_funding_fee("BTCUSDT", "-1.5")
        m = await recv(ws)
    assert m["stream"] == key
    assert m["data"]["e"] == "ACCOUNT_UPDATE" and m["data"]["a"]["m"] == "FUNDING_FEE"
    assert m["data"]["a"]["P"] == [] and m["data"]["a"]["S"] == "BTCUSDT"  # cross funding: only B


@pytest.mark.asyncio
async def test_private_events_filter_and_query_form(sim: SimulatedExchange, http: aiohttp.ClientSession) -> None:
    key = await listen_key(sim, http)
    sim.pause()
    url = f"{sim.ws_url}/private/ws?listenKey={key}&events=MARGIN_CALL"
    async with http.ws_connect(url) as ws:
        sim.engine.transfer_margin("SOLUSDT", "LONG", "10")  # ACCOUNT_UPDATE: filtered out
        sim.engine.emit_margin_call("SOLUSDT")
        m = await recv(ws)
    assert m["e"] == "MARGIN_CALL"


@pytest.mark.asyncio
async def test_invalid_listen_key_is_closed_with_a_reason(sim: SimulatedExchange,
                                                          http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(f"{sim.ws_url}/private/ws/notakey") as ws:
        msg = await ws.receive(timeout=2)
    assert msg.type == aiohttp.WSMsgType.CLOSE
    assert msg.data == 1008 and "listenKey" in msg.extra


@pytest.mark.asyncio
async def test_server_sends_ping_frames() -> None:
    async with SimulatedExchange(tick_interval=1.0, speed=1000) as sim, aiohttp.ClientSession() as http, \
            http.ws_connect(f"{sim.ws_url}/market/ws", autoping=False) as ws:
        msg = await ws.receive(timeout=3)  # 180 s / 1000 = 0.18 s
        assert msg.type == aiohttp.WSMsgType.PING
