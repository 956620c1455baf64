"""Binance's own COIN-M SDK (`binance-sdk-derivatives-trading-coin-futures`), unchanged but for its
base URLs, works against the simulator's COIN-M face: signed dapi REST calls, the dapi listenKey,
and one unrouted dstream connection carrying a mark stream and the listenKey's user data."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip(
    "binance_sdk_derivatives_trading_coin_futures",
    reason="Binance's official COIN-M SDK is not installed",
)

from binance_common.configuration import ConfigurationRestAPI, ConfigurationWebSocketStreams
from binance_sdk_derivatives_trading_coin_futures.derivatives_trading_coin_futures import (
    DerivativesTradingCoinFutures,
)

from marginwatch.exchange.sim import DEMO_API_KEY, DEMO_API_SECRET, SimulatedExchange
from tests.exchange.session_harness import wait_until


def test_official_coin_m_sdk_against_the_simulator() -> None:
    async def scenario() -> None:
        async with SimulatedExchange(scenario="calm", tick_interval=0.05) as sim:
            assert sim.coinm is not None
            client = DerivativesTradingCoinFutures(
                config_rest_api=ConfigurationRestAPI(
                    api_key=DEMO_API_KEY, api_secret=DEMO_API_SECRET, base_path=sim.base_url
                ),
                config_ws_streams=ConfigurationWebSocketStreams(stream_url=sim.ws_url + "/dstream"),
            )
            loop = asyncio.get_running_loop()
            rest = client.rest_api
            # The SDK's REST client is blocking: run it off the loop that serves the simulator.
            positions = (await loop.run_in_executor(None, rest.position_information)).data()
            assert {(p.symbol, p.position_side) for p in positions} >= {("BTCUSD_PERP", "LONG"),
                                                                        ("ETHUSD_PERP", "LONG")}
            account = (await loop.run_in_executor(None, rest.account_information)).data()
            assert {a.asset for a in account.assets or ()} == {"BTC", "ETH"}
            key = (await loop.run_in_executor(None, rest.start_user_data_stream)).data().listen_key
            assert key == sim.coinm.listen_keys.active and sim.listen_key is None

            conn = await client.websocket_streams.create_connection()
            marks: list[object] = []
            events: list[object] = []
            try:
                (await conn.mark_price_stream(symbol="btcusd_perp", update_speed="1s")).on("message", marks.append)
                (await conn.user_data(key)).on("message", events.append)
                await wait_until(lambda: bool(marks))
                await wait_until(lambda: any(key in c.listen_keys for c in sim.coinm.hub.conns))
                sim.coinm.engines["BTC"].emit_margin_call()
                await wait_until(lambda: bool(events))
            finally:
                await conn.close_connection()
            assert marks[0].s == "BTCUSD_PERP" and float(marks[0].p) > 0  # type: ignore[attr-defined]
            inner = events[0].actual_instance  # type: ignore[attr-defined]
            assert type(inner).__name__ == "MarginCall" and inner.p[0].s == "BTCUSD_PERP"

    asyncio.run(scenario())
