"""Keeps the user-data-stream listenKey alive: POST, PUT every interval, re-POST on -1125.

Keepalive failures are logged, kept in `last_error` and retried with capped backoff; they are never
swallowed silently (unicorn-binance-websocket-api #301: a silently failed keepalive lets the key expire
and the stream goes quiet). Every newly POSTed key is handed to `on_new_key` so the user stream can
reconnect with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from marginwatch.exchange.errors import IpBanned, ListenKeyNotFound, RateLimited
from marginwatch.exchange.tasks import spawn

log = logging.getLogger(__name__)

KeyCallback = Callable[[str], None]
Sleep = Callable[[float], Coroutine[Any, Any, None]]


class ListenKeyApi(Protocol):
    """The part of BinanceRestClient the manager uses."""

    async def new_listen_key(self) -> str: ...

    async def keepalive_listen_key(self, key: str) -> None: ...

    async def close_listen_key(self, key: str) -> None: ...


def _key_hint(key: str) -> str:
    # A listenKey grants read access to the account's event stream: log only a prefix.
    return key[:6] + "…"


class ListenKeyManager:
    def __init__(
        self,
        client: ListenKeyApi,
        *,
        keepalive_interval: float = 1800.0,
        retry_interval: float = 5.0,
        max_retry_interval: float = 300.0,
        stop_timeout: float = 3.0,
        close_on_stop: bool = True,
        sleep: Sleep | None = None,
    ) -> None:
        if keepalive_interval <= 0 or retry_interval <= 0:
            raise ValueError("intervals must be positive")
        self._client = client
        self.keepalive_interval = keepalive_interval
        self.retry_interval = retry_interval
        self.max_retry_interval = max(max_retry_interval, retry_interval)
        self.stop_timeout = stop_timeout
        # One account has one active key: a DELETE also kills another app instance's stream.
        self.close_on_stop = close_on_stop
        # What waits out the keepalive interval and the retry delays; replaceable to test them.
        self._sleep: Sleep = sleep or asyncio.sleep

        self.key: str | None = None
        self.on_new_key: KeyCallback | None = None
        self.last_error: BaseException | None = None
        self.consecutive_failures = 0
        self.keepalives_sent = 0
        self._listeners: list[KeyCallback] = []
        self._key_ready = asyncio.Event()
        self._renew = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # POSTs are numbered when sent, so invalidate() can wait for one sent after it was called
        # (a POST already in flight may still return the expired key).
        self._post_seq = 0
        self._seq_waiters: list[tuple[int, asyncio.Future[str]]] = []

    # -- public API ------------------------------------------------------------------------

    def add_listener(self, callback: KeyCallback) -> None:
        self._listeners.append(callback)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Start the background task (the first POST happens there; use wait_key() for the key)."""
        if self.running:
            return
        self._task = spawn(self._run(), name="listen-key-keepalive")

    async def wait_key(self) -> str:
        if not self.running and self.key is None:
            raise RuntimeError("ListenKeyManager is not running; call start() first")
        while True:
            await self._key_ready.wait()
            if self.key is not None:
                return self.key

    async def invalidate(self) -> str:
        """The stream reported `listenKeyExpired`: POST a new key, notify, and return it."""
        if not self.running:
            raise RuntimeError("ListenKeyManager is not running; call start() first")
        fut: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._seq_waiters.append((self._post_seq + 1, fut))
        self._forget_key()
        self._renew.set()
        return await fut

    async def stop(self) -> None:
        """Stop keepalives and DELETE the key (best effort, bounded by stop_timeout)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        waiters, self._seq_waiters = self._seq_waiters, []
        for _, fut in waiters:
            fut.cancel()
        key = self.key
        self._forget_key()
        if key is None or not self.close_on_stop:
            return
        try:
            await asyncio.wait_for(self._client.close_listen_key(key), self.stop_timeout)
        except Exception as exc:  # shutting down; report and move on
            self.last_error = exc
            log.warning("could not close listenKey %s: %s", _key_hint(key), exc)

    # -- internals -------------------------------------------------------------------------

    def _forget_key(self) -> None:
        self.key = None
        self._key_ready.clear()

    def _set_key(self, key: str, seq: int) -> None:
        self.key = key
        self._key_ready.set()
        log.info("listenKey ready (%s)", _key_hint(key))
        still_waiting = []
        for target, fut in self._seq_waiters:
            if fut.done():
                continue
            if seq >= target:
                fut.set_result(key)
            else:
                still_waiting.append((target, fut))
        self._seq_waiters = still_waiting
        callbacks = ([self.on_new_key] if self.on_new_key is not None else []) + list(self._listeners)
        for cb in callbacks:
            try:
                cb(key)
            except Exception:
                log.exception("listenKey listener failed")

    def _backoff(self, exc: BaseException) -> float:
        delay: float = min(
            self.retry_interval * 2.0 ** max(self.consecutive_failures - 1, 0), self.max_retry_interval
        )
        if isinstance(exc, RateLimited | IpBanned) and exc.retry_after:
            delay = max(delay, exc.retry_after)
        return delay

    def _failed(self, what: str, exc: BaseException) -> float:
        self.last_error = exc
        self.consecutive_failures += 1
        delay = self._backoff(exc)
        log.warning("listenKey %s failed (%s); retry %d in %.1f s", what, exc, self.consecutive_failures, delay)
        return delay

    async def _sleep_or_renew(self, delay: float) -> bool:
        """Sleep `delay` s; True if invalidate() asked for a new key meanwhile."""
        renew = asyncio.ensure_future(self._renew.wait())
        nap = asyncio.ensure_future(self._sleep(delay))
        try:
            await asyncio.wait({renew, nap}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            renew.cancel()
            nap.cancel()
        if not self._renew.is_set():
            return False
        self._renew.clear()
        return True

    async def _run(self) -> None:
        need_new = True
        delay = 0.0
        while True:
            if need_new:
                self._renew.clear()
                self._post_seq += 1
                seq = self._post_seq
                try:
                    key = await self._client.new_listen_key()
                except Exception as exc:  # any failure is logged and retried
                    await self._sleep_or_renew(self._failed("create (POST)", exc))
                    continue
                self.consecutive_failures = 0
                need_new = False
                self._set_key(key, seq)
                delay = self.keepalive_interval
            if await self._sleep_or_renew(delay):
                need_new = True
                continue
            key_now = self.key
            if key_now is None:
                need_new = True
                continue
            try:
                await self._client.keepalive_listen_key(key_now)
            except ListenKeyNotFound as exc:
                self.last_error = exc
                log.warning("listenKey %s no longer exists (-1125); creating a new one", _key_hint(key_now))
                self._forget_key()
                need_new = True
                continue
            except Exception as exc:  # logged, kept in last_error and retried
                delay = self._failed("keepalive (PUT)", exc)
                continue
            self.keepalives_sent += 1
            self.consecutive_failures = 0
            delay = self.keepalive_interval
