"""The simulated Binance USDⓈ-M exchange: REST and WebSocket routes on one loopback port."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import string
import time
from collections import deque
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from aiohttp import WSMsgType, web

from marginwatch.exchange.sim.auth import DEMO_API_KEY, DEMO_API_SECRET, Authenticator, AuthError
from marginwatch.exchange.sim.engine import AccountEngine
from marginwatch.exchange.sim.faults import FaultController
from marginwatch.exchange.sim.market import SYMBOLS, exchange_info
from marginwatch.exchange.sim.rest_views import (
    account_config,
    account_v3,
    api_restrictions,
    balance_v3,
    mark_price_update,
    position_risk,
    premium_index,
    symbol_config,
)
from marginwatch.exchange.sim.streams import Kind, StreamHub, WsConn, dumps, valid_stream_name

LOOPBACK = "127.0.0.1"
PING_INTERVAL_S = 180.0
PONG_TIMEOUT_S = 600.0
MAX_CONN_AGE_S = 24 * 3600.0
LISTEN_KEY_VALIDITY_S = 3600.0
SLOW_STREAM_TICKS = 3  # `<sym>@markPrice` pushes every 3 s, `@1s` every tick

# Request weights (Binance docs, §0.9 of the reference).
WEIGHTS = {"/fapi/v3/positionRisk": 5, "/fapi/v3/account": 5, "/fapi/v3/balance": 5,
           "/fapi/v1/symbolConfig": 5, "/fapi/v1/accountConfig": 5}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(text=dumps(body), status=status, content_type="application/json")


def _err(status: int, code: int, msg: str) -> web.Response:
    return _json({"code": code, "msg": msg}, status)


class SimulatedExchange:
    def __init__(
        self,
        *,
        host: str = LOOPBACK,
        port: int = 0,
        scenario: str = "calm",
        speed: float = 1.0,
        api_key: str = DEMO_API_KEY,
        api_secret: str = DEMO_API_SECRET,
        ed25519_public_key_pem: bytes | None = None,
        margin_call_level: Decimal = Decimal("0.8"),
        tick_interval: float = 1.0,
        seed: int | None = None,
        autostart_engine: bool = True,
    ) -> None:
        if host not in (LOOPBACK, "localhost"):
            raise ValueError("the simulated exchange only binds 127.0.0.1")
        if speed <= 0 or tick_interval <= 0:
            raise ValueError("speed and tick_interval must be positive")
        self.host = LOOPBACK
        self.port = port
        self.speed = speed
        self.tick_interval = tick_interval
        self.auth = Authenticator(api_key, api_secret, ed25519_public_key_pem)
        self.faults = FaultController(self)
        self.engine = AccountEngine(scenario=scenario, margin_call_level=margin_call_level,
                                    tick_interval=tick_interval, seed=seed, clock_ms=self.now_ms)
        self.engine.paused = not autostart_engine
        self.engine.add_listener(self._on_engine_event)
        self.hub = StreamHub()
        self.margin_calls_emitted: list[dict[str, Any]] = []
        self.events_emitted: list[dict[str, Any]] = []
        self.listen_key: str | None = None
        self._listen_key_expires = 0.0
        self._weights: deque[tuple[float, int]] = deque()
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

    async def start(self) -> None:
        app = web.Application(middlewares=[self._middleware])
        self._routes(app)
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
        for c in list(self.hub.conns):
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
        return int(time.time() * 1000) + self.faults.clock_skew_ms

    def pause(self) -> None:
        self.engine.paused = True

    def resume(self) -> None:
        self.engine.paused = False

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
        updates = {s: mark_price_update(self.engine, s, now) for s in SYMBOLS}
        self.hub.broadcast_marks(updates, slow_tick=self._ticks % SLOW_STREAM_TICKS == 0)
        if self.faults.reorder_buffer and self._ticks % 2 == 0:
            self._flush_reorder()
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
            for c in list(self.hub.conns):
                if now - c.opened >= max_age:
                    await self.cut_24h(c)
                elif now - c.last_pong >= pong_timeout:
                    await c.close(1008, "pong timeout")
                elif now - c.last_ping >= ping_every and not c.stalled:
                    c.last_ping = now
                    with contextlib.suppress(Exception):
                        await c.ws.ping(b"")
            if self.listen_key is not None and time.monotonic() >= self._listen_key_expires:
                self.expire_listen_key()

    async def cut_24h(self, c: WsConn) -> None:
        await c.close(1000, "connection lifetime of 24h reached")

    # ----- user events -----------------------------------------------------------------------
    def _on_engine_event(self, payload: dict[str, Any]) -> None:
        self.emit_user_event(payload)

    def emit_user_event(self, payload: dict[str, Any]) -> None:
        """Record and send a user-data event (any Binance-shaped dict), through the faults."""
        self.events_emitted.append(payload)
        if payload.get("e") == "MARGIN_CALL":
            self.margin_calls_emitted.append(payload)
        f = self.faults
        if f.reorder_remaining > 0:
            f.reorder_buffer.append(payload)
            f.reorder_remaining -= 1
            if f.reorder_remaining == 0:
                self._flush_reorder()
            return
        self.deliver(payload)

    def _flush_reorder(self) -> None:
        buf, self.faults.reorder_buffer = self.faults.reorder_buffer, []
        self.faults.reorder_remaining = 0
        for p in reversed(buf):
            self.deliver(p)

    def deliver(self, payload: dict[str, Any]) -> None:
        copies = 1
        if self.faults.duplicate_remaining > 0:
            self.faults.duplicate_remaining -= 1
            copies = 2
        for _ in range(copies):
            self.hub.deliver_user_event(self.listen_key, payload)

    # ----- listenKey -------------------------------------------------------------------------
    def _new_listen_key(self) -> str:
        alphabet = string.ascii_letters + string.digits
        return "".join(secrets.choice(alphabet) for _ in range(64))

    def expire_listen_key(self) -> str | None:
        key = self.listen_key
        if key is None:
            return None
        self.hub.deliver_user_event(key, {"e": "listenKeyExpired", "E": self.now_ms(), "listenKey": key})
        self.listen_key = None
        return key

    # ----- HTTP plumbing ---------------------------------------------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        resp: web.StreamResponse
        api = path.startswith(("/fapi/", "/sapi/"))
        if api:
            fault = self.faults.take_rest_fault()
            if fault is not None:
                if fault.status == 429:
                    resp = _err(429, -1003, "Too many requests; current limit is 2400 requests per minute. "
                                "Please use the websocket for live updates to avoid polling the API.")
                else:
                    until = self.now_ms() + fault.retry_after * 1000
                    resp = _err(418, -1003, f"Way too many requests; IP banned until {until}. "
                                "Please use the websocket for live updates to avoid bans.")
                resp.headers["Retry-After"] = str(fault.retry_after)
                resp.headers["X-MBX-USED-WEIGHT-1M"] = str(self._used_weight(0))
                return resp
        try:
            resp = await handler(request)
        except AuthError as exc:
            resp = _json(exc.body(), exc.status)
        except web.HTTPException as exc:
            if not api:
                raise
            resp = _err(exc.status, -1000, exc.reason)
        if api:
            weight = WEIGHTS.get(path, 1)
            if path == "/fapi/v1/premiumIndex" and "symbol" not in request.query:
                weight = 10
            resp.headers["X-MBX-USED-WEIGHT-1M"] = str(self._used_weight(weight))
        return resp

    def _used_weight(self, add: int) -> int:
        now = time.monotonic()
        if add:
            self._weights.append((now, add))
        while self._weights and now - self._weights[0][0] > 60:
            self._weights.popleft()
        return sum(w for _, w in self._weights)

    async def _signed(self, request: web.Request) -> dict[str, str]:
        self.auth.check_key(request.headers.get("X-MBX-APIKEY"))
        body = await request.text() if request.can_read_body else ""
        return self.auth.check_signed(request.query_string, body, self.now_ms())

    def _symbol(self, params: Any) -> str | None:
        sym = params.get("symbol")
        if sym is None:
            return None
        if sym not in SYMBOLS:
            raise AuthError(400, -1121, "Invalid symbol.")
        return str(sym)

    def _routes(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/fapi/v1/ping", self._ping)
        r.add_get("/fapi/v1/time", self._time)
        r.add_get("/fapi/v1/exchangeInfo", self._exchange_info)
        r.add_get("/fapi/v1/premiumIndex", self._premium_index)
        r.add_get("/fapi/v1/leverageBracket", self._leverage_bracket)
        r.add_get("/fapi/v3/account", self._account)
        r.add_get("/fapi/v3/positionRisk", self._position_risk)
        r.add_get("/fapi/v3/balance", self._balance)
        r.add_get("/fapi/v1/symbolConfig", self._symbol_config)
        r.add_get("/fapi/v1/accountConfig", self._account_config)
        r.add_post("/fapi/v1/listenKey", self._listen_key_post)
        r.add_put("/fapi/v1/listenKey", self._listen_key_put)
        r.add_delete("/fapi/v1/listenKey", self._listen_key_delete)
        r.add_get("/sapi/v1/account/apiRestrictions", self._api_restrictions)
        r.add_post("/_sim/fault", self._sim_fault)
        r.add_get("/_sim/state", self._sim_state)
        routed: tuple[tuple[str, Kind], ...] = (("/market", "market"), ("/public", "public"), ("", "legacy"))
        for prefix, kind in routed:
            r.add_get(f"{prefix}/ws", self._ws_handler(kind, combined=False))
            r.add_get(f"{prefix}/ws/{{streams:.+}}", self._ws_handler(kind, combined=False))
            r.add_get(f"{prefix}/stream", self._ws_handler(kind, combined=True))
        r.add_get("/private/ws", self._private_handler(combined=False))
        r.add_get("/private/ws/{listen_key}", self._private_handler(combined=False))
        r.add_get("/private/stream", self._private_handler(combined=True))

    # ----- REST handlers ---------------------------------------------------------------------
    async def _ping(self, request: web.Request) -> web.Response:
        return _json({})

    async def _time(self, request: web.Request) -> web.Response:
        return _json({"serverTime": self.now_ms()})

    async def _exchange_info(self, request: web.Request) -> web.Response:
        return _json(exchange_info(self.now_ms()))

    async def _premium_index(self, request: web.Request) -> web.Response:
        sym = self._symbol(request.query)
        now = self.now_ms()
        if sym is not None:
            return _json(premium_index(self.engine, sym, now))
        return _json([premium_index(self.engine, s, now) for s in SYMBOLS])

    async def _leverage_bracket(self, request: web.Request) -> web.Response:
        sym = self._symbol(await self._signed(request))
        entries = self.engine.bracket_entries
        if sym is not None:
            return _json(entries[sym])
        return _json(list(entries.values()))

    async def _account(self, request: web.Request) -> web.Response:
        await self._signed(request)
        return _json(account_v3(self.engine, self.now_ms()))

    async def _position_risk(self, request: web.Request) -> web.Response:
        sym = self._symbol(await self._signed(request))
        return _json(position_risk(self.engine, sym))

    async def _balance(self, request: web.Request) -> web.Response:
        await self._signed(request)
        return _json(balance_v3(self.engine, self.now_ms()))

    async def _symbol_config(self, request: web.Request) -> web.Response:
        sym = self._symbol(await self._signed(request))
        return _json(symbol_config(self.engine, sym))

    async def _account_config(self, request: web.Request) -> web.Response:
        await self._signed(request)
        return _json(account_config(self.engine))

    async def _api_restrictions(self, request: web.Request) -> web.Response:
        await self._signed(request)
        return _json(api_restrictions(self.now_ms()))

    async def _listen_key_post(self, request: web.Request) -> web.Response:
        self.auth.check_key(request.headers.get("X-MBX-APIKEY"))
        if self.listen_key is None:
            self.listen_key = self._new_listen_key()
        self._listen_key_expires = time.monotonic() + LISTEN_KEY_VALIDITY_S
        return _json({"listenKey": self.listen_key})

    def _listen_key_missing(self) -> web.Response:
        return _err(400, -1125, "This listenKey does not exist. Please use `POST /fapi/v1/listenKey` "
                    "to recreate `listenKey`")

    async def _listen_key_put(self, request: web.Request) -> web.Response:
        self.auth.check_key(request.headers.get("X-MBX-APIKEY"))
        given = request.query.get("listenKey")
        if self.listen_key is None or (given and given != self.listen_key):
            return self._listen_key_missing()
        self._listen_key_expires = time.monotonic() + LISTEN_KEY_VALIDITY_S
        return _json({"listenKey": self.listen_key})

    async def _listen_key_delete(self, request: web.Request) -> web.Response:
        self.auth.check_key(request.headers.get("X-MBX-APIKEY"))
        key, self.listen_key = self.listen_key, None
        if key is not None:
            for c in self.hub.of(("private",)):
                if key in c.listen_keys:
                    await c.close(1000, "listenKey closed")
        return _json({})

    async def _sim_fault(self, request: web.Request) -> web.Response:
        try:
            spec = await request.json()
            if not isinstance(spec, dict):
                raise ValueError("body must be a JSON object")
            result = await self.faults.apply(spec)
        except (ValueError, KeyError, TypeError) as exc:
            return _json({"error": str(exc)}, 400)
        return _json({"ok": True, **result})

    async def _sim_state(self, request: web.Request) -> web.Response:
        risk = self.engine.assess()
        return _json({
            "scenario": self.engine.scenario.name, "speed": self.speed, "paused": self.engine.paused,
            "scenarioTime": self.engine.scenario_time, "marks": {s: str(p) for s, p in self.engine.marks.items()},
            "crossWallet": str(self.engine.cross_wallet),
            "crossMarginRatio": None if risk.margin_ratio is None else str(risk.margin_ratio),
            "positions": [{"symbol": pr.position.symbol, "side": pr.position.position_side.value,
                           "amount": str(pr.position.amount),
                           "marginRatio": None if pr.margin_ratio is None else str(pr.margin_ratio)}
                          for pr in risk.positions],
            "connections": {k: len(self.hub.of((k,))) for k in ("market", "public", "legacy", "private")},
            "listenKeyActive": self.listen_key is not None,
            "marginCalls": len(self.margin_calls_emitted), "events": len(self.events_emitted),
            "liquidations": self.engine.stats.liquidations,
        })

    # ----- WebSocket handlers ----------------------------------------------------------------
    def _ws_handler(self, kind: Kind, *, combined: bool) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            streams: list[str] = []
            raw = request.match_info.get("streams") or request.query.get("streams") or ""
            streams = [s for s in raw.split("/") if s]
            return await self._serve(request, kind, combined, streams=streams)

        return handler

    def _private_handler(self, *, combined: bool) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            keys: dict[str, frozenset[str] | None] = {}
            path_key = request.match_info.get("listen_key")
            if path_key:
                keys[path_key] = None
            # `listenKey=<k1>&events=...&listenKey=<k2>&events=...`: events bind to the key before them.
            current: str | None = None
            for name, value in request.query.items():
                if name == "listenKey":
                    current = value
                    keys[value] = None
                elif name == "events" and current is not None:
                    keys[current] = frozenset(e for e in value.split("/") if e)
            return await self._serve(request, "private", combined, listen_keys=keys)

        return handler

    async def _serve(self, request: web.Request, kind: Kind, combined: bool, *,
                     streams: list[str] | None = None,
                     listen_keys: dict[str, frozenset[str] | None] | None = None) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=False, max_msg_size=1 << 16)
        await ws.prepare(request)
        conn = WsConn(kind=kind, ws=ws, request=request, combined=combined)
        if kind == "private" and listen_keys:
            bad = [k for k in listen_keys if k != self.listen_key]
            if bad:
                await ws.close(code=1008, message=b"invalid or expired listenKey")
                return ws
            conn.listen_keys = dict(listen_keys)
        conn.streams = [s for s in (streams or []) if valid_stream_name(s)]
        self.hub.conns.add(conn)
        conn.writer = asyncio.create_task(conn.write_loop())
        try:
            await self._read_loop(conn)
        finally:
            self.hub.conns.discard(conn)
            conn.queue.put_nowait(None)
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await conn.writer
        return ws

    async def _read_loop(self, conn: WsConn) -> None:
        ws = conn.ws
        async for msg in ws:
            if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.PING):
                if conn.too_chatty():
                    await conn.close(1008, "too many messages")
                    return
            if msg.type == WSMsgType.PING:
                if not conn.stalled:
                    with contextlib.suppress(Exception):
                        await ws.pong(msg.data)
            elif msg.type == WSMsgType.PONG:
                conn.last_pong = time.monotonic()
            elif msg.type == WSMsgType.TEXT:
                reply = self._handle_request(conn, msg.data)
                if reply is not None:
                    conn.send_json(reply)
            elif msg.type == WSMsgType.ERROR:
                return

    def _handle_request(self, conn: WsConn, text: str) -> dict[str, Any] | None:
        try:
            req = json.loads(text)
        except ValueError:
            return {"code": 3, "msg": "Invalid JSON: expected value at line 1 column 1"}
        if not isinstance(req, dict):
            return {"code": 2, "msg": "Invalid request: request must be a JSON object"}
        rid = req.get("id")
        method = req.get("method")
        params = req.get("params", [])
        if method == "SET_PROPERTY":
            if isinstance(params, list) and len(params) == 2 and params[0] == "combined" \
                    and isinstance(params[1], bool):
                conn.combined = params[1]
                return {"result": None, "id": rid}
            return {"code": 2, "msg": "Invalid request: unknown property", "id": rid}
        if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
            return {"code": 2, "msg": "Invalid request: params must be a list of strings", "id": rid}
        if method == "LIST_SUBSCRIPTIONS":
            subs = list(conn.listen_keys) if conn.kind == "private" else list(conn.streams)
            return {"result": subs, "id": rid}
        if method == "GET_PROPERTY":
            return {"result": conn.combined, "id": rid}
        if method not in ("SUBSCRIBE", "UNSUBSCRIBE"):
            return {"code": 2, "msg": f"Invalid request: unknown method {method!r}", "id": rid}
        if conn.kind == "private":
            return self._private_subscribe(conn, method, params, rid)
        if method == "SUBSCRIBE":
            if not all(valid_stream_name(p) for p in params):
                return {"code": 2, "msg": "Invalid request: stream names must be lowercase", "id": rid}
            conn.streams.extend(p for p in params if p not in conn.streams)
        else:
            conn.streams = [s for s in conn.streams if s not in params]
        return {"result": None, "id": rid}

    def _private_subscribe(self, conn: WsConn, method: str, params: list[str], rid: Any) -> dict[str, Any]:
        for p in params:
            key, _, event = p.partition("@")
            if method == "UNSUBSCRIBE":
                conn.listen_keys.pop(key, None)
                continue
            if key != self.listen_key:
                return {"code": 2, "msg": "Invalid request: invalid listenKey", "id": rid}
            if not event:
                conn.listen_keys[key] = None  # every event
            elif key not in conn.listen_keys or conn.listen_keys[key] is not None:
                conn.listen_keys[key] = (conn.listen_keys.get(key) or frozenset()) | {event}
        return {"result": None, "id": rid}


def free_port() -> int:
    """Not used by the server (it binds port 0); handy for callers that need a number up front."""
    import socket

    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


__all__ = ["DEMO_API_KEY", "DEMO_API_SECRET", "SimulatedExchange", "free_port"]
