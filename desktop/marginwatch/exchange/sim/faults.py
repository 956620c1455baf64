"""Fault injection: the network and exchange misbehaviour a monitor must survive.

Every fault is a method here and also reachable as `POST /_sim/fault {"kind": ..., ...}` (one
handler per `FaultKind`). Faults reach the server only through `FaultTarget` (and the engine and
clock they drive); the state they keep (REST errors, held and doubled user events, refused private
sockets) lives here and the server only reads it.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from marginwatch.exchange.sim.clock import ServerClock
    from marginwatch.exchange.sim.engine import AccountEngine
    from marginwatch.exchange.sim.streams import WsConn

Spec = Mapping[str, Any]


class FaultKind(StrEnum):
    DROP = "drop"
    STALL = "stall"
    RESUME = "resume"
    MALFORMED = "malformed"
    CUT_24H = "cut24h"
    EXPIRE_LISTEN_KEY = "expire_listen_key"
    REFUSE_PRIVATE = "refuse_private"
    USER_FRAME = "user_frame"
    REST_ERROR = "rest_error"
    SKEW = "skew"
    DUPLICATE = "duplicate"
    REORDER = "reorder"
    CLEAR = "clear"
    MARK = "mark"
    PAUSE = "pause"
    MARGIN_CALL = "margin_call"
    KEY_PERMISSIONS = "key_permissions"
    COLLATERAL = "collateral"


class FaultTarget(Protocol):
    """What a fault may do to the server."""

    def connections(self, target: str) -> list[WsConn]:
        """Open sockets of `target` ("market", "private" or "all"); ValueError for anything else."""
        ...

    def expire_listen_key(self) -> str | None:
        """Send listenKeyExpired on the active key and invalidate it; the key, or None if none."""
        ...

    def send_user_event(self, payload: dict[str, Any]) -> int:
        """Write one user-data frame to the active key's private sockets now; how many got it."""
        ...


@dataclass(slots=True)
class RestFault:
    status: int  # 429 or 418
    remaining: int
    retry_after: int


def _close_code_ok(code: int) -> bool:
    """Codes a server may send in a close frame (RFC 6455 §7.4: 1004-1006 and 1015 are reserved)."""
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


def _int(spec: Spec, name: str, default: int) -> int:
    value = spec.get(name, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an integer, not {value!r}") from None


def _target(spec: Spec) -> str:
    return str(spec.get("target", "all"))


class FaultController:
    def __init__(self, target: FaultTarget, engine: AccountEngine, clock: ServerClock) -> None:
        self._target = target
        self._engine = engine
        self._clock = clock
        self.rest_fault: RestFault | None = None
        self.refused_private_code: int | None = None  # close every new private socket with it
        self._duplicate_remaining = 0
        self._reorder_remaining = 0
        self._held: list[dict[str, Any]] = []  # user events held back for reordering
        self.key_permissions: dict[str, bool] = {}  # apiRestrictions flags that differ from the read-only key's
        self._handlers: dict[FaultKind, Callable[[Spec], Awaitable[dict[str, Any]]]] = {
            FaultKind.DROP: self._apply_drop,
            FaultKind.STALL: self._apply_stall,
            FaultKind.RESUME: self._apply_resume,
            FaultKind.MALFORMED: self._apply_malformed,
            FaultKind.CUT_24H: self._apply_cut_24h,
            FaultKind.EXPIRE_LISTEN_KEY: self._apply_expire_listen_key,
            FaultKind.REFUSE_PRIVATE: self._apply_refuse_private,
            FaultKind.USER_FRAME: self._apply_user_frame,
            FaultKind.REST_ERROR: self._apply_rest_error,
            FaultKind.SKEW: self._apply_skew,
            FaultKind.DUPLICATE: self._apply_duplicate,
            FaultKind.REORDER: self._apply_reorder,
            FaultKind.CLEAR: self._apply_clear,
            FaultKind.MARK: self._apply_mark,
            FaultKind.PAUSE: self._apply_pause,
            FaultKind.MARGIN_CALL: self._apply_margin_call,
            FaultKind.KEY_PERMISSIONS: self._apply_key_permissions,
            FaultKind.COLLATERAL: self._apply_collateral,
        }

    # ----- WebSocket -------------------------------------------------------------------------
    async def drop(self, target: str = "all") -> int:
        """Abort matching sockets without a close frame. Returns how many were cut."""
        conns = self._target.connections(target)
        for c in conns:
            c.abort()
        await asyncio.sleep(0)
        return len(conns)

    def stall(self, target: str = "all", seconds: float | None = None) -> int:
        """Keep sockets open but send nothing and answer no pings, for `seconds` or until resume()."""
        deadline = math.inf if seconds is None else time.monotonic() + seconds
        conns = self._target.connections(target)
        for c in conns:
            c.stalled_until = deadline
        return len(conns)

    def resume(self, target: str = "all") -> None:
        for c in self._target.connections(target):
            c.stalled_until = None

    def send_malformed(self, target: str = "all", text: str = '{"e":"markPriceUpdate","E":') -> int:
        conns = self._target.connections(target)
        for c in conns:
            c.send(text)
        return len(conns)

    async def force_24h_cut(self, target: str = "all") -> int:
        """Do now what the server does at a connection's 24 h mark."""
        conns = self._target.connections(target)
        for c in conns:
            await c.cut_24h()
        return len(conns)

    def expire_listen_key(self) -> str | None:
        """Send listenKeyExpired and invalidate the key (a later PUT gets -1125)."""
        return self._target.expire_listen_key()

    def refuse_private(self, code: int = 1008) -> None:
        """Close every private socket that connects from now on with `code`, until clear()."""
        if not _close_code_ok(code):
            raise ValueError(f"code {code} cannot be sent in a close frame (1000-1003, 1007-1014, 3000-4999)")
        self.refused_private_code = code

    def push_user_frame(self, frame: dict[str, Any]) -> int:
        """Send `frame` as it is, past the order faults and unrecorded, as a user-data frame."""
        if not isinstance(frame, dict):
            raise ValueError("frame must be a JSON object")
        return self._target.send_user_event(frame)

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
        self._clock.skew_ms = int(ms)

    def set_key_permissions(self, **flags: bool) -> None:
        """Let apiRestrictions report these flags (e.g. enableFutures=True), as if the key was edited."""
        if not all(isinstance(v, bool) for v in flags.values()):
            raise ValueError("key permission flags must be true or false")
        self.key_permissions.update(flags)

    # ----- user-event order ------------------------------------------------------------------
    def duplicate_user_events(self, count: int = 1) -> None:
        self._duplicate_remaining = count

    def reorder_user_events(self, count: int = 2) -> None:
        """Hold the next `count` user events and send them in reverse order."""
        self._reorder_remaining = count
        self._held = []

    def route_user_event(self, payload: dict[str, Any]) -> None:
        """Send one user event as the order faults say: now, twice, or held to go out reversed."""
        if self._reorder_remaining > 0:
            self._held.append(payload)
            self._reorder_remaining -= 1
            if self._reorder_remaining == 0:
                self._flush_held()
            return
        self._send(payload)

    def on_tick(self, tick: int) -> None:
        # Held events go out within two ticks even when fewer than asked for ever come.
        if self._held and tick % 2 == 0:
            self._flush_held()

    def _send(self, payload: dict[str, Any]) -> None:
        copies = 1
        if self._duplicate_remaining > 0:
            self._duplicate_remaining -= 1
            copies = 2
        for _ in range(copies):
            self._target.send_user_event(payload)

    def _flush_held(self) -> None:
        held, self._held = self._held, []
        self._reorder_remaining = 0
        for p in reversed(held):
            self._send(p)

    def clear(self) -> None:
        self.rest_fault = None
        self._clock.skew_ms = 0
        self.refused_private_code = None
        self.key_permissions = {}
        self._duplicate_remaining = 0
        self._reorder_remaining = 0
        held, self._held = self._held, []
        for p in held:  # nothing held is lost; it goes out in the order it was generated
            self._target.send_user_event(p)
        self.resume()

    # ----- the HTTP control endpoint ---------------------------------------------------------
    async def apply(self, spec: Spec) -> dict[str, Any]:
        """Run `spec` ({"kind": ..., ...}); ValueError (nothing changed) for a bad one."""
        raw = spec.get("kind")
        try:
            kind = FaultKind(str(raw))
        except ValueError:
            raise ValueError(f"unknown fault kind {raw!r}; one of: {', '.join(FaultKind)}") from None
        return await self._handlers[kind](spec)

    async def _apply_drop(self, spec: Spec) -> dict[str, Any]:
        return {"affected": await self.drop(_target(spec))}

    async def _apply_stall(self, spec: Spec) -> dict[str, Any]:
        secs = spec.get("seconds")
        try:
            seconds = None if secs is None else float(secs)
        except (TypeError, ValueError):
            raise ValueError(f"seconds must be a number, not {secs!r}") from None
        return {"affected": self.stall(_target(spec), seconds)}

    async def _apply_resume(self, spec: Spec) -> dict[str, Any]:
        self.resume(_target(spec))
        return {}

    async def _apply_malformed(self, spec: Spec) -> dict[str, Any]:
        return {"affected": self.send_malformed(_target(spec))}

    async def _apply_cut_24h(self, spec: Spec) -> dict[str, Any]:
        return {"affected": await self.force_24h_cut(_target(spec))}

    async def _apply_expire_listen_key(self, spec: Spec) -> dict[str, Any]:
        return {"listenKey": self.expire_listen_key()}

    async def _apply_refuse_private(self, spec: Spec) -> dict[str, Any]:
        self.refuse_private(_int(spec, "code", 1008))
        return {}

    async def _apply_user_frame(self, spec: Spec) -> dict[str, Any]:
        if "frame" not in spec:
            raise ValueError("user_frame needs a frame (a JSON object)")
        return {"affected": self.push_user_frame(spec["frame"])}

    async def _apply_rest_error(self, spec: Spec) -> dict[str, Any]:
        self.rest_errors(_int(spec, "status", 429), _int(spec, "count", 1), _int(spec, "retry_after", 1))
        return {}

    async def _apply_skew(self, spec: Spec) -> dict[str, Any]:
        self.skew_clock(_int(spec, "ms", 0))
        return {}

    async def _apply_duplicate(self, spec: Spec) -> dict[str, Any]:
        self.duplicate_user_events(_int(spec, "count", 1))
        return {}

    async def _apply_reorder(self, spec: Spec) -> dict[str, Any]:
        self.reorder_user_events(_int(spec, "count", 2))
        return {}

    async def _apply_key_permissions(self, spec: Spec) -> dict[str, Any]:
        flags = spec.get("flags")
        if not isinstance(flags, dict):
            raise ValueError('key_permissions needs "flags": {"enableFutures": true, ...}')
        self.set_key_permissions(**{str(k): v for k, v in flags.items()})
        return {"flags": dict(self.key_permissions)}

    async def _apply_clear(self, spec: Spec) -> dict[str, Any]:
        self.clear()
        return {}

    async def _apply_mark(self, spec: Spec) -> dict[str, Any]:
        if "symbol" not in spec or "price" not in spec:
            raise ValueError("mark needs a symbol and a price")
        symbol = str(spec["symbol"])
        if symbol not in self._engine.symbols:
            raise ValueError(f"unknown symbol {symbol!r}")
        try:
            price = Decimal(str(spec["price"]))
        except InvalidOperation:
            raise ValueError(f"price must be a number, not {spec['price']!r}") from None
        if not price.is_finite() or price <= 0:
            raise ValueError(f"price must be a positive number, not {spec['price']!r}")
        self._engine.set_mark_price(symbol, price)
        return {}

    async def _apply_pause(self, spec: Spec) -> dict[str, Any]:
        self._engine.paused = bool(spec.get("paused", True))
        return {}

    async def _apply_collateral(self, spec: Spec) -> dict[str, Any]:
        """{"asset": "USDC", "amount": "2500", "price": "0.9998", "haircut": "0"}: any of the last three."""
        if "asset" not in spec:
            raise ValueError("collateral needs an asset and an amount, price or haircut")
        values: dict[str, Decimal | None] = {}
        for name in ("amount", "price", "haircut"):
            raw = spec.get(name)
            try:
                value = None if raw is None else Decimal(str(raw))
            except InvalidOperation:
                raise ValueError(f"{name} must be a number, not {raw!r}") from None
            if value is not None and not value.is_finite():
                raise ValueError(f"{name} must be a finite number, not {raw!r}")
            values[name] = value
        asset = str(spec["asset"])
        self._engine.set_collateral(asset, amount=values["amount"], usd_price=values["price"],
                                    haircut=values["haircut"])
        held = self._engine.collateral[asset]
        return {"asset": asset, "amount": str(held.amount), "price": str(held.usd_price),
                "haircut": str(held.haircut)}

    async def _apply_margin_call(self, spec: Spec) -> dict[str, Any]:
        sym = spec.get("symbol")
        return self._engine.emit_margin_call(None if sym is None else str(sym))
