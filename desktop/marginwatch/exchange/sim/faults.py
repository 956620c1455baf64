"""Fault injection: the network and exchange misbehaviour a monitor must survive.

Every fault is a method here and also reachable as `POST /_sim/fault {"kind": ..., ...}`.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from marginwatch.exchange.sim.server import SimulatedExchange


@dataclass(slots=True)
class RestFault:
    status: int  # 429 or 418
    remaining: int
    retry_after: int


class FaultController:
    def __init__(self, sim: SimulatedExchange) -> None:
        self._sim = sim
        self.rest_fault: RestFault | None = None
        self.clock_skew_ms = 0
        self.duplicate_remaining = 0
        self.reorder_remaining = 0
        self.reorder_buffer: list[dict[str, Any]] = []

    # ----- WebSocket -------------------------------------------------------------------------
    async def drop(self, target: str = "all") -> int:
        """Abort matching sockets without a close frame. Returns how many were cut."""
        conns = self._sim.hub.of(self._sim.hub.kinds_for(target))
        for c in conns:
            c.abort()
        await asyncio.sleep(0)
        return len(conns)

    def stall(self, target: str = "all", seconds: float | None = None) -> int:
        """Keep sockets open but send nothing and answer no pings, for `seconds` or until resume()."""
        deadline = math.inf if seconds is None else time.monotonic() + seconds
        conns = self._sim.hub.of(self._sim.hub.kinds_for(target))
        for c in conns:
            c.stalled_until = deadline
        return len(conns)

    def resume(self, target: str = "all") -> None:
        for c in self._sim.hub.of(self._sim.hub.kinds_for(target)):
            c.stalled_until = None

    def send_malformed(self, target: str = "all", text: str = '{"e":"markPriceUpdate","E":') -> int:
        conns = self._sim.hub.of(self._sim.hub.kinds_for(target))
        for c in conns:
            c.send(text)
        return len(conns)

    async def force_24h_cut(self, target: str = "all") -> int:
        """Do now what the server does at a connection's 24 h mark."""
        conns = self._sim.hub.of(self._sim.hub.kinds_for(target))
        for c in conns:
            await self._sim.cut_24h(c)
        return len(conns)

    def expire_listen_key(self) -> str | None:
        """Send listenKeyExpired and invalidate the key (a later PUT gets -1125)."""
        return self._sim.expire_listen_key()

    # ----- REST and clock --------------------------------------------------------------------
    def rest_errors(self, status: int = 429, count: int = 1, retry_after: int = 1) -> None:
        """Answer the next `count` REST requests with 429 (rate limit) or 418 (IP ban)."""
        if status not in (429, 418):
            raise ValueError("status must be 429 or 418")
        self.rest_fault = RestFault(status, count, retry_after) if count > 0 else None

    def take_rest_fault(self) -> RestFault | None:
        f = self.rest_fault
        if f is None:
            return None
        f.remaining -= 1
        if f.remaining <= 0:
            self.rest_fault = None
        return f

    def skew_clock(self, ms: int) -> None:
        """Shift the server clock (serverTime, recvWindow checks, event times) by `ms`."""
        self.clock_skew_ms = int(ms)

    # ----- user-event order ------------------------------------------------------------------
    def duplicate_user_events(self, count: int = 1) -> None:
        self.duplicate_remaining = count

    def reorder_user_events(self, count: int = 2) -> None:
        """Hold the next `count` user events and send them in reverse order."""
        self.reorder_remaining = count
        self.reorder_buffer = []

    def clear(self) -> None:
        self.rest_fault = None
        self.clock_skew_ms = 0
        self.duplicate_remaining = 0
        self.reorder_remaining = 0
        flush, self.reorder_buffer = self.reorder_buffer, []
        for p in flush:
            self._sim.deliver(p)
        self.resume()

    # ----- the HTTP control endpoint ---------------------------------------------------------
    async def apply(self, spec: dict[str, Any]) -> dict[str, Any]:
        kind = spec.get("kind")
        target = str(spec.get("target", "all"))
        if kind == "drop":
            return {"affected": await self.drop(target)}
        if kind == "stall":
            secs = spec.get("seconds")
            return {"affected": self.stall(target, None if secs is None else float(secs))}
        if kind == "resume":
            self.resume(target)
            return {}
        if kind == "malformed":
            return {"affected": self.send_malformed(target)}
        if kind == "cut24h":
            return {"affected": await self.force_24h_cut(target)}
        if kind == "expire_listen_key":
            return {"listenKey": self.expire_listen_key()}
        if kind == "rest_error":
            self.rest_errors(int(spec.get("status", 429)), int(spec.get("count", 1)),
                             int(spec.get("retry_after", 1)))
            return {}
        if kind == "skew":
            self.skew_clock(int(spec.get("ms", 0)))
            return {}
        if kind == "duplicate":
            self.duplicate_user_events(int(spec.get("count", 1)))
            return {}
        if kind == "reorder":
            self.reorder_user_events(int(spec.get("count", 2)))
            return {}
        if kind == "clear":
            self.clear()
            return {}
        if kind == "mark":
            self._sim.engine.set_mark_price(str(spec["symbol"]), str(spec["price"]))
            return {}
        if kind == "pause":
            self._sim.engine.paused = bool(spec.get("paused", True))
            return {}
        if kind == "margin_call":
            sym = spec.get("symbol")
            return self._sim.engine.emit_margin_call(None if sym is None else str(sym))
        raise ValueError(f"unknown fault kind {kind!r}")
