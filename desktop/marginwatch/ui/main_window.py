"""The main window: summary and banners on top, positions table and chart in the middle, event log below.

A widget in FeelUOwn's sense: it never talks to the network or the services. The container feeds it
through the methods below and listens to its signals; it decides what quitting, the calculator and
closing to tray mean.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QHideEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QSplitter, QVBoxLayout, QWidget

from marginwatch.core.account_risk import AccountRisk
from marginwatch.core.price_shock import Shock
from marginwatch.core.risk_tiers import BandsByAccount, RiskBands, RiskTier
from marginwatch.core.stream_health import StreamHealth
from marginwatch.services.what_if import ShockResults
from marginwatch.ui.account_summary import AccountSummary
from marginwatch.ui.alert_banner import AlertBanner, DemoBanner
from marginwatch.ui.event_log import EventLog
from marginwatch.ui.positions_model import PositionsModel
from marginwatch.ui.positions_table import PositionsTable
from marginwatch.ui.sparklines import RecentSource
from marginwatch.ui.what_if_panel import WhatIfPanel
from marginwatch.ui.what_if_rows import ChartGhost, ghosts

if TYPE_CHECKING:  # the chart module pulls in pyqtgraph; the container builds it after first paint
    from marginwatch.ui.liquidation_chart import LiquidationChart


class MainWindow(QMainWindow):
    quit_requested = Signal()
    calculator_requested = Signal()  # Tools → Calculator…, no position
    position_calculator_requested = Signal(str, str, str)  # table menu: account, symbol, side
    position_selected = Signal(str, str, str)  # from the table or the chart
    hidden_to_tray = Signal()  # the close button hid the window
    settings_requested = Signal()  # File → Settings…
    history_requested = Signal()  # Tools → History…
    risk_history_requested = Signal(str, str, str)  # Tools → Risk history… ('' ''), or a table row's menu
    alert_dismissed = Signal()
    shock_requested = Signal(object)  # the what-if panel's Shock, or None back at 0 %

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("MarginWatch"))
        self.resize(1280, 780)
        self._close_allowed = False
        self._bands = BandsByAccount()
        self._chart: LiquidationChart | None = None
        self._ghosts: dict[tuple[str, str, str], ChartGhost] = {}
        self._about: QMessageBox | None = None
        # Hidden to the tray (or minimised, or started there): nobody sees the table, summary or
        # chart, so each account's latest figures wait here and are shown when the window opens
        # (alerts and the tray icon still follow every snapshot: they are fed by the container).
        self._in_tray = False
        self._pending: dict[str, tuple[AccountRisk, Mapping[str, Decimal] | None, Mapping[str, Decimal] | None]] = {}

        self._model = PositionsModel(self)
        self._table = PositionsTable(self._model)
        self._summary = AccountSummary()
        self._log = EventLog()
        self._alert = AlertBanner()
        self._demo = DemoBanner()
        self._what_if = WhatIfPanel()
        self._placeholder = QLabel(self.tr("Chart loading…"))
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._placeholder.setEnabled(False)  # greyed: it is only a stand-in

        self._middle = QSplitter(Qt.Orientation.Horizontal)
        self._middle.addWidget(self._table)
        self._middle.addWidget(self._placeholder)
        self._middle.setStretchFactor(0, 3)
        self._middle.setStretchFactor(1, 2)
        self._middle.setSizes([950, 330])  # the chart keeps this share when it replaces the placeholder
        self._vertical = QSplitter(Qt.Orientation.Vertical)
        self._vertical.addWidget(self._middle)
        self._vertical.addWidget(self._what_if)
        self._vertical.addWidget(self._log)
        self._vertical.setStretchFactor(0, 4)
        self._vertical.setStretchFactor(1, 2)
        self._vertical.setStretchFactor(2, 1)
        self._vertical.setSizes([430, 180, 110])

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self._demo)
        layout.addWidget(self._alert)
        layout.addWidget(self._summary)
        layout.addWidget(self._vertical, 1)
        self.setCentralWidget(central)
        self._forwarding_status = QLabel()
        self._forwarding_status.setStyleSheet("color: #a15c00;")
        self.statusBar().addPermanentWidget(self._forwarding_status, 1)
        self.statusBar().setVisible(False)
        self._build_actions()

        self._table.position_selected.connect(self._on_table_selected)
        self._table.calculator_requested.connect(self.position_calculator_requested)
        self._table.risk_history_requested.connect(self.risk_history_requested)
        self._alert.dismissed.connect(self.alert_dismissed)
        self._what_if.shock_changed.connect(self.shock_requested)

    # ---- feeding (called by the container) ------------------------------------------------------

    def update_account(
        self,
        account: str,
        risk: AccountRisk,
        tick_sizes: Mapping[str, Decimal] | None = None,
        step_sizes: Mapping[str, Decimal] | None = None,
    ) -> None:
        """One call updates the table, the summary and the (throttled) chart; while the window is
        in the tray only the latest figures are kept (re-formatting rows nobody sees was half
        of the app's idle CPU there)."""
        if self._in_tray:
            self._pending[account] = (risk, tick_sizes, step_sizes)
            return
        self._model.update_account(account, risk, tick_sizes, step_sizes)
        self._summary.set_account_risk(account, risk)
        self._what_if.set_symbols(key[1] for key in self._model.chart_keys())
        self._feed_chart()

    def start_in_tray(self) -> None:
        """The window starts hidden (`--minimised`): hold updates until it is first shown."""
        self._in_tray = True

    def remove_account(self, account: str) -> None:
        self._pending.pop(account, None)
        self._model.remove_account(account)
        self._summary.remove_account(account)
        self._feed_chart()

    def set_bands(self, bands: RiskBands | BandsByAccount) -> None:
        """The thresholds every position's tier is read with (per account), in the table, the chart
        and the what-if panel alike."""
        bands = self._bands = BandsByAccount.of_any(bands)
        self._model.set_bands(bands)
        self._summary.set_thresholds(bands)
        self._what_if.set_bands(bands)
        self._table.sparklines.set_warning(float(bands.default.ratio.warning))
        if self._chart is not None:
            self._chart.set_bands(bands)

    def set_sparkline_source(self, recent: RecentSource) -> None:
        """Where the table's "Last hour" lines come from: a position key -> its samples, oldest first."""
        self._table.set_sparkline_source(recent)

    def refresh_sparklines(self) -> None:
        """A new sample was taken: redraw the lines (only their column repaints)."""
        self._table.refresh_sparklines()

    def show_shock(self, shock: Shock, results: ShockResults) -> None:
        """A computed what-if shock: in the panel's table and summary, and as ghosts on the chart."""
        self._ghosts = ghosts(self._what_if.show_results(shock, results))
        if self._chart is not None:
            self._chart.set_ghosts(self._ghosts)

    def clear_shock(self) -> None:
        self._ghosts = {}
        self._what_if.clear_results()
        if self._chart is not None:
            self._chart.set_ghosts(None)

    def set_health(self, account: str, health: StreamHealth) -> None:
        self._summary.set_health(account, health)

    def add_event(self, timestamp: float, kind: str, text: str, key: str = "") -> None:
        self._log.add_entry(timestamp, kind, text, key)

    def set_forwarding_status(self, text: str) -> None:
        """A forwarding channel that keeps failing, in the status bar ("" when none is)."""
        self._forwarding_status.setText(text)
        self._forwarding_status.setToolTip(text)
        self.statusBar().setVisible(bool(text))  # no empty bar under the log while all is well

    @property
    def forwarding_status(self) -> str:
        return self._forwarding_status.text() if self.statusBar().isVisibleTo(self) else ""

    def show_alert(self, text: str, tier: RiskTier) -> None:
        self._alert.show_alert(text, tier)

    def set_demo_mode(self, on: bool) -> None:
        self._demo.set_demo(on)

    def attach_chart(self, chart: LiquidationChart) -> None:
        """Put the chart in place of its placeholder and link it with the table."""
        if self._chart is not None:
            raise RuntimeError("a chart is already attached")
        self._chart = chart
        self._middle.replaceWidget(1, chart)
        self._placeholder.deleteLater()
        chart.set_bands(self._bands)
        chart.set_ghosts(self._ghosts)
        chart.position_selected.connect(self._on_chart_selected)
        selected = self._table.selected_key()
        if selected is not None:
            chart.highlight(*selected)
        self._feed_chart()

    def allow_close(self) -> None:
        """Let the next close really close (the container calls this when quitting)."""
        self._close_allowed = True

    # ---- parts (for the container and tests) -------------------------------------------------------

    @property
    def positions_model(self) -> PositionsModel:
        return self._model

    @property
    def positions_table(self) -> PositionsTable:
        return self._table

    @property
    def account_summary(self) -> AccountSummary:
        return self._summary

    @property
    def event_log(self) -> EventLog:
        return self._log

    @property
    def alert_banner(self) -> AlertBanner:
        return self._alert

    @property
    def what_if(self) -> WhatIfPanel:
        return self._what_if

    @property
    def demo_banner(self) -> DemoBanner:
        return self._demo

    @property
    def chart(self) -> LiquidationChart | None:
        return self._chart

    @property
    def calculator_action(self) -> QAction:
        return self._calculator_action

    @property
    def quit_action(self) -> QAction:
        return self._quit_action

    # ---- Qt ---------------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        # Before the first paint: the window opens on the latest figures, not stale ones (every
        # held row re-rendered now, not over the next loop turns as a live update would be).
        self._in_tray = False
        pending, self._pending = self._pending, {}
        for account, (risk, ticks, steps) in pending.items():
            self.update_account(account, risk, ticks, steps)
        if pending:
            self._model.render_pending()
            if self._chart is not None:
                self._chart.flush()
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._in_tray = True  # closed to the tray, or minimised (a spontaneous hide)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._close_allowed:
            event.accept()
            return
        # Monitoring goes on in the tray; closing the window must not stop it.
        event.ignore()
        self.hide()
        self.hidden_to_tray.emit()

    # ---- internals --------------------------------------------------------------------------------

    def _build_actions(self) -> None:
        self._quit_action = QAction(self.tr("&Quit"), self)
        self._quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self._quit_action.triggered.connect(self.quit_requested)
        self._calculator_action = QAction(self.tr("&Calculator…"), self)
        self._calculator_action.setShortcut(QKeySequence("Ctrl+K"))
        self._calculator_action.setToolTip(self.tr("Open the futures calculator (Ctrl+K)"))
        self._calculator_action.triggered.connect(self.calculator_requested)
        self._about_action = QAction(self.tr("&About MarginWatch"), self)
        self._about_action.triggered.connect(self.show_about)
        self._settings_action = QAction(self.tr("&Settings…"), self)
        self._settings_action.setShortcut(QKeySequence.StandardKey.Preferences)
        self._settings_action.triggered.connect(self.settings_requested)
        self._history_action = QAction(self.tr("&History…"), self)
        self._history_action.setShortcut(QKeySequence("Ctrl+H"))
        self._history_action.setToolTip(self.tr("Margin calls, alerts and connection changes kept in the journal"))
        self._history_action.triggered.connect(self.history_requested)
        self._risk_history_action = QAction(self.tr("&Risk history…"), self)
        self._risk_history_action.setShortcut(QKeySequence("Ctrl+R"))
        self._risk_history_action.setToolTip(self.tr("Margin ratio and distance to liquidation over time"))
        self._risk_history_action.triggered.connect(lambda: self.risk_history_requested.emit("", "", ""))

        menus = self.menuBar()
        file_menu = menus.addMenu(self.tr("&File"))
        file_menu.addAction(self._settings_action)
        file_menu.addSeparator()
        file_menu.addAction(self._quit_action)
        tools = menus.addMenu(self.tr("&Tools"))
        tools.addAction(self._calculator_action)
        tools.addAction(self._history_action)
        tools.addAction(self._risk_history_action)
        menus.addMenu(self.tr("&Help")).addAction(self._about_action)
        toolbar = self.addToolBar(self.tr("Main"))
        toolbar.setObjectName("mainToolBar")
        toolbar.setMovable(False)
        toolbar.addAction(self._calculator_action)
        toolbar.addAction(self._history_action)
        toolbar.addAction(self._risk_history_action)
        toolbar.addAction(self._settings_action)

    def show_about(self) -> None:
        # Window-modal and non-blocking, so monitoring keeps running while it is open.
        if self._about is None:
            self._about = QMessageBox(self)
            self._about.setWindowTitle(self.tr("About MarginWatch"))
            self._about.setText(
                self.tr(
                    "MarginWatch watches Binance USDⓈ-M futures positions and warns before liquidation.\n"
                    "Figures are estimates; the exchange's own figures decide."
                )
            )
        self._about.open()

    def _feed_chart(self) -> None:
        if self._chart is not None:
            self._chart.set_data(self._model.chart_rows())

    def _on_table_selected(self, account: str, symbol: str, position_side: str) -> None:
        if self._chart is not None:
            self._chart.highlight(account, symbol, position_side)
        self.position_selected.emit(account, symbol, position_side)

    def _on_chart_selected(self, account: str, symbol: str, position_side: str) -> None:
        self._table.select_position(account, symbol, position_side)
        self.position_selected.emit(account, symbol, position_side)
