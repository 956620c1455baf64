"""A forwarding channel: where alerts go (a secret URL) and which of them it takes.

`Channel` is what the Forwarder sends to; it comes from `--forward` or from the channels saved in
Settings → Notifications (services.channel_store). Its URL never shows: `name` and `key` are masked.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from datetime import time as clock_time
from enum import StrEnum

from marginwatch.core.risk_tiers import RiskTier
from marginwatch.services.alert import Alert, AlertKind
from marginwatch.services.forwarding_send import Priority, mask_url

__all__ = ["URGENT", "Channel", "ForwardKind", "QuietHours", "forward_kind", "priority_for"]


class ForwardKind(StrEnum):
    """What a channel can ask for."""

    MARGIN_CALL = "margin_call"
    DANGER = "danger"
    WARNING = "warning"
    HEALTH = "health"  # streams down and restored
    DAILY_SUMMARY = "daily_summary"  # services.daily_summary, once a day


URGENT = frozenset({ForwardKind.MARGIN_CALL, ForwardKind.DANGER})


def forward_kind(alert: Alert) -> ForwardKind | None:
    """The kind a channel filters on; None for test alerts (sent to every channel)."""
    if alert.kind is AlertKind.MARGIN_CALL:
        return ForwardKind.MARGIN_CALL
    if alert.kind is AlertKind.THRESHOLD:
        return ForwardKind.DANGER if alert.tier >= RiskTier.DANGER else ForwardKind.WARNING
    if alert.kind in (AlertKind.STREAM_DOWN, AlertKind.STREAM_RESTORED):
        return ForwardKind.HEALTH
    if alert.kind is AlertKind.SUMMARY:
        return ForwardKind.DAILY_SUMMARY
    return None


def priority_for(alert: Alert) -> Priority:
    """ntfy: margin calls and danger at `max` (5), warnings at `high` (4), the rest at default."""
    kind = forward_kind(alert)
    if kind in URGENT:
        return Priority.MAX
    if kind is ForwardKind.WARNING or (kind is None and alert.tier >= RiskTier.WARNING):
        return Priority.HIGH
    return Priority.DEFAULT


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local wall-clock hours, e.g. 23:00-07:00 (across midnight); margin calls and danger ignore them."""

    start: clock_time
    end: clock_time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """`23:00-07:00` → QuietHours; ValueError with a plain message otherwise."""
        try:
            a, b = (clock_time.fromisoformat(p.strip()) for p in text.split("-", 1))
        except ValueError:
            raise ValueError(f"quiet hours {text!r}: expected HH:MM-HH:MM") from None
        return cls(a, b)

    def text(self) -> str:
        """The form `parse` reads back: `23:00-07:00`."""
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def contains(self, when: datetime) -> bool:
        t = when.time()
        if self.start <= self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end


@dataclass(frozen=True, slots=True)
class Channel:
    """One destination and what it takes. `url` is secret: repr, name and key never show it.

    From `--forward` it has no id nor label; from settings both (URL from the keychain).
    """

    url: str = field(repr=False)
    kinds: frozenset[ForwardKind] = frozenset(ForwardKind)
    accounts: frozenset[str] | None = None  # None: every account
    quiet_hours: QuietHours | None = None
    label: str = ""  # the name the user gave it
    channel_id: str = ""  # its settings id; "" for a command-line channel

    @property
    def name(self) -> str:
        masked = mask_url(self.url)
        return f"{self.label} ({masked})" if self.label else masked

    @property
    def key(self) -> str:
        """Stable per URL across runs (a rename keeps it), for the journal: masked URL and a short hash."""
        digest = hashlib.sha256(self.url.encode()).hexdigest()[:12]
        return f"{mask_url(self.url)}#{digest}"

    def wants(self, alert: Alert, now: datetime) -> tuple[bool, str]:
        """(send it?, why not) for this alert at local time `now`."""
        kind = forward_kind(alert)
        if kind is not None and kind not in self.kinds:
            return False, f"{kind.value} alerts are not forwarded here"
        if self.accounts is not None and alert.account and alert.account not in self.accounts:
            return False, f"account {alert.account} is not forwarded here"
        if self.quiet_hours is not None and kind not in URGENT and self.quiet_hours.contains(now):
            return False, "quiet hours"
        return True, ""
