"""Connection health of one stream, as shown to the user (live / stale / reconnecting in Ns / failed)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class StreamState(StrEnum):
    CONNECTING = "connecting"
    LIVE = "live"
    STALE = "stale"  # connected but silent for longer than the stream's staleness limit
    RECONNECTING = "reconnecting"  # waiting `next_retry_at` before the next try
    FAILED = "failed"  # gave up or cannot proceed (e.g. key rejected); `reason` says why
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class StreamHealth:
    name: str  # "user" or "market"
    state: StreamState
    reason: str | None = None
    next_retry_at: float | None = None  # loop.time() / time.monotonic() seconds
    last_message_at: float | None = None  # same clock
    reconnects: int = 0

    def describe(self, now: float) -> str:
        """Short English text for status bars and logs."""
        if self.state is StreamState.RECONNECTING and self.next_retry_at is not None:
            return f"reconnecting in {max(0, round(self.next_retry_at - now))}s"
        if self.state is StreamState.FAILED:
            return f"failed: {self.reason or 'unknown error'}"
        if self.state is StreamState.STALE and self.last_message_at is not None:
            return f"stale ({round(now - self.last_message_at)}s silent)"
        return self.state.value
