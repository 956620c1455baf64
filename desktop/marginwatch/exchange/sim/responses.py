"""JSON responses of the simulated exchange's HTTP routes, compact like Binance's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from marginwatch.exchange.sim.streams import dumps

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(text=dumps(body), status=status, content_type="application/json")


def err_response(status: int, code: int, msg: str) -> web.Response:
    """A Binance error body: `{"code": -1125, "msg": "..."}`."""
    return json_response({"code": code, "msg": msg}, status)
