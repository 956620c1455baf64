"""The alert engine: turns margin calls, risk snapshots and stream health into Alerts.

A service, not a widget: it owns the threshold state and emits `alert_raised`; the notifier,
the tray, the banner and the journal listen. Identical alerts (a margin call replayed across a
reconnect overlap) are raised once.

`alert_cleared` says when what a danger threshold alert or a margin call warned of is over: the
subject eased out of danger (or closed), or every position a margin call named, once seen in danger,
is below it. The forwarder stops repeating those alerts on it and says so.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from marginwatch.core.account_risk import AccountRisk
from marginwatch.core.adl_funding_rules import AdlFundingMonitor
from marginwatch.core.alert_rules import AlertPolicy, Metric, StreamDownMonitor, ThresholdCleared, ThresholdMonitor
from marginwatch.core.risk_tiers import RiskTier, position_tier
from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.services.adl_funding_alerts import notice_alert
from marginwatch.services.alert import Alert, margin_call_alert, stream_alert, subject_text, threshold_alert

_DEDUPE_MEMORY = 4096


@dataclass(frozen=True, slots=True)
class ClearedAlert:
    """The alerts in `cleared_keys` no longer hold: "SOLUSDT LONG back to warning on Main"."""

    account: str
    tier: RiskTier  # where the subject stands now
    title: str
    cleared_keys: tuple[str, ...]
    created_at: float = field(default_factory=time.time)


@dataclass(slots=True)
class _OpenCall:
    symbols: frozenset[str]
    seen_in_danger: bool = False


def threshold_cleared(c: ThresholdCleared, keys: tuple[str, ...]) -> ClearedAlert:
    subject = subject_text(c.subject)  # as the alert it ends named it, the side translated too
    if c.closed:
        title = QCoreApplication.translate("Alert", "{subject} on {account}: position closed")
    elif c.level is RiskTier.WARNING:
        title = QCoreApplication.translate("Alert", "{subject} back to warning on {account}")
    else:
        title = QCoreApplication.translate("Alert", "{subject} back to calm on {account}")
    return ClearedAlert(c.account, c.level, title.format(subject=subject, account=c.account), keys)


class AlertEngine(QObject):
    alert_raised = Signal(object)  # Alert
    alert_cleared = Signal(object)  # ClearedAlert

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
        # Danger alerts and margin calls not yet over, for `alert_cleared`.
        self._danger_keys: dict[tuple[str, str, Metric], list[str]] = {}
        self._calls: dict[str, dict[str, _OpenCall]] = {}  # account -> dedupe key -> call
        # Polled only while a stream is down (not live, not stopped): an idle app sleeps.
        self._down: set[tuple[str, str]] = set()
        self._poll = QTimer(self)
        self._poll.setInterval(1000)
        self._poll.timeout.connect(self._poll_streams)
        self._queue = AdlFundingMonitor()
        self.funding_alerts = True  # the user's setting: alert when a funding payment would cross a threshold

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
        """A removed account: drop its thresholds and its streams' down-timers (no alert follows).

        Its open margin calls and danger alerts are kept: an account restarted with new settings
        is the same account, and they are still being repeated until its figures say they are over.
        """
        self._monitors.pop(account, None)
        self._streams.forget(account)
        self._down = {key for key in self._down if key[0] != account}
        if not self._down:
            self._poll.stop()
        self._queue.forget_account(account)

    def _monitor(self, account: str) -> ThresholdMonitor:
        monitor = self._monitors.get(account)
        if monitor is None:
            monitor = self._monitors[account] = ThresholdMonitor(self._policy_for(account))
        return monitor

    def on_margin_call(self, account: str, event: Any) -> None:
        alert = margin_call_alert(account, event)
        if alert.dedupe_key not in self._seen:
            symbols = frozenset(p.symbol for p in event.positions if p.symbol)
            self._calls.setdefault(account, {})[alert.dedupe_key] = _OpenCall(symbols)
        self._raise(alert)

    def on_risk(self, account: str, risk: AccountRisk) -> None:
        monitor = self._monitor(account)
        for a in monitor.observe(account, risk, self._clock()):
            alert = threshold_alert(a)
            if a.level >= RiskTier.DANGER and alert.dedupe_key not in self._seen:
                self._danger_keys.setdefault((a.account, a.subject, a.metric), []).append(alert.dedupe_key)
            self._raise(alert)
        for c in monitor.pop_cleared():
            keys = self._danger_keys.pop((c.account, c.subject, c.metric), [])
            if keys:
                self.alert_cleared.emit(threshold_cleared(c, tuple(keys)))
        self._check_calls(account, risk, monitor.policy)
        for notice in self._queue.observe(account, risk, monitor.policy, funding=self.funding_alerts):
            self._raise(notice_alert(notice))

    def _check_calls(self, account: str, risk: AccountRisk, policy: AlertPolicy) -> None:
        calls = self._calls.get(account)
        if not calls:
            return
        for key, call in list(calls.items()):
            named = [p for p in risk.positions if p.position.symbol in call.symbols]
            bands = policy.bands
            tiers = [position_tier(p, bands).tier for p in named]
            if any(t is RiskTier.UNKNOWN for t in tiers):
                continue  # not knowable now: only the user can end it
            if any(t >= RiskTier.DANGER for t in tiers):
                call.seen_in_danger = True
                continue
            # A snapshot older than the call may show it calm: it must have been seen in danger first.
            if named and not call.seen_in_danger:
                continue
            del calls[key]
            title = QCoreApplication.translate("Alert", "Margin call on {account} cleared").format(account=account)
            tier = max(tiers, default=RiskTier.CALM)
            self.alert_cleared.emit(ClearedAlert(account, tier, title, (key,)))

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
