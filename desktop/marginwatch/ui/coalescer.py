"""A QTimer-based coalescer: calls a function at most N times per second, always with the latest value.

Mark-price ticks can arrive many times per second; repainting for each wastes CPU for no visible
gain (the idea of Electrum's `rate_limited`). The first call after a quiet period goes through at
once (or `first_delay_ms` later), later ones inside the interval are folded into one trailing call
with the newest value: a value waits at most one interval after the previous delivery.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtCore import QObject, QTimer

T = TypeVar("T")


class Coalescer(QObject, Generic[T]):
    def __init__(
        self,
        callback: Callable[[T], None],
        max_per_second: float,
        parent: QObject | None = None,
        *,
        first_delay_ms: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`first_delay_ms`: deliver even the first call after a quiet period this much later, not
        inside `push` — for expensive callbacks, so the caller's own work, the follow-up work it
        queued for the next loop turns and this callback are separate short stalls of the GUI
        thread, not one long one. `clock`: seconds, for tests."""
        super().__init__(parent)
        if max_per_second <= 0:
            raise ValueError("max_per_second must be > 0")
        self._callback = callback
        self._interval = 1.0 / max_per_second
        self._first_delay_ms = first_delay_ms
        self._clock = clock
        self._last_call = -float("inf")
        self._pending = False
        self._value: T | None = None
        self._scheduled_ms: int | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)

    @property
    def pending(self) -> bool:
        return self._pending

    @property
    def scheduled_ms(self) -> int | None:
        """The delay the pending delivery was scheduled with when it was first pushed; None when
        nothing waits for the timer."""
        return self._scheduled_ms if self._timer.isActive() else None

    def push(self, value: T) -> None:
        """Remember `value`; deliver it now if allowed, else when the interval has passed."""
        self._value = value
        self._pending = True
        if self._timer.isActive():
            return  # rides on the delivery already scheduled, which it does not postpone
        wait = self._last_call + self._interval - self._clock()
        if wait > 0:
            self._schedule(int(wait * 1000) + 1)
        elif self._first_delay_ms is not None:
            self._schedule(self._first_delay_ms)
        else:
            self.flush()

    def flush(self) -> None:
        """Deliver the pending value now (no-op when nothing is pending)."""
        self._timer.stop()
        if not self._pending:
            return
        self._pending = False
        value = self._value
        self._value = None
        self._last_call = self._clock()
        self._callback(value)  # type: ignore[arg-type]  # set together with _pending

    def cancel(self) -> None:
        self._timer.stop()
        self._pending = False
        self._value = None

    def _schedule(self, delay_ms: int) -> None:
        self._scheduled_ms = delay_ms
        self._timer.start(delay_ms)
