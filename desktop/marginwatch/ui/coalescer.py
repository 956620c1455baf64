"""A QTimer-based coalescer: calls a function at most N times per second, always with the latest value.

Mark-price ticks can arrive many times per second; repainting for each wastes CPU for no visible
gain (the idea of Electrum's `rate_limited`). The first call after a quiet period goes through at
once, later ones inside the interval are folded into one trailing call with the newest value.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtCore import QObject, QTimer

T = TypeVar("T")


class Coalescer(QObject, Generic[T]):
    DEFER_MS = 100
    def __init__(
        self,
        callback: Callable[[T], None],
        max_per_second: float,
        parent: QObject | None = None,
        *,
        defer_first: bool = False,
    ) -> None:
        """`defer_first`: deliver even the first call `DEFER_MS` later, not inside `push` — for
        expensive callbacks, so the caller's own work, the follow-up work it queued for the next
        loop turns and this callback are separate short stalls of the GUI thread, not one long one."""
        super().__init__(parent)
        self._defer_first = defer_first
        if max_per_second <= 0:
            raise ValueError("max_per_second must be > 0")
        self._callback = callback
        self._interval = 1.0 / max_per_second
        self._last_call = -float("inf")
        self._pending = False
        self._value: T | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)

    @property
    def pending(self) -> bool:
        return self._pending

    def push(self, value: T) -> None:
        """Remember `value`; deliver it now if allowed, else when the interval has passed."""
        self._value = value
        self._pending = True
        wait = self._last_call + self._interval - time.monotonic()
        if wait <= 0 and not self._defer_first:
            self.flush()
        elif not self._timer.isActive():
            self._timer.start(self.DEFER_MS if wait <= 0 else int(wait * 1000) + 1)

    def flush(self) -> None:
        """Deliver the pending value now (no-op when nothing is pending)."""
        self._timer.stop()
        if not self._pending:
            return
        self._pending = False
        value = self._value
        self._value = None
        self._last_call = time.monotonic()
        self._callback(value)  # type: ignore[arg-type]  # set together with _pending

    def cancel(self) -> None:
        self._timer.stop()
        self._pending = False
        self._value = None
