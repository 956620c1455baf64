"""The dead-man's switch: ping an outside monitor while every stream of every account is live.

A healthchecks.io check, an Uptime Kuma push monitor or any URL that counts HTTP GETs (any 2xx is a
ping) raises its own alarm when the pings stop, so a dead laptop, a crashed app or a lost network is
noticed from outside. Pings start as soon as all streams are live, then repeat every `interval_s`
while they stay live; any stream down stops them. A non-HTTP URL (e.g. `ntfy://`) is sent through
Apprise instead. The URL can hold a token: only `mask_url` of it is logged or shown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from enum import StrEnum
from typing import Any

import aiohttp
from PySide6.QtCore import QObject, Signal

from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.services.forwarding_send import ENV_PREFIX, AppriseSender, mask_url, resolve_url

log = logging.getLogger(__name__)

PING_EVERY_S = 60.0
PING_TIMEOUT_S = 10.0


class HeartbeatState(StrEnum):
    WAITING = "waiting"  # not every stream is live: no pings
    OK = "ok"  # the last ping was taken
    FAILING = "failing"  # the last ping was not taken


class Heartbeat(QObject):
    """Fed with stream health (`on_health`); `state_changed` (state, reason) after each change."""

    state_changed = Signal(str, str)

    def __init__(
        self,
        url: str,
        *,
        interval_s: float = PING_EVERY_S,
        timeout_s: float = PING_TIMEOUT_S,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._url = url
        self._interval_s = interval_s
        self._timeout_s = timeout_s
        self._sleep = sleep
        self._streams: dict[tuple[str, str], StreamState] = {}
        self._task: asyncio.Task[None] | None = None
        self.state = HeartbeatState.WAITING
        self.reason = ""
        self.pings = 0  # taken this run

    @property
    def name(self) -> str:
        return mask_url(self._url)

    def on_health(self, account: str, health: StreamHealth) -> None:
        self._streams[(account, health.name)] = health.state
        self._update()

    def forget_account(self, account: str) -> None:
        for key in [k for k in self._streams if k[0] == account]:
            del self._streams[key]
        self._update()

    def all_live(self) -> bool:
        return bool(self._streams) and all(s is StreamState.LIVE for s in self._streams.values())

    async def aclose(self) -> None:
        await self._stop()

    def _update(self) -> None:
        if self.all_live():
            if self._task is None:
                self._task = asyncio.get_event_loop().create_task(self._run())
                self._task.add_done_callback(self._done)
        elif self._task is not None:
            self._task.cancel()
            self._task = None
            self._set(HeartbeatState.WAITING, "not every stream is live")

    async def _stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def _done(self, task: asyncio.Task[None]) -> None:
        if self._task is task:
            self._task = None
        if not task.cancelled() and task.exception() is not None:
            log.error("heartbeat: the ping loop failed", exc_info=task.exception())

    async def _run(self) -> None:
        while self.all_live():
            reason = await self._ping()
            if reason is None:
                self.pings += 1
                self._set(HeartbeatState.OK, "")
            else:
                log.warning("heartbeat: the ping to %s failed (%s)", self.name, reason)
                self._set(HeartbeatState.FAILING, reason)
            await self._sleep(self._interval_s)

    async def _ping(self) -> str | None:
        """None when the monitor took the ping, else why not (never the URL)."""
        if not self._url.lower().startswith(("http://", "https://")):
            outcome = await AppriseSender(self._timeout_s).send(self._url, "MarginWatch heartbeat", "All streams live.")
            return None if outcome.ok else outcome.reason
        try:
            timeout = aiohttp.ClientTimeout(total=self._timeout_s)
            async with aiohttp.ClientSession(timeout=timeout) as session, session.get(self._url) as response:
                if 200 <= response.status < 300:
                    return None
                return f"HTTP {response.status}"
        except TimeoutError:
            return "timed out"
        except aiohttp.ClientConnectorError:
            return "connection refused"
        except (aiohttp.ClientError, ValueError) as exc:
            return type(exc).__name__

    def _set(self, state: HeartbeatState, reason: str) -> None:
        if (state, reason) != (self.state, self.reason):
            self.state, self.reason = state, reason
            self.state_changed.emit(state.value, reason)


def from_spec(
    spec: str | None, environ: Mapping[str, str], **kwargs: Any
) -> tuple[Heartbeat | None, str | None]:
    """`--heartbeat-url` → (the heartbeat, None), (None, why it is off) or (None, None) when not asked for."""
    if not spec:
        return None, None
    try:
        url = resolve_url(spec, environ)
    except ValueError as exc:
        return None, f"The heartbeat is off: {exc}."
    scheme, sep, _ = url.partition("://")
    if not sep or not scheme.isalnum():
        shown = spec if spec.startswith(ENV_PREFIX) else mask_url(url)
        return None, f"The heartbeat is off: {shown} is not a URL."
    return Heartbeat(url, **kwargs), None
