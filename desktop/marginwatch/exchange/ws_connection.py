"""A self-healing WebSocket connection for one stream.

One supervisor task owns the socket: it connects, hands every raw frame to a callback, watches for
silence (staleness), reconnects with capped exponential backoff and full jitter, and rotates the
connection before Binance's 24 h cut by opening the new socket *before* closing the old one. It never
raises into the event loop; what goes wrong is reported through `StreamHealth`.

A server that refuses every socket cannot make it storm: nothing cuts a backoff pause short but
stop(), a socket dropped before it was stable grows the backoff (whoever dropped it), and reconnects
have a budget per window on top.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.exchange.attempt_window import AttemptWindow
from marginwatch.exchange.tasks import spawn

log = logging.getLogger(__name__)

Frame = str | bytes
UrlSource = Callable[[], Awaitable[str]]
FrameHandler = Callable[[Frame], None]
HealthHandler = Callable[[StreamHealth], None]
Clock = Callable[[], float]
Sleep = Callable[[float], Coroutine[Any, Any, None]]
_T = TypeVar("_T")


class ConnectReason(StrEnum):
    INITIAL = "initial"  # first connection after start()
    RECONNECT = "reconnect"  # after a drop, stall or explicit request: events may have been missed
    ROTATION = "rotation"  # planned overlap before the 24 h cut: the old socket is still open


ConnectedHook = Callable[[ClientConnection, ConnectReason], Awaitable[None]]


class EndKind(StrEnum):
    REQUESTED = "requested"  # request_reconnect(); `reason` is what the caller gave
    CLOSED = "closed"  # the socket ended: with a close frame from the server (`code`) or without one
    STALE = "stale"  # silent for longer than the staleness limit


@dataclass(frozen=True, slots=True)
class Disconnect:
    """Why a socket ended, as values: the close code the server sent (None: it sent none), whether
    we asked for it, and a short text (the server's close reason, our request's, or what we saw)."""

    kind: EndKind
    code: int | None = None
    reason: str = ""

    @property
    def requested(self) -> bool:
        return self.kind is EndKind.REQUESTED

    def describe(self) -> str:
        if self.kind is not EndKind.CLOSED:
            return self.reason or self.kind.value
        if self.code is None:
            return f"connection lost ({self.reason})" if self.reason else "connection lost"
        detail = f": {self.reason}" if self.reason else ""
        return f"closed by server (code {self.code}{detail})"


DisconnectHandler = Callable[[Disconnect], None]
DisconnectText = Callable[[Disconnect], str | None]


@dataclass(frozen=True, slots=True)
class Backoff:
    """Capped exponential backoff with full jitter (delay uniform in [0, min(cap, base·2^n)])."""

    base: float = 0.5
    cap: float = 30.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        return rng.uniform(0.0, min(self.cap, self.base * 2 ** min(max(attempt - 1, 0), 32)))


@dataclass(frozen=True, slots=True)
class ConnectionOptions:
    # None: never stale (the user stream can be silent for hours). Mark price ticks every second.
    stale_after: float | None = None
    max_age: float = 23 * 3600.0  # rotate before Binance's 24 h disconnect
    rotation_overlap: float = 1.0  # both sockets deliver for this long; duplicates are dropped upstream
    backoff: Backoff = field(default_factory=Backoff)
    # Binance pings every 3 min; our own keepalive must not kill a healthy socket on a busy loop.
    ping_interval: float | None = 60.0
    ping_timeout: float | None = 60.0
    open_timeout: float = 10.0
    close_timeout: float = 2.0
    hook_timeout: float = 10.0
    max_size: int | None = 4 * 1024 * 1024
    stable_after: float = 10.0  # a connection that lived this long resets the backoff
    # Binance allows 300 connections per 5 min per IP, shared with the user's other programs: at
    # most this many (re)connects per window, whatever the server does. Rotations are not counted.
    max_connects: int = 10
    connect_window: float = 60.0


@dataclass(slots=True, eq=False)  # identity hashing: links live in a set
class _Link:
    ws: ClientConnection
    opened_at: float
    rotate_at: float
    last_message_at: float | None = None
    reader: asyncio.Task[ConnectionClosed] | None = None


class ResilientConnection:
    """Keeps one logical stream connected until `stop()`.

    `url` is awaited before every connect (the user stream waits for a listenKey there). `on_connected`
    runs on each new socket before frames are read from it (subscribe, schedule a REST resync); it
    must be quick. `on_frame` gets every text/binary frame; exceptions from it are counted and logged.
    `on_disconnected` gets a `Disconnect` for every socket that ended; `describe_disconnect` may
    word one for the health reason (None: `Disconnect.describe()`).
    `clock` (default: the loop's monotonic time) and `sleep` (default: asyncio.sleep, used for the
    backoff pauses) can be replaced, so that backoff and the "stable" threshold are testable without waiting.
    """

    def __init__(
        self,
        name: str,
        url: UrlSource,
        on_frame: FrameHandler,
        on_health: HealthHandler | None = None,
        *,
        on_connected: ConnectedHook | None = None,
        on_disconnected: DisconnectHandler | None = None,
        describe_disconnect: DisconnectText | None = None,
        options: ConnectionOptions | None = None,
        rng: random.Random | None = None,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        self.name = name
        self._url = url
        self._on_frame = on_frame
        self._on_health = on_health
        self._on_connected = on_connected
        self._on_disconnected = on_disconnected
        self._describe_disconnect = describe_disconnect
        self.options = options or ConnectionOptions()
        self._attempts = AttemptWindow(self.options.max_connects, self.options.connect_window)
        self.stale_after: float | None = self.options.stale_after  # adjustable at run time
        self._rng = rng or random.Random()
        self._clock = clock
        self._sleep: Sleep = sleep or asyncio.sleep
        self._tasks: set[asyncio.Task[Any]] = set()
        self._supervisor: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()  # a reconnect request or stop() while serving
        self._stopping = asyncio.Event()  # the only thing that ends a backoff pause early
        self._stop_requested = False
        self._reconnect_requested: str | None = None
        self._current: _Link | None = None
        self._links: set[_Link] = set()
        self._armed_at: float = 0.0
        self._last_url: str | None = None
        self._health = StreamHealth(name, StreamState.STOPPED)
        # counters
        self.frames = 0
        self.handler_errors = 0
        self.reconnects = 0
        self.rotations = 0
        self.connects = 0

    # ---- public API -------------------------------------------------------------------------

    def start(self) -> None:
        if self._supervisor is not None and not self._supervisor.done():
            return
        self._stop_requested = False
        self._stopping.clear()
        self._supervisor = self._spawn(self._supervise())

    async def stop(self, grace: float = 3.0) -> None:
        """Close everything within about `grace` seconds; safe to call twice."""
        self._stop_requested = True
        self._wake.set()
        self._stopping.set()
        if self._supervisor is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._supervisor), grace)
            except (TimeoutError, asyncio.CancelledError):
                self._supervisor.cancel()
        for link in list(self._links):
            await self._close_link(link, abort_after=min(grace, self.options.close_timeout))
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=grace)
        self._current = None
        self._emit(StreamState.STOPPED)

    def request_reconnect(self, reason: str) -> None:
        """Drop the current socket and connect again (e.g. a new listenKey): at once if it was stable,
        else after a backoff step. During a pause it is a no-op: the next connect fetches a new URL."""
        self._reconnect_requested = reason
        self._wake.set()

    def touch(self) -> None:
        """Restart the staleness clock (e.g. after subscribing to a first symbol)."""
        self._armed_at = self._now()

    async def send(self, message: str) -> bool:
        """Send on the current socket; False if there is none or it is closing."""
        link = self._current
        if link is None:
            return False
        try:
            await link.ws.send(message)
        except ConnectionClosed:
            return False
        return True

    @property
    def connected(self) -> bool:
        return self._current is not None

    @property
    def health(self) -> StreamHealth:
        link = self._current
        last = link.last_message_at if link is not None else self._health.last_message_at
        return StreamHealth(
            self.name,
            self._health.state,
            self._health.reason,
            self._health.next_retry_at,
            last,
            self.reconnects,
        )

    # ---- supervisor ---------------------------------------------------------------------------

    async def _supervise(self) -> None:
        failures = 0
        reason = ConnectReason.INITIAL
        delay = 0.0
        why = ""  # what the pause before the next connect is shown with ("": no pause is due)
        refused = False
        while not self._stop_requested:
            wait = max(delay, self._attempts.wait(self._now()))
            if why or wait > 0:
                budget = f"{self._attempts.limit} connects in {self._attempts.window:.0f} s; waiting"
                await self._pause(wait, why or budget, failed=refused)
                if self._stop_requested:
                    break
            self._emit(StreamState.CONNECTING)  # RECONNECTING means "waiting for next_retry_at"
            try:
                link = await self._open(reason)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                why, refused = self._describe(exc), False
                log.warning("%s stream: connect failed (%s)", self.name, why)
                delay = self._retry_delay(failures, exc)
                reason = ConnectReason.RECONNECT
                continue
            self._current = link
            self._armed_at = link.opened_at
            self._emit(StreamState.LIVE)
            ended = await self._serve(link)
            if self._on_disconnected is not None and not self._stop_requested:
                try:
                    self._on_disconnected(ended)
                except Exception:
                    log.exception("%s stream: disconnect callback failed", self.name)
            stable = self._now() - link.opened_at >= self.options.stable_after
            self._current = None
            self._spawn(self._close_link(link))
            if self._stop_requested:
                break
            self.reconnects += 1
            reason = ConnectReason.RECONNECT
            if ended.requested and stable:  # e.g. a new listenKey for a healthy socket: at once
                failures, delay, why, refused = 0, 0.0, "", False
                continue
            failures = 0 if stable else failures + 1
            why = self._explain(ended)
            # Closed by the server (or dropped by us) before it was stable, twice running: refused.
            refused = failures >= 2 and (ended.requested or ended.code is not None)
            delay = self.options.backoff.delay(max(failures, 1), self._rng)
            log.info("%s stream: reconnecting (%s)", self.name, why)
        self._emit(StreamState.STOPPED)

    async def _serve(self, link: _Link) -> Disconnect:
        """Run until this logical connection has to be replaced; returns why."""
        while True:
            if self._stop_requested:
                return Disconnect(EndKind.REQUESTED, reason="stopped")
            if self._reconnect_requested is not None:
                why, self._reconnect_requested = self._reconnect_requested, None
                return Disconnect(EndKind.REQUESTED, reason=why)
            now = self._now()
            timeout = link.rotate_at - now
            if self.stale_after is not None:
                silent_since = max(link.last_message_at or 0.0, self._armed_at, link.opened_at)
                if now - silent_since >= self.stale_after:
                    silence = f"no data for {now - silent_since:.1f}s"
                    self._emit(StreamState.STALE, silence)
                    return Disconnect(EndKind.STALE, reason=silence)
                timeout = min(timeout, silent_since + self.stale_after - now)
            if timeout <= 0:
                replacement = await self._rotate(link)
                if replacement is None:  # keep the old socket; try again a little later
                    link.rotate_at = now + max(self.options.backoff.delay(2, self._rng), 0.05)
                    continue
                link = replacement
                continue
            self._wake.clear()
            wake = self._spawn(self._wake.wait())
            assert link.reader is not None
            done, _ = await asyncio.wait({link.reader, wake}, timeout=max(timeout, 0.001),
                                         return_when=asyncio.FIRST_COMPLETED)
            wake.cancel()
            if link.reader in done:
                return self._closed(link.reader.result())

    async def _rotate(self, old: _Link) -> _Link | None:
        """Make-before-break: connect the new socket, switch, then close the old one after an overlap."""
        try:
            new = await self._open(ConnectReason.ROTATION)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("%s stream: rotation connect failed (%s); keeping the old socket", self.name,
                        self._describe(exc))
            return None
        self.rotations += 1
        self._current = new
        self._armed_at = new.opened_at
        self._spawn(self._close_link(old, delay=self.options.rotation_overlap))
        log.info("%s stream: rotated connection", self.name)
        return new

    async def _open(self, reason: ConnectReason) -> _Link:
        url = await self._url()
        self._last_url = url
        self._reconnect_requested = None  # asked for before this URL was known: this connect is the answer
        if reason is not ConnectReason.ROTATION:
            self._attempts.record(self._now())
        ws = await connect(
            url,
            proxy=None,
            open_timeout=self.options.open_timeout,
            ping_interval=self.options.ping_interval,
            ping_timeout=self.options.ping_timeout,
            close_timeout=self.options.close_timeout,
            max_size=self.options.max_size,
            compression=None,
        )
        now = self._now()
        link = _Link(ws, now, now + self.options.max_age)
        self._links.add(link)
        self.connects += 1
        try:
            if self._on_connected is not None:
                await asyncio.wait_for(self._on_connected(ws, reason), self.options.hook_timeout)
        except BaseException:
            self._links.discard(link)
            ws.transport.abort()
            raise
        link.reader = self._spawn(self._read(link))
        return link

    async def _read(self, link: _Link) -> ConnectionClosed:
        while True:
            try:
                # Text frames as their raw UTF-8 bytes: the decoders read bytes, so a str would be
                # decoded here only to be encoded again (a third of a single mark's decode cost).
                frame = await link.ws.recv(decode=False)
            except ConnectionClosed as exc:
                return exc
            link.last_message_at = self._now()
            self.frames += 1
            try:
                self._on_frame(frame)
            except Exception as exc:  # a bad frame or handler bug must never kill the reader
                self.handler_errors += 1
                log.warning("%s stream: frame handler failed: %s", self.name, type(exc).__name__)

    async def _close_link(self, link: _Link, delay: float = 0.0, abort_after: float | None = None) -> None:
        if delay > 0:
            await asyncio.sleep(delay)  # rotation overlap: let in-flight frames arrive on both sockets
        try:
            await asyncio.wait_for(link.ws.close(), abort_after or self.options.close_timeout)
        except Exception:
            link.ws.transport.abort()
        if link.reader is not None and not link.reader.done():
            try:
                await asyncio.wait_for(asyncio.shield(link.reader), 1.0)
            except Exception:
                link.reader.cancel()
        self._links.discard(link)

    async def _pause(self, delay: float, why: str, *, failed: bool = False) -> None:
        """Wait `delay` before the next try; only stop() ends it early (a renewal never does)."""
        retry_at = self._now() + delay
        if failed:
            self._emit(StreamState.FAILED, f"{why}, retrying in {math.ceil(delay)} s", next_retry_at=retry_at)
        else:
            self._emit(StreamState.RECONNECTING, why, next_retry_at=retry_at)
        if self._stop_requested:
            return
        stopping = self._spawn(self._stopping.wait())
        nap = self._spawn(self._sleep(delay))
        try:
            await asyncio.wait({stopping, nap}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            nap.cancel()

    def _retry_delay(self, failures: int, exc: BaseException | None) -> float:
        delay = self.options.backoff.delay(failures, self._rng)
        if isinstance(exc, InvalidStatus):
            retry_after = exc.response.headers.get("Retry-After")
            if retry_after is not None:
                try:
                    delay = max(delay, min(float(retry_after), 600.0))
                except ValueError:
                    pass
        return delay

    # ---- helpers ------------------------------------------------------------------------------

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    def _closed(self, exc: ConnectionClosed) -> Disconnect:
        if exc.rcvd is None:
            return Disconnect(EndKind.CLOSED, None, self._describe(exc))
        return Disconnect(EndKind.CLOSED, exc.rcvd.code, self._scrub(exc.rcvd.reason)[:120])

    def _explain(self, ended: Disconnect) -> str:
        text = None
        if self._describe_disconnect is not None:
            try:
                text = self._describe_disconnect(ended)
            except Exception:
                log.exception("%s stream: disconnect text failed", self.name)
        return text or ended.describe()

    def _scrub(self, text: str) -> str:
        text = " ".join(text.split())
        url = self._last_url
        return text.replace(url, "<url>") if url else text  # URLs can carry a listenKey

    def _describe(self, exc: BaseException) -> str:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return self._scrub(text)[:300]

    def _emit(
        self, state: StreamState, reason: str | None = None, *, next_retry_at: float | None = None
    ) -> None:
        last = self._current.last_message_at if self._current is not None else self._health.last_message_at
        new = StreamHealth(self.name, state, reason, next_retry_at, last, self.reconnects)
        changed = (new.state, new.reason, new.next_retry_at, new.reconnects) != (
            self._health.state, self._health.reason, self._health.next_retry_at, self._health.reconnects)
        self._health = new
        if changed and self._on_health is not None:
            try:
                self._on_health(new)
            except Exception:
                log.exception("%s stream: health callback failed", self.name)

    def _spawn(self, coro: Coroutine[Any, Any, _T]) -> asyncio.Task[_T]:
        return spawn(coro, self._tasks, name=f"{self.name} stream")
