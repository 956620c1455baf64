"""The account's listenKey and its REST endpoint (`POST`/`PUT`/`DELETE /fapi/v1/listenKey`).

Like Binance: one key per account at a time; POST returns the active key (extended) or a new one;
a key lives 60 minutes after its last POST/PUT; on expiry its sockets get `listenKeyExpired`.
"""

from __future__ import annotations

import secrets
import string
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from marginwatch.exchange.sim.auth import Authenticator
from marginwatch.exchange.sim.responses import err_response, json_response
from marginwatch.exchange.sim.streams import StreamHub, WsConn

LISTEN_KEY_PATH = "/fapi/v1/listenKey"
LISTEN_KEY_VALIDITY_S = 3600.0


def _new_key() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(64))


class ListenKeys:
    def __init__(self, hub: StreamHub, auth: Authenticator, now_ms: Callable[[], int],
                 validity_s: float = LISTEN_KEY_VALIDITY_S) -> None:
        self._hub = hub
        self._auth = auth
        self._now_ms = now_ms
        self._validity_s = validity_s
        self.active: str | None = None
        self._expires = 0.0  # monotonic
        self.posts = 0  # POST requests that reached the endpoint since start, whatever their answer

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post(LISTEN_KEY_PATH, self._post)
        router.add_put(LISTEN_KEY_PATH, self._put)
        router.add_delete(LISTEN_KEY_PATH, self._delete)

    def expire(self) -> str | None:
        """Send listenKeyExpired to the key's sockets and invalidate it (a later PUT gets -1125)."""
        key = self.active
        if key is None:
            return None
        self._hub.deliver_user_event(key, {"e": "listenKeyExpired", "E": self._now_ms(), "listenKey": key})
        self.active = None
        return key

    def expire_if_due(self) -> None:
        if self.active is not None and time.monotonic() >= self._expires:
            self.expire()

    async def _post(self, request: web.Request) -> web.Response:
        self.posts += 1
        self._auth.check_key(request.headers.get("X-MBX-APIKEY"))
        if self.active is None:
            self.active = _new_key()
        self._expires = time.monotonic() + self._validity_s
        return json_response({"listenKey": self.active})

    async def _put(self, request: web.Request) -> web.Response:
        self._auth.check_key(request.headers.get("X-MBX-APIKEY"))
        given = request.query.get("listenKey")
        if self.active is None or (given and given != self.active):
            return err_response(400, -1125, "This listenKey does not exist. Please use `POST /fapi/v1/listenKey` "
                                "to recreate `listenKey`")
        self._expires = time.monotonic() + self._validity_s
        return json_response({"listenKey": self.active})

    async def _delete(self, request: web.Request) -> web.Response:
        self._auth.check_key(request.headers.get("X-MBX-APIKEY"))
        key, self.active = self.active, None
        if key is not None:
            for c in self._hub.of(("private",)):
                if key in c.listen_keys:
                    await c.close(1000, "listenKey closed")
        return json_response({})


@dataclass(frozen=True, slots=True)
class HubSockets:
    """What faults may do to the server (`faults.FaultTarget`): its sockets and user-data delivery."""

    hub: StreamHub
    listen_keys: ListenKeys

    def connections(self, target: str) -> list[WsConn]:
        return self.hub.for_target(target)

    def expire_listen_key(self) -> str | None:
        return self.listen_keys.expire()

    def send_user_event(self, payload: dict[str, Any]) -> int:
        return self.hub.deliver_user_event(self.listen_keys.active, payload)
