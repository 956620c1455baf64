"""The app container: owns the services, feeds the widgets, routes alerts. Widgets never see it.

Accounts start and stop in services.account_registry; this module only wires what they say to
the window, the tray, the alert engine and the journal. Order of start-up matters for how fast
the user sees something: the window is already painted when `run()` starts; the chart
(pyqtgraph) and the exchange (aiohttp, the simulator in demo mode) come in right after.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import time
from collections.abc import Callable, Coroutine, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

from marginwatch import resources
from marginwatch.core.account_risk import AccountRisk, OtherCross, other_cross_totals
from marginwatch.core.risk_tiers import BandsByAccount, RiskTier, worst_tier
from marginwatch.core.stream_health import StreamHealth
from marginwatch.exchange.tasks import spawn
from marginwatch.services import heartbeat
from marginwatch.services.account_registry import AccountRegistry
from marginwatch.services.active_conditions import ActiveConditions
from marginwatch.services.alert import Alert, AlertKind, sample_alert
from marginwatch.services.alert_engine import AlertEngine, ClearedAlert
from marginwatch.services.channel_manager import ChannelManager
from marginwatch.services.channel_store import ChannelStore
from marginwatch.services.daily_summary import DailySummary
from marginwatch.services.forwarding import URGENT, Forwarder, forward_kind
from marginwatch.services.journal import Journal, JournalState
from marginwatch.services.notifier import Notifier
from marginwatch.services.risk_history import RiskHistory
from marginwatch.services.secret_store import SecretStore
from marginwatch.services.settings import AccountConfig, Settings
from marginwatch.services.sleep_watch import SleepWatch, pause_alert
from marginwatch.services.what_if import HeldShock, account_states
from marginwatch.startup_trace import ChartLiveTrace
from marginwatch.ui.main_window import MainWindow
from marginwatch.ui.tier_style import tier_word
from marginwatch.ui.tray_icon import TrayIcon

if TYPE_CHECKING:
    # Imported when first used: the window paints before any of these is loaded.
    from marginwatch.core.account_state import AccountState
    from marginwatch.services.account_service import AccountService
    from marginwatch.ui.calculator_dialog import CalculatorDialog
    from marginwatch.ui.history_dialog import HistoryDialog
    from marginwatch.ui.risk_history_chart import RiskHistoryDialog
    from marginwatch.ui.settings_dialog import SettingsDialog

log = logging.getLogger(__name__)

SNAPSHOT_INTERVAL_MS = 60_000
JOURNAL_KEEP_DAYS = 30
_LOG_KIND = {
    AlertKind.MARGIN_CALL: "margin_call",
    AlertKind.THRESHOLD: "threshold",
    AlertKind.STREAM_DOWN: "connection",
    AlertKind.STREAM_RESTORED: "connection",
    AlertKind.TEST: "info",
    AlertKind.SUMMARY: "info",
}


class AppController(QObject):
    """`app` stays in the signature for its callers; the controller needs nothing from it."""

    alert_delivered = Signal(object, str)  # Alert, channel — for tests and the self-test
    started = Signal()

    def __init__(
        self,
        app: QApplication,
        window: MainWindow,
        args: argparse.Namespace,
        settings: Settings | None = None,
        journal: Journal | None = None,
        secrets: SecretStore | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.window = window
        self.settings = settings or Settings()
        self.journal = journal or Journal.open()
        self.secrets = secrets or SecretStore()  # one instance: it also holds run-only secrets
        self.registry = AccountRegistry(
            self.settings, self.secrets, demo_only=args.demo, scenario=args.scenario, speed=args.speed,
            redact=self.journal.add_redaction, parent=self,
        )
        self._alert_ids: dict[str, int] = {}
        self._conditions = ActiveConditions()  # what the banner shows: the worst of them
        self._snapshots = QTimer(self)
        self._snapshots.setInterval(SNAPSHOT_INTERVAL_MS)
        self._snapshots.timeout.connect(self._record_snapshots)
        self.risk_history = RiskHistory(self.journal, self.registry.live_risks, parent=self)
        window.set_sparkline_source(self.risk_history.recent)
        self.risk_history.sampled.connect(lambda _at: self.window.refresh_sparklines())
        policy = self.settings.alert_policy()
        self.alerts = AlertEngine(policy, policy_for=self.settings.alert_policy, clock=clock, parent=self)
        self.alerts.funding_alerts = self.settings.funding_alerts
        self.settings.changed.connect(self._apply_settings)  # whatever the key: cheap
        self._bands = BandsByAccount(policy.bands)  # per account once accounts are added
        window.set_bands(self._bands)
        self.tray = TrayIcon(self)
        self.notifier = Notifier(
            icon_path=resources.app_icon_path(256),
            fallback=lambda a: self.tray.show_balloon(a.title, a.body, a.tier),
            sound=self.settings.sound_enabled,
            sound_path=resources.sound_path(),
            parent=self,
        )
        self.forwarder = Forwarder.from_specs(getattr(args, "forward", []), environ=os.environ, journal=self.journal,
                                              parent=self)
        # Saved channels join the command line's; Settings → Notifications re-applies them.
        self.channel_store = ChannelStore(self.settings, self.secrets)
        self.forward_channels = ChannelManager(self.channel_store, self.forwarder, parent=self)
        self._channel_problems = self.forward_channels.apply()
        self.heartbeat, self._heartbeat_problem = heartbeat.from_spec(
            getattr(args, "heartbeat_url", None), os.environ, parent=self)
        self.sleep_watch = SleepWatch(parent=self)
        # Never while the demo runs: news of a make-believe account on the trader's phone is noise.
        self.daily_summary = DailySummary(
            lambda: self.registry.risks, lambda: self.registry.demo is None and self.registry.all_live(),
            self.forwarder.forward, lambda name: self.alerts.policy_of(name).bands, parent=self)
        self._quit = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._calculator: CalculatorDialog | None = None
        self._settings_dialog: SettingsDialog | None = None
        self._history_dialog: HistoryDialog | None = None
        self._risk_dialog: RiskHistoryDialog | None = None
        self._chart_live = ChartLiveTrace()
        self.what_if = HeldShock(lambda: account_states(self.accounts), self)
        self._wire()

    @property
    def accounts(self) -> Mapping[str, AccountService]:
        """The running accounts by name (the registry's live view)."""
        return self.registry.accounts

    # -- wiring ---------------------------------------------------------------------------------
    def _wire(self) -> None:
        w = self.window
        w.quit_requested.connect(self.request_quit)
        w.calculator_requested.connect(self.open_calculator)
        w.position_calculator_requested.connect(self.open_calculator)
        w.settings_requested.connect(self.open_settings)
        w.history_requested.connect(self.open_history)
        w.risk_history_requested.connect(self.open_risk_history)
        self.tray.show_requested.connect(self.show_window)
        self.tray.calculator_requested.connect(self.open_calculator)
        self.tray.test_notification_requested.connect(lambda: self._deliver(sample_alert()))
        self.tray.quit_requested.connect(self.request_quit)
        self.alerts.alert_raised.connect(self._deliver)
        self.notifier.delivered.connect(self._on_delivered)
        self.forwarder.channel_state_changed.connect(
            lambda name, state, why: self.window.add_event(time.time(), "info", f"{name}: {state} {why}".strip())
        )
        r = self.registry
        r.account_added.connect(self._on_account_added)
        r.account_removed.connect(self._on_account_removed)
        r.demo_changed.connect(self.window.set_demo_mode)
        r.notice.connect(lambda text: self.window.add_event(time.time(), "info", text))
        self.window.alert_banner.acknowledged.connect(self._acknowledge_all)
        self.tray.acknowledge_requested.connect(self._acknowledge_all)
        self.window.event_log.acknowledge_requested.connect(self._acknowledge)
        self.forward_channels.failing_changed.connect(self._on_channels_failing)
        self.alerts.alert_cleared.connect(self._on_cleared)
        self.sleep_watch.resumed.connect(self._on_resumed)
        w.shock_requested.connect(self.what_if.set_shock)
        self.what_if.shown.connect(self.window.show_shock)
        self.what_if.cleared.connect(self.window.clear_shock)
        self.what_if.service.failed.connect(lambda why: self.window.add_event(
            time.time(), "info", self.tr("The what-if could not be computed: {why}").format(why=why)))
        if self.heartbeat is not None:
            shown = self.tr("Heartbeat {url}").format(url=self.heartbeat.name)
            self.heartbeat.state_changed.connect(
                lambda state, why: self.window.add_event(time.time(), "info", f"{shown}: {state} {why}".strip()))

    def _on_account_added(self, svc: AccountService) -> None:
        self._apply_bands()
        svc.risk_changed.connect(self._on_risk)
        svc.margin_call.connect(self._on_margin_call)
        svc.health_changed.connect(self._on_health)
        svc.log_entry.connect(lambda _acc, kind, text: self.window.add_event(time.time(), kind, text))

    def _on_account_removed(self, name: str) -> None:
        self.alerts.forget_account(name)
        self._conditions.forget_account(name)
        self._show_worst()
        if self.heartbeat is not None:
            self.heartbeat.forget_account(name)
        self.window.remove_account(name)
        self._refresh_tray()

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        spawn(coro, self._tasks)

    # -- lifecycle ------------------------------------------------------------------------------
    async def run(self) -> int:
        self.tray.show()
        if self.journal.problem:
            self.window.add_event(time.time(), "info", self.journal.problem)
        for problem in self.settings.problems:
            self.window.add_event(time.time(), "info", problem)
        self.journal.state_changed.connect(self._on_journal_state)
        for problem in [*self.forwarder.problems, *self._channel_problems, *filter(None, [self._heartbeat_problem])]:
            self.window.add_event(time.time(), "info", problem)
        self.journal.prune(JOURNAL_KEEP_DAYS)
        self._snapshots.start()
        self.risk_history.start()
        self.sleep_watch.start()
        # The exchange starts at once; pyqtgraph (with numpy, a slow import) is imported meanwhile on a
        # worker thread, and the chart is attached (created here, on the GUI thread) when it is in.
        self._spawn(self._attach_chart_when_imported())
        try:
            await self.registry.sync()
        except Exception as exc:
            log.exception("start-up failed")
            self.window.add_event(time.time(), "info", self.tr("Start-up failed: {e}").format(e=exc))
        self.daily_summary.start()
        self.started.emit()
        await self._quit.wait()
        await self._shutdown()
        return 0

    def request_quit(self) -> None:
        self._quit.set()

    def show_window(self) -> None:
        self.window.show()
        self.window.raise_()
        self.window.activateWindow()

    async def _shutdown(self) -> None:
        log.info("shutting down")
        self.window.allow_close()
        self.sleep_watch.stop()
        self.daily_summary.stop()
        if self.heartbeat is not None:
            await self.heartbeat.aclose()  # first: the outside monitor must see the silence
        await self.registry.close()
        await self.forwarder.say_stopped()  # once no account can raise anything after it
        await self.notifier.aclose()
        await self.forwarder.aclose()
        self._snapshots.stop()
        self.what_if.close()
        self.risk_history.stop()
        self.journal.close()
        self.tray.hide()
        self.window.close()

    # -- data flow ------------------------------------------------------------------------------
    async def _attach_chart_when_imported(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, importlib.import_module, "marginwatch.ui.liquidation_chart")
        except Exception:
            log.exception("the chart could not be loaded")
            return
        self._attach_chart()

    def _attach_chart(self) -> None:
        from marginwatch.ui.liquidation_chart import LiquidationChart

        self.window.attach_chart(LiquidationChart())
        for name, risk in self.registry.risks.items():
            self.window.update_account(name, risk, self._tick_sizes(name))
            self._chart_live.observe(self.window, risk)

    def _tick_sizes(self, name: str) -> dict[str, Any]:
        svc = self.accounts.get(name)
        return svc.tick_sizes() if svc is not None else {}

    def _on_risk(self, account: str, risk: AccountRisk) -> None:
        self.window.update_account(account, risk, self._tick_sizes(account))
        self._chart_live.observe(self.window, risk)
        self.alerts.on_risk(account, risk)
        self._conditions.ease(account, risk, self.alerts.policy_of(account).bands)
        self._show_worst()
        self._refresh_tray()
        if self.window.isVisible():
            self.what_if.marks_moved()  # a held what-if follows the live marks

    def _on_margin_call(self, account: str, event: Any) -> None:
        # Journal first: a crash between here and the notification loses nothing. A journal that
        # cannot write must not cost the notification, though: it is said, and the alert goes on.
        try:
            self.journal.record_margin_call_event(account, event)
        except Exception as exc:
            text = self.tr("The journal could not save the margin call on {account} ({error}).")
            self._journal_failed(text.format(account=account, error=exc), exc)
        self.alerts.on_margin_call(account, event)

    def _record_snapshots(self) -> None:
        for account, risk in self.registry.risks.items():
            self.journal.record_snapshot(account, risk)

    def _on_health(self, account: str, health: StreamHealth) -> None:
        self.journal.record_connection(account, health)
        self.window.set_health(account, health)
        self.alerts.on_health(account, health)
        if self.heartbeat is not None:
            self.heartbeat.on_health(account, health)
        self._refresh_tray()

    def _on_resumed(self, from_wall: float, to_wall: float) -> None:
        self._deliver(pause_alert(from_wall, to_wall))
        for svc in self.accounts.values():
            svc.session.request_resync()

    def _on_journal_state(self, state: JournalState) -> None:
        self.window.add_event(time.time(), "info", state.reason)
        if state.degraded:  # History is incomplete until it recovers: say so where it is seen
            text = self.tr("Journal: {reason}").format(reason=state.reason)
            self._conditions.add("journal", "", RiskTier.WARNING, text)
        else:
            self._conditions.remove("journal")
        self._show_worst()

    def _on_cleared(self, cleared: ClearedAlert) -> None:
        self.window.add_event(cleared.created_at, "threshold", cleared.title)
        self.forwarder.clear(cleared)
        for key in cleared.cleared_keys:  # a margin call's condition is over (thresholds ease by risk)
            self._conditions.remove(key)
        self._show_worst()

    def _show_worst(self) -> None:
        changed, worst = self._conditions.new_worst()  # a dismissed banner stays hidden till then
        if changed and worst is None:
            self.window.alert_banner.clear()
        elif changed and worst is not None:
            self.window.show_alert(worst.text, worst.tier)

    def _refresh_tray(self) -> None:
        worst = max((worst_tier([risk], self._bands.of(name)) for name, risk in self.registry.risks.items()),
                    default=RiskTier.UNKNOWN)
        disconnected = not self.registry.all_live()
        tip = f"MarginWatch — {tier_word(worst)}" + (" — " + self.tr("not live") if disconnected else "")
        failing = self.forward_channels.failing_text()
        tip += f"\n{failing}" if failing else ""
        self.tray.set_state(worst, disconnected=disconnected, tooltip=tip)

    # -- alerts ---------------------------------------------------------------------------------
    def _deliver(self, alert: Alert) -> None:
        try:
            alert_id = self.journal.record_alert(alert)
        except Exception as exc:
            self._journal_failed(self._not_saved(alert, exc), exc)
        else:
            if alert_id is None and alert.kind is not AlertKind.TEST:
                return  # already journalled, so already notified (a replay across a restart)
            if alert_id is not None:
                self._alert_ids[alert.dedupe_key] = alert_id
        # An alert that will repeat on the channels can be acknowledged from its event-log entry.
        ack_key = alert.dedupe_key if self.forwarder.channels and forward_kind(alert) in URGENT else ""
        self.window.add_event(alert.created_at, _LOG_KIND[alert.kind], f"{alert.title} — {alert.body}", ack_key)
        if alert.kind in (AlertKind.MARGIN_CALL, AlertKind.THRESHOLD, AlertKind.STREAM_DOWN, AlertKind.STREAM_RESTORED):
            first_line = alert.body.splitlines()[0] if alert.body else ""
            self._conditions.hold(alert, f"{alert.title} — {first_line}" if first_line else alert.title)
            self._show_worst()
        self.notifier.notify(alert)
        self.forwarder.forward(alert)  # after the desktop: channels never delay it

    def _on_delivered(self, alert: Alert, channel: str) -> None:
        alert_id = self._alert_ids.pop(alert.dedupe_key, None)
        if alert_id is not None:
            try:
                self.journal.mark_delivered(alert_id, channel)
            except Exception as exc:
                self._journal_failed(self._not_saved(alert, exc), exc)
        log.info("alert %s delivered via %s: %s", alert.kind.value, channel, alert.title)
        self.alert_delivered.emit(alert, channel)

    def _not_saved(self, alert: Alert, exc: Exception) -> str:
        return self.tr("The journal could not save “{title}” ({error}).").format(title=alert.title, error=exc)

    def _journal_failed(self, message: str, exc: Exception) -> None:
        log.error("journal: %s", message, exc_info=exc)
        self.window.add_event(time.time(), "info", message)

    # -- settings and history ---------------------------------------------------------------------
    def open_settings(self) -> None:
        from marginwatch.ui.settings_dialog import SettingsDialog

        if self._settings_dialog is None:
            dialog = SettingsDialog(self.settings, self.secrets, self.window, channels=self.channel_store)
            dialog.notifications.test_requested.connect(
                lambda cid, url: self._spawn(self._test_channel(cid, url)))
            dialog.notifications.set_failing(self.forward_channels.failing_by_id())
            dialog.test_requested.connect(lambda config, secret: self._spawn(self._test_key(config, secret)))
            dialog.start_at_login_changed.connect(self._on_start_at_login)
            # A saved account may carry a new secret: restart it even when its settings look the same.
            dialog.account_saved.connect(lambda c: self.registry.request_sync(frozenset({c.name})))
            dialog.account_removed.connect(lambda _n: self.registry.request_sync())
            dialog.account_enabled_changed.connect(lambda _n, _on: self.registry.request_sync())
            self._settings_dialog = dialog
        self._settings_dialog.show()
        self._settings_dialog.raise_()

    async def _test_key(self, config: AccountConfig, secret: str) -> None:
        from marginwatch.services.key_checks import check_any_account_key

        result = await check_any_account_key(config, secret)
        if self._settings_dialog is not None:
            self._settings_dialog.show_test_result(result)

    async def _test_channel(self, channel_id: str, url: str) -> None:
        outcome = await self.forward_channels.send_test(channel_id, url)
        if self._settings_dialog is not None:
            self._settings_dialog.notifications.show_test_outcome(channel_id, outcome)

    def _on_channels_failing(self) -> None:
        self.window.set_forwarding_status(self.forward_channels.failing_text())
        self._refresh_tray()
        if self._settings_dialog is not None:
            self._settings_dialog.notifications.set_failing(self.forward_channels.failing_by_id())

    def _acknowledge(self, key: str) -> None:
        """From the event log or History: the user has seen this alert; its repeats stop."""
        stopped = self.forwarder.acknowledge(key)
        self.window.event_log.forget_key(key)
        text = self.tr("Acknowledged: its repeats on the forwarding channels stopped.") if stopped else self.tr(
            "That alert is no longer repeating on any forwarding channel.")
        self.window.add_event(time.time(), "info", text)
        if self._history_dialog is not None:
            self._history_dialog.set_escalating(self.forwarder.escalating())

    def _acknowledge_all(self) -> None:
        for key in self.forwarder.escalating():
            self.window.event_log.forget_key(key)
        self.forwarder.acknowledge_all()

    def _on_start_at_login(self, on: bool) -> None:
        from marginwatch.services import autostart

        message = autostart.set_enabled(on)
        if message and self._settings_dialog is not None:
            self._settings_dialog.show_status(message, error=True)

    def _apply_settings(self, key: str = "") -> None:
        if key == "channels":
            for problem in self.forward_channels.apply():
                self.window.add_event(time.time(), "info", problem)
        policy = self.settings.alert_policy()
        self.alerts.set_policy(policy)
        self._apply_bands()
        if self._risk_dialog is not None:
            self._risk_dialog.chart.set_thresholds(policy.ratio)
            self._risk_dialog.chart.set_distance_bands(float(policy.distance_warning_pct),
                                                       float(policy.distance_danger_pct))
        self.notifier.sound = self.settings.sound_enabled
        self.alerts.funding_alerts = self.settings.funding_alerts

    def _apply_bands(self) -> None:
        """Each account's thresholds, as the alert engine reads them, to the window and the tray."""
        self._bands = self.settings.bands_by_account(self.accounts)
        self.window.set_bands(self._bands)

    def open_history(self) -> None:
        from marginwatch.ui.history_dialog import HistoryDialog

        if self._history_dialog is None:
            self._history_dialog = HistoryDialog(self.journal, self.window)
            self._history_dialog.set_accounts(sorted(self.accounts))
            self._history_dialog.acknowledge_requested.connect(self._acknowledge)
            self._history_dialog.chart_requested.connect(
                lambda account, symbol, at: self.open_risk_history(account, symbol, at=at))
        self._history_dialog.set_escalating(self.forwarder.escalating())
        self._history_dialog.refresh()
        self._history_dialog.show()
        self._history_dialog.raise_()

    def open_risk_history(
        self, account: str = "", symbol: str = "", side: str = "", *, at: float | None = None
    ) -> None:
        """The risk chart: a position's series, the account's, or the first one; at `at` when given."""
        from marginwatch.ui.risk_history_chart import RiskHistoryDialog

        if self._risk_dialog is None:
            self._risk_dialog = RiskHistoryDialog(self.risk_history, self.journal, self.window)
            policy = self.alerts.policy
            self._risk_dialog.chart.set_thresholds(policy.ratio)
            self._risk_dialog.chart.set_distance_bands(float(policy.distance_warning_pct),
                                                       float(policy.distance_danger_pct))
        chart = self._risk_dialog.chart
        if at is not None:
            chart.show_at(account, symbol, at)
        elif account:
            chart.select(account, symbol, side) or chart.select(account)
        else:
            chart.reload_series()
        self._risk_dialog.show()
        self._risk_dialog.raise_()

    # -- calculator -----------------------------------------------------------------------------
    def open_calculator(self, account: str = "", symbol: str = "", side: str = "") -> None:
        from marginwatch.ui.calculator_dialog import CalculatorDialog

        if self._calculator is None:
            self._calculator = CalculatorDialog(self.window)
        dialog = self._calculator
        svc = self.accounts.get(account) if account else next(iter(self.accounts.values()), None)
        if svc is not None:
            state = svc.session.state
            if state.brackets:
                dialog.set_brackets(dict(state.brackets), source="exchange")
            if symbol:
                self._prefill(dialog, account, state, symbol, side)
        # Never exec() inside a qasync task: a modeless show() keeps the loop running.
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def _prefill(self, dialog: CalculatorDialog, account: str, state: AccountState, symbol: str, side: str) -> None:
        from marginwatch.core.position import PositionSide

        position = state.positions().get((symbol, PositionSide(side)))
        if position is None:
            return
        risk = self.registry.risks.get(account)
        others = other_cross_totals(risk, position) if risk is not None else OtherCross(Decimal(0), Decimal(0))
        filters = state.symbol_filters(symbol)
        dialog.prefill_from_position(
            position,
            wallet=position.isolated_wallet if position.is_isolated else state.cross_wallet_balance,
            brackets=state.brackets.get(symbol),
            tick_size=filters.tick_size if filters else None,
            step_size=filters.step_size if filters else None,
            other_maint=others.maint_margin,
            other_upnl=others.unrealized_pnl,
            account=account,
        )
