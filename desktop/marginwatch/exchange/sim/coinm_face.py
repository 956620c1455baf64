"""The simulated exchange's COIN-M face: `/dapi` REST, its own listenKey and dstream-style sockets.

One engine per margin coin (COIN-M pools cross margin per coin), each driven by its own instance of
the server's scenario, so the crash scenario brings the BTC pool to a margin call as it does the
USDⓈ-M account, and the demo scenario cycles the ETH pool's isolated long through one. Streams
live under `/dstream` on the server's one port: `/dstream/ws/<listenKey>` is user data,
`/dstream/ws/<streams>` and `/dstream/stream?streams=` market data, as on dstream.
Authentication is the server's (one API key serves both venues).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from aiohttp import web

from marginwatch.core.position import PositionSide
from marginwatch.exchange.sim import coinm_views as views
from marginwatch.exchange.sim.auth import Authenticator, AuthError
from marginwatch.exchange.sim.clock import ServerClock
from marginwatch.exchange.sim.coinm_market import (
    COINM_BOOKS,
    CONTRACT_SIZES,
    bracket_entries,
    exchange_info,
    symbols_of,
)
from marginwatch.exchange.sim.engine import AccountEngine
from marginwatch.exchange.sim.faults import FaultController
from marginwatch.exchange.sim.listen_keys import HubSockets, ListenKeys
from marginwatch.exchange.sim.responses import json_response
from marginwatch.exchange.sim.rest_views import mark_price_update
from marginwatch.exchange.sim.scenarios import Demo, Scenario, make_scenario
from marginwatch.exchange.sim.streams import StreamHub, WsConn
from marginwatch.exchange.sim.ws_routes import WsRoutes

LISTEN_KEY_PATH = "/dapi/v1/listenKey"
WS_PREFIX = "/dstream"


class _CoinMListenKeys(ListenKeys):
    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post(LISTEN_KEY_PATH, self._post)
        router.add_put(LISTEN_KEY_PATH, self._put)
        router.add_delete(LISTEN_KEY_PATH, self._delete)


class _DStreamHub(StreamHub):
    """dstream serves market and user data on one connection: a listenKey SUBSCRIBEd on a market
    socket gets the user events too."""

    def deliver_user_event(self, listen_key: str | None, payload: dict[str, Any]) -> int:
        if listen_key is None:
            return 0
        sent = 0
        for c in list(self.conns):
            if listen_key in c.listen_keys:
                c.send_json({"stream": listen_key, "data": payload} if c.combined else payload)
                sent += 1
        return sent


class _CoinMWsRoutes(WsRoutes):
    """dstream's unrouted forms: the bare root and `/stream` (combined), `/ws/<streams>`, and
    `/ws/<listenKey>` for user data; one socket may SUBSCRIBE both stream names and the listenKey."""

    def add_routes(self, router: web.UrlDispatcher) -> None:
        market_ws = self._public_handler("market", combined=False)
        private_ws = self._private_handler(combined=False)

        async def ws_path(request: web.Request) -> web.StreamResponse:
            tail = request.match_info["tail"]
            if "@" not in tail and "/" not in tail:
                request.match_info["listen_key"] = tail
                return await private_ws(request)
            request.match_info["streams"] = tail
            return await market_ws(request)

        router.add_get(WS_PREFIX, self._public_handler("market", combined=True))
        router.add_get(f"{WS_PREFIX}/ws", market_ws)
        router.add_get(f"{WS_PREFIX}/ws/{{tail:.+}}", ws_path)
        router.add_get(f"{WS_PREFIX}/stream", self._public_handler("market", combined=True))


    def _handle_request(self, conn: WsConn, text: str) -> dict[str, Any] | None:
        active = self._listen_keys.active
        try:
            req = json.loads(text)
        except ValueError:
            req = None
        params = req.get("params") if isinstance(req, dict) else None
        if conn.kind == "private" or active is None or not isinstance(params, list) or active not in params:
            return super()._handle_request(conn, text)
        # The listenKey among the stream names: it subscribes the socket to the user data.
        method = req.get("method") if isinstance(req, dict) else None
        if method == "SUBSCRIBE":
            conn.listen_keys[active] = None
        elif method == "UNSUBSCRIBE":
            conn.listen_keys.pop(active, None)
        rest = [p for p in params if p != active]
        if not rest:
            return {"result": None, "id": req.get("id") if isinstance(req, dict) else None}
        return super()._handle_request(conn, json.dumps({**req, "params": rest}))


class _CoinMDemo(Demo):
    """The demo cycle on the ETH pool's isolated long: a COIN-M margin call every cycle, margin
    added (in ETH) at the bottom and taken back at the top, nothing liquidated."""

    VICTIM = ("ETHUSD_PERP", PositionSide.LONG)
    TOP_UP = Decimal("0.05")
    FALL = 45.0  # later than the USDⓈ-M demo's call, so the two arrive apart


def _scenario_for(coin: str, name: str, seed: int | None) -> Scenario:
    if name == "demo":
        return _CoinMDemo(seed) if coin == "ETH" else make_scenario("calm", seed)
    return make_scenario(name if name in ("calm", "crash", "squeeze", "random") else "calm", seed)


class CoinMFace:
    def __init__(self, *, scenario: str | Scenario, seed: int | None, auth: Authenticator, clock: ServerClock,
                 now_ms: Callable[[], int], tick_interval: float, margin_call_level: Any,
                 paused: bool, on_user_event: Callable[[dict[str, Any]], None] | None = None) -> None:
        self._auth = auth
        self._now_ms = now_ms
        self._on_user_event = on_user_event
        name = scenario if isinstance(scenario, str) else scenario.name
        self.engines: dict[str, AccountEngine] = {}
        for coin, book in COINM_BOOKS.items():
            symbols = symbols_of(coin)
            engine = AccountEngine(
                _scenario_for(coin, name, seed), book=book, symbols=symbols, margin_call_level=margin_call_level,
                tick_interval=tick_interval, clock_ms=now_ms, contract_sizes=CONTRACT_SIZES,
                margin_asset=coin, account_alias=views.ALIAS, bracket_entries=bracket_entries(symbols),
            )
            engine.paused = paused
            engine.add_listener(self.emit_user_event)
            self.engines[coin] = engine
        self.hub: StreamHub = _DStreamHub()
        self.listen_keys = _CoinMListenKeys(self.hub, auth, now_ms)
        self.faults = FaultController(HubSockets(self.hub, self.listen_keys), next(iter(self.engines.values())), clock)
        self.ws = _CoinMWsRoutes(self.hub, self.listen_keys, self.faults)
        self.margin_calls: list[dict[str, Any]] = []

    # ----- driving ---------------------------------------------------------------------------
    def set_paused(self, paused: bool) -> None:
        for e in self.engines.values():
            e.paused = paused

    def tick(self, slow_tick: bool) -> None:
        now = self._now_ms()
        updates: dict[str, dict[str, Any]] = {}
        for engine in self.engines.values():
            engine.step()
            updates.update({s: mark_price_update(engine, s, now) for s in engine.symbols})
        self.hub.broadcast_marks(updates, slow_tick=slow_tick)

    def engine_for(self, symbol: str) -> AccountEngine:
        for engine in self.engines.values():
            if symbol in engine.symbols:
                return engine
        raise AuthError(400, -1121, "Invalid symbol.")

    def emit_user_event(self, payload: dict[str, Any]) -> None:
        if payload.get("e") == "MARGIN_CALL":
            self.margin_calls.append(payload)
        if self._on_user_event is not None:
            self._on_user_event(payload)
        self.faults.route_user_event(payload)

    # ----- REST ------------------------------------------------------------------------------
    def add_routes(self, router: web.UrlDispatcher) -> None:
        r = router
        r.add_get("/dapi/v1/ping", self._ping)
        r.add_get("/dapi/v1/time", self._time)
        r.add_get("/dapi/v1/exchangeInfo", self._exchange_info)
        r.add_get("/dapi/v1/premiumIndex", self._premium_index)
        r.add_get("/dapi/v1/leverageBracket", self._brackets_by_pair)
        r.add_get("/dapi/v2/leverageBracket", self._brackets)
        r.add_get("/dapi/v1/account", self._account)
        r.add_get("/dapi/v1/positionRisk", self._position_risk)
        r.add_get("/dapi/v1/balance", self._balance)
        r.add_get("/dapi/v1/positionSide/dual", self._position_mode)
        self.listen_keys.add_routes(r)
        self.ws.add_routes(r)

    async def _signed(self, request: web.Request) -> dict[str, str]:
        return await self._auth.check_request(request, self._now_ms())

    def _symbol(self, params: Any) -> str | None:
        sym = params.get("symbol")
        if sym is None:
            return None
        self.engine_for(str(sym))
        return str(sym)

    async def _ping(self, request: web.Request) -> web.Response:
        return json_response({})

    async def _time(self, request: web.Request) -> web.Response:
        return json_response({"serverTime": self._now_ms()})

    async def _exchange_info(self, request: web.Request) -> web.Response:
        listed = {s: spec for e in self.engines.values() for s, spec in e.symbols.items()}
        return json_response(exchange_info(self._now_ms(), listed))

    async def _premium_index(self, request: web.Request) -> web.Response:
        sym = self._symbol(request.query)
        now = self._now_ms()
        if sym is not None:
            return json_response([views.premium_index(self.engine_for(sym), sym, now)])
        return json_response([views.premium_index(e, s, now) for e in self.engines.values() for s in e.symbols])

    async def _brackets(self, request: web.Request) -> web.Response:
        sym = self._symbol(await self._signed(request))
        return json_response(views.leverage_brackets(self.engines, sym))

    async def _brackets_by_pair(self, request: web.Request) -> web.Response:
        params = await self._signed(request)
        entries = views.leverage_brackets(self.engines, None)
        pair = params.get("pair")
        out = [{"pair": e["symbol"].split("_", 1)[0], "brackets": e["brackets"]} for e in entries]
        return json_response([e for e in out if pair is None or e["pair"] == pair])

    async def _account(self, request: web.Request) -> web.Response:
        await self._signed(request)
        return json_response(views.account(self.engines, self._now_ms()))

    async def _position_risk(self, request: web.Request) -> web.Response:
        params = await self._signed(request)
        pair = params.get("pair")
        rows = views.position_risk(self.engines, None)
        return json_response([r for r in rows if pair is None or r["symbol"].startswith(pair + "_")])

    async def _balance(self, request: web.Request) -> web.Response:
        await self._signed(request)
        return json_response(views.balance(self.engines, self._now_ms()))

    async def _position_mode(self, request: web.Request) -> web.Response:
        await self._signed(request)
        return json_response({"dualSidePosition": True})


def is_coinm_path(path: str) -> bool:
    return path.startswith(("/dapi/", WS_PREFIX + "/"))


__all__ = ["LISTEN_KEY_PATH", "WS_PREFIX", "CoinMFace", "is_coinm_path"]
