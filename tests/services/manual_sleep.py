"""An injected sleep the test releases by hand: records each delay, returns only on `wake()`."""

from __future__ import annotations

import asyncio


class ManualSleep:
    def __init__(self) -> None:
        self.waited: list[float] = []
        self._asleep: list[asyncio.Future[None]] = []
        self._watchers: list[tuple[int, asyncio.Future[None]]] = []

    async def __call__(self, seconds: float) -> None:
        self.waited.append(seconds)
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._asleep.append(fut)
        for count, watcher in list(self._watchers):
            if len(self.waited) >= count and not watcher.done():
                watcher.set_result(None)
        try:
            await fut
        finally:
            if fut in self._asleep:
                self._asleep.remove(fut)

    async def slept(self, count: int, timeout_s: float = 10.0) -> None:
        """Until `count` sleeps in all have begun."""
        if len(self.waited) < count:
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._watchers.append((count, fut))
            await asyncio.wait_for(fut, timeout_s)

    @property
    def sleeping(self) -> int:
        return sum(not f.done() for f in self._asleep)

    def wake(self) -> None:
        for fut in self._asleep:
            if not fut.done():
                fut.set_result(None)
