"""The user-data stream on the routed private path `/private/ws/<listenKey>` (reference §2.3).

Decodes every frame with `core.events`, counts what it cannot use, and handles listenKey life:
on `listenKeyExpired`, or a socket closed with 1008 (how the server refuses a key), the next connect
asks the manager for a new key first; whenever the manager hands out a different key (e.g. after a
-1125 keepalive), it reconnects too. Renewing inside the connect keeps it to one POST per connect,
so the connection's backoff and connect budget pace the POSTs as well.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection

from marginwatch.core.events import AccountUpdate, FrameError, ListenKeyExpired, UnknownEvent, decode_user_event
from marginwatch.core.stream_health import StreamHealth
from marginwatch.exchange.endpoints import Endpoints
from marginwatch.exchange.listen_key import ListenKeyManager
from marginwatch.exchange.rest_client import describe_dropped
from marginwatch.exchange.ws_connection import (
    Clock,
    ConnectionOptions,
    ConnectReason,
    Disconnect,
    Frame,
    ResilientConnection,
    Sleep,
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
        rng: random.Random | None = None,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        """`rng`, `clock` and `sleep` go to the connection (its backoff), to test it without waiting."""
        self._endpoints = endpoints
        self._keys = listen_key_manager
        self._on_event = on_event
        self._on_connected = on_connected
        # The user stream can be silent for hours: no staleness limit unless the caller insists.
        self.connection = ResilientConnection(
            name, self._url, self._on_frame, on_health,
            on_connected=self._connected, on_disconnected=self._disconnected,
            describe_disconnect=self._describe_disconnect,
            options=options or ConnectionOptions(stale_after=None), rng=rng, clock=clock, sleep=sleep,
        )
        self._key_in_use: str | None = None
        self._key_dead = False  # the next connect POSTs for a new key first
        self.malformed = 0
        self.unknown = 0
        self.expired = 0
        self.events = 0
        listen_key_manager.add_listener(self._on_new_key)

    # ---- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        self.connection.start()

    async def stop(self) -> None:
        await self.connection.stop()

    @property
    def health(self) -> StreamHealth:
        return self.connection.health

    # ---- internals ----------------------------------------------------------------------------

    async def _url(self) -> str:
        dead, self._key_dead = self._key_dead, False
        try:
            # POST may hand back the same string: it is extended then, and as good as a new one.
            key = await (self._keys.invalidate() if dead else self._keys.wait_key())
        except BaseException:
            self._key_dead = self._key_dead or dead  # still needed on the next try
            raise
        self._key_in_use = key
        return self._endpoints.private_ws_url(key)

    async def _connected(self, ws: ClientConnection, reason: ConnectReason) -> None:
        if self._on_connected is not None:
            self._on_connected(reason)

    def _disconnected(self, ended: Disconnect) -> None:
        # 1008 (policy violation) is how a server refuses an unknown or expired listenKey; without a
        # new key we would reconnect with the dead one until the next keepalive notices (30 min).
        if ended.code == 1008:
            self._key_dead = True

    @staticmethod
    def _describe_disconnect(ended: Disconnect) -> str | None:
        return "listenKey refused" if ended.code == 1008 else None

    def _on_frame(self, raw: Frame) -> None:
        try:
            event = decode_user_event(raw, now_ms=_wall_ms)
        except FrameError as exc:
            self.malformed += 1
            log.warning("user stream: malformed frame ignored (%s)", type(exc).__name__)
            return
        if isinstance(event, UnknownEvent):
            self.unknown += 1
            return
        if isinstance(event, ListenKeyExpired):
            self.expired += 1
            if not self._key_dead:
                log.warning("user stream: listenKey expired; reconnecting with a new one")
            self._key_dead = True
            self.connection.request_reconnect("listenKey expired")
            return
        if isinstance(event, AccountUpdate) and event.data.dropped:
            log.warning("user stream: ACCOUNT_UPDATE row(s) left out for a number that is not finite: %s",
                        describe_dropped(event.data.dropped))
        self.events += 1
        self._on_event(event)



    def _on_new_key(self, key: str) -> None:
        if self._key_in_use is not None and key != self._key_in_use:
            self.connection.request_reconnect("new listenKey")


def _wall_ms() -> int:
    """Receive time for an event whose own time is unreadable (Binance's times are wall-clock ms)."""
    return int(time.time() * 1000)
