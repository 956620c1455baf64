"""The simulator's own control endpoints: `POST /_sim/fault` and `GET /_sim/state`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from marginwatch.exchange.sim.faults import FaultController
from marginwatch.exchange.sim.responses import json_response


class ControlRoutes:
    def __init__(self, faults: FaultController, state: Callable[[], dict[str, Any]]) -> None:
        self._faults = faults
        self._state = state

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/_sim/fault", self._fault)
        router.add_get("/_sim/state", self._sim_state)

    async def _fault(self, request: web.Request) -> web.Response:
        try:
            spec = await request.json()
            if not isinstance(spec, dict):
                raise ValueError("body must be a JSON object")
            result = await self._faults.apply(spec)
        except (ValueError, KeyError, TypeError) as exc:
            return json_response({"error": str(exc)}, 400)
        return json_response({"ok": True, **result})

    async def _sim_state(self, request: web.Request) -> web.Response:
        return json_response(self._state())
