"""The MEXC demo account and its market: the seed article's BTC position (auto-add on) and a cross
ETH short; BTC's fair price sinks into the liquidation-warning zone and climbs back, over and over,
so the demo shows MEXC's own warning raising a margin-call alert."""

from __future__ import annotations

import asyncio
import contextlib
from decimal import Decimal

from marginwatch.exchange.sim_mexc.server import MexcSimServer
from marginwatch.exchange.tasks import spawn

D = Decimal
# One lap of BTC's fair price: from the entry down past the warning (ratio < 2 × MMR near 16330)
# to just above MEXC's liquidation price (16272), then back up. One step per tick.
BTC_LAP = tuple(D(18000) - D(50) * i for i in range(34)) + tuple(D(16300) + D(50) * i for i in range(34))


def seed_demo_account(sim: MexcSimServer) -> None:
    a = sim.account
    a.available = D(1950)
    a.open("BTC_USDT", long=True, vol=5000, entry=18000, leverage=10, auto_add=True)
    a.open("ETH_USDT", long=False, vol=40, entry=2500, leverage=5, isolated=False)


class MexcDemoMarket:
    """Moves the simulator's marks every `interval` seconds until stopped."""

    def __init__(self, sim: MexcSimServer, *, interval: float = 1.0) -> None:
        self._sim = sim
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = spawn(self._run(), name="mexc demo market")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        step = 0
        while True:
            await asyncio.sleep(self._interval)  # the demo's pace, not synchronisation
            step += 1
            await self._sim.set_fair_price("BTC_USDT", BTC_LAP[step % len(BTC_LAP)])
            eth = D(2500) + D(5) * ((step % 20) - 10)
            await self._sim.set_fair_price("ETH_USDT", eth)
