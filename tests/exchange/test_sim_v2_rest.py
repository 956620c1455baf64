"""The simulator's v2 account endpoints, position mode, funding history and the spot ping/time that
third-party clients (python-binance, ccxt) call: Binance's shapes, auth and request weights, on loopback."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from marginwatch.exchange.sim import DEMO_API_KEY, DEMO_API_SECRET, SimulatedExchange

EIGHT_HOURS_MS = 8 * 3600 * 1000
SYMBOLS = {"BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT"}
SIGNED_V2 = ("/fapi/v2/account", "/fapi/v2/positionRisk", "/fapi/v2/balance", "/fapi/v1/positionSide/dual")


def signed(query: str, secret: str = DEMO_API_SECRET) -> str:
    sig = hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()
    return f"{query}&signature={sig}"


def ts() -> int:
    return int(time.time() * 1000)


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[SimulatedExchange]:
    async with SimulatedExchange(scenario="calm", tick_interval=0.05, seed=7) as s:
        s.pause()  # marks stay put, so v2 and v3 bodies read at different moments agree
        yield s


async def get(http: aiohttp.ClientSession, url: str) -> tuple[int, Any, int]:
    """(status, body with Decimal floats, the X-MBX-USED-WEIGHT-1M header)."""
    async with http.get(url) as r:
        return r.status, json.loads(await r.text(), parse_float=Decimal), int(r.headers["X-MBX-USED-WEIGHT-1M"])


async def get_signed(http: aiohttp.ClientSession, sim: SimulatedExchange, path: str,
                     params: str = "") -> tuple[int, Any, int]:
    query = f"{params}&timestamp={ts()}" if params else f"timestamp={ts()}"
    return await get(http, f"{sim.base_url}{path}?{signed(query)}")


async def weight_of(http: aiohttp.ClientSession, sim: SimulatedExchange, path: str, params: str = "") -> int:
    """The weight one signed call adds, measured against a weight-1 ping just before it."""
    _, _, before = await get(http, f"{sim.base_url}/fapi/v1/ping")
    status, _, after = await get_signed(http, sim, path, params)
    assert status == 200
    return after - before


@pytest.mark.asyncio
async def test_v2_account_lists_every_symbol_with_leverage_and_the_v3_totals(
        sim: SimulatedExchange, http: aiohttp.ClientSession) -> None:
    _, v3, _ = await get_signed(http, sim, "/fapi/v3/account")
    status, v2, _ = await get_signed(http, sim, "/fapi/v2/account")
    assert status == 200
    assert {k: v2[k] for k in ("feeTier", "canTrade", "multiAssetsMargin", "tradeGroupId")} == {
        "feeTier": 0, "canTrade": True, "multiAssetsMargin": False, "tradeGroupId": -1}
    totals = [k for k in v3 if k.startswith("total") or k in ("availableBalance", "maxWithdrawAmount")]
    assert {k: v2[k] for k in totals} == {k: v3[k] for k in totals}
    assert [a["asset"] for a in v2["assets"]] == ["USDT", "USDC", "BTC"]
    assert all(a["marginAvailable"] is True for a in v2["assets"])
    # Every symbol, both hedge legs, open or flat (v3 lists open ones only).
    rows = {(p["symbol"], p["positionSide"]): p for p in v2["positions"]}
    assert set(rows) == {(s, side) for s in SYMBOLS for side in ("LONG", "SHORT")}
    open_v3 = {(p["symbol"], p["positionSide"]): p for p in v3["positions"]}
    for key, p3 in open_v3.items():
        p2 = rows[key]
        assert (p2["positionAmt"], p2["maintMargin"], p2["initialMargin"], p2["unrealizedProfit"]) == (
            p3["positionAmt"], p3["maintMargin"], p3["initialMargin"], p3["unrealizedProfit"])
    flat = [p for k, p in rows.items() if k not in open_v3]
    assert flat and all(Decimal(p["positionAmt"]) == 0 and p["maintMargin"] == "0" for p in flat)
    sol = rows[("SOLUSDT", "LONG")]
    assert sol["isolated"] is True and rows[("BTCUSDT", "LONG")]["isolated"] is False
    assert sol["leverage"] == "20" and isinstance(sol["leverage"], str)
    assert Decimal(sol["maxNotional"]) > 0


@pytest.mark.asyncio
async def test_v2_position_risk_carries_the_live_leverage_and_margin_type(
        sim: SimulatedExchange, http: aiohttp.ClientSession) -> None:
    sim.engine.leverage["ETHUSDT"] = 10
    _, v3, _ = await get_signed(http, sim, "/fapi/v3/positionRisk", "symbol=ETHUSDT")
    status, v2, _ = await get_signed(http, sim, "/fapi/v2/positionRisk", "symbol=ETHUSDT")
    assert status == 200
    by = {p["positionSide"]: p for p in v2}
    assert set(by) == {"LONG", "SHORT"} and {p["symbol"] for p in v2} == {"ETHUSDT"}
    for p3 in v3:
        p2 = by[p3["positionSide"]]
        for k in ("positionAmt", "entryPrice", "markPrice", "unRealizedProfit", "liquidationPrice", "notional"):
            assert p2[k] == p3[k], k
    short = by["SHORT"]
    assert (short["leverage"], short["marginType"], short["isAutoAddMargin"]) == ("10", "cross", "false")
    assert Decimal(short["positionAmt"]) < 0 and Decimal(short["maxNotionalValue"]) > 0
    _, every, _ = await get_signed(http, sim, "/fapi/v2/positionRisk")
    assert {p["symbol"] for p in every} == SYMBOLS  # flat symbols too, unlike v3
    sol = {p["positionSide"]: p for p in every if p["symbol"] == "SOLUSDT"}
    assert sol["LONG"]["marginType"] == "isolated" and Decimal(sol["LONG"]["isolatedWallet"]) > 0
    assert Decimal(sol["SHORT"]["positionAmt"]) == 0 and sol["SHORT"]["liquidationPrice"] == "0"
    status, err, _ = await get_signed(http, sim, "/fapi/v2/positionRisk", "symbol=NOPEUSDT")
    assert (status, err["code"]) == (400, -1121)


@pytest.mark.asyncio
async def test_v2_balance_is_the_v3_body(sim: SimulatedExchange, http: aiohttp.ClientSession) -> None:
    _, v3, _ = await get_signed(http, sim, "/fapi/v3/balance")
    status, v2, _ = await get_signed(http, sim, "/fapi/v2/balance")
    assert status == 200

    def strip(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in r.items() if k != "updateTime"} for r in rows]

    assert strip(v2) == strip(v3)
    assert v2[0]["asset"] == "USDT" and v2[0]["balance"] == "10000.00000000"


@pytest.mark.asyncio
async def test_position_mode_follows_the_account(sim: SimulatedExchange, http: aiohttp.ClientSession) -> None:
    status, body, _ = await get_signed(http, sim, "/fapi/v1/positionSide/dual")
    assert (status, body) == (200, {"dualSidePosition": True})
    sim.engine.dual_side_position = False
    _, body, _ = await get_signed(http, sim, "/fapi/v1/positionSide/dual")
    assert body == {"dualSidePosition": False}


@pytest.mark.asyncio
async def test_request_weights_are_binances(sim: SimulatedExchange, http: aiohttp.ClientSession) -> None:
    assert await weight_of(http, sim, "/fapi/v2/account") == 5
    assert await weight_of(http, sim, "/fapi/v2/positionRisk") == 5
    assert await weight_of(http, sim, "/fapi/v2/balance") == 5
    assert await weight_of(http, sim, "/fapi/v1/positionSide/dual") == 30


@pytest.mark.asyncio
@pytest.mark.parametrize("path", SIGNED_V2)
async def test_signed_endpoints_check_key_signature_and_timestamp(sim: SimulatedExchange, path: str) -> None:
    url = f"{sim.base_url}{path}"
    hdr = {"X-MBX-APIKEY": DEMO_API_KEY}
    async with aiohttp.ClientSession() as anon:
        async with anon.get(f"{url}?{signed(f'timestamp={ts()}')}") as r:
            assert (r.status, (await r.json())["code"]) == (401, -2015)
        async with anon.get(f"{url}?{signed(f'timestamp={ts()}', 'wrong')}", headers=hdr) as r:
            assert (r.status, (await r.json())["code"]) == (400, -1022)
        async with anon.get(f"{url}?{signed(f'timestamp={ts() - 6000}')}", headers=hdr) as r:
            assert (r.status, (await r.json())["code"]) == (400, -1021)
        async with anon.get(f"{url}?timestamp={ts()}", headers=hdr) as r:
            assert (r.status, (await r.json())["code"]) == (400, -1102)
        async with anon.get(f"{url}?{signed(f'timestamp={ts()}')}", headers=hdr) as r:
            assert r.status == 200


@pytest.mark.asyncio
async def test_funding_history_pages_like_binance(sim: SimulatedExchange) -> None:
    url = f"{sim.base_url}/fapi/v1/fundingRate"
    async with aiohttp.ClientSession() as anon:  # public: no key needed
        status, rows, _ = await get(anon, f"{url}?symbol=BTCUSDT")
        assert status == 200 and len(rows) == 100  # the default limit
        assert set(rows[0]) == {"symbol", "fundingRate", "fundingTime", "markPrice"}
        times = [r["fundingTime"] for r in rows]
        assert times == sorted(times) and {b - a for a, b in itertools.pairwise(times)} == {EIGHT_HOURS_MS}
        now = sim.now_ms()
        assert now - EIGHT_HOURS_MS < times[-1] <= now and times[-1] % EIGHT_HOURS_MS == 0
        _, mark, _ = await get(anon, f"{sim.base_url}/fapi/v1/premiumIndex?symbol=BTCUSDT")
        assert {r["fundingRate"] for r in rows} == {mark["lastFundingRate"]}
        assert isinstance(rows[0]["fundingRate"], str) and isinstance(rows[0]["fundingTime"], int)
        # From startTime: the first `limit` settlements at or after it.
        start = times[10] - 1
        _, page, _ = await get(anon, f"{url}?symbol=BTCUSDT&startTime={start}&limit=3")
        assert [r["fundingTime"] for r in page] == times[10:13]
        # Up to endTime (inclusive): the latest `limit` before it.
        _, page, _ = await get(anon, f"{url}?symbol=SOLUSDT&endTime={times[50]}&limit=2")
        assert [r["fundingTime"] for r in page] == times[49:51] and page[0]["fundingRate"] == "0.00005000"
        _, every, _ = await get(anon, f"{url}?limit=8")
        assert {r["symbol"] for r in every} == SYMBOLS and {r["fundingTime"] for r in every} == set(times[-2:])
        for bad, code in (("limit=0", -1130), ("limit=1001", -1130), ("startTime=soon", -1100),
                          ("symbol=NOPEUSDT", -1121)):
            status, err, _ = await get(anon, f"{url}?{bad}")
            assert (status, err["code"]) == (400, code), bad


@pytest.mark.asyncio
async def test_spot_ping_and_time_answer_with_a_weight_budget_of_their_own(
        sim: SimulatedExchange, http: aiohttp.ClientSession) -> None:
    assert await weight_of(http, sim, "/fapi/v2/account") == 5
    status, body, spot_used = await get(http, f"{sim.base_url}/api/v3/ping")
    assert (status, body, spot_used) == (200, {}, 1)  # the futures weight spent above is not counted
    status, body, spot_used = await get(http, f"{sim.base_url}/api/v3/time")
    assert status == 200 and set(body) == {"serverTime"} and spot_used == 2
    assert abs(body["serverTime"] - sim.now_ms()) < 2000
