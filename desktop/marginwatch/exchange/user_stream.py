"""The user-data stream on the routed private path `/private/ws/<listenKey>` (reference §2.3).

Decodes every frame with `core.events`, counts what it cannot use, and handles listenKey life:
on `listenKeyExpired` it asks the manager for a new key and reconnects with it; whenever the manager
hands out a different key (e.g. after a -1125 keepalive), it reconnects too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection

from marginwatch.core.events import FrameError, ListenKeyExpired, UnknownEvent, decode_user_event
from marginwatch.core.stream_health import StreamHealth
from marginwatch.exchange.endpoints import Endpoints
from marginwatch.exchange.listen_key import ListenKeyManager
from marginwatch.exchange.ws_connection import (
    ConnectionOptions,
    ConnectReason,
    Frame,
    ResilientConnection,
)

log = logging.getLogger(__name__)

EventHandler = Callable[[Any], None]
ConnectedCallback = Callable[[ConnectReason], None]


class UserDataStream:
    def __init__(
        self,
        endpoints: Endpoints,
        listen_key_manager: ListenKeyManager,
        on_event: EventHandler,
        on_health: Callable[[StreamHealth], None] | None = None,
        *,
        on_connected: ConnectedCallback | None = None,
        options: ConnectionOptions | None = None,
        name: str = "user",
    ) -> None:
        self._endpoints = endpoints
        self._keys = listen_key_manager
        self._on_event = on_event
        self._on_connected = on_connected
        # The user stream can be silent for hours: no staleness limit unless the caller insists.
        self.connection = ResilientConnection(
            name, self._url, self._on_frame, on_health,
            on_connected=self._connected, on_disconnected=self._disconnected,
            options=options or ConnectionOptions(stale_after=None),
        )
        self._key_in_use: str | None = None
        self._renewing = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self.malformed = 0
        self.unknown = 0
        self.expired = 0
        self.events = 0
        listen_key_manager.add_listener(self._on_new_key)

    # ---- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        self.connection.start()

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await self.connection.stop()

    @property
    def health(self) -> StreamHealth:
        return self.connection.health

    # ---- internals ----------------------------------------------------------------------------

    async def _url(self) -> str:
        key = await self._keys.wait_key()
        self._key_in_use = key
        return self._endpoints.private_ws_url(key)

    async def _connected(self, ws: ClientConnection, reason: ConnectReason) -> None:
        if self._on_connected is not None:
            self._on_connected(reason)

    def _disconnected(self, why: str) -> None:
        # 1008 (policy violation) is how a server refuses an unknown or expired listenKey; without a
        # new key we would reconnect with the dead one until the next keepalive notices (30 min).
        if "1008" in why:
            self._renew_key()

    def _on_frame(self, raw: Frame) -> None:
        try:
            event = decode_user_event(raw)
        except FrameError as exc:
            self.malformed += 1
            log.warning("user stream: malformed frame ignored (%s)", type(exc).__name__)
            return
        if isinstance(event, UnknownEvent):
            self.unknown += 1
            return
        if isinstance(event, ListenKeyExpired):
            self.expired += 1
            self._renew_key()
            return
        self.events += 1
        self._on_event(event)

    def _renew_key(self) -> None:
        """No more events arrive on an expired key: get a new one, then reconnect with it."""
        if self._renewing:
            return
        self._renewing = True
        old = self._key_in_use
        log.warning("user stream: listenKey expired; creating a new one")

        async def renew() -> None:
            try:
                key = await self._keys.invalidate()
                # POST may hand back the same string; the listener only reconnects on a change.
                if key == old:
                    self.connection.request_reconnect("listenKey renewed")
            except Exception as exc:
                log.warning("user stream: listenKey renewal failed (%s)", type(exc).__name__)
                self.connection.request_reconnect("listenKey expired")
            finally:
                self._renewing = False

        task = asyncio.get_running_loop().create_task(renew())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_new_key(self, key: str) -> None:
        if self._key_in_use is not None and key != self._key_in_use:
            self.connection.request_reconnect("new listenKey")
