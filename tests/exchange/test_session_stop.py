"""AccountSession.stop when the exchange has stopped answering: the WebSocket traffic runs through a
loopback TCP relay that can go silent, like a network that drops packets without a word."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from marginwatch.core.stream_health import StreamState
from marginwatch.exchange.credentials import Credentials
from marginwatch.exchange.endpoints import Endpoints
from marginwatch.exchange.session import AccountSession
from marginwatch.exchange.sim.auth import DEMO_API_KEY, DEMO_API_SECRET
from marginwatch.exchange.sim.server import SimulatedExchange
from marginwatch.exchange.ws_connection import Backoff, ConnectionOptions
from tests.exchange.session_harness import fast_options, live, wait_until

pytestmark = pytest.mark.asyncio


class SilentRelay:
    """Forwards TCP to `port` until `silence()`; from then on bytes either way are read and dropped."""

    def __init__(self, port: int) -> None:
        self._port = port
        self.silent = False
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                if not self.silent:
                    writer.write(data)
                    await writer.drain()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._port)
        self._writers += [writer, up_writer]
        for pump in (self._pump(reader, up_writer), self._pump(up_reader, writer)):
            task = asyncio.create_task(pump)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[int]:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        try:
            yield self._server.sockets[0].getsockname()[1]
        finally:
            self._server.close()
            for w in self._writers:
                w.close()
            for t in list(self._tasks):
                t.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def silence(self) -> None:
        self.silent = True


async def test_stop_returns_within_stop_timeout_when_the_exchange_no_longer_answers() -> None:
    # The sockets would wait 5 s for a close handshake that never comes; stop gives them 0.3 s.
    slow_close = {"backoff": Backoff(0.02, 0.2), "close_timeout": 5.0, "ping_interval": None}
    options = fast_options(user=ConnectionOptions(stale_after=None, **slow_close),
                           market=ConnectionOptions(stale_after=None, **slow_close), stop_timeout=0.3)
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim:
        relay = SilentRelay(sim.port)
        async with relay.running() as port:
            session = AccountSession(Endpoints.local(sim.base_url, f"ws://127.0.0.1:{port}"),
                                     Credentials(DEMO_API_KEY, DEMO_API_SECRET), name="silent", options=options)
            await session.start()
            try:
                await wait_until(lambda: live(session))
                relay.silence()
            finally:
                loop = asyncio.get_running_loop()
                t0 = loop.time()
                await session.stop()
                elapsed = loop.time() - t0
        assert elapsed < 1.5
        assert all(h.state is StreamState.STOPPED for h in session.health.values())
