"""BinanceRestClient against the simulated exchange on loopback (real sockets, real signatures)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal

import pytest
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from marginwatch.core.brackets import BracketTable
from marginwatch.exchange.credentials import Credentials
from marginwatch.exchange.endpoints import Endpoints
from marginwatch.exchange.errors import (
    BinanceError,
    ExchangeUnavailable,
    InvalidApiKey,
    InvalidSignature,
    IpBanned,
    RateLimited,
    ResponseTooLarge,
    TimestampOutsideRecvWindow,
    UnexpectedResponse,
)
from marginwatch.exchange.rest_client import BinanceRestClient
from marginwatch.exchange.sim import DEMO_API_KEY, DEMO_API_SECRET, SimulatedExchange

GOOD = Credentials(DEMO_API_KEY, DEMO_API_SECRET, "hmac")
Body = Callable[[SimulatedExchange, BinanceRestClient], Awaitable[None]]


def run_with_sim(body: Body, *, credentials: Credentials | None = GOOD, **client_kw: object) -> None:
    async def main() -> None:
        async with SimulatedExchange(port=0, autostart_engine=False, seed=1) as sim:
            endpoints = Endpoints.local(sim.base_url, sim.ws_url)
            async with BinanceRestClient(endpoints, credentials, **client_kw) as client:  # type: ignore[arg-type]
                await asyncio.wait_for(body(sim, client), 15)

    asyncio.run(main())


@contextlib.asynccontextmanager
async def loopback_server(routes: dict[str, Callable[[web.Request], Awaitable[web.StreamResponse]]]
                          ) -> AsyncIterator[Endpoints]:
    """A hostile stand-in for Binance on a loopback port: GET `path` answered by `routes[path]`."""
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        yield Endpoints.local(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}")
    finally:
        await runner.cleanup()


def test_public_and_signed_endpoints_decode() -> None:
    async def body(sim: SimulatedExchange, client: BinanceRestClient) -> None:
        await client.ping()
        assert abs(await client.server_time() - int(time.time() * 1000)) < 5000
        info = await client.exchange_info()
        assert "BTCUSDT" in info.by_symbol()
        assert info.by_symbol()["BTCUSDT"].tick_size is not None
        [btc] = await client.premium_index("BTCUSDT")
        assert btc.symbol == "BTCUSDT" and btc.markPrice > 0
        assert len(await client.premium_index()) > 1
        account = await client.account()
        assert isinstance(account.totalMaintMargin, Decimal) and account.asset("USDT") is not None
        rows = await client.position_risk()
        assert all(isinstance(r.positionAmt, Decimal) for r in rows)
        assert any(b.asset == "USDT" for b in await client.balance())
        assert all(c.leverage >= 1 for c in await client.symbol_config())
        assert isinstance((await client.account_config()).dualSidePosition, bool)
        assert (await client.api_restrictions()).enableReading
        brackets = await client.leverage_brackets()
        table = brackets["BTCUSDT"]
        assert isinstance(table, BracketTable)
        # Decimal straight from the JSON text: no binary-float residue.
        assert all(isinstance(b.maint_margin_ratio, Decimal) for b in table.brackets)
        assert all(len(str(b.maint_margin_ratio)) < 12 for b in table.brackets)
        assert client.used_weight.get("1M", 0) >= 5 + 5 + 5 + 5 + 5 + 10

    run_with_sim(body)


def test_signed_request_layout_signature_last() -> None:
    client = BinanceRestClient(Endpoints.mainnet(), GOOD, recv_window=3000)
    query, headers = client._build([("symbol", "BTCUSDT")], "signed")
    names = [item.split("=", 1)[0] for item in query.split("&")]
    assert names == ["symbol", "timestamp", "recvWindow", "signature"]
    assert headers == {"X-MBX-APIKEY": DEMO_API_KEY}
    public, no_headers = client._build([("symbol", "BTCUSDT")], "none")
    assert public == "symbol=BTCUSDT" and no_headers == {}


def test_skewed_server_clock_is_absorbed_by_the_offset() -> None:
    async def body(sim: SimulatedExchange, client: BinanceRestClient) -> None:
        sim.faults.skew_clock(-45_000)  # the desktop clock runs 45 s ahead of Binance
        account = await client.account()  # first signed call syncs the clock by itself
        assert account.asset("USDT") is not None
        assert abs(client.time_offset_ms + 45_000) < 1000
        # The server clock jumps after we synced: the -1021 triggers one re-sync and a retry.
        sim.faults.skew_clock(+30_000)
        assert (await client.account()).asset("USDT") is not None
        assert abs(client.time_offset_ms - 30_000) < 1000
        assert abs(await client.sync_time() - 30_000) < 1000

    run_with_sim(body)


def test_without_time_sync_a_skewed_clock_is_explained() -> None:
    async def body(sim: SimulatedExchange, client: BinanceRestClient) -> None:
        sim.faults.skew_clock(-20_000)
        with pytest.raises(TimestampOutsideRecvWindow) as info:
            await client.account()
        assert info.value.code == -1021
        assert info.value.clock_offset_ms is not None
        assert "clock is off by 20" in info.value.explain()
        assert "ahead of" in info.value.explain()

    run_with_sim(body, auto_time_sync=False)


def test_wrong_secret_is_invalid_signature_with_clear_explanation(caplog: pytest.LogCaptureFixture) -> None:
    wrong = "x" * 64

    async def body(sim: SimulatedExchange, client: BinanceRestClient) -> None:
        with pytest.raises(InvalidSignature) as info:
            await client.account()
        err = info.value
        assert err.code == -1022 and err.http_status == 400
        assert "Wrong API secret" in err.explain()
        for text in (str(err), repr(err), err.explain()):
            assert wrong not in text and "signature=" not in text

    with caplog.at_level(logging.DEBUG, logger="marginwatch"):
        run_with_sim(body, credentials=Credentials(DEMO_API_KEY, wrong, "hmac"))
    assert caplog.records, "the failing call should be logged"
    for record in caplog.records:
        text = record.getMessage()
        assert wrong not in text and DEMO_API_KEY not in text and "signature" not in text


def test_unknown_api_key_is_invalid_api_key() -> None:
    async def body(sim: SimulatedExchange, client: BinanceRestClient) -> None:
        with pytest.raises(InvalidApiKey) as info:
            await client.balance()
        assert info.value.code == -2015
        assert "IP" in info.value.explain() and "whitelist" in info.value.explain()
        with pytest.raises(InvalidApiKey):
            await client.new_listen_key()

    run_with_sim(body, credentials=Credentials("unknownKey123", DEMO_API_SECRET, "hmac"))


def test_no_credentials_refuses_signed_calls_but_allows_public_ones() -> None:
    async def body(sim: SimulatedExchange, client: BinanceRestClient) -> None:
        await client.ping()
        with pytest.raises(ValueError, match="API key"):
            await client.account()

    run_with_sim(body, credentials=None)


def test_429_blocks_until_retry_after_and_refuses_meanwhile() -> None:
    async def body(sim: SimulatedExchange, client: BinanceRestClient) -> None:
        await client.sync_time()
        sim.faults.rest_errors(429, count=1, retry_after=30)
        with pytest.raises(RateLimited) as info:
            await client.account()
        assert info.value.retry_after == 30 and info.value.http_status == 429
        assert 25 < client.blocked_for() <= 30 and client.blocked_until is not None
        # The fault is used up, so the server would answer: a refusal proves nothing was sent.
        with pytest.raises(RateLimited) as again:
            await client.ping()
        assert again.value.retry_after is not None and again.value.retry_after > 25
        assert "rate limit" in again.value.explain()

    run_with_sim(body, max_auto_wait=2.0)


def test_short_retry_after_is_waited_out_and_retried_once() -> None:
    async def body(sim: SimulatedExchange, client: BinanceRestClient) -> None:
        await client.sync_time()
        sim.faults.rest_errors(429, count=1, retry_after=1)
        started = time.monotonic()
        assert (await client.account()).asset("USDT") is not None
        assert time.monotonic() - started >= 0.95  # honoured the Retry-After
        # Two 429s in a row: one automatic retry only, then the error reaches the caller.
        sim.faults.rest_errors(429, count=2, retry_after=1)
        with pytest.raises(RateLimited):
            await client.account()

    run_with_sim(body, max_auto_wait=2.0)


def test_418_is_ip_banned_and_never_retried() -> None:
    async def body(sim: SimulatedExchange, client: BinanceRestClient) -> None:
        sim.faults.rest_errors(418, count=1, retry_after=1)
        with pytest.raises(IpBanned) as info:
            await client.ping()
        assert info.value.retry_after == 1
        assert "banned" in info.value.explain()
        with pytest.raises(IpBanned):
            await client.ping()  # refused locally even though the wait is short

    run_with_sim(body, max_auto_wait=5.0)


@pytest.mark.parametrize(
    ("status", "seconds", "kind"),
    [(429, 7, RateLimited), (418, 45, IpBanned)],  # neither is the client's default (30 s, 120 s)
)
def test_retry_after_from_the_server_is_the_wait_reported_and_enforced(
    status: int, seconds: int, kind: type[RateLimited] | type[IpBanned]
) -> None:
    async def body(sim: SimulatedExchange, client: BinanceRestClient) -> None:
        sim.faults.rest_errors(status, count=1, retry_after=seconds)
        with pytest.raises(kind) as info:
            await client.ping()
        assert info.value.http_status == status and info.value.retry_after == seconds
        assert seconds - 1 < client.blocked_for() <= seconds
        # The next request is refused locally with what is left of the server's wait.
        with pytest.raises(kind) as again:
            await client.ping()
        assert again.value.retry_after is not None and seconds - 1 < again.value.retry_after <= seconds

    run_with_sim(body, max_auto_wait=2.0)


@pytest.mark.parametrize(("header", "wait"), [
    ("inf", 600.0), ("1e999", 600.0), ("2147484", 600.0), ("86400", 600.0),  # capped as on the WebSocket
    ("nan", 30.0), ("soon", 30.0), ("-5", 30.0),  # unreadable: the client's default for a 429
    ("7", 7.0),
])
def test_retry_after_is_capped_at_ten_minutes_and_an_unreadable_one_is_the_default(header: str, wait: float) -> None:
    async def limited(request: web.Request) -> web.Response:
        return web.json_response({"code": -1003, "msg": "Too many requests."}, status=429,
                                 headers={"Retry-After": header})

    async def main() -> None:
        async with loopback_server({"/fapi/v1/ping": limited}) as endpoints, \
                BinanceRestClient(endpoints, GOOD, max_auto_wait=0.0) as client:
            with pytest.raises(RateLimited) as info:
                await client.ping()
            assert info.value.retry_after == wait
            assert wait - 5 < client.blocked_for() <= wait

    asyncio.run(main())


def test_a_position_risk_row_with_a_non_finite_number_is_left_out_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    rows = [{"symbol": "BTCUSDT", "positionSide": "BOTH", "positionAmt": "1", "entryPrice": "100", "markPrice": "sNaN"},
            {"symbol": "ETHUSDT", "positionSide": "BOTH", "positionAmt": "2", "entryPrice": "10", "markPrice": "11"}]

    async def server_time(request: web.Request) -> web.Response:
        return web.json_response({"serverTime": int(time.time() * 1000)})

    async def position_risk(request: web.Request) -> web.Response:
        return web.json_response(rows)

    async def main() -> None:
        routes = {"/fapi/v1/time": server_time, "/fapi/v3/positionRisk": position_risk}
        async with loopback_server(routes) as endpoints, BinanceRestClient(endpoints, GOOD) as client:
            got = await client.position_risk()
            assert [r.symbol for r in got] == ["ETHUSDT"]
            assert [(d.name, d.keys) for d in got.dropped] == [("BTCUSDT", ("markPrice",))]

    with caplog.at_level(logging.WARNING, logger="marginwatch.exchange.rest_client"):
        asyncio.run(main())
    assert any("left out" in r.getMessage() and "'BTCUSDT' (markPrice)" in r.getMessage() for r in caplog.records)


HUGE = 256 * 1024 * 1024  # what the hostile server offers; the client's limit is 32 MiB


def endless_body(declare_length: bool) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Streams up to HUGE bytes of a JSON-looking body, chunked or with a Content-Length up front."""

    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        if declare_length:
            resp.content_length = HUGE
        else:
            resp.enable_chunked_encoding()
        await resp.prepare(request)
        chunk = b" " * (1 << 20)
        with contextlib.suppress(ConnectionError):  # the client hangs up long before the end
            for _ in range(HUGE // len(chunk)):
                await resp.write(chunk)
        return resp

    return handler


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "chunked"])
def test_an_oversized_answer_is_refused_while_streaming_with_a_typed_error(declare_length: bool) -> None:
    async def main() -> None:
        async def pong(request: web.Request) -> web.Response:
            return web.json_response({})

        routes = {"/fapi/v1/exchangeInfo": endless_body(declare_length), "/fapi/v1/ping": pong}
        async with loopback_server(routes) as endpoints, \
                BinanceRestClient(endpoints, GOOD, timeout=30.0) as client:
            tracemalloc.start()
            try:
                with pytest.raises(ResponseTooLarge) as info:
                    await client.exchange_info()
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
            assert info.value.limit == 32 * 1024 * 1024
            assert "GET /fapi/v1/exchangeInfo" in str(info.value) and "32 MiB" in info.value.explain()
            # read up to the limit and no further (a declared length is refused before reading)
            assert peak < (8 if declare_length else 48) * 1024 * 1024
            assert (await client.ping()) is None  # the client is still usable afterwards

    asyncio.run(main())


def test_weight_budget_backs_off_before_the_server_says_429() -> None:
    async def body(sim: SimulatedExchange, client: BinanceRestClient) -> None:
        await client.ping()
        used = client.used_weight["1M"]
        client.weight_limit = used + 5  # pretend the budget is nearly used
        with pytest.raises(RateLimited) as info:
            await client.account()  # weight 5 would cross 90 % of the limit
        assert info.value.http_status is None and info.value.retry_after is not None
        assert 0 < info.value.retry_after <= 61

    run_with_sim(body, max_auto_wait=0.0)


def test_ed25519_key_signs_requests_the_sim_verifies() -> None:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    other = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()

    async def main() -> None:
        async with SimulatedExchange(port=0, autostart_engine=False, ed25519_public_key_pem=public) as sim:
            endpoints = Endpoints.local(sim.base_url, sim.ws_url)
            async with BinanceRestClient(endpoints, Credentials(DEMO_API_KEY, pem, "ed25519")) as client:
                for _ in range(5):  # several signatures, so '+', '/' and '=' are exercised in the query
                    assert (await client.account()).asset("USDT") is not None
            async with BinanceRestClient(endpoints, Credentials(DEMO_API_KEY, other, "ed25519")) as client:
                with pytest.raises(InvalidSignature):
                    await client.account()

    asyncio.run(main())


def test_network_failure_is_exchange_unavailable() -> None:
    async def main() -> None:
        async with SimulatedExchange(port=0, autostart_engine=False) as sim:
            endpoints = Endpoints.local(sim.base_url, sim.ws_url)
        # The sim is stopped: its port now refuses connections.
        async with BinanceRestClient(endpoints, GOOD, timeout=2.0) as client:
            with pytest.raises(ExchangeUnavailable) as info:
                await client.ping()
            assert "internet connection" in info.value.explain()
            assert not isinstance(info.value, BinanceError)

    asyncio.run(main())


def test_odd_answers_become_typed_errors() -> None:
    """A proxy/WAF page, a 5xx and a body of the wrong shape (the sim never sends these)."""
    from aiohttp import web

    async def waf(request: web.Request) -> web.Response:
        return web.Response(status=403, text="<html>Request blocked</html>", content_type="text/html")

    async def unavailable(request: web.Request) -> web.Response:
        return web.json_response({"code": -1001, "msg": "Service Unavailable."}, status=503)

    async def wrong_shape(request: web.Request) -> web.Response:
        return web.json_response({"symbols": "not a list"})

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/fapi/v1/time", waf)
        app.router.add_get("/fapi/v1/ping", unavailable)
        app.router.add_get("/fapi/v1/exchangeInfo", wrong_shape)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            endpoints = Endpoints.local(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}")
            async with BinanceRestClient(endpoints, GOOD) as client:
                with pytest.raises(BinanceError) as waf_err:
                    await client.server_time()
                assert waf_err.value.http_status == 403 and "firewall" in waf_err.value.explain()
                with pytest.raises(ExchangeUnavailable) as down:
                    await client.ping()
                assert down.value.http_status == 503 and "trouble" in down.value.explain()
                with pytest.raises(UnexpectedResponse) as odd:
                    await client.exchange_info()
                assert "not a list" not in str(odd.value)
        finally:
            await runner.cleanup()

    asyncio.run(main())
