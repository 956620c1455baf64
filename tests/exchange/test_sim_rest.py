"""The simulated exchange's REST side: Binance shapes, weights, auth errors, listenKey, REST faults."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from marginwatch.exchange.sim import DEMO_API_KEY, DEMO_API_SECRET, SimulatedExchange
from marginwatch.exchange.sim.auth import Authenticator


def signed(query: str, secret: str = DEMO_API_SECRET) -> str:
    sig = hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()
    return f"{query}&signature={sig}"


def ts() -> int:
    return int(time.time() * 1000)


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[SimulatedExchange]:
    async with SimulatedExchange(scenario="calm", tick_interval=0.05, seed=7) as s:
        yield s


async def get(http: aiohttp.ClientSession, url: str) -> tuple[int, Any, aiohttp.ClientResponse]:
    async with http.get(url) as r:
        return r.status, json.loads(await r.text(), parse_float=Decimal), r


@pytest.mark.asyncio
async def test_public_endpoints_have_binance_shapes(sim: SimulatedExchange, http: aiohttp.ClientSession) -> None:
    status, body, r = await get(http, f"{sim.base_url}/fapi/v1/ping")
    assert (status, body) == (200, {})
    assert int(r.headers["X-MBX-USED-WEIGHT-1M"]) >= 1
    _, body, _ = await get(http, f"{sim.base_url}/fapi/v1/time")
    assert abs(body["serverTime"] - ts()) < 2000
    _, info, _ = await get(http, f"{sim.base_url}/fapi/v1/exchangeInfo")
    syms = {s["symbol"]: s for s in info["symbols"]}
    assert {"BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT"} <= set(syms)
    filters = {f["filterType"]: f for f in syms["BTCUSDT"]["filters"]}
    assert filters["PRICE_FILTER"]["tickSize"] == "0.10" and filters["LOT_SIZE"]["stepSize"] == "0.001"
    _, one, _ = await get(http, f"{sim.base_url}/fapi/v1/premiumIndex?symbol=ETHUSDT")
    assert one["symbol"] == "ETHUSDT" and isinstance(one["markPrice"], str) and isinstance(one["time"], int)
    assert set(one) == {"symbol", "markPrice", "indexPrice", "estimatedSettlePrice", "lastFundingRate",
                        "interestRate", "nextFundingTime", "time"}
    before = int(r.headers["X-MBX-USED-WEIGHT-1M"])
    _, many, r2 = await get(http, f"{sim.base_url}/fapi/v1/premiumIndex")
    assert isinstance(many, list) and len(many) >= 4
    assert int(r2.headers["X-MBX-USED-WEIGHT-1M"]) >= before + 10
    status, err, _ = await get(http, f"{sim.base_url}/fapi/v1/premiumIndex?symbol=NOPEUSDT")
    assert (status, err["code"]) == (400, -1121)


@pytest.mark.asyncio
async def test_signed_endpoints_have_binance_shapes(sim: SimulatedExchange, http: aiohttp.ClientSession) -> None:
    base = sim.base_url
    status, acct, _ = await get(http, f"{base}/fapi/v3/account?{signed(f'timestamp={ts()}')}")
    assert status == 200
    assert acct["totalWalletBalance"] == "10000.00000000"
    assert {"totalMaintMargin", "totalCrossWalletBalance", "totalCrossUnPnl", "availableBalance",
            "assets", "positions"} <= set(acct)
    assert {p["positionSide"] for p in acct["positions"]} == {"LONG", "SHORT"}  # hedge-mode account
    _, risk, _ = await get(http, f"{base}/fapi/v3/positionRisk?{signed(f'timestamp={ts()}')}")
    by = {(p["symbol"], p["positionSide"]): p for p in risk}
    assert ("ETHUSDT", "LONG") in by and ("ETHUSDT", "SHORT") in by
    short = by[("ETHUSDT", "SHORT")]
    assert Decimal(short["positionAmt"]) < 0 and Decimal(short["notional"]) < 0
    assert "leverage" not in short and "marginType" not in short  # v3 has neither
    assert all(isinstance(short[k], str) for k in ("positionAmt", "entryPrice", "markPrice", "maintMargin"))
    assert Decimal(by[("SOLUSDT", "LONG")]["isolatedWallet"]) > 0
    _, bal, _ = await get(http, f"{base}/fapi/v3/balance?{signed(f'timestamp={ts()}')}")
    assert bal[0]["asset"] == "USDT" and bal[0]["balance"] == "10000.00000000"
    _, cfg, _ = await get(http, f"{base}/fapi/v1/symbolConfig?{signed(f'symbol=SOLUSDT&timestamp={ts()}')}")
    assert cfg == [{"symbol": "SOLUSDT", "marginType": "ISOLATED", "isAutoAddMargin": False, "leverage": 20,
                    "maxNotionalValue": cfg[0]["maxNotionalValue"]}]
    _, ac, _ = await get(http, f"{base}/fapi/v1/accountConfig?{signed(f'timestamp={ts()}')}")
    assert ac["dualSidePosition"] is True and ac["multiAssetsMargin"] is False
    _, brs, _ = await get(http, f"{base}/fapi/v1/leverageBracket?{signed(f'timestamp={ts()}')}")
    assert isinstance(brs, list) and {"symbol", "brackets"} <= set(brs[0])
    status, one, _ = await get(http, f"{base}/fapi/v1/leverageBracket?{signed(f'symbol=BTCUSDT&timestamp={ts()}')}")
    assert status == 200 and one["symbol"] == "BTCUSDT"
    first = one["brackets"][0]
    assert isinstance(first["maintMarginRatio"], Decimal) and isinstance(first["initialLeverage"], int)
    _, rest, _ = await get(http, f"{base}/sapi/v1/account/apiRestrictions?{signed(f'timestamp={ts()}')}")
    assert rest["enableReading"] is True and rest["enableFutures"] is False


@pytest.mark.asyncio
async def test_auth_errors_match_binance(sim: SimulatedExchange) -> None:
    url = f"{sim.base_url}/fapi/v3/account"
    async with aiohttp.ClientSession() as anon:
        async with anon.get(f"{url}?{signed(f'timestamp={ts()}')}") as r:
            assert r.status == 401
            assert await r.json() == {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}
        async with anon.get(f"{url}?{signed(f'timestamp={ts()}')}", headers={"X-MBX-APIKEY": "nope"}) as r:
            assert (r.status, (await r.json())["code"]) == (401, -2015)
        hdr = {"X-MBX-APIKEY": DEMO_API_KEY}
        async with anon.get(f"{url}?{signed(f'timestamp={ts()}', 'wrong')}", headers=hdr) as r:
            assert r.status == 400
            assert await r.json() == {"code": -1022, "msg": "Signature for this request is not valid."}
        async with anon.get(f"{url}?{signed(f'timestamp={ts() - 6000}')}", headers=hdr) as r:
            body = await r.json()
            assert (r.status, body["code"]) == (400, -1021)
            assert body["msg"] == "Timestamp for this request is outside of the recvWindow."
        async with anon.get(f"{url}?{signed(f'recvWindow=10000&timestamp={ts() - 6000}')}", headers=hdr) as r:
            assert r.status == 200  # a wider recvWindow accepts it
        async with anon.get(f"{url}?{signed(f'timestamp={ts() + 3000}')}", headers=hdr) as r:
            assert (r.status, (await r.json())["code"]) == (400, -1021)
        async with anon.get(f"{url}?recvWindow=5000", headers=hdr) as r:
            assert (r.status, (await r.json())["code"]) == (400, -1102)
        # The signature need not be last: verified over the other params in their original order.
        q = f"recvWindow=5000&timestamp={ts()}"
        sig = signed(q).rsplit("=", 1)[1]
        async with anon.get(f"{url}?signature={sig}&{q}", headers=hdr) as r:
            assert r.status == 200
        # Params split between query string and body: totalParams = query + body.
        lk_url = f"{sim.base_url}/fapi/v1/leverageBracket"
        async with anon.get(f"{lk_url}?{signed(f'symbol=ETHUSDT&timestamp={ts()}').upper()}", headers=hdr) as r:
            assert r.status == 400  # params upper-cased: the payload changed, so the signature fails


def test_hmac_matches_the_binance_futures_vector() -> None:
    auth = Authenticator("k", "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9")
    payload = ("symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC"
               "&recvWindow=5000&timestamp=1591702613943")
    sig = "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9"
    assert auth.check_signed(f"{payload}&signature={sig.upper()}", "", 1591702613943)["symbol"] == "BTCUSDT"
    with pytest.raises(Exception, match="Signature"):
        auth.check_signed(f"{payload}&signature={sig[:-1]}0", "", 1591702613943)
    assert "2b5e" not in repr(auth)


@pytest.mark.asyncio
async def test_ed25519_signatures() -> None:
    key = Ed25519PrivateKey.generate()
    pem = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    async with SimulatedExchange(api_key="edkey", ed25519_public_key_pem=pem, tick_interval=0.05) as sim, \
            aiohttp.ClientSession(headers={"X-MBX-APIKEY": "edkey"}) as http:
        q = f"timestamp={ts()}"
        sig = base64.b64encode(key.sign(q.encode())).decode()
        async with http.get(f"{sim.base_url}/fapi/v3/balance", params={"timestamp": q.split("=")[1],
                                                                         "signature": sig}) as r:
            assert r.status == 200
        async with http.get(f"{sim.base_url}/fapi/v3/balance?{signed(f'timestamp={ts()}')}") as r:
            assert (r.status, (await r.json())["code"]) == (400, -1022)


@pytest.mark.asyncio
async def test_listen_key_lifecycle(sim: SimulatedExchange, http: aiohttp.ClientSession) -> None:
    url = f"{sim.base_url}/fapi/v1/listenKey"
    async with http.post(url) as r:
        key = (await r.json())["listenKey"]
        assert r.status == 200 and len(key) == 64
    async with http.post(url) as r:
        assert (await r.json())["listenKey"] == key  # the active key comes back, extended
    async with http.put(url) as r:
        assert (r.status, (await r.json())["listenKey"]) == (200, key)
    sim.faults.expire_listen_key()
    async with http.put(url) as r:
        assert (r.status, (await r.json())["code"]) == (400, -1125)
    async with http.post(url) as r:
        new = (await r.json())["listenKey"]
        assert new != key
    async with http.delete(url) as r:
        assert (r.status, await r.json()) == (200, {})
    async with http.put(url) as r:
        assert (await r.json())["code"] == -1125
    async with aiohttp.ClientSession() as anon, anon.post(url) as r:
        assert (r.status, (await r.json())["code"]) == (401, -2015)


@pytest.mark.asyncio
async def test_rest_rate_limit_faults_and_clock_skew(sim: SimulatedExchange, http: aiohttp.ClientSession) -> None:
    ping = f"{sim.base_url}/fapi/v1/ping"
    sim.faults.rest_errors(429, count=2, retry_after=7)
    for _ in range(2):
        async with http.get(ping) as r:
            assert (r.status, r.headers["Retry-After"], (await r.json())["code"]) == (429, "7", -1003)
            assert "X-MBX-USED-WEIGHT-1M" in r.headers
    async with http.get(ping) as r:
        assert r.status == 200
    # Through the HTTP control endpoint, as the standalone process is driven.
    async with http.post(f"{sim.base_url}/_sim/fault", json={"kind": "rest_error", "status": 418,
                                                             "count": 1, "retry_after": 120}) as r:
        assert r.status == 200
    async with http.get(ping) as r:
        assert (r.status, r.headers["Retry-After"]) == (418, "120")
    async with http.get(ping) as r:
        assert r.status == 200
    async with http.post(f"{sim.base_url}/_sim/fault", json={"kind": "nonsense"}) as r:
        assert r.status == 400
    sim.faults.skew_clock(-30_000)
    _, body, _ = await get(http, f"{sim.base_url}/fapi/v1/time")
    assert 25_000 < ts() - body["serverTime"] < 35_000
    status, err, _ = await get(http, f"{sim.base_url}/fapi/v3/account?{signed(f'timestamp={ts()}')}")
    assert (status, err["code"]) == (400, -1021)  # our clock is now 30 s "ahead" of the server's


def test_refuses_non_loopback_hosts() -> None:
    with pytest.raises(ValueError):
        SimulatedExchange(host="0.0.0.0")


@pytest.mark.asyncio
async def test_rest_bodies_decode_with_core_rest_models(sim: SimulatedExchange, http: aiohttp.ClientSession) -> None:
    from marginwatch.core import rest_models as rm

    async def body(path: str) -> bytes:
        async with http.get(f"{sim.base_url}{path}") as r:
            assert r.status == 200, path
            return await r.read()

    assert rm.decode_account(await body(f"/fapi/v3/account?{signed(f'timestamp={ts()}')}"))
    rows = rm.decode_position_risk(await body(f"/fapi/v3/positionRisk?{signed(f'timestamp={ts()}')}"))
    assert len(rows) == 5
    assert rm.decode_balances(await body(f"/fapi/v3/balance?{signed(f'timestamp={ts()}')}"))
    assert rm.decode_symbol_configs(await body(f"/fapi/v1/symbolConfig?{signed(f'timestamp={ts()}')}"))
    assert rm.decode_account_config(await body(f"/fapi/v1/accountConfig?{signed(f'timestamp={ts()}')}"))
    assert rm.decode_exchange_info(await body("/fapi/v1/exchangeInfo"))
    assert len(rm.decode_premium_index(await body("/fapi/v1/premiumIndex"))) == 4
    assert rm.decode_server_time(await body("/fapi/v1/time")) > 0
    path = f"/sapi/v1/account/apiRestrictions?{signed(f'timestamp={ts()}')}"
    assert rm.decode_api_restrictions(await body(path))
