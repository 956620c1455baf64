"""The simulated Binance USDⓈ-M exchange: REST and WebSocket routes on one loopback port.

This module wires the parts and runs the clock: `rest_routes`, `listen_keys`, `ws_routes` and
`control_routes` hold the endpoints, `streams` the sockets, `engine` the account, `faults` the
misbehaviour. Every tick advances the scenario and pushes marks; housekeeping pings, enforces
pong timeouts and the 24 h cut, and expires the listenKey.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aiohttp import web

from marginwatch.exchange.sim.auth import DEMO_API_KEY, DEMO_API_SECRET, Authenticator
from marginwatch.exchange.sim.book import DEMO_BOOK, Book
from marginwatch.exchange.sim.clock import ServerClock
from marginwatch.exchange.sim.coinm_face import CoinMFace
from marginwatch.exchange.sim.control_routes import ControlRoutes
from marginwatch.exchange.sim.engine import AccountEngine
from marginwatch.exchange.sim.faults import FaultController
from marginwatch.exchange.sim.listen_keys import HubSockets, ListenKeys
from marginwatch.exchange.sim.market import SYMBOLS, SymbolSpec
from marginwatch.exchange.sim.rest_routes import RestRoutes
from marginwatch.exchange.sim.rest_views import mark_price_update
from marginwatch.exchange.sim.scenarios import Scenario, make_scenario
from marginwatch.exchange.sim.streams import StreamHub, WsConn
from marginwatch.exchange.sim.ws_routes import WsRoutes

LOOPBACK = "127.0.0.1"
PING_INTERVAL_S = 180.0
PONG_TIMEOUT_S = 600.0
MAX_CONN_AGE_S = 24 * 3600.0
SLOW_STREAM_TICKS = 3  # `<sym>@markPrice` pushes every 3 s, `@1s` every tick
# Sent user events kept for inspection (tests, benchmarks); a demo runs for days, so only the latest.
KEEP_EMITTED = 1000


@dataclass(slots=True)
class EmittedCounts:
    """User events and margin calls emitted since start (the deques keep only the latest)."""

    user_events: int = 0
    margin_calls: int = 0


class SimulatedExchange:
    def __init__(
        self,
        *,
        host: str = LOOPBACK,
        port: int = 0,
        scenario: str | Scenario = "calm",
        speed: float = 1.0,
        api_key: str = DEMO_API_KEY,
        api_secret: str = DEMO_API_SECRET,
        ed25519_public_key_pem: bytes | None = None,
        margin_call_level: Decimal = Decimal("0.8"),
        tick_interval: float = 1.0,
        seed: int | None = None,
        autostart_engine: bool = True,
        book: Book = DEMO_BOOK,
        symbols: Mapping[str, SymbolSpec] = SYMBOLS,
        coinm: bool = True,
    ) -> None:
        """`scenario` is a name (`scenarios.SCENARIOS`, seeded with `seed`) or a scenario of its own;
        `symbols` is what the market lists and `book` the account it starts from. `coinm` adds the
        COIN-M face (`coinm_face`: /dapi and /dstream) on the same port."""
        if host not in (LOOPBACK, "localhost"):
            raise ValueError("the simulated exchange only binds 127.0.0.1")
        if speed <= 0 or tick_interval <= 0:
            raise ValueError("speed and tick_interval must be positive")
        self.host = LOOPBACK
        self.port = port
        self.speed = speed
        self.tick_interval = tick_interval
        self.auth = Authenticator(api_key, api_secret, ed25519_public_key_pem)
        self.clock = ServerClock()
        chosen = make_scenario(scenario, seed) if isinstance(scenario, str) else scenario
        self.engine = AccountEngine(chosen, book=book, symbols=symbols, margin_call_level=margin_call_level,
                                    tick_interval=tick_interval, clock_ms=self.now_ms)
        self.engine.paused = not autostart_engine
        self.engine.add_listener(self.emit_user_event)
        self.hub = StreamHub()
        self.listen_keys = ListenKeys(self.hub, self.auth, self.now_ms)
        self.faults = FaultController(HubSockets(self.hub, self.listen_keys), self.engine, self.clock)
        self.rest = RestRoutes(self.engine, self.auth, self.faults, self.now_ms)
        self.ws = WsRoutes(self.hub, self.listen_keys, self.faults)
        self.control = ControlRoutes(self.faults, self.state, lambda: self.port)
        self.coinm: CoinMFace | None = None
        if coinm:
            self.coinm = CoinMFace(scenario=scenario, seed=seed, auth=self.auth, clock=self.clock, now_ms=self.now_ms,
                                   tick_interval=tick_interval, margin_call_level=margin_call_level,
                                   paused=not autostart_engine)
        self.margin_calls_emitted: deque[dict[str, Any]] = deque(maxlen=KEEP_EMITTED)
        self.events_emitted: deque[dict[str, Any]] = deque(maxlen=KEEP_EMITTED)
        self.emitted = EmittedCounts()
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._ticks = 0
        self.tick_event = asyncio.Event()  # set after every tick (tests wait on it)

    # ----- lifecycle -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    @property
    def listen_key(self) -> str | None:
        return self.listen_keys.active

    @listen_key.setter
    def listen_key(self, key: str | None) -> None:
        """Replace the active key without telling anyone (None: it died silently)."""
        self.listen_keys.active = key

    async def start(self) -> None:
        app = web.Application(middlewares=[self.control.guard, self.rest.middleware])
        for routes in (self.rest, self.listen_keys, self.control, self.ws):
            routes.add_routes(app.router)
        if self.coinm is not None:
            self.coinm.add_routes(app.router)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._tasks = [asyncio.create_task(self._tick_loop()), asyncio.create_task(self._housekeeping())]

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        self._tasks = []
        for c in self._all_conns():
            await c.close(1001, "server shutting down")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SimulatedExchange:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def now_ms(self) -> int:
        return self.clock.now_ms()

    def pause(self) -> None:
        self.engine.paused = True
        if self.coinm is not None:
            self.coinm.set_paused(True)

    def resume(self) -> None:
        self.engine.paused = False
        if self.coinm is not None:
            self.coinm.set_paused(False)

    def _all_conns(self) -> list[WsConn]:
        return [*self.hub.conns, *(self.coinm.hub.conns if self.coinm is not None else ())]

    def _used_weight(self, add: int) -> int:
        # Kept for callers from before the REST routes had a module of their own.
        return self.rest.weights.used(add)

    # ----- periodic work ---------------------------------------------------------------------
    async def _tick_loop(self) -> None:
        period = self.tick_interval / self.speed
        next_at = time.monotonic()
        while True:
            next_at += period
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            self.tick()

    def tick(self) -> None:
        """One mark-price tick: advance the scenario (unless paused), settle risk, push marks."""
        self.engine.step()
        self._ticks += 1
        now = self.now_ms()
        updates = {s: mark_price_update(self.engine, s, now) for s in self.engine.symbols}
        self.hub.broadcast_marks(updates, slow_tick=self._ticks % SLOW_STREAM_TICKS == 0)
        if self.coinm is not None:
            self.coinm.tick(self._ticks % SLOW_STREAM_TICKS == 0)
        self.faults.on_tick(self._ticks)
        self.tick_event.set()
        self.tick_event = asyncio.Event()

    async def _housekeeping(self) -> None:
        ping_every = PING_INTERVAL_S / self.speed
        pong_timeout = PONG_TIMEOUT_S / self.speed
        max_age = MAX_CONN_AGE_S / self.speed
        period = min(1.0, ping_every / 4)
        while True:
            await asyncio.sleep(period)
            now = time.monotonic()
            for c in self._all_conns():
                if now - c.opened >= max_age:
                    await c.cut_24h()
                elif now - c.last_pong >= pong_timeout:
                    await c.close(1008, "pong timeout")
                elif now - c.last_ping >= ping_every and not c.stalled:
                    c.last_ping = now
                    with contextlib.suppress(Exception):
                        await c.ws.ping(b"")
            self.listen_keys.expire_if_due()
            if self.coinm is not None:
                self.coinm.listen_keys.expire_if_due()

    # ----- user events -----------------------------------------------------------------------
    def emit_user_event(self, payload: dict[str, Any]) -> None:
        """Record and send a user-data event (any Binance-shaped dict), through the faults."""
        self.events_emitted.append(payload)
        self.emitted.user_events += 1
        if payload.get("e") == "MARGIN_CALL":
            self.margin_calls_emitted.append(payload)
            self.emitted.margin_calls += 1
        self.faults.route_user_event(payload)

    def state(self) -> dict[str, Any]:
        """What `GET /_sim/state` reports."""
        risk = self.engine.assess()
        return {
            "scenario": self.engine.scenario.name, "speed": self.speed, "paused": self.engine.paused,
            "scenarioTime": self.engine.scenario_time,
            "marks": {s: str(p) for s, p in self.engine.marks.items()},
            "crossWallet": str(self.engine.cross_wallet),
            "marginAsset": self.engine.margin_asset, "multiAssetsMargin": self.engine.multi_assets_margin,
            "crossWalletUsd": str(self.engine.cross_wallet_usd),
            "collateral": {c.asset: {"amount": str(c.amount), "price": str(c.usd_price), "haircut": str(c.haircut)}
                           for c in self.engine.collateral.values()},
            "crossMarginRatio": None if risk.margin_ratio is None else str(risk.margin_ratio),
            "positions": [{"symbol": pr.position.symbol, "side": pr.position.position_side.value,
                           "amount": str(pr.position.amount),
                           "marginRatio": None if pr.margin_ratio is None else str(pr.margin_ratio)}
                          for pr in risk.positions],
            "connections": {k: len(self.hub.of((k,))) for k in ("market", "public", "legacy", "private")},
            "listenKeyActive": self.listen_keys.active is not None,
            "marginCalls": self.emitted.margin_calls, "events": self.emitted.user_events,
            "liquidations": self.engine.stats.liquidations,
            "private_connects": self.ws.private_connects,
            "listen_key_posts": self.listen_keys.posts,
        }


def free_port() -> int:
    """Not used by the server (it binds port 0); handy for callers that need a number up front."""
    import socket

    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


__all__ = ["DEMO_API_KEY", "DEMO_API_SECRET", "SimulatedExchange", "free_port"]
