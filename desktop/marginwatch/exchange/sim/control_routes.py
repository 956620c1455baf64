"""The simulator's own control endpoints: `POST /_sim/fault` and `GET /_sim/state`.

They answer loopback callers only. A web page the user has open could otherwise drive them: a
cross-origin `text/plain` POST needs no CORS preflight (refused here by its `Origin`), and a page
on a rebound DNS name reaches 127.0.0.1 with its own name in `Host` (refused by the Host check).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from marginwatch.exchange.sim.faults import FaultController
from marginwatch.exchange.sim.responses import Handler, json_response

CONTROL_PREFIX = "/_sim/"
LOOPBACK_NAMES = ("127.0.0.1", "localhost")
# Sec-Fetch-Site values of requests a page on another site did not make.
OWN_FETCH_SITES = ("same-origin", "none")


class ControlRoutes:
    def __init__(self, faults: FaultController, state: Callable[[], dict[str, Any]], port: Callable[[], int]) -> None:
        self._faults = faults
        self._state = state
        self._port = port  # known only once the server is bound

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/_sim/fault", self._fault)
        router.add_get("/_sim/state", self._sim_state)

    @web.middleware
    async def guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(CONTROL_PREFIX):
            return await handler(request)
        port = self._port()
        if not self._loopback_host(request.headers.get("Host"), port):
            return json_response({"error": "the simulator's control endpoints answer only to "
                                  f"127.0.0.1:{port} or localhost:{port} in the Host header"}, 421)
        origin = request.headers.get("Origin")
        own = {f"http://{name}:{port}" for name in LOOPBACK_NAMES}
        site = request.headers.get("Sec-Fetch-Site")
        if (origin is not None and origin.lower() not in own) or (site is not None and site not in OWN_FETCH_SITES):
            return json_response({"error": "cross-origin requests to the simulator's control endpoints "
                                  "are refused"}, 403)
        return await handler(request)

    @staticmethod
    def _loopback_host(host: str | None, port: int) -> bool:
        if not host:
            return False
        name, sep, given = host.rpartition(":")
        if not sep:
            name, given = host, "80"  # no port: HTTP's default
        return name.lower() in LOOPBACK_NAMES and given == str(port)

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
