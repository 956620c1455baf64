"""A sliding-window budget of attempts: at most `limit` in any `window` seconds."""

from __future__ import annotations

from collections import deque


class AttemptWindow:
    """Times of the latest `limit` attempts; the next may start once the oldest is `window` old."""

    def __init__(self, limit: int, window: float) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("an attempt window needs limit >= 1 and a positive window")
        self.limit = limit
        self.window = window
        self._times: deque[float] = deque(maxlen=limit)

    def record(self, now: float) -> None:
        self._times.append(now)

    def wait(self, now: float) -> float:
        """Seconds until another attempt fits in the budget (0: now)."""
        if len(self._times) < self.limit:
            return 0.0
        return max(0.0, self._times[0] + self.window - now)
