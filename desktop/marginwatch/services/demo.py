"""Demo mode: the simulated exchange runs in this process on a free loopback port.

The app then follows it exactly as it would follow Binance (REST, listenKey, routed streams),
so the demo exercises the real client code end to end.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from marginwatch.exchange.credentials import Credentials
from marginwatch.exchange.endpoints import Endpoints

if TYPE_CHECKING:
    from marginwatch.exchange.sim.book import Book
    from marginwatch.exchange.sim.market import SymbolSpec

DEMO_ACCOUNT = "Demo"


class DemoExchange:
    def __init__(self, scenario: str = "demo", speed: float = 1.0, *,
                 symbols: Mapping[str, SymbolSpec] | None = None, book: Book | None = None) -> None:
        """`symbols` and `book` replace the simulator's default market and demo account."""
        from marginwatch.exchange.sim import DEMO_API_KEY, DEMO_API_SECRET, SimulatedExchange
        from marginwatch.exchange.sim.book import DEMO_BOOK
        from marginwatch.exchange.sim.market import SYMBOLS

        self._sim = SimulatedExchange(port=0, scenario=scenario, speed=speed,
                                      symbols=SYMBOLS if symbols is None else symbols,
                                      book=DEMO_BOOK if book is None else book)
        self.credentials = Credentials(DEMO_API_KEY, DEMO_API_SECRET, "hmac")
        self.scenario = scenario

    @property
    def sim(self) -> object:
        return self._sim

    async def start(self) -> Endpoints:
        await self._sim.start()
        return Endpoints.local(self._sim.base_url, self._sim.ws_url)

    def coinm_endpoints(self) -> Endpoints:
        """The simulator's COIN-M face (after `start`)."""
        from marginwatch.exchange.coinm_endpoints import coinm_local

        return coinm_local(self._sim.base_url, self._sim.ws_url)

    async def stop(self) -> None:
        await self._sim.stop()
