"""MEXC's private WebSocket on top of `ResilientConnection`: HMAC login on every socket, a
`{"method":"ping"}` every 15 s (MEXC closes a socket that sent none for a minute), fair-price
subscriptions for the held contracts, and frames as text or compressed (gzip, zlib or raw deflate:
MEXC has changed its compression twice, and the private stream's is not documented).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import zlib
from collections.abc import Callable, Iterable

from websockets.asyncio.client import ClientConnection

from marginwatch.core import mexc_models as mm
from marginwatch.core.events import FrameError
from marginwatch.core.stream_health import StreamHealth
from marginwatch.exchange.credentials import Credentials
from marginwatch.exchange.mexc.endpoints import MexcEndpoints
from marginwatch.exchange.mexc.errors import MexcKeyRejected
from marginwatch.exchange.mexc.signing import login_message
from marginwatch.exchange.tasks import spawn
from marginwatch.exchange.ws_connection import ConnectionOptions, ConnectReason, Frame, ResilientConnection

log = logging.getLogger(__name__)

PING_INTERVAL_S = 15.0
MAX_INFLATED = 4 * 2**20  # no push is near this; more is a broken or hostile frame
USER = "user"


class CompressedFrameError(FrameError):
    pass


def inflate(frame: Frame) -> bytes:
    """A frame's JSON bytes: text as is, gzip/zlib/raw deflate inflated (bounded)."""
    raw = frame.encode() if isinstance(frame, str) else bytes(frame)
    head = raw.lstrip()[:1]
    if head in (b"{", b"["):
        return raw
    for wbits in (47, -15):  # 32+15: gzip or zlib header detected; -15: raw deflate
        inflater = zlib.decompressobj(wbits)
        try:
            out = inflater.decompress(raw, MAX_INFLATED)
        except zlib.error:
            continue
        if inflater.unconsumed_tail:
            raise CompressedFrameError("compressed frame inflates beyond the limit")
        return out
    raise CompressedFrameError("binary frame is neither JSON nor gzip/deflate")


def stream_options() -> ConnectionOptions:
    # Our pings draw a pong every 15 s, so a minute of silence means a dead socket.
    return ConnectionOptions(stale_after=60.0, ping_interval=30.0, ping_timeout=30.0, max_age=12 * 3600.0)


class MexcPrivateStream:
    """`on_frame` gets every decoded frame after login (pongs included); `on_connected` each new
    logged-in socket (a reseed point). `symbols()` names the contracts whose fair price to follow."""

    def __init__(
        self,
        endpoints: MexcEndpoints,
        credentials: Credentials,
        on_frame: Callable[[mm.MexcFrame], None],
        on_health: Callable[[StreamHealth], None],
        *,
        on_connected: Callable[[ConnectReason], None],
        symbols: Callable[[], Iterable[str]],
        server_now_ms: Callable[[], int] = lambda: int(time.time() * 1000),
        options: ConnectionOptions | None = None,
        ping_interval: float = PING_INTERVAL_S,
    ) -> None:
        self._endpoints = endpoints
        self._credentials = credentials
        self._on_frame = on_frame
        self._on_connected = on_connected
        self._symbols = symbols
        self._now_ms = server_now_ms
        self._ping_interval = ping_interval
        self._subscribed: set[str] = set()
        self._pinger: asyncio.Task[None] | None = None
        self.malformed = 0
        self.pings_sent = 0
        self.pongs = 0
        self.connection = ResilientConnection(
            USER, self._url, self._frame, on_health, on_connected=self._login,
            options=options or stream_options(),
        )

    def start(self) -> None:
        self.connection.start()
        if self._pinger is None:
            self._pinger = spawn(self._ping_loop(), name="mexc ping")

    async def stop(self) -> None:
        if self._pinger is not None:
            self._pinger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pinger
            self._pinger = None
        await self.connection.stop()

    @property
    def subscribed(self) -> frozenset[str]:
        return frozenset(self._subscribed)

    @property
    def health(self) -> StreamHealth:
        return self.connection.health

    async def follow(self, symbols: Iterable[str]) -> None:
        """Subscribe the fair price of contracts not yet followed on this socket."""
        for symbol in sorted(set(symbols) - self._subscribed):
            if await self.connection.send(json.dumps({"method": "sub.fair.price", "param": {"symbol": symbol}})):
                self._subscribed.add(symbol)

    async def _url(self) -> str:
        return self._endpoints.ws

    async def _login(self, ws: ClientConnection, reason: ConnectReason) -> None:
        """Log in before any frame is handed on; a refusal ends this socket (and is retried with backoff)."""
        await ws.send(login_message(self._credentials, self._now_ms()))
        while True:
            frame = mm.decode_private_frame(inflate(await ws.recv(decode=False)))
            if isinstance(frame, mm.LoginReply):
                if not frame.ok:
                    raise MexcKeyRejected(0, f"login refused: {frame.reason}")
                break
        self._subscribed = set()
        for symbol in sorted(set(self._symbols())):
            await ws.send(json.dumps({"method": "sub.fair.price", "param": {"symbol": symbol}}))
            self._subscribed.add(symbol)
        self._on_connected(reason)

    def _frame(self, raw: Frame) -> None:
        try:
            frame = mm.decode_private_frame(inflate(raw))
        except FrameError as exc:
            self.malformed += 1
            log.warning("mexc private stream: %s", exc)
            return
        if isinstance(frame, mm.Pong):
            self.pongs += 1
        self._on_frame(frame)

    async def _ping_loop(self) -> None:
        while True:
            await asyncio.sleep(self._ping_interval)  # MEXC's keepalive rule, not synchronisation
            if await self.connection.send('{"method":"ping"}'):
                self.pings_sent += 1
