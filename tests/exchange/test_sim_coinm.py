"""The simulator's COIN-M face: the crash scenario brings a COIN-M margin call, its REST bodies are
dapi's shapes and decode with the app's decoders, its streams and faults work over loopback."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from marginwatch.core.events import MarkPriceUpdate, decode_market_frame
from marginwatch.core.position import ContractKind, PositionSide
from marginwatch.exchange.coinm_endpoints import coinm_local
from marginwatch.exchange.credentials import Credentials
from marginwatch.exchange.errors import RateLimited
from marginwatch.exchange.rest_client import BinanceRestClient
from marginwatch.exchange.sim import DEMO_API_KEY, DEMO_API_SECRET, SimulatedExchange
from marginwatch.exchange.venue import COINM

CREDS = Credentials(DEMO_API_KEY, DEMO_API_SECRET)


def test_crash_scenario_sends_a_coin_m_margin_call_for_the_btc_pool() -> None:
    sim = SimulatedExchange(scenario="crash", tick_interval=1.0)
    assert sim.coinm is not None
    btc = sim.coinm.engines["BTC"]
    sent: list[dict[str, Any]] = []
    btc.add_listener(sent.append)
    for _ in range(110):  # scenario seconds, stepped without a server
        btc.step()
    calls = [e for e in sent if e["e"] == "MARGIN_CALL"]
    assert calls, "no margin call in the crash"
    first = calls[0]
    assert first["i"] == "SgsR" and "cw" in first  # a cross call in the BTC pool, in BTC
    assert {(p["s"], p["ps"]) for p in first["p"]} == {("BTCUSD_PERP", "LONG"), ("BTCUSD_PERP", "SHORT")}
    # The pool's own maths: inverse legs of 100 USD contracts, ratio measured in BTC.
    pos = btc.core_position(btc.positions[("BTCUSD_PERP", PositionSide.LONG)])
    assert (pos.contract, pos.contract_size) == (ContractKind.INVERSE, Decimal(100))


def test_demo_scenario_cycles_the_eth_pool_through_a_margin_call_without_liquidation() -> None:
    sim = SimulatedExchange(scenario="demo")
    assert sim.coinm is not None
    eth = sim.coinm.engines["ETH"]
    sent: list[dict[str, Any]] = []
    eth.add_listener(sent.append)
    for _ in range(85):  # one cycle: fall, hold, rise, rest
        eth.step()
    calls = [e for e in sent if e["e"] == "MARGIN_CALL"]
    assert len(calls) == 1 and calls[0]["p"][0]["s"] == "ETHUSD_PERP" and "cw" not in calls[0]
    reasons = [e["a"]["m"] for e in sent if e["e"] == "ACCOUNT_UPDATE"]
    assert reasons.count("MARGIN_TRANSFER") == 2 and eth.stats.liquidations == 0


def test_eth_pool_is_apart_from_the_btc_pool() -> None:
    sim = SimulatedExchange(scenario="calm")
    assert sim.coinm is not None
    eth, btc = sim.coinm.engines["ETH"], sim.coinm.engines["BTC"]
    before = btc.cross_wallet
    eth.apply_funding_fee("ETHUSD_PERP", "-0.001")
    assert btc.cross_wallet == before and set(eth.symbols) == {"ETHUSD_PERP"}


@pytest.mark.asyncio
async def test_dapi_bodies_decode_with_the_apps_decoders() -> None:
    async with SimulatedExchange(scenario="calm", autostart_engine=False) as sim, \
            BinanceRestClient(coinm_local(sim.base_url, sim.ws_url), CREDS, venue=COINM) as client:
        info = await client.exchange_info()
        by = info.by_symbol()
        assert info.dropped == () and set(by) == {"BTCUSD_PERP", "ETHUSD_PERP"}
        assert (by["BTCUSD_PERP"].contractSize, by["BTCUSD_PERP"].trading_status) == (Decimal(100), "TRADING")
        assert by["ETHUSD_PERP"].marginAsset == "ETH" and by["ETHUSD_PERP"].status is None
        rows = await client.position_risk()
        assert {(r.symbol, r.positionSide.value, r.leverage, r.marginType) for r in rows} == {
            ("BTCUSD_PERP", "LONG", 20, "cross"), ("BTCUSD_PERP", "SHORT", 20, "cross"),
            ("ETHUSD_PERP", "LONG", 10, "isolated")}
        account = await client.account()
        assert [a.asset for a in account.assets] == ["BTC", "ETH"]
        assert account.asset("BTC").crossWalletBalance == Decimal("0.035")  # type: ignore[union-attr]
        tables = await client.leverage_brackets()
        assert tables["BTCUSD_PERP"].brackets[0].cap == 5 and tables.dropped == ()
        balances = await client.balance()
        assert {b.asset for b in balances} == {"BTC", "ETH"} and all(b.withdrawAvailable is not None for b in balances)
        (mark,) = await client.premium_index("BTCUSD_PERP")
        assert mark.pair == "BTCUSD" and mark.markPrice == Decimal("100000.0")
        used = client.used_weight.get("1M", 0)
        assert used >= 5 + 1 + 1 + 1 + 1 + 1  # account weighs 5 on dapi


@pytest.mark.asyncio
async def test_rest_faults_apply_to_dapi() -> None:
    async with SimulatedExchange(scenario="calm", autostart_engine=False) as sim, \
            BinanceRestClient(coinm_local(sim.base_url, sim.ws_url), CREDS, venue=COINM) as client:
        await client.sync_time()
        sim.faults.rest_errors(429, count=1, retry_after=30)  # longer than the client waits by itself
        with pytest.raises(RateLimited):
            await client.account()


@pytest.mark.asyncio
async def test_dstream_market_socket_pushes_coin_m_marks() -> None:
    async with SimulatedExchange(scenario="calm", autostart_engine=False) as sim, aiohttp.ClientSession() as http:
        url = f"{sim.ws_url}/dstream/stream?streams=btcusd_perp@markPrice@1s"
        async with http.ws_connect(url) as ws:
            assert sim.coinm is not None
            await sim.coinm.hub.connected(lambda c: c.kind == "market")
            sim.tick()
            msg = await ws.receive(timeout=5)
            frame = json.loads(msg.data)
            assert frame["stream"] == "btcusd_perp@markPrice@1s"
            (upd,) = decode_market_frame(msg.data)
            assert isinstance(upd, MarkPriceUpdate) and upd.symbol == "BTCUSD_PERP"


@pytest.mark.asyncio
async def test_coinm_user_events_reach_dstream_sockets_apart_from_usdm() -> None:
    async with SimulatedExchange(scenario="calm", autostart_engine=False) as sim, \
            aiohttp.ClientSession(headers={"X-MBX-APIKEY": DEMO_API_KEY}) as http:
        assert sim.coinm is not None
        async with http.post(f"{sim.base_url}/dapi/v1/listenKey") as resp:
            key = (await resp.json())["listenKey"]
        async with http.ws_connect(f"{sim.ws_url}/dstream/ws/{key}") as ws:
            await sim.coinm.hub.connected(lambda c: c.kind == "private")
            sim.coinm.engines["BTC"].emit_margin_call()
            frame = json.loads((await ws.receive(timeout=5)).data)
            assert frame["e"] == "MARGIN_CALL" and frame["i"] == "SgsR"
        assert sim.emitted.margin_calls == 0 and len(sim.coinm.margin_calls) == 1
