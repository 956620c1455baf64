"""python-binance (`python-binance` on PyPI, the `bench` extra), unchanged but for its base URLs, works
against the simulated exchange: `AsyncClient.create()` (spot ping and time first), the futures account
calls at their default API versions, funding history, the listenKey, the routed `/market` stream and
the `/private` user-data stream.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

pytest.importorskip("binance", reason="python-binance is not installed (pip install -e '.[bench]')")

from binance import AsyncClient, BinanceSocketManager

from marginwatch.exchange.sim import DEMO_API_KEY, DEMO_API_SECRET, SimulatedExchange

TIMEOUT_S = 10.0


def client_class(sim: SimulatedExchange) -> type[AsyncClient]:
    """AsyncClient with only its spot and futures base URLs pointed at the simulator."""
    return type("SimAsyncClient", (AsyncClient,), {"API_URL": f"{sim.base_url}/api",
                                                     "FUTURES_URL": f"{sim.base_url}/fapi"})


def socket_manager(sim: SimulatedExchange, client: AsyncClient) -> BinanceSocketManager:
    cls = type("SimSocketManager", (BinanceSocketManager,), {"FSTREAM_URL": f"{sim.ws_url}/"})
    return cls(client)


@pytest.mark.asyncio
async def test_python_binance_reads_the_account_and_streams_from_the_simulator() -> None:
    async with SimulatedExchange(scenario="calm", tick_interval=0.05) as sim:
        client = await client_class(sim).create(DEMO_API_KEY, DEMO_API_SECRET)
        try:
            # create() synced to the simulator's clock from /api/v3/time.
            assert abs(client.timestamp_offset) < 2000

            account = await client.futures_account()  # GET /fapi/v2/account
            assert account["totalWalletBalance"] == "10000.00000000"
            rows = {(p["symbol"], p["positionSide"]): p for p in account["positions"]}
            assert Decimal(rows[("ETHUSDT", "SHORT")]["positionAmt"]) < 0
            assert rows[("SOLUSDT", "LONG")]["isolated"] is True

            positions = await client.futures_position_information()  # v3
            assert {p["symbol"] for p in positions} >= {"BTCUSDT", "ETHUSDT", "SOLUSDT"}
            balance = await client.futures_account_balance()
            assert balance[0]["asset"] == "USDT"
            assert await client.futures_get_position_mode() == {"dualSidePosition": True}
            funding = await client.futures_funding_rate(symbol="BTCUSDT", limit=3)
            assert [r["symbol"] for r in funding] == ["BTCUSDT"] * 3
            brackets = await client.futures_leverage_bracket(symbol="BTCUSDT")
            assert brackets["symbol"] == "BTCUSDT"  # one object when a symbol is named

            bm = socket_manager(sim, client)
            async with bm.symbol_mark_price_socket("BTCUSDT") as marks:
                frame = await asyncio.wait_for(marks.recv(), TIMEOUT_S)
            assert frame["stream"] == "btcusdt@markPrice@1s"
            assert frame["data"]["e"] == "markPriceUpdate" and Decimal(frame["data"]["p"]) > 0

            user_socket = bm.futures_user_socket()
            # Its read loop sees a close request only between frames or after TIMEOUT (10 s) of quiet:
            # a short one lets the socket exit at once on a stream that has gone quiet.
            user_socket.TIMEOUT = 0.2
            async with user_socket as user:  # POSTs the listenKey, then opens /private/ws/<key>
                key = sim.listen_key
                await asyncio.wait_for(sim.hub.connected(lambda c: c.kind == "private" and key in c.listen_keys),
                                       TIMEOUT_S)
                sim.engine.emit_margin_call("SOLUSDT")
                event = await asyncio.wait_for(user.recv(), TIMEOUT_S)
            assert event["e"] == "MARGIN_CALL" and event["p"][0]["s"] == "SOLUSDT"
        finally:
            await client.close_connection()
