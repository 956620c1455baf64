"""The listenKey tests' parts: the real REST client that counts and records what it was asked,
a client that holds a POST's answer, a stand-in for asyncio.sleep, and the simulator they run on."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from marginwatch.exchange.credentials import Credentials
from marginwatch.exchange.endpoints import Endpoints
from marginwatch.exchange.rest_client import BinanceRestClient
from marginwatch.exchange.sim import DEMO_API_KEY, DEMO_API_SECRET, SimulatedExchange

GOOD = Credentials(DEMO_API_KEY, DEMO_API_SECRET, "hmac")
WAIT = 5.0


class CountingClient(BinanceRestClient):
    """The real client, plus a signal whenever a keepalive PUT has succeeded and a record of the
    key each PUT and DELETE was asked for (whether or not it succeeded)."""

    def __init__(self, endpoints: Endpoints) -> None:
        super().__init__(endpoints, GOOD, max_auto_wait=1.0)
        self.puts = 0
        self.deletes = 0
        self.put_keys: list[str] = []
        self.delete_keys: list[str] = []
        self._put_waiters: list[tuple[int, asyncio.Future[None]]] = []

    async def keepalive_listen_key(self, key: str) -> None:
        self.put_keys.append(key)
        await super().keepalive_listen_key(key)
        self.puts += 1
        for target, fut in self._put_waiters:
            if self.puts >= target and not fut.done():
                fut.set_result(None)

    async def close_listen_key(self, key: str) -> None:
        self.delete_keys.append(key)
        await super().close_listen_key(key)
        self.deletes += 1

    async def wait_puts(self, more: int) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._put_waiters.append((self.puts + more, fut))
        await asyncio.wait_for(fut, WAIT)


class HoldingClient(CountingClient):
    """Holds the answer of the POST sent after `hold_next()` until `release()`; a DELETE can be made
    to hang for good (an exchange that accepts the request and never answers)."""

    def __init__(self, endpoints: Endpoints) -> None:
        super().__init__(endpoints)
        self.answered = asyncio.Event()
        self._release = asyncio.Event()
        self._holding = False
        self.hang_delete = False

    def hold_next(self) -> None:
        self._holding = True
        self.answered.clear()
        self._release.clear()

    def release(self) -> None:
        self._release.set()

    async def new_listen_key(self) -> str:
        key = await super().new_listen_key()
        if self._holding:
            self._holding = False
            self.answered.set()
            await self._release.wait()
        return key

    async def close_listen_key(self, key: str) -> None:
        if self.hang_delete:
            self.delete_keys.append(key)
            await asyncio.Event().wait()
        await super().close_listen_key(key)


Body = Callable[[SimulatedExchange, CountingClient], Awaitable[None]]


def run_with_sim(body: Body, client_type: type[CountingClient] = CountingClient) -> None:
    async def main() -> None:
        async with SimulatedExchange(port=0, autostart_engine=False, seed=2) as sim:
            client = client_type(Endpoints.local(sim.base_url, sim.ws_url))
            async with client:
                await asyncio.wait_for(body(sim, client), 15)

    asyncio.run(main())


def key_futures() -> tuple[list[str], Callable[[], asyncio.Future[str]], Callable[[str], None]]:
    """on_new_key callback that resolves the next awaited future."""
    seen: list[str] = []
    pending: list[asyncio.Future[str]] = []

    def next_key() -> asyncio.Future[str]:
        fut: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        pending.append(fut)
        return fut

    def on_new_key(key: str) -> None:
        seen.append(key)
        while pending:
            fut = pending.pop(0)
            if not fut.done():
                fut.set_result(key)

    return seen, next_key, on_new_key


class Naps:
    """Stands in for asyncio.sleep: records each delay and returns at once while `allow()` has
    granted naps; past that a nap lasts until more are granted, so the loop halts where the test looks."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.blocked = asyncio.Event()  # set while a nap waits for a grant
        self._budget = 0
        self._granted = asyncio.Event()

    def allow(self, naps: int) -> None:
        self._budget += naps
        self.blocked.clear()
        self._granted.set()

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        while len(self.delays) > self._budget:
            self._granted.clear()
            self.blocked.set()
            await self._granted.wait()
        await asyncio.sleep(0)

    async def halted(self) -> None:
        """Until the loop waits in a nap that has not been granted."""
        await asyncio.wait_for(self.blocked.wait(), WAIT)
