"""The WebSocket routes of the simulated exchange: routed `/market`, `/public` and legacy streams,
`/private` user data by listenKey, and the JSON requests a socket may send (SUBSCRIBE & co.)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

from aiohttp import WSMsgType, web

from marginwatch.exchange.sim.faults import FaultController
from marginwatch.exchange.sim.listen_keys import ListenKeys
from marginwatch.exchange.sim.responses import Handler
from marginwatch.exchange.sim.streams import Kind, StreamHub, WsConn, valid_stream_name

MAX_FRAME_BYTES = 1 << 16


class WsRoutes:
    def __init__(self, hub: StreamHub, listen_keys: ListenKeys, faults: FaultController) -> None:
        self._hub = hub
        self._listen_keys = listen_keys
        self._faults = faults
        self.private_connects = 0  # private handshakes since start, refused ones included

    def add_routes(self, router: web.UrlDispatcher) -> None:
        r = router
        routed: tuple[tuple[str, Kind], ...] = (("/market", "market"), ("/public", "public"), ("", "legacy"))
        for prefix, kind in routed:
            r.add_get(f"{prefix}/ws", self._public_handler(kind, combined=False))
            r.add_get(f"{prefix}/ws/{{streams:.+}}", self._public_handler(kind, combined=False))
            r.add_get(f"{prefix}/stream", self._public_handler(kind, combined=True))
        r.add_get("/private/ws", self._private_handler(combined=False))
        r.add_get("/private/ws/{listen_key}", self._private_handler(combined=False))
        r.add_get("/private/stream", self._private_handler(combined=True))

    def _public_handler(self, kind: Kind, *, combined: bool) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            raw = request.match_info.get("streams") or request.query.get("streams") or ""
            streams = [s for s in raw.split("/") if s]
            ws = await self._prepare(request)
            conn = WsConn(kind=kind, ws=ws, request=request, combined=combined)
            conn.streams = [s for s in streams if valid_stream_name(s)]
            await self._serve(conn)
            return ws

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
            ws = await self._prepare(request)
            self.private_connects += 1
            refused = self._faults.refused_private_code
            if refused is not None:
                await ws.close(code=refused, message=b"refused (simulated fault)")
                return ws
            if any(k != self._listen_keys.active for k in keys):
                await ws.close(code=1008, message=b"invalid or expired listenKey")
                return ws
            conn = WsConn(kind="private", ws=ws, request=request, combined=combined, listen_keys=keys)
            await self._serve(conn)
            return ws

        return handler

    @staticmethod
    async def _prepare(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=False, max_msg_size=MAX_FRAME_BYTES)
        await ws.prepare(request)
        return ws

    async def _serve(self, conn: WsConn) -> None:
        self._hub.add(conn)
        conn.writer = asyncio.create_task(conn.write_loop())
        try:
            await self._read_loop(conn)
        finally:
            self._hub.conns.discard(conn)
            conn.queue.put_nowait(None)
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await conn.writer

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
            if key != self._listen_keys.active:
                return {"code": 2, "msg": "Invalid request: invalid listenKey", "id": rid}
            if not event:
                conn.listen_keys[key] = None  # every event
            elif key not in conn.listen_keys or conn.listen_keys[key] is not None:
                conn.listen_keys[key] = (conn.listen_keys.get(key) or frozenset()) | {event}
        return {"result": None, "id": rid}
