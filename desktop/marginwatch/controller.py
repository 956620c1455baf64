"""The app container: owns the services, feeds the widgets, routes alerts. Widgets never see it.

Order of start-up matters for how fast the user sees something: the window is already painted
when `run()` starts; the chart (pyqtgraph) and the exchange (aiohttp, the simulator in demo mode)
come in right after.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import sys
import time
from collections.abc import Coroutine
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

from marginwatch import resources
from marginwatch.core.account_risk import AccountRisk
from marginwatch.core.risk_tiers import RiskTier
from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.services.alert import Alert, AlertKind, sample_alert
from marginwatch.services.alert_engine import AlertEngine
from marginwatch.services.forwarding import Forwarder
from marginwatch.services.journal import Journal
from marginwatch.services.notifier import Notifier
from marginwatch.services.secret_store import SecretStore, SecretStoreError
from marginwatch.services.settings import AccountConfig, Settings
from marginwatch.ui.main_window import MainWindow
from marginwatch.ui.tier_style import tier_word
from marginwatch.ui.tray_icon import TrayIcon

log = logging.getLogger(__name__)

SHUTDOWN_TIMEOUT_S = 5.0
SNAPSHOT_INTERVAL_MS = 60_000
JOURNAL_KEEP_DAYS = 30
_LOG_KIND = {
    AlertKind.MARGIN_CALL: "margin_call",
    AlertKind.THRESHOLD: "threshold",
    AlertKind.STREAM_DOWN: "connection",
    AlertKind.STREAM_RESTORED: "connection",
    AlertKind.TEST: "info",
}


class AppController(QObject):
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
    ) -> None:
        super().__init__()
        self._app = app
        self.window = window
        self._args = args
        self.settings = settings or Settings()
        self.journal = journal or Journal.open()
        self.secrets = secrets or SecretStore()  # one instance: it also holds run-only secrets
        self._alert_ids: dict[str, int] = {}
        self._snapshots = QTimer(self)
        self._snapshots.setInterval(SNAPSHOT_INTERVAL_MS)
        self._snapshots.timeout.connect(self._record_snapshots)
        policy = self.settings.alert_policy()
        self.alerts = AlertEngine(policy, policy_for=self.settings.alert_policy, parent=self)
        self.settings.changed.connect(self._apply_settings)
        window.set_thresholds(policy.ratio)
        window.set_distance_bands(float(policy.distance_warning_pct), float(policy.distance_danger_pct))
        self.tray = TrayIcon(self)
        self.notifier = Notifier(
            icon_path=resources.app_icon_path(256),
            fallback=lambda a: self.tray.show_balloon(a.title, a.body, a.tier),
            sound=self.settings.sound_enabled(),
            sound_path=resources.sound_path(),
            parent=self,
        )
        self.forwarder = Forwarder.from_specs(getattr(args, "forward", []), environ=os.environ, journal=self.journal,
                                              parent=self)
        self.accounts: dict[str, Any] = {}  # name -> AccountService
        self._risks: dict[str, AccountRisk] = {}
        self._demo: Any = None
        self._quit = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._calculator: Any = None
        self._settings_dialog: Any = None
        self._configs: dict[str, AccountConfig] = {}  # what each running real account was started with
        self._accounts_lock = asyncio.Lock()
        self._history_dialog: Any = None
        self._trace_startup = os.environ.get("MARGINWATCH_TRACE_STARTUP") == "1"
        self._wire()

    # -- wiring ---------------------------------------------------------------------------------
    def _wire(self) -> None:
        w = self.window
        w.quit_requested.connect(self.request_quit)
        w.calculator_requested.connect(self.open_calculator)
        w.position_calculator_requested.connect(self.open_calculator)
        w.settings_requested.connect(self.open_settings)
        w.history_requested.connect(self.open_history)
        self.tray.show_requested.connect(self.show_window)
        self.tray.calculator_requested.connect(self.open_calculator)
        self.tray.test_notification_requested.connect(lambda: self._deliver(sample_alert()))
        self.tray.quit_requested.connect(self.request_quit)
        self.alerts.alert_raised.connect(self._deliver)
        self.notifier.delivered.connect(self._on_delivered)
        self.forwarder.channel_state_changed.connect(
            lambda name, state, why: self.window.add_event(time.time(), "info", f"{name}: {state} {why}".strip())
        )

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_event_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- lifecycle ------------------------------------------------------------------------------
    async def run(self) -> int:
        self.tray.show()
        if self.journal.problem:
            self.window.add_event(time.time(), "info", self.journal.problem)
        self.journal.state_changed.connect(lambda state: self.window.add_event(time.time(), "info", state.reason))
        for problem in self.forwarder.problems:
            self.window.add_event(time.time(), "info", problem)
        self.journal.prune(JOURNAL_KEEP_DAYS)
        self._snapshots.start()
        # The exchange starts at once; pyqtgraph (+numpy, ~0.35 s) is imported meanwhile on a
        # worker thread, and the chart is attached (created here, on the GUI thread) when it is in.
        self._spawn(self._attach_chart_when_imported())
        try:
            await self._start_accounts()
        except Exception as exc:
            log.exception("start-up failed")
            self.window.add_event(time.time(), "info", self.tr("Start-up failed: {e}").format(e=exc))
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

    async def _start_accounts(self) -> None:
        await self._sync_accounts()

    async def _sync_accounts(self, restart: frozenset[str] = frozenset()) -> None:
        """Bring the running accounts in line with settings: stop what went, start what came.

        `--demo` runs only the demo; otherwise the demo runs exactly while no account is enabled.
        """
        from marginwatch.services.account_service import AccountService
        from marginwatch.services.demo import DEMO_ACCOUNT, DemoExchange

        async with self._accounts_lock:
            configs = {} if self._args.demo else {a.name: a for a in self.settings.accounts() if a.enabled}
            want_demo = not configs
            for name in list(self.accounts):
                if name == DEMO_ACCOUNT and self._demo is not None:
                    keep = want_demo
                else:
                    keep = name in configs and name not in restart and self._configs.get(name) == configs[name]
                if not keep:
                    await self._remove_account(name)
            if self._demo is not None and not want_demo:
                await self._demo.stop()
                self._demo = None
                self.window.set_demo_mode(False)
            started = []
            if want_demo and self._demo is None:
                self._demo = DemoExchange(scenario=self._args.scenario, speed=self._args.speed)
                endpoints = await self._demo.start()
                self.window.set_demo_mode(True)
                started.append(AccountService(DEMO_ACCOUNT, endpoints, self._demo.credentials, parent=self))
            for name, config in configs.items():
                if name not in self.accounts:
                    svc = self._real_account(config)
                    if svc is not None:
                        self._configs[name] = config
                        started.append(svc)
            for svc in started:
                self._add_account(svc)
            await asyncio.gather(*(svc.start() for svc in started))

    async def _remove_account(self, name: str) -> None:
        svc = self.accounts.pop(name)
        self._configs.pop(name, None)
        svc.risk_changed.disconnect(self._on_risk)
        svc.margin_call.disconnect(self._on_margin_call)
        svc.health_changed.disconnect(self._on_health)
        try:
            await asyncio.wait_for(svc.stop(), SHUTDOWN_TIMEOUT_S)
        except TimeoutError:
            log.warning("account %s did not stop within %ss", name, SHUTDOWN_TIMEOUT_S)
        self._risks.pop(name, None)
        self.alerts.forget_account(name)
        self.window.remove_account(name)
        svc.deleteLater()

    def _real_account(self, config: AccountConfig) -> Any:
        """An AccountService for a configured account, its secret from the OS keychain."""
        from marginwatch.services.account_service import AccountService
        from marginwatch.services.key_check import credentials_for, endpoints_for

        try:
            secret = self.secrets.load(config.name)
        except SecretStoreError as exc:
            secret = None
            self.window.add_event(time.time(), "info", str(exc))
        if not secret:
            self.window.add_event(
                time.time(), "info",
                self.tr("{name}: no secret in the keychain; add it in Settings → Accounts.").format(name=config.name),
            )
            return None
        try:
            endpoints = endpoints_for(config)
            credentials = credentials_for(config, secret)
        except ValueError as exc:
            self.window.add_event(time.time(), "info", f"{config.name}: {exc}")
            return None
        for value in (config.api_key, secret):  # masked in every journalled text, should one echo them
            self.journal.add_redaction(value)
        return AccountService(config.name, endpoints, credentials, parent=self)

    def _add_account(self, svc: Any) -> None:
        self.accounts[svc.name] = svc
        svc.risk_changed.connect(self._on_risk)
        svc.margin_call.connect(self._on_margin_call)
        svc.health_changed.connect(self._on_health)
        svc.log_entry.connect(lambda _acc, kind, text: self.window.add_event(time.time(), kind, text))

    async def _shutdown(self) -> None:
        log.info("shutting down")
        self.window.allow_close()
        stops = [svc.stop() for svc in self.accounts.values()]
        try:
            await asyncio.wait_for(asyncio.gather(*stops, return_exceptions=True), SHUTDOWN_TIMEOUT_S)
        except TimeoutError:
            log.warning("accounts did not stop within %ss", SHUTDOWN_TIMEOUT_S)
        if self._demo is not None:
            await self._demo.stop()
        await self.notifier.aclose()
        await self.forwarder.aclose()
        self._snapshots.stop()
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
        for name, risk in self._risks.items():
            self.window.update_account(name, risk, self._tick_sizes(name))
            self._trace_chart_live(risk)

    def _trace_chart_live(self, risk: AccountRisk) -> None:
        if self._trace_startup and self.window.chart is not None and risk.positions:
            self._trace_startup = False  # bench/cold_start.py: the chart now has live data
            print(f"startup chart_live {time.time():.6f}", file=sys.stderr, flush=True)

    def _tick_sizes(self, name: str) -> dict[str, Any]:
        svc = self.accounts.get(name)
        return svc.tick_sizes() if svc is not None else {}

    def _on_risk(self, account: str, risk: AccountRisk) -> None:
        self._risks[account] = risk
        self.window.update_account(account, risk, self._tick_sizes(account))
        self._trace_chart_live(risk)
        self.alerts.on_risk(account, risk)
        self._refresh_tray()

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
        for account, risk in self._risks.items():
            self.journal.record_snapshot(account, risk)

    def _on_health(self, account: str, health: StreamHealth) -> None:
        self.journal.record_connection(account, health)
        self.window.set_health(account, health)
        self.alerts.on_health(account, health)
        self._refresh_tray()

    def _refresh_tray(self) -> None:
        thresholds = self.alerts.policy.ratio
        worst = RiskTier.UNKNOWN
        for risk in self._risks.values():
            worst = max(worst, thresholds.tier_for_ratio(risk.margin_ratio))
            for p in risk.positions:
                worst = max(worst, thresholds.tier_for_ratio(p.margin_ratio))
        disconnected = not self.accounts or any(
            h.state is not StreamState.LIVE for svc in self.accounts.values() for h in svc.health.values()
        )
        tip = f"MarginWatch — {tier_word(worst)}" + (" — " + self.tr("not live") if disconnected else "")
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
        self.window.add_event(alert.created_at, _LOG_KIND[alert.kind], f"{alert.title} — {alert.body}")
        if alert.kind in (AlertKind.MARGIN_CALL, AlertKind.THRESHOLD, AlertKind.STREAM_DOWN):
            first_line = alert.body.splitlines()[0] if alert.body else ""
            self.window.show_alert(f"{alert.title} — {first_line}" if first_line else alert.title, alert.tier)
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
            dialog = SettingsDialog(self.settings, self.secrets, self.window)
            dialog.test_requested.connect(lambda config, secret: self._spawn(self._test_key(config, secret)))
            dialog.start_at_login_changed.connect(self._on_start_at_login)
            # A saved account may carry a new secret: restart it even when its settings look the same.
            dialog.account_saved.connect(lambda c: self._spawn(self._sync_accounts(frozenset({c.name}))))
            dialog.account_removed.connect(lambda _n: self._spawn(self._sync_accounts()))
            dialog.account_enabled_changed.connect(lambda _n, _on: self._spawn(self._sync_accounts()))
            self._settings_dialog = dialog
        self._settings_dialog.show()
        self._settings_dialog.raise_()

    async def _test_key(self, config: AccountConfig, secret: str) -> None:
        from marginwatch.services.key_check import check_account_key

        result = await check_account_key(config, secret)
        if self._settings_dialog is not None:
            self._settings_dialog.show_test_result(result)

    def _on_start_at_login(self, on: bool) -> None:
        from marginwatch.services import autostart

        message = autostart.set_enabled(on)
        if message and self._settings_dialog is not None:
            self._settings_dialog.show_status(message, error=True)

    def _apply_settings(self) -> None:
        policy = self.settings.alert_policy()
        self.alerts.set_policy(policy)
        self.window.set_thresholds(policy.ratio)
        self.window.set_distance_bands(float(policy.distance_warning_pct), float(policy.distance_danger_pct))
        self.notifier.sound = self.settings.sound_enabled()

    def open_history(self) -> None:
        from marginwatch.ui.history_dialog import HistoryDialog

        if self._history_dialog is None:
            self._history_dialog = HistoryDialog(self.journal, self.window)
            self._history_dialog.set_accounts(sorted(self.accounts))
        self._history_dialog.refresh()
        self._history_dialog.show()
        self._history_dialog.raise_()

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

    def _prefill(self, dialog: Any, account: str, state: Any, symbol: str, side: str) -> None:
        from marginwatch.core.position import MarginType, PositionSide

        position = state.positions().get((symbol, PositionSide(side)))
        if position is None:
            return
        risk = self._risks.get(account)
        other_maint = other_upnl = Decimal(0)
        if risk is not None and position.margin_type is MarginType.CROSS:
            for p in risk.positions:
                if p.position.symbol != symbol and p.position.margin_type is MarginType.CROSS:
                    other_maint += p.maint_margin or 0
                    other_upnl += p.unrealized_pnl
        filters = state.symbol_filters(symbol)
        dialog.prefill_from_position(
            position,
            wallet=position.isolated_wallet if position.is_isolated else state.cross_wallet_balance,
            brackets=state.brackets.get(symbol),
            tick_size=filters.tick_size if filters else None,
            step_size=filters.step_size if filters else None,
            other_maint=other_maint,
            other_upnl=other_upnl,
            account=account,
        )
