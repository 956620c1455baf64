"""The MEXC demo account: the MEXC simulator face in this process on a free loopback port, followed
exactly as a real MEXC account (REST snapshot, private WebSocket), beside the Binance demo."""

from __future__ import annotations

from typing import TYPE_CHECKING

from marginwatch.exchange.credentials import Credentials

if TYPE_CHECKING:
    from marginwatch.exchange.account_feed import FeedFactory

DEMO_MEXC_ACCOUNT = "Demo MEXC"


class MexcDemoExchange:
    def __init__(self, speed: float = 1.0) -> None:
        from marginwatch.exchange.sim_mexc import MEXC_DEMO_API_KEY, MEXC_DEMO_API_SECRET, MexcSimServer
        from marginwatch.exchange.sim_mexc.demo import MexcDemoMarket, seed_demo_account

        self.sim = MexcSimServer()
        seed_demo_account(self.sim)
        self._market = MexcDemoMarket(self.sim, interval=1.0 / max(speed, 0.01))
        self.credentials = Credentials(MEXC_DEMO_API_KEY, MEXC_DEMO_API_SECRET)

    async def start(self) -> FeedFactory:
        # The exchange stack loads with the first account, not with the app (see account_registry).
        from marginwatch.exchange.mexc.endpoints import MexcEndpoints
        from marginwatch.exchange.mexc.session import mexc_feed

        await self.sim.start()
        self._market.start()
        return mexc_feed(MexcEndpoints(self.sim.rest_url, self.sim.ws_url), self.credentials)

    async def stop(self) -> None:
        await self._market.stop()
        await self.sim.stop()
