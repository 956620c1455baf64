"""The alert engine: turns margin calls, risk snapshots and stream health into Alerts.

A service, not a widget: it owns the threshold state and emits `alert_raised`; the notifier,
the tray, the banner and the journal listen. Identical alerts (a margin call replayed across a
reconnect overlap) are raised once.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from marginwatch.core.account_risk import AccountRisk
from marginwatch.core.alert_rules import AlertPolicy, StreamDownMonitor, ThresholdMonitor
from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.services.alert import Alert, margin_call_alert, stream_alert, threshold_alert

_DEDUPE_MEMORY = 4096


class AlertEngine(QObject):
    alert_raised = Signal(object)  # Alert

    def __init__(
        self,
        policy: AlertPolicy | None = None,
        *,
        policy_for: Callable[[str], AlertPolicy] | None = None,
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self._policy = policy or AlertPolicy()
        # Each account may override the thresholds; without an override it uses the global policy.
        self._policy_for = policy_for or (lambda _account: self._policy)
        self._monitors: dict[str, ThresholdMonitor] = {}
        self._streams = StreamDownMonitor((policy or AlertPolicy()).stream_down_after_s)
        self._seen: OrderedDict[str, None] = OrderedDict()
        # Polled only while a stream is down (not live, not stopped): an idle app sleeps.
        self._down: set[tuple[str, str]] = set()
        self._poll = QTimer(self)
        self._poll.setInterval(1000)
        self._poll.timeout.connect(self._poll_streams)

    @property
    def policy(self) -> AlertPolicy:
        return self._policy

    def policy_of(self, account: str) -> AlertPolicy:
        return self._monitor(account).policy

    def set_policy(self, policy: AlertPolicy) -> None:
        """New global policy; every account's thresholds are looked up again."""
        self._policy = policy
        self._streams.down_after_s = policy.stream_down_after_s
        for account, monitor in self._monitors.items():
            monitor.set_policy(self._policy_for(account))

    def forget_account(self, account: str) -> None:
        """A removed account: drop its thresholds and its streams' down-timers (no alert follows)."""
        self._monitors.pop(account, None)
        self._streams.forget(account)
        self._down = {key for key in self._down if key[0] != account}
        if not self._down:
            self._poll.stop()

    def _monitor(self, account: str) -> ThresholdMonitor:
        monitor = self._monitors.get(account)
        if monitor is None:
            monitor = self._monitors[account] = ThresholdMonitor(self._policy_for(account))
        return monitor

    def on_margin_call(self, account: str, event: Any) -> None:
        self._raise(margin_call_alert(account, event))

    def on_risk(self, account: str, risk: AccountRisk) -> None:
        for a in self._monitor(account).observe(account, risk, self._clock()):
            self._raise(threshold_alert(a))

    def on_health(self, account: str, health: StreamHealth) -> None:
        key = (account, health.name)
        if health.state is StreamState.LIVE or health.state is StreamState.STOPPED:
            self._down.discard(key)
        else:
            self._down.add(key)
        if self._down and not self._poll.isActive():
            self._poll.start()
        elif not self._down:
            self._poll.stop()
        for a in self._streams.observe(account, health, self._clock()):
            self._raise(stream_alert(a))

    def _poll_streams(self) -> None:
        for a in self._streams.poll(self._clock()):
            self._raise(stream_alert(a))

    def _raise(self, alert: Alert) -> None:
        if alert.dedupe_key in self._seen:
            return
        self._seen[alert.dedupe_key] = None
        if len(self._seen) > _DEDUPE_MEMORY:
            self._seen.popitem(last=False)
        self.alert_raised.emit(alert)
