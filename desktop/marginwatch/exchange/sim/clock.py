"""The simulated exchange's clock: wall time plus the skew a fault may set."""

from __future__ import annotations

import time


class ServerClock:
    def __init__(self) -> None:
        self.skew_ms = 0

    def now_ms(self) -> int:
        """serverTime: what REST answers, recvWindow checks and event times use."""
        return int(time.time() * 1000) + self.skew_ms
