"""The app's alert path with no window: accounts → alert engine → journal → one line each, and forwarding.

`HeadlessWatch.watch(svc)` wires one AccountService the way the controller does (margin calls
journalled before they are alerted, health journalled, risk fed to the thresholds); every alert
and every change of a stream's state becomes one `WatchLine` for the caller to print. A key the
exchange rejects before the account's first snapshot resolves `rejected`: a watcher that can
never read the account must say so and stop, not sit there looking alive.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer

from marginwatch.core.account_risk import AccountRisk
from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.services.alert import Alert, AlertKind
from marginwatch.services.alert_engine import AlertEngine
from marginwatch.services.daily_summary import DailySummary
from marginwatch.services.forwarding import Forwarder
from marginwatch.services.heartbeat import Heartbeat
from marginwatch.services.journal import Journal

if TYPE_CHECKING:
    from marginwatch.services.account_service import AccountService

log = logging.getLogger(__name__)

WatchLine = dict[str, Any]
SNAPSHOT_INTERVAL_MS = 60_000  # as the app: one risk snapshot a minute in the journal
_STATE_SEVERITY = {StreamState.LIVE: "calm", StreamState.STOPPED: "calm", StreamState.FAILED: "danger"}


def iso_utc(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def alert_symbols(alert: Alert) -> list[str]:
    """The symbols an alert is about: a margin call's positions, a position threshold's symbol."""
    raw = alert.raw
    if alert.kind is AlertKind.MARGIN_CALL and raw is not None:
        return list(dict.fromkeys(p.symbol for p in raw.positions if p.symbol))  # hedge legs: once
    if alert.kind is AlertKind.THRESHOLD and raw is not None and raw.subject != "account":
        return [raw.subject.split(" ")[0]]
    return []


def alert_line(alert: Alert) -> WatchLine:
    body = "; ".join(line for line in alert.body.splitlines() if line)
    return {
        "time": iso_utc(alert.created_at),
        "account": alert.account,
        "kind": alert.kind.value,
        "severity": alert.tier.label,
        "symbols": alert_symbols(alert),
        "text": f"{alert.title} — {body}" if body else alert.title,
    }


def stream_line(account: str, health: StreamHealth, at: float) -> WatchLine:
    text = f"{health.name} stream: {health.state.value}" + (f" ({health.reason})" if health.reason else "")
    return {
        "time": iso_utc(at),
        "account": account,
        "kind": "stream_state",
        "severity": _STATE_SEVERITY.get(health.state, "warning"),
        "symbols": [],
        "text": text,
        "stream": health.name,
        "state": health.state.value,
    }


class HeadlessWatch(QObject):
    def __init__(
        self,
        alerts: AlertEngine,
        journal: Journal,
        forwarder: Forwarder,
        emit: Callable[[WatchLine], None],
        *,
        wall_clock: Callable[[], float] = time.time,
        heartbeat: Heartbeat | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.heartbeat = heartbeat
        self.alerts = alerts
        self.journal = journal
        self.forwarder = forwarder
        self._emit = emit
        self._wall = wall_clock
        self._states: dict[tuple[str, str], StreamState] = {}
        self._risks: dict[str, AccountRisk] = {}
        self.rejected: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._snapshots = QTimer(self)
        self._snapshots.setInterval(SNAPSHOT_INTERVAL_MS)
        self._snapshots.timeout.connect(self._record_snapshots)
        self._snapshots.start()
        alerts.alert_raised.connect(self._deliver)
        self._watched: list[str] = []
        self.daily_summary = DailySummary(
            lambda: self._risks, lambda: bool(self._watched) and all(n in self._risks for n in self._watched),
            self._summarise, lambda name: self.alerts.policy_of(name).bands, parent=self)
        self.daily_summary.start()
        forwarder.channel_state_changed.connect(
            lambda name, state, why: log.warning("forwarding: %s %s %s", name, state, why)
        )

    def watch(self, svc: AccountService) -> None:
        """Wire `svc` (before it starts, so nothing it says is missed)."""
        self._watched.append(svc.name)
        svc.risk_changed.connect(self._on_risk)
        svc.margin_call.connect(self._on_margin_call)
        svc.health_changed.connect(lambda account, health: self._on_health(svc, account, health))
        svc.log_entry.connect(lambda account, kind, text: log.info("%s: %s: %s", account, kind, text))

    def forget(self, account: str) -> None:
        self.alerts.forget_account(account)
        if self.heartbeat is not None:
            self.heartbeat.forget_account(account)
        self._risks.pop(account, None)
        self._watched = [name for name in self._watched if name != account]
        self._states = {k: v for k, v in self._states.items() if k[0] != account}

    def stop(self) -> None:
        self._snapshots.stop()
        self.daily_summary.stop()

    def _summarise(self, alert: Alert) -> None:
        self._emit(alert_line(alert))
        self.forwarder.forward(alert)

    def _on_risk(self, account: str, risk: AccountRisk) -> None:
        self._risks[account] = risk
        self.alerts.on_risk(account, risk)

    def _on_margin_call(self, account: str, event: Any) -> None:
        # Journal first, as the app does; a journal that cannot write must not cost the alert.
        try:
            self.journal.record_margin_call_event(account, event)
        except Exception:
            log.exception("journal: could not save the margin call on %s", account)
        self.alerts.on_margin_call(account, event)

    def _on_health(self, svc: AccountService, account: str, health: StreamHealth) -> None:
        self.journal.record_connection(account, health)
        self.alerts.on_health(account, health)
        if self.heartbeat is not None:
            self.heartbeat.on_health(account, health)
        key = (account, health.name)
        if self._states.get(key) is not health.state:
            self._states[key] = health.state
            self._emit(stream_line(account, health, self._wall()))
        rejected_at_start = (
            health.name == "rest" and health.state is StreamState.FAILED and not svc.session.ready.is_set()
        )
        if rejected_at_start and not self.rejected.done():
            self.rejected.set_result(f"{account}: {health.reason or 'the exchange refused the account'}")

    def _deliver(self, alert: Alert) -> None:
        try:
            alert_id = self.journal.record_alert(alert)
        except Exception:
            log.exception("journal: could not save %r", alert.title)
        else:
            if alert_id is None and alert.kind is not AlertKind.TEST:
                return  # already journalled, so already told (a replay across a restart)
        self._emit(alert_line(alert))
        self.forwarder.forward(alert)

    def _record_snapshots(self) -> None:
        for account, risk in self._risks.items():
            self.journal.record_snapshot(account, risk)
