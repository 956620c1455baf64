"""The REST side of the simulated exchange: market and account endpoints, request weights, auth
errors and the REST faults (429/418), in Binance's shapes (`rest_views` builds the bodies)."""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

from aiohttp import web

from marginwatch.exchange.sim import rest_views as views
from marginwatch.exchange.sim.auth import Authenticator, AuthError
from marginwatch.exchange.sim.engine import AccountEngine
from marginwatch.exchange.sim.faults import FaultController
from marginwatch.exchange.sim.market import exchange_info
from marginwatch.exchange.sim.responses import Handler, err_response, json_response

API_PREFIXES = ("/fapi/", "/dapi/", "/sapi/", "/api/")  # /dapi: the COIN-M face (coinm_face)
# The spot host's few paths (python-binance's client pings them before anything else). On Binance they
# are another host with its own weight budget, so they count apart from the futures weight.
SPOT_PREFIX = "/api/"
# Request weights (Binance docs and the official SDK's "Weight(IP)"); everything else weighs 1.
# /fapi/v1/fundingRate documents no request weight, only a 500/5 min/IP limit shared with
# /fapi/v1/fundingInfo: it counts the default 1 here and that limit is not enforced.
WEIGHTS = {"/fapi/v3/positionRisk": 5, "/fapi/v3/account": 5, "/fapi/v3/balance": 5,
           "/fapi/v2/positionRisk": 5, "/fapi/v2/account": 5, "/fapi/v2/balance": 5,
           "/fapi/v1/symbolConfig": 5, "/fapi/v1/accountConfig": 5, "/fapi/v1/positionSide/dual": 30,
           "/dapi/v1/account": 5, "/dapi/v1/positionSide/dual": 30, "/fapi/v1/adlQuantile": 5}
ALL_SYMBOLS_PREMIUM_INDEX_WEIGHT = 10
WEIGHT_WINDOW_S = 60.0


class RequestWeights:
    """The weight used over the last minute, as `X-MBX-USED-WEIGHT-1M` reports it."""

    def __init__(self) -> None:
        self._window: deque[tuple[float, int]] = deque()

    def used(self, add: int = 0) -> int:
        now = time.monotonic()
        if add:
            self._window.append((now, add))
        while self._window and now - self._window[0][0] > WEIGHT_WINDOW_S:
            self._window.popleft()
        return sum(w for _, w in self._window)


class RestRoutes:
    def __init__(self, engine: AccountEngine, auth: Authenticator, faults: FaultController,
                 now_ms: Callable[[], int]) -> None:
        self._engine = engine
        self._auth = auth
        self._faults = faults
        self._now_ms = now_ms
        self.weights = RequestWeights()
        self.spot_weights = RequestWeights()
        self.calls: Counter[str] = Counter()  # API requests served, by path (tests count a client's calls)

    def add_routes(self, router: web.UrlDispatcher) -> None:
        r = router
        r.add_get("/fapi/v1/ping", self._ping)
        r.add_get("/fapi/v1/time", self._time)
        r.add_get("/fapi/v1/exchangeInfo", self._exchange_info)
        r.add_get("/fapi/v1/premiumIndex", self._premium_index)
        r.add_get("/fapi/v1/fundingRate", self._funding_rate)
        r.add_get("/fapi/v1/leverageBracket", self._leverage_bracket)
        r.add_get("/fapi/v3/account", self._account)
        r.add_get("/fapi/v3/positionRisk", self._position_risk)
        r.add_get("/fapi/v3/balance", self._balance)
        r.add_get("/fapi/v1/symbolConfig", self._symbol_config)
        r.add_get("/fapi/v1/accountConfig", self._account_config)
        r.add_get("/fapi/v1/adlQuantile", self._adl_quantile)
        r.add_get("/fapi/v1/positionSide/dual", self._position_mode)
        r.add_get("/fapi/v2/account", self._account_v2)
        r.add_get("/fapi/v2/positionRisk", self._position_risk_v2)
        r.add_get("/fapi/v2/balance", self._balance)  # v2 and v3 answer the same body
        r.add_get("/api/v3/ping", self._ping)
        r.add_get("/api/v3/time", self._time)
        r.add_get("/sapi/v1/account/apiRestrictions", self._api_restrictions)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """For API paths: REST faults first, then Binance's error bodies and the weight header."""
        path = request.path
        if not path.startswith(API_PREFIXES):
            return await handler(request)
        budget = self.spot_weights if path.startswith(SPOT_PREFIX) else self.weights
        self.calls[path] += 1
        fault = self._faults.take_rest_fault()
        if fault is not None:
            return self._rest_fault_response(fault.status, fault.retry_after, budget)
        resp: web.StreamResponse
        try:
            resp = await handler(request)
        except AuthError as exc:
            resp = json_response(exc.body(), exc.status)
        except web.HTTPException as exc:
            resp = err_response(exc.status, -1000, exc.reason)
        weight = WEIGHTS.get(path, 1)
        if path in ("/fapi/v1/premiumIndex", "/dapi/v1/premiumIndex") and "symbol" not in request.query:
            weight = ALL_SYMBOLS_PREMIUM_INDEX_WEIGHT
        resp.headers["X-MBX-USED-WEIGHT-1M"] = str(budget.used(weight))
        return resp

    def _rest_fault_response(self, status: int, retry_after: int, budget: RequestWeights) -> web.Response:
        if status == 429:
            resp = err_response(429, -1003, "Too many requests; current limit is 2400 requests per minute. "
                                "Please use the websocket for live updates to avoid polling the API.")
        else:
            until = self._now_ms() + retry_after * 1000
            resp = err_response(418, -1003, f"Way too many requests; IP banned until {until}. "
                                "Please use the websocket for live updates to avoid bans.")
        resp.headers["Retry-After"] = str(retry_after)
        resp.headers["X-MBX-USED-WEIGHT-1M"] = str(budget.used())
        return resp

    async def _signed(self, request: web.Request) -> dict[str, str]:
        return await self._auth.check_request(request, self._now_ms())

    def _symbol(self, params: Any) -> str | None:
        sym = params.get("symbol")
        if sym is None:
            return None
        if sym not in self._engine.symbols:
            raise AuthError(400, -1121, "Invalid symbol.")
        return str(sym)

    async def _ping(self, request: web.Request) -> web.Response:
        return json_response({})

    async def _time(self, request: web.Request) -> web.Response:
        return json_response({"serverTime": self._now_ms()})

    async def _exchange_info(self, request: web.Request) -> web.Response:
        return json_response(exchange_info(self._now_ms(), self._engine.symbols))

    async def _premium_index(self, request: web.Request) -> web.Response:
        sym = self._symbol(request.query)
        now = self._now_ms()
        if sym is not None:
            return json_response(views.premium_index(self._engine, sym, now))
        return json_response([views.premium_index(self._engine, s, now) for s in self._engine.symbols])

    async def _funding_rate(self, request: web.Request) -> web.Response:
        q = request.query
        sym = self._symbol(q)
        start = self._int_param(q, "startTime")
        end = self._int_param(q, "endTime")
        limit = self._int_param(q, "limit")
        if limit is None:
            limit = views.FUNDING_LIMIT_DEFAULT
        elif not 1 <= limit <= views.FUNDING_LIMIT_MAX:
            raise AuthError(400, -1130, "Data sent for parameter 'limit' is not valid.")
        return json_response(views.funding_rate_history(self._engine, sym, start, end, limit, self._now_ms()))

    @staticmethod
    def _int_param(params: Any, name: str) -> int | None:
        raw = params.get(name)
        if raw is None or raw == "":
            return None
        try:
            return int(raw)
        except ValueError:
            raise AuthError(400, -1100, f"Illegal characters found in parameter '{name}'; "
                            "legal range is '^[0-9]{1,20}$'.") from None

    async def _leverage_bracket(self, request: web.Request) -> web.Response:
        sym = self._symbol(await self._signed(request))
        entries = self._engine.bracket_entries
        if sym is not None:
            return json_response(entries[sym])
        return json_response(list(entries.values()))

    async def _account(self, request: web.Request) -> web.Response:
        await self._signed(request)
        return json_response(views.account_v3(self._engine, self._now_ms()))

    async def _position_risk(self, request: web.Request) -> web.Response:
        sym = self._symbol(await self._signed(request))
        return json_response(views.position_risk(self._engine, sym))

    async def _balance(self, request: web.Request) -> web.Response:
        await self._signed(request)
        return json_response(views.balance_v3(self._engine, self._now_ms()))

    async def _symbol_config(self, request: web.Request) -> web.Response:
        sym = self._symbol(await self._signed(request))
        return json_response(views.symbol_config(self._engine, sym))

    async def _account_config(self, request: web.Request) -> web.Response:
        await self._signed(request)
        return json_response(views.account_config(self._engine))

    async def _adl_quantile(self, request: web.Request) -> web.Response:
        sym = self._symbol(await self._signed(request))
        return json_response(views.adl_quantile(self._engine, sym))

    async def _position_mode(self, request: web.Request) -> web.Response:
        await self._signed(request)
        return json_response(views.position_mode(self._engine))

    async def _account_v2(self, request: web.Request) -> web.Response:
        await self._signed(request)
        return json_response(views.account_v2(self._engine, self._now_ms()))

    async def _position_risk_v2(self, request: web.Request) -> web.Response:
        sym = self._symbol(await self._signed(request))
        return json_response(views.position_risk_v2(self._engine, sym))

    async def _api_restrictions(self, request: web.Request) -> web.Response:
        await self._signed(request)
        return json_response(views.api_restrictions(self._now_ms()) | self._faults.key_permissions)
