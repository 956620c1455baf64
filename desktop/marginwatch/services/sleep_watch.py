"""Noticing that monitoring was paused: the machine slept, the process was stopped, or the clock jumped.

Every `check_every_s` the wall clock and the monotonic clock are read; between two checks both
should advance by about the interval. Monotonic time stands still while Linux suspends, so after a
sleep the wall clock has run ahead; a stopped process sees both run ahead; a clock change moves the
wall clock alone. A gap of more than `gap_s` is reported once as `resumed(from_wall, to_wall)`: the
app says so and asks every account to resync, since stream state across the gap cannot be trusted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from marginwatch.core.risk_tiers import RiskTier
from marginwatch.services.alert import Alert, AlertKind

CHECK_EVERY_S = 5.0
GAP_S = 30.0


class SleepWatch(QObject):
    resumed = Signal(float, float)  # wall-clock seconds: last check before the gap, first after

    def __init__(
        self,
        *,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        check_every_s: float = CHECK_EVERY_S,
        gap_s: float = GAP_S,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._wall = wall
        self._monotonic = monotonic
        self._check_every_s = check_every_s
        self._gap_s = gap_s
        self._last = (wall(), monotonic())
        self._timer = QTimer(self)
        self._timer.setInterval(int(check_every_s * 1000))
        self._timer.timeout.connect(self.check)

    def start(self) -> None:
        self._last = (self._wall(), self._monotonic())
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def check(self) -> bool:
        """True (and `resumed` emitted) when a gap lies between this check and the last."""
        wall, mono = self._wall(), self._monotonic()
        last_wall, last_mono = self._last
        self._last = (wall, mono)
        wall_step, mono_step = wall - last_wall, mono - last_mono
        jumped = abs(wall_step - mono_step) > self._gap_s
        stalled = mono_step > self._check_every_s + self._gap_s
        if jumped or stalled:
            self.resumed.emit(last_wall, wall)
            return True
        return False


def _hhmm(at: float) -> str:
    return datetime.fromtimestamp(at).strftime("%H:%M")


def pause_text(from_wall: float, to_wall: float) -> str:
    if to_wall < from_wall:
        text = QCoreApplication.translate(
            "SleepWatch", "The clock was set back from {a} to {b}; resyncing every account.")
    else:
        text = QCoreApplication.translate(
            "SleepWatch", "Monitoring was paused from {a} to {b}; resyncing every account.")
    return text.format(a=_hhmm(from_wall), b=_hhmm(to_wall))


def pause_alert(from_wall: float, to_wall: float) -> Alert:
    """A gap in live data, said like a stream outage: journalled, shown and forwarded as one."""
    return Alert(
        kind=AlertKind.STREAM_DOWN,
        account="",
        tier=RiskTier.WARNING,
        title=pause_text(from_wall, to_wall),
        body=QCoreApplication.translate("SleepWatch", "No alerts could be raised in that time."),
        dedupe_key=f"pause:{from_wall}:{to_wall}",
        created_at=to_wall,
    )
