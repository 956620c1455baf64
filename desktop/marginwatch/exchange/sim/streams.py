"""WebSocket connections of the simulated exchange: one writer queue per socket, fan-out helpers.

Kinds: "market" (delivers mark prices), "public" and "legacy" (accept SUBSCRIBE, deliver no mark
prices: Binance's behaviour since 2026-04), "private" (user data of one or more listenKeys).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

Kind = Literal["market", "public", "legacy", "private"]
MAX_INCOMING_PER_S = 10


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


def valid_stream_name(name: str) -> bool:
    """Symbols in stream names must be lowercase (`btcusdt@markPrice`, not `BTCUSDT@markPrice`)."""
    head = name.split("@", 1)[0]
    # "!markPrice@arr@1s" style all-market names are not symbols and keep their camelCase.
    return bool(name) and (head.startswith("!") or head == head.lower())


@dataclass(eq=False)
class WsConn:
    kind: Kind
    ws: web.WebSocketResponse
    request: web.Request
    combined: bool = False
    streams: list[str] = field(default_factory=list)
    listen_keys: dict[str, frozenset[str] | None] = field(default_factory=dict)  # key -> events filter
    opened: float = field(default_factory=time.monotonic)
    last_ping: float = field(default_factory=time.monotonic)
    last_pong: float = field(default_factory=time.monotonic)
    stalled_until: float | None = None  # monotonic deadline; inf = until resumed
    incoming: deque[float] = field(default_factory=deque)
    queue: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)
    writer: asyncio.Task[None] | None = None

    @property
    def stalled(self) -> bool:
        if self.stalled_until is None:
            return False
        if time.monotonic() >= self.stalled_until:
            self.stalled_until = None
            return False
        return True

    def send(self, text: str) -> None:
        """Queue a frame; dropped while stalled (a stalled server loses what it would have sent)."""
        if not self.stalled and not self.ws.closed:
            self.queue.put_nowait(text)

    def send_json(self, obj: Any) -> None:
        self.send(dumps(obj))

    def too_chatty(self) -> bool:
        """Record one incoming message; True when more than 10 arrived within the last second."""
        now = time.monotonic()
        self.incoming.append(now)
        while self.incoming and now - self.incoming[0] > 1.0:
            self.incoming.popleft()
        return len(self.incoming) > MAX_INCOMING_PER_S

    async def write_loop(self) -> None:
        while True:
            text = await self.queue.get()
            if text is None or self.ws.closed:
                return
            try:
                await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return

    def abort(self) -> None:
        """Cut the TCP connection without a close frame (what a dead network looks like)."""
        transport = self.request.transport
        if transport is not None:
            transport.abort()

    async def close(self, code: int = 1000, message: str = "") -> None:
        with contextlib.suppress(Exception):
            await self.ws.close(code=code, message=message.encode())

    async def cut_24h(self) -> None:
        """What Binance does at a connection's 24 h mark: a normal close with a reason."""
        await self.close(1000, "connection lifetime of 24h reached")


class StreamHub:
    def __init__(self) -> None:
        self.conns: set[WsConn] = set()
        self._waiters: list[tuple[Callable[[WsConn], bool], asyncio.Future[WsConn]]] = []

    def add(self, conn: WsConn) -> None:
        self.conns.add(conn)
        for match, fut in list(self._waiters):
            if not fut.done() and match(conn):
                fut.set_result(conn)

    async def connected(self, match: Callable[[WsConn], bool]) -> WsConn:
        """The first connection, open now or joining later, that `match` accepts (clients and tests
        await this instead of polling for a socket to be served)."""
        for c in self.conns:
            if match(c):
                return c
        fut: asyncio.Future[WsConn] = asyncio.get_running_loop().create_future()
        waiter = (match, fut)
        self._waiters.append(waiter)
        try:
            return await fut
        finally:
            self._waiters.remove(waiter)

    def of(self, kinds: Iterable[str]) -> list[WsConn]:
        wanted = set(kinds)
        return [c for c in self.conns if c.kind in wanted]

    def for_target(self, target: str) -> list[WsConn]:
        """The connections a fault's `target` ("market", "private" or "all") names."""
        return self.of(self.kinds_for(target))

    @staticmethod
    def kinds_for(target: str) -> tuple[str, ...]:
        if target == "all":
            return ("market", "public", "legacy", "private")
        if target == "market":
            return ("market", "public", "legacy")
        if target == "private":
            return ("private",)
        raise ValueError(f"unknown connection kind {target!r} (market, private or all)")

    def broadcast_marks(self, updates: dict[str, dict[str, Any]], slow_tick: bool) -> None:
        """Send this tick's mark prices. `@1s` streams every tick; the 3 s ones on slow ticks."""
        arr = list(updates.values())
        for c in self.of(("market",)):
            for name in c.streams:
                payload: Any
                if name == "!markPrice@arr@1s" or (name == "!markPrice@arr" and slow_tick):
                    payload = arr
                else:
                    sym, _, kind = name.partition("@")
                    if kind != "markPrice@1s" and not (kind == "markPrice" and slow_tick):
                        continue
                    found = updates.get(sym.upper()) if sym == sym.lower() else None
                    if found is None:
                        continue
                    payload = found
                c.send_json({"stream": name, "data": payload} if c.combined else payload)

    def deliver_user_event(self, listen_key: str | None, payload: dict[str, Any]) -> int:
        """Send to every private connection holding `listen_key`; returns how many got it."""
        if listen_key is None:
            return 0
        sent = 0
        event = str(payload.get("e", ""))
        for c in self.of(("private",)):
            if listen_key not in c.listen_keys:
                continue
            events = c.listen_keys[listen_key]
            if events is not None and event not in events and event != "listenKeyExpired":
                continue
            c.send_json({"stream": listen_key, "data": payload} if c.combined else payload)
            sent += 1
        return sent
