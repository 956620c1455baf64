"""The simulator's control endpoints (`/_sim/fault`, `/_sim/state`): loopback callers only, clear
errors for bad specs, and the counts hostile-conditions tests read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from marginwatch.exchange.sim import FaultKind, SimulatedExchange
from marginwatch.exchange.sim.server import KEEP_EMITTED
from tests.exchange.sim_ws_client import TICK, listen_key, recv

pytestmark = pytest.mark.asyncio

RATE_LIMIT = '{"kind": "rest_error", "status": 429, "count": 5}'


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[SimulatedExchange]:
    async with SimulatedExchange(scenario="calm", tick_interval=TICK, seed=5) as s:
        s.pause()
        yield s


async def ping_status(sim: SimulatedExchange, http: aiohttp.ClientSession) -> int:
    async with http.get(f"{sim.base_url}/fapi/v1/ping") as r:
        return r.status


async def state(sim: SimulatedExchange, http: aiohttp.ClientSession) -> dict[str, Any]:
    async with http.get(f"{sim.base_url}/_sim/state") as r:
        assert r.status == 200
        body: dict[str, Any] = await r.json()
        return body


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"},
    {"Origin": "null"},  # a sandboxed frame or a file:// page
    {"Origin": "http://127.0.0.1:1"},  # loopback, but another port: another origin
    {"Sec-Fetch-Site": "cross-site"},
])
async def test_a_cross_origin_fault_post_is_refused_and_changes_nothing(
        sim: SimulatedExchange, http: aiohttp.ClientSession, headers: dict[str, str]) -> None:
    # A browser's "simple" POST: text/plain needs no CORS preflight, so only its headers tell it apart.
    async with http.post(f"{sim.base_url}/_sim/fault", data=RATE_LIMIT,
                         headers={"Content-Type": "text/plain", **headers}) as r:
        assert r.status == 403 and "cross-origin" in (await r.json())["error"]
    assert await ping_status(sim, http) == 200


@pytest.mark.parametrize("origin", ["http://127.0.0.1:{port}", "http://localhost:{port}", None])
async def test_a_fault_post_from_the_servers_own_origin_or_no_browser_is_applied(
        sim: SimulatedExchange, http: aiohttp.ClientSession, origin: str | None) -> None:
    headers = {"Content-Type": "text/plain"}
    if origin is not None:
        headers["Origin"] = origin.format(port=sim.port)
    async with http.post(f"{sim.base_url}/_sim/fault", data=RATE_LIMIT, headers=headers) as r:
        assert r.status == 200
    assert await ping_status(sim, http) == 429


@pytest.mark.parametrize("host", ["evil.example:{port}", "127.0.0.1:{other}", "127.0.0.1", "[::1]:{port}", ""])
async def test_control_endpoints_answer_only_to_a_loopback_host_header(
        sim: SimulatedExchange, http: aiohttp.ClientSession, host: str) -> None:
    # DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1 sends its own Host.
    headers = {"Host": host.format(port=sim.port, other=sim.port + 1)}
    async with http.get(f"{sim.base_url}/_sim/state", headers=headers) as r:
        assert r.status == 421
    async with http.post(f"{sim.base_url}/_sim/fault", data=RATE_LIMIT, headers=headers) as r:
        assert r.status == 421
    assert await ping_status(sim, http) == 200


async def test_localhost_by_name_is_a_loopback_host(sim: SimulatedExchange, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{sim.base_url}/_sim/state", headers={"Host": f"localhost:{sim.port}"}) as r:
        assert r.status == 200


async def test_the_exchange_api_is_not_behind_the_control_guard(sim: SimulatedExchange,
                                                               http: aiohttp.ClientSession) -> None:
    async with http.get(f"{sim.base_url}/fapi/v1/ping", headers={"Origin": "http://evil.example"}) as r:
        assert r.status == 200


@pytest.mark.parametrize(("body", "error"), [
    ('{"kind": "rest_error", "count": "many"}', "count must be an integer"),
    ('{"kind": "rest_error", "status": 500}', "429 or 418"),
    ('{"kind": "mark", "symbol": "BTCUSDT", "price": "cheap"}', "price must be a number"),
    ('{"kind": "mark", "symbol": "BTCUSDT", "price": "-5"}', "positive"),
    ('{"kind": "mark", "symbol": "NOPEUSDT", "price": "1"}', "unknown symbol"),
    ('{"kind": "mark", "symbol": "BTCUSDT"}', "symbol and a price"),
    ('{"kind": "stall", "seconds": "long"}', "seconds must be a number"),
    ('{"kind": "drop", "target": "everything"}', "unknown connection kind"),
    ('{"kind": "collateral", "amount": "5"}', "needs an asset"),
    ('{"kind": "collateral", "asset": "USDC", "amount": "5"}', "needs a USD price"),
    ('{"kind": "collateral", "asset": "USDC", "amount": "lots", "price": "1"}', "amount must be a number"),
    ('{"kind": "collateral", "asset": "USDC", "amount": "5", "price": "1", "haircut": "1"}', "haircut in [0, 1)"),
    ('{"kind": "collateral", "asset": "USDT", "amount": "5", "price": "1"}', "cannot be multi-assets collateral"),
    ('{"kind": "explode"}', "unknown fault kind"),
    ("{}", "unknown fault kind"),
    ("[1, 2]", "JSON object"),
    ("{not json", "Expecting property name"),
])
async def test_a_bad_fault_spec_gets_a_clear_400_and_changes_nothing(
        sim: SimulatedExchange, http: aiohttp.ClientSession, body: str, error: str) -> None:
    before = await state(sim, http)
    async with http.post(f"{sim.base_url}/_sim/fault", data=body) as r:
        assert r.status == 400
        assert error in (await r.json())["error"]
    assert await ping_status(sim, http) == 200
    assert (await state(sim, http))["marks"] == before["marks"]


VALID_SPECS: dict[FaultKind, dict[str, Any]] = {
    FaultKind.DROP: {}, FaultKind.STALL: {"seconds": 0.01}, FaultKind.RESUME: {}, FaultKind.MALFORMED: {},
    FaultKind.CUT_24H: {}, FaultKind.EXPIRE_LISTEN_KEY: {}, FaultKind.REFUSE_PRIVATE: {"code": 1008},
    FaultKind.USER_FRAME: {"frame": {"e": "X"}}, FaultKind.REST_ERROR: {"count": 0}, FaultKind.SKEW: {"ms": 0},
    FaultKind.DUPLICATE: {"count": 0}, FaultKind.REORDER: {"count": 0}, FaultKind.CLEAR: {},
    FaultKind.MARK: {"symbol": "BTCUSDT", "price": "99000"}, FaultKind.PAUSE: {"paused": True},
    FaultKind.MARGIN_CALL: {"symbol": "SOLUSDT"}, FaultKind.KEY_PERMISSIONS: {"flags": {"enableFutures": False}},
    FaultKind.COLLATERAL: {"asset": "USDC", "amount": "10", "price": "0.9998"},
}


async def test_every_fault_kind_is_accepted_over_http(sim: SimulatedExchange, http: aiohttp.ClientSession) -> None:
    assert set(VALID_SPECS) == set(FaultKind)
    for kind, spec in VALID_SPECS.items():
        async with http.post(f"{sim.base_url}/_sim/fault", json={"kind": kind.value, **spec}) as r:
            assert (r.status, (await r.json())["ok"]) == (200, True), kind


async def test_state_counts_private_connects_and_listen_key_posts(sim: SimulatedExchange,
                                                                  http: aiohttp.ClientSession) -> None:
    first = await state(sim, http)
    assert (first["private_connects"], first["listen_key_posts"]) == (0, 0)
    key = await listen_key(sim, http)
    assert await listen_key(sim, http) == key  # the same key, extended: still a POST
    async with http.ws_connect(f"{sim.ws_url}/private/ws/{key}") as ws:
        sim.engine.emit_margin_call("SOLUSDT")
        await recv(ws)
    async with http.ws_connect(f"{sim.ws_url}/private/ws/notakey") as ws:
        await ws.receive(timeout=2)  # refused with 1008, but it did connect
    sim.faults.refuse_private(4000)
    async with http.ws_connect(f"{sim.ws_url}/private/ws/{key}") as ws:
        await ws.receive(timeout=2)
    async with http.ws_connect(f"{sim.ws_url}/market/ws"):
        pass  # not a private connect
    now = await state(sim, http)
    assert (now["private_connects"], now["listen_key_posts"]) == (3, 2)


async def test_sent_events_keep_only_the_latest_but_count_them_all() -> None:
    sim = SimulatedExchange(autostart_engine=False)
    total = KEEP_EMITTED + 25
    for i in range(total):
        sim.emit_user_event({"e": "MARGIN_CALL" if i % 5 == 0 else "ACCOUNT_UPDATE", "E": i})
    assert len(sim.events_emitted) == KEEP_EMITTED and sim.events_emitted[-1]["E"] == total - 1
    assert sim.events_emitted[0]["E"] == total - KEEP_EMITTED
    assert sim.emitted.user_events == total and sim.emitted.margin_calls == (total + 4) // 5
    reported = sim.state()
    assert (reported["events"], reported["marginCalls"]) == (total, (total + 4) // 5)
