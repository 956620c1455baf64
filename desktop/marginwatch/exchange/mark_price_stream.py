"""Mark prices (1 s) for exactly the held symbols, on the routed `/market/stream` path (reference §4).

`set_symbols()` is cheap and synchronous: a single sender task turns the difference between the wanted
and the subscribed stream names into batched UNSUBSCRIBE/SUBSCRIBE messages, spaced so we stay well
under Binance's 10 incoming messages per second per connection. After every (re)connect the whole set
is subscribed again on the new socket, before any frame is read from it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from websockets.asyncio.client import ClientConnection

from marginwatch.core.events import ErrorReply, FrameError, UnknownEvent, decode_market_frame
from marginwatch.core.stream_health import StreamHealth
from marginwatch.exchange.endpoints import Endpoints
from marginwatch.exchange.tasks import spawn
from marginwatch.exchange.ws_connection import (
    ConnectionOptions,
    ConnectReason,
    Frame,
    ResilientConnection,
)

log = logging.getLogger(__name__)

ALL_MARKET_STREAM = "!markPrice@arr@1s"
MAX_PARAMS_PER_MESSAGE = 200
MarksHandler = Callable[[list[Any]], None]


def symbol_stream(symbol: str) -> str:
    return f"{symbol.lower()}@markPrice@1s"  # stream names must be lowercase


class MarkPriceStream:
    def __init__(
        self,
        endpoints: Endpoints,
        on_marks: MarksHandler,
        on_health: Callable[[StreamHealth], None] | None = None,
        *,
        options: ConnectionOptions | None = None,
        all_market_threshold: int | None = None,
        messages_per_second: float = 4.0,
        name: str = "market",
    ) -> None:
        self._url_text = f"{endpoints.market_ws}/stream"
        self._on_marks = on_marks
        self._options = options or ConnectionOptions(stale_after=5.0)
        self.connection = ResilientConnection(
            name, self._url, self._on_frame, on_health, on_connected=self._connected, options=self._options
        )
        self.connection.stale_after = None  # nothing subscribed yet: silence is expected
        self._all_market_threshold = all_market_threshold
        self._min_gap = 1.0 / messages_per_second
        self._symbols: frozenset[str] = frozenset()
        self._active: set[str] = set()  # stream names subscribed on the current socket
        self._ids = itertools.count(1)
        self._last_send = 0.0
        self._dirty = asyncio.Event()
        self._sender: asyncio.Task[None] | None = None
        self._send_lock = asyncio.Lock()
        self.malformed = 0
        self.unknown = 0
        self.updates = 0
        self.messages_sent = 0
        self.errors_from_server = 0

    # ---- public API ---------------------------------------------------------------------------

    def start(self) -> None:
        self.connection.start()
        if self._sender is None or self._sender.done():
            self._sender = spawn(self._send_loop(), name="mark stream subscriptions")

    async def stop(self) -> None:
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender
        await self.connection.stop()

    def set_symbols(self, symbols: Iterable[str]) -> None:
        wanted = frozenset(s.upper() for s in symbols if s)
        if wanted == self._symbols:
            return
        was_empty = not self._symbols
        self._symbols = wanted
        self.connection.stale_after = self._options.stale_after if wanted else None
        if was_empty and wanted and self.connection.connected:
            self.connection.touch()  # silence before the first subscription does not count
        self._dirty.set()

    @property
    def symbols(self) -> frozenset[str]:
        return self._symbols

    @property
    def subscribed(self) -> frozenset[str]:
        """Stream names subscribed on the current socket."""
        return frozenset(self._active)

    @property
    def health(self) -> StreamHealth:
        return self.connection.health

    # ---- internals ----------------------------------------------------------------------------

    def _wanted_streams(self) -> set[str]:
        if not self._symbols:
            return set()
        threshold = self._all_market_threshold
        if threshold is not None and len(self._symbols) > threshold:
            return {ALL_MARKET_STREAM}
        return {symbol_stream(s) for s in self._symbols}

    async def _url(self) -> str:
        return self._url_text

    async def _connected(self, ws: ClientConnection, reason: ConnectReason) -> None:
        # A new socket has no subscriptions: send the full set on it (also during rotation, before
        # it becomes current, so the switch-over loses no tick).
        wanted = self._wanted_streams()
        self._active = set()
        for chunk in _chunks(sorted(wanted)):
            await self._send(ws, "SUBSCRIBE", chunk)
        self._active = wanted

    async def _send_loop(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            if not self.connection.connected:
                continue  # the connect hook will subscribe everything
            wanted = self._wanted_streams()
            drop = sorted(self._active - wanted)
            add = sorted(wanted - self._active)
            try:
                for chunk in _chunks(drop):
                    if await self._send_current("UNSUBSCRIBE", chunk):
                        self._active.difference_update(chunk)
                for chunk in _chunks(add):
                    if await self._send_current("SUBSCRIBE", chunk):
                        self._active.update(chunk)
            except Exception as exc:  # never let the sender die; the next change or reconnect retries
                log.warning("market stream: subscription update failed (%s)", type(exc).__name__)

    async def _send_current(self, method: str, params: list[str]) -> bool:
        async with self._send_lock:
            await self._throttle()
            ok = await self.connection.send(self._message(method, params))
            if ok:
                self.messages_sent += 1
            return ok

    async def _send(self, ws: ClientConnection, method: str, params: list[str]) -> None:
        async with self._send_lock:
            await self._throttle()
            await ws.send(self._message(method, params))
            self.messages_sent += 1

    def _message(self, method: str, params: list[str]) -> str:
        return json.dumps({"method": method, "params": params, "id": next(self._ids)})

    async def _throttle(self) -> None:
        loop = asyncio.get_running_loop()
        wait = self._last_send + self._min_gap - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)  # rate limit, not synchronisation
        self._last_send = loop.time()

    def _on_frame(self, raw: Frame) -> None:
        try:
            decoded = decode_market_frame(raw)
        except FrameError as exc:
            self.malformed += 1
            log.warning("market stream: malformed frame ignored (%s)", type(exc).__name__)
            return
        if isinstance(decoded, list):
            wanted = self._symbols
            marks = [m for m in decoded if m.symbol in wanted]
            if marks:
                self.updates += len(marks)
                self._on_marks(marks)
            return
        if isinstance(decoded, ErrorReply):
            self.errors_from_server += 1
            log.warning("market stream: server rejected request %s: %s (%s)", decoded.id, decoded.msg, decoded.code)
        elif isinstance(decoded, UnknownEvent):
            self.unknown += 1


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[i : i + MAX_PARAMS_PER_MESSAGE] for i in range(0, len(items), MAX_PARAMS_PER_MESSAGE)]
