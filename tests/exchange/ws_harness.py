"""The websocket tests' parts: a tiny loopback websockets server that can misbehave on demand, a
recorder of what a ResilientConnection reports, and clocks and jitter the backoff tests control."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.exchange.ws_connection import Backoff, ConnectionOptions, ConnectReason, ResilientConnection

FAST = Backoff(base=0.02, cap=0.1)


class TinyServer:
    """Accepts connections, greets each with "hello <n>", echoes "echo:<text>" and can misbehave on demand."""

    def __init__(self, compression: str | None = None) -> None:
        self.compression = compression  # "deflate": offer per-message compression to clients
        self.conns: list[ServerConnection] = []
        self.close_codes: list[int | None] = []  # per ended connection: the close code the client sent
        self.closed_at: list[float] = []  # and the loop time it ended
        self._closed_waiters: list[tuple[int, asyncio.Future[None]]] = []
        self.open_count = 0
        self.max_open = 0
        self.reject_next = 0  # answer the next N handshakes with `reject_status` (+ Retry-After)
        self.reject_status = HTTPStatus.TOO_MANY_REQUESTS
        self.retry_after: str | None = "0"
        self.drop_first = 0  # close the first N accepted connections right after the greeting
        self.close_with: tuple[int, str] = (1000, "")  # the close frame those get
        self.greet = True
        self.received: list[str] = []
        self._server: Server | None = None
        self.port = 0

    async def __aenter__(self) -> TinyServer:
        self._server = await serve(self._handler, "127.0.0.1", 0, process_request=self._process,
                                   compression=self.compression)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def _process(self, conn: ServerConnection, request: Request) -> Response | None:
        if self.reject_next > 0:
            self.reject_next -= 1
            resp = conn.respond(self.reject_status, "slow down\n")
            if self.retry_after is not None:
                resp.headers["Retry-After"] = self.retry_after
            return resp
        return None

    async def _handler(self, conn: ServerConnection) -> None:
        self.conns.append(conn)
        self.open_count += 1
        self.max_open = max(self.max_open, self.open_count)
        try:
            if self.greet:
                await conn.send(f"hello {len(self.conns)}")
            if len(self.conns) <= self.drop_first:
                await conn.close(*self.close_with)
                return
            async for msg in conn:
                self.received.append(str(msg))
                await conn.send(f"echo:{msg}")
        except Exception:
            pass
        finally:
            self.open_count -= 1
            self.close_codes.append(conn.close_code)
            self.closed_at.append(asyncio.get_running_loop().time())
            for count, fut in self._closed_waiters:
                if len(self.close_codes) >= count and not fut.done():
                    fut.set_result(None)

    async def until_closed(self, count: int, limit: float = 5.0) -> None:
        """Until `count` connections have ended on the server side."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._closed_waiters.append((count, fut))
        if len(self.close_codes) >= count:
            fut.set_result(None)
        await asyncio.wait_for(fut, limit)

    async def broadcast(self, text: str) -> None:
        for c in list(self.conns):
            try:
                await c.send(text)
            except Exception:
                pass


class Recorder:
    def __init__(self) -> None:
        self.frames: list[Any] = []
        self.raw_types: set[type] = set()
        self.health: list[StreamHealth] = []
        self.connected: list[ConnectReason] = []
        self.delays: list[float] = []  # what the connection asked `sleep` for, in order
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []

    def _check(self) -> None:
        for cond, fut in list(self._waiters):
            if not fut.done() and cond():
                fut.set_result(None)

    def on_frame(self, frame: Any) -> None:
        self.raw_types.add(type(frame))
        frame = frame.decode() if isinstance(frame, bytes) else frame
        if frame == "boom":
            raise ValueError("malformed frame")
        self.frames.append(frame)
        self._check()

    def on_health(self, h: StreamHealth) -> None:
        self.health.append(h)
        self._check()

    async def on_connected(self, ws: ClientConnection, reason: ConnectReason) -> None:
        self.connected.append(reason)
        self._check()

    async def sleep(self, delay: float) -> None:
        """Stands in for asyncio.sleep: records the backoff delay and returns at once."""
        self.delays.append(delay)
        self._check()
        await asyncio.sleep(0)

    async def until(self, cond: Callable[[], bool], limit: float = 5.0) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((cond, fut))
        self._check()
        await asyncio.wait_for(fut, limit)

    def states(self) -> list[StreamState]:
        return [h.state for h in self.health]


def make(server: TinyServer, rec: Recorder, **opts: Any) -> ResilientConnection:
    async def url() -> str:
        return server.url

    options = ConnectionOptions(backoff=FAST, **opts)
    return ResilientConnection("test", url, rec.on_frame, rec.on_health, on_connected=rec.on_connected,
                               options=options)


class TopOfJitter(random.Random):
    """Full jitter drawn at its upper bound, so each delay is the backoff step itself."""

    def uniform(self, a: float, b: float) -> float:
        return b


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


STEPS = Backoff(base=1.0, cap=8.0)


def make_timed(server: TinyServer, rec: Recorder, clock: FakeClock, *, rng: random.Random | None = None,
               stable_after: float = 10.0) -> ResilientConnection:
    async def url() -> str:
        return server.url

    return ResilientConnection(
        "test", url, rec.on_frame, rec.on_health, on_connected=rec.on_connected,
        options=ConnectionOptions(backoff=STEPS, stable_after=stable_after),
        rng=rng or TopOfJitter(), clock=clock, sleep=rec.sleep,
    )


class ZeroJitter(random.Random):
    def uniform(self, a: float, b: float) -> float:
        return a
