"""The simulated MEXC futures exchange: REST (`/api/v1/...`) and the WebSocket (`/edge`) on one
loopback port, for tests and demo mode.

REST answers in MEXC's envelope ({success, code, data}); private endpoints check the ApiKey,
Request-Time and Signature headers. The socket wants a signed login first, answers pings with a
pong, follows `sub.fair.price`, and pushes `push.personal.*` frames to logged-in sockets: as text,
or gzip / raw-deflate binary frames when `compression` says so (MEXC's encoding has changed).
Tests and the demo drive it through its methods (marks, positions, warnings, dropped sockets).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import time
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

import msgspec
from aiohttp import WSMsgType, web

from marginwatch.exchange.mexc.signing import verify_login, verify_rest
from marginwatch.exchange.sim_mexc.account import MexcSimAccount, SimPosition

MEXC_DEMO_API_KEY = "mx0vglMwDemoKey000000"
MEXC_DEMO_API_SECRET = "mwDemoMexcSecret00000000000000000"
LOOPBACK = "127.0.0.1"
Compression = Literal["gzip", "deflate"] | None

_ENC = msgspec.json.Encoder(decimal_format="number")
_DEC = msgspec.json.Decoder()


@dataclass(eq=False)
class _Socket:
    ws: web.WebSocketResponse
    logged_in: bool = False
    fair: set[str] = field(default_factory=set)


class MexcSimServer:
    def __init__(self, account: MexcSimAccount | None = None, *, api_key: str = MEXC_DEMO_API_KEY,
                 api_secret: str = MEXC_DEMO_API_SECRET, compression: Compression = None) -> None:
        self.account = account or MexcSimAccount()
        self.api_key = api_key
        self._secret = api_secret
        self.compression: Compression = compression
        self._runner: web.AppRunner | None = None
        self._sockets: set[_Socket] = set()
        self._warned: set[int] = set()  # positions warned since they last left the warning zone
        self.port = 0
        self.logins = 0
        self.failed_logins = 0
        self.pings = 0
        self.rest_requests: list[str] = []
        self.emitted: list[dict[str, Any]] = []
        self.logged_in = asyncio.Event()  # a socket logged in (tests wait on it)

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self, port: int = 0) -> str:
        app = web.Application()
        app.router.add_get("/api/v1/contract/ping", self._ping)
        app.router.add_get("/api/v1/contract/detail", self._public(lambda: self.account.contract_rows()))
        app.router.add_get("/api/v1/contract/ticker", self._public(lambda: self.account.ticker_rows()))
        app.router.add_get("/api/v1/private/position/open_positions", self._private(self._position_rows))
        app.router.add_get("/api/v1/private/account/assets", self._private(lambda: [self.account.asset_row()]))
        app.router.add_get("/api/v1/private/account/risk_limit", self._private(self.account.risk_limit_rows))
        app.router.add_get("/edge", self._edge)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, LOOPBACK, port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return f"http://{LOOPBACK}:{self.port}"

    def _position_rows(self) -> list[dict[str, Any]]:
        return [self.account.position_row(p) for p in self.account.positions.values()]

    @property
    def rest_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{LOOPBACK}:{self.port}/edge"

    async def stop(self) -> None:
        for sock in list(self._sockets):
            with contextlib.suppress(Exception):
                await sock.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ---- what tests and the demo do ----------------------------------------------------------

    async def set_fair_price(self, symbol: str, price: Decimal | int | str) -> None:
        """Move a mark: fair price to its followers, the positions' new figures, a warning on entering the zone."""
        self.account.fair[symbol] = Decimal(price)
        await self._send_all({"channel": "push.fair.price", "data": {"price": Decimal(price), "symbol": symbol},
                              "symbol": symbol, "ts": _now()}, lambda s: symbol in s.fair)
        for pos in [p for p in self.account.positions.values() if p.symbol == symbol]:
            await self.push_position(pos)
            await self._push("push.personal.liquidate.risk", {
                "symbol": pos.symbol, "positionId": pos.position_id,
                "liquidatePrice": self.account.liquidate_price(pos) or 0,
                "marginRatio": self.account.margin_ratio(pos), "adlLevel": pos.adl_level})
            if self.account.in_warning(pos):
                if pos.position_id not in self._warned:
                    self._warned.add(pos.position_id)
                    await self.send_warning(pos)
            else:
                self._warned.discard(pos.position_id)

    async def open_position(self, symbol: str, **kwargs: Any) -> SimPosition:
        pos = self.account.open(symbol, **kwargs)
        await self.push_position(pos)
        await self.push_asset()
        return pos

    async def close_position(self, position_id: int) -> None:
        pos = self.account.close(position_id)
        await self.push_position(pos)
        await self.push_asset()

    async def push_position(self, pos: SimPosition) -> None:
        await self._push("push.personal.position", self.account.position_row(pos))

    async def push_asset(self) -> None:
        await self._push("push.personal.asset", self.account.asset_row())

    async def send_warning(self, pos: SimPosition, *, ts: int | None = None) -> None:
        """MEXC's liquidation warning for this position: display names only, no symbol."""
        await self._push("push.personal.generic.notify", {"type": 1, "param": self.account.warning_param(pos)}, ts=ts)

    async def send_raw(self, frame: dict[str, Any]) -> None:
        await self._send_all(frame, lambda s: s.logged_in)

    async def drop_connections(self) -> int:
        socks = list(self._sockets)
        for sock in socks:
            await sock.ws.close(code=1011, message=b"simulated drop")
        return len(socks)

    # ---- REST --------------------------------------------------------------------------------

    async def _ping(self, request: web.Request) -> web.Response:
        self.rest_requests.append(request.path)
        return _answer(_now())

    def _public(self, data: Any) -> Any:
        async def handler(request: web.Request) -> web.Response:
            self.rest_requests.append(request.path)
            return _answer(data())
        return handler

    def _private(self, data: Any) -> Any:
        async def handler(request: web.Request) -> web.Response:
            self.rest_requests.append(request.path)
            key, when, sig = (request.headers.get(h, "") for h in ("ApiKey", "Request-Time", "Signature"))
            if key != self.api_key:
                return _error(401, "Unauthorized")
            if not when.isdigit() or abs(int(when) - _now()) > 10_000:
                return _error(513, "Invalid request time")
            if not verify_rest(self._secret, key, when, request.query_string, sig):
                return _error(602, "Signature verification failed!")
            return _answer(data())
        return handler

    # ---- WebSocket ---------------------------------------------------------------------------

    async def _edge(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        sock = _Socket(ws)
        self._sockets.add(sock)
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                try:
                    doc = _DEC.decode(msg.data)
                except msgspec.DecodeError:
                    continue
                await self._on_message(sock, doc if isinstance(doc, dict) else {})
        finally:
            self._sockets.discard(sock)
        return ws

    async def _on_message(self, sock: _Socket, doc: dict[str, Any]) -> None:
        method, param = doc.get("method"), doc.get("param") or {}
        if method == "ping":
            self.pings += 1
            await self._send(sock, {"channel": "pong", "data": _now()})
        elif method == "login":
            ok = (param.get("apiKey") == self.api_key
                  and verify_login(self._secret, self.api_key, str(param.get("reqTime", "")),
                                   str(param.get("signature", ""))))
            if ok:
                sock.logged_in = True
                self.logins += 1
                await self._send(sock, {"channel": "rs.login", "data": "success", "ts": str(_now())})
                self.logged_in.set()
            else:
                self.failed_logins += 1
                await self._send(sock, {"channel": "rs.error", "data": "invalid signature", "ts": _now()})
        elif method == "sub.fair.price" and isinstance(param.get("symbol"), str):
            sock.fair.add(param["symbol"])
            await self._send(sock, {"channel": "rs.sub.fair.price", "data": "success", "ts": _now()})

    async def _push(self, channel: str, data: Any, *, ts: int | None = None) -> None:
        frame = {"channel": channel, "data": data, "ts": _now() if ts is None else ts}
        self.emitted.append(frame)
        del self.emitted[:-1000]
        await self._send_all(frame, lambda s: s.logged_in)

    async def _send_all(self, frame: dict[str, Any], wanted: Any) -> None:
        for sock in [s for s in self._sockets if wanted(s)]:
            await self._send(sock, frame)

    async def _send(self, sock: _Socket, frame: dict[str, Any]) -> None:
        body = _ENC.encode(frame)
        with contextlib.suppress(ConnectionError, RuntimeError):
            if self.compression == "gzip":
                await sock.ws.send_bytes(gzip.compress(body))
            elif self.compression == "deflate":
                squeeze = zlib.compressobj(wbits=-15)
                await sock.ws.send_bytes(squeeze.compress(body) + squeeze.flush())
            else:
                await sock.ws.send_str(body.decode())


def _now() -> int:
    return int(time.time() * 1000)


def _answer(data: Any) -> web.Response:
    return web.Response(body=_ENC.encode({"success": True, "code": 0, "data": data}), content_type="application/json")


def _error(code: int, message: str) -> web.Response:
    return web.Response(body=_ENC.encode({"success": False, "code": code, "message": message}),
                        content_type="application/json")
