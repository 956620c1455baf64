"""A third-party client, unchanged but for its base URLs, works against the simulated exchange.

The client is Binance's own Python SDK (`binance-sdk-derivatives-trading-usds-futures`, the `bench`
extra): signed REST calls, the listenKey, the routed `/market` stream and the `/private` stream with
a JSON SUBSCRIBE of the listenKey, decoded into the SDK's own models.
"""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip(
    "binance_sdk_derivatives_trading_usds_futures",
    reason="Binance's official SDK is not installed (pip install -e '.[bench]')",
)

from binance_common.configuration import ConfigurationRestAPI, ConfigurationWebSocketStreams
from binance_sdk_derivatives_trading_usds_futures.derivatives_trading_usds_futures import (
    DerivativesTradingUsdsFutures,
)

from marginwatch.exchange.sim import DEMO_API_KEY, DEMO_API_SECRET, SimulatedExchange
from tests.exchange.session_harness import wait_until


def test_official_sdk_against_the_simulator() -> None:
    async def scenario() -> None:
        async with SimulatedExchange(scenario="calm", tick_interval=0.05) as sim:
            client = DerivativesTradingUsdsFutures(
                config_rest_api=ConfigurationRestAPI(
                    api_key=DEMO_API_KEY, api_secret=DEMO_API_SECRET, base_path=sim.base_url
                ),
                config_ws_streams=ConfigurationWebSocketStreams(stream_url=sim.ws_url + "/stream"),
            )
            loop = asyncio.get_running_loop()
            rest = client.rest_api
            # The SDK's REST client is blocking: run it off the loop that serves the simulator.
            positions = (await loop.run_in_executor(None, rest.position_information_v3)).data()
            assert {p.symbol for p in positions} >= {"BTCUSDT", "ETHUSDT", "SOLUSDT"}
            account = (await loop.run_in_executor(None, rest.account_information_v3)).data()
            assert account.total_wallet_balance is not None
            key = (await loop.run_in_executor(None, rest.start_user_data_stream)).data().listen_key
            assert key == sim.listen_key

            conn = await client.websocket_streams.create_connection()
            marks: list[object] = []
            events: list[object] = []
            try:
                (await conn.mark_price_stream(symbol="btcusdt", update_speed="1s")).on("message", marks.append)
                (await conn.user_data(key)).on("message", events.append)
                await wait_until(lambda: bool(marks))
                await wait_until(lambda: any(key in c.listen_keys for c in sim.hub.of(("private",))))
                sim.engine.emit_margin_call("SOLUSDT")
                await wait_until(lambda: bool(events))
            finally:
                await conn.close_connection()
            assert marks[0].s == "BTCUSDT" and float(marks[0].p) > 0  # type: ignore[attr-defined]
            inner = events[0].actual_instance  # type: ignore[attr-defined]
            assert type(inner).__name__ == "MarginCall" and inner.p[0].s == "SOLUSDT"

    asyncio.run(scenario())
