"""Virtual time for backoff tests: a clock that moves only when an injected sleep completes.

A pause of `d` seconds takes one loop turn and moves the clock by `d`; a pause that is cut short
(cancelled) moves it by nothing, as an interrupted wait takes no time. So "connects per minute"
is counted against the waits the code really sat out, with no real waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class VirtualTime:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.pauses: list[float] = []  # every completed sleep, in order
        self._marks: list[tuple[float, Callable[[], None]]] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        await asyncio.sleep(0)
        self.now += delay
        self.pauses.append(delay)
        due = [m for m in self._marks if m[0] <= self.now]
        self._marks = [m for m in self._marks if m[0] > self.now]
        for _, callback in due:
            callback()

    def when(self, at: float, callback: Callable[[], None]) -> None:
        """Call `callback` as the clock passes `at`, before the sleep that passed it returns."""
        self._marks.append((at, callback))

    def passing(self, at: float) -> asyncio.Future[None]:
        """A future resolved as the clock passes `at`."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.when(at, lambda: fut.done() or fut.set_result(None))
        return fut
