"""The futures calculator dialog: Binance's five tabs plus the auto-add margin simulation.

A widget only: the container opens it with show() (never exec(): the app runs a qasync loop), may
feed it live brackets and symbol filters, and prefills it from a position. Every keystroke
recomputes every tab through core; the maths is cheap, so there is no debounce.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from marginwatch.core.brackets import BracketTable
from marginwatch.core.brackets_snapshot import load_snapshot
from marginwatch.core.errors import CoreError
from marginwatch.core.position import Direction, Position, PositionSide
from marginwatch.ui.calculator_fields import DEFAULT_MAX_LEVERAGE, CommonInputs, _small
from marginwatch.ui.calculator_table_tabs import AutoAddTab, OpenPriceTab
from marginwatch.ui.calculator_tabs import CalcTab, LiquidationTab, MaxOpenTab, PnlTab, TargetTab

EXCHANGE = "exchange"


def _plain(value: Decimal) -> str:
    """A Decimal as an editable string: 16200.000 -> "16200", never "1.62E+4"."""
    return "0" if value == 0 else format(value.normalize(), "f")


@dataclass(frozen=True, slots=True)
class _Prefill:
    position: Position
    wallet: Decimal
    other_maint: Decimal
    other_upnl: Decimal
    account: str


class CalculatorDialog(QDialog):
    """Non-modal calculator; see the module doc. Tabs are exposed for the container and tests."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Futures calculator"))
        self.setModal(False)
        self.setWindowModality(Qt.WindowModality.NonModal)
        self._live: dict[str, BracketTable] = {}
        try:
            self._snapshot: dict[str, BracketTable] = dict(load_snapshot())
        except (CoreError, OSError):  # a broken bundle must not stop the dialog
            self._snapshot = {}
        self._ticks: dict[str, Decimal] = {}
        self._steps: dict[str, Decimal] = {}
        self._prefill: _Prefill | None = None
        self._bulk = False

        self.origin = QLabel(self.tr("New calculation"))
        self.reset_button = QPushButton(self.tr("Reset"))
        self.reset_button.setToolTip(self.tr("Restore the values from the position (or clear the fields)"))
        self.brackets_label = _small(QLabel())
        header = QHBoxLayout()
        header.addWidget(self.origin, 1)
        header.addWidget(self.brackets_label)
        header.addWidget(self.reset_button)

        self.common = CommonInputs()
        self.pnl_tab = PnlTab()
        self.target_tab = TargetTab()
        self.liquidation_tab = LiquidationTab()
        self.max_open_tab = MaxOpenTab()
        self.open_price_tab = OpenPriceTab()
        self.auto_add_tab = AutoAddTab()
        self.tabs = QTabWidget()
        for tab, title in (
            (self.pnl_tab, self.tr("PnL")),
            (self.target_tab, self.tr("Target Price")),
            (self.liquidation_tab, self.tr("Liquidation Price")),
            (self.max_open_tab, self.tr("Max Open")),
            (self.open_price_tab, self.tr("Open Price")),
            (self.auto_add_tab, self.tr("Auto-Add Margin")),
        ):
            self.tabs.addTab(tab, title)
            tab.changed.connect(self.recompute)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        disclaimer = _small(QLabel(self.tr("Estimates without fees or funding; the exchange's own figures decide.")))
        disclaimer.setEnabled(False)
        footer = QHBoxLayout()
        footer.addWidget(disclaimer, 1)
        footer.addWidget(buttons)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.common)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(footer)
        self.resize(860, 640)

        self.common.changed.connect(self.recompute)
        self.reset_button.clicked.connect(self.reset)
        self._fill_symbols("BTCUSDT")
        self.recompute()

    # ---- feeding (called by the container) ------------------------------------------------------

    def set_brackets(self, tables: Mapping[str, BracketTable], source: str = EXCHANGE) -> None:
        """Bracket tables by symbol; "exchange" ones win over the bundled snapshot."""
        if source == EXCHANGE:
            self._live = dict(tables)
        else:
            self._snapshot = dict(tables)
        self._fill_symbols(self.common.symbol_text())
        self.recompute()

    def set_symbol_info(self, tick_sizes: Mapping[str, Decimal], step_sizes: Mapping[str, Decimal]) -> None:
        """Price tick and quantity step per symbol, used to format the results."""
        self._ticks.update(tick_sizes)
        self._steps.update(step_sizes)
        self.recompute()

    def prefill_from_position(
        self,
        position: Position,
        *,
        wallet: Decimal,
        brackets: BracketTable | None,
        tick_size: Decimal | None = None,
        step_size: Decimal | None = None,
        other_maint: Decimal | int = 0,
        other_upnl: Decimal | int = 0,
        account: str = "",
    ) -> None:
        """Fill every field from `position` (the dialog keeps copies; the position is never changed).

        `wallet`: the isolated margin of an isolated position, else the cross wallet balance;
        other_*: maintenance margin and uPnL of the account's other cross positions.
        """
        sym = position.symbol.upper()
        if brackets is not None:
            self._live[sym] = brackets
        if tick_size is not None:
            self._ticks[sym] = tick_size
        if step_size is not None:
            self._steps[sym] = step_size
        self._prefill = _Prefill(position, Decimal(wallet), Decimal(other_maint), Decimal(other_upnl), account)
        self.reset()

    def reset(self) -> None:
        """Back to the prefill from the position, or to an empty calculation."""
        self._bulk = True
        try:
            for tab in self._tabs():
                tab.reset_fields()
            c = self.common
            p = self._prefill
            if p is None:
                self.origin.setText(self.tr("New calculation"))
                for field, text in ((c.entry, ""), (c.qty, ""), (c.face, "1")):
                    field.clear_untouched(text)
                return
            pos = p.position
            self._fill_symbols(pos.symbol.upper())
            (c.long_button if pos.direction is Direction.LONG else c.short_button).setChecked(True)
            c.contract.setCurrentIndex(c.contract.findData(pos.contract))
            c.margin_type.setCurrentIndex(c.margin_type.findData(pos.margin_type))
            c.position_mode.setCurrentIndex(c.position_mode.findData(pos.position_side is not PositionSide.BOTH))
            c.face.setText(_plain(pos.contract_size))
            c.entry.setText(_plain(pos.entry_price))
            c.qty.setText(_plain(pos.qty))
            c.leverage.set_maximum(self._top_leverage(pos.symbol))
            c.leverage.setValue(pos.leverage)
            wallet = _plain(p.wallet)
            if pos.mark_price > 0:
                self.pnl_tab.exit_price.setText(_plain(pos.mark_price))
            self.liquidation_tab.wallet.setText(wallet)
            if not pos.is_isolated:
                self.liquidation_tab.other_maint.setText(_plain(p.other_maint))
                self.liquidation_tab.other_upnl.setText(_plain(p.other_upnl))
            self.max_open_tab.balance.setText(wallet)
            if pos.is_isolated:
                self.auto_add_tab.margin.setText(wallet)
            side = self.tr("LONG") if pos.direction is Direction.LONG else self.tr("SHORT")
            text = self.tr("From position %1 %2").replace("%1", pos.symbol).replace("%2", side)
            if p.account:
                text += f" ({p.account})"
            self.origin.setText(text)
        finally:
            self._bulk = False
            self.recompute()

    # ---- parts (for the container and tests) ----------------------------------------------------

    def table_for(self, symbol: str) -> BracketTable | None:
        sym = symbol.strip().upper()
        return self._live.get(sym) or self._snapshot.get(sym)

    def brackets_source(self) -> str:
        return self.brackets_label.text()

    def all_tabs(self) -> dict[str, CalcTab]:
        return {
            "pnl": self.pnl_tab,
            "target": self.target_tab,
            "liquidation": self.liquidation_tab,
            "max_open": self.max_open_tab,
            "open_price": self.open_price_tab,
            "auto_add": self.auto_add_tab,
        }

    def results(self, tab: str) -> dict[str, str]:
        return self.all_tabs()[tab].results()

    # ---- internals --------------------------------------------------------------------------------

    def _tabs(self) -> list[CalcTab]:
        return list(self.all_tabs().values())

    def _top_leverage(self, symbol: str) -> int:
        table = self.table_for(symbol)
        if table is None:
            return DEFAULT_MAX_LEVERAGE
        return max(b.initial_leverage for b in table.brackets)

    def _fill_symbols(self, current: str) -> None:
        combo = self.common.symbol
        combo.blockSignals(True)
        combo.clear()
        combo.addItems(sorted(set(self._snapshot) | set(self._live)))
        combo.setEditText(current)
        combo.blockSignals(False)

    def recompute(self) -> None:
        if self._bulk:
            return
        symbol = self.common.symbol_text()
        table = self.table_for(symbol)
        if symbol in self._live:
            self.brackets_label.setText(self.tr("Brackets: exchange (live)"))
            self.brackets_label.setToolTip("")
        elif table is not None:
            self.brackets_label.setText(self.tr("Brackets: bundled snapshot (may be out of date)"))
            # The snapshot's own note is English data; this says the same in the UI language.
            self.brackets_label.setToolTip(
                self.tr(
                    "Illustrative snapshot of the exchange's leverage brackets, for offline use (no exchange "
                    "connected). BTCUSDT follows Binance's historical published table; the other symbols are "
                    "plausible but not live values. Live brackets are always preferred."
                )
            )
        else:
            self.brackets_label.setText(self.tr("Brackets: none for this symbol"))
            self.brackets_label.setToolTip(self.tr("Enter a maintenance margin rate where a tab asks for one."))
        self.common.leverage.set_maximum(self._top_leverage(symbol))
        values = self.common.values(table, self._ticks.get(symbol), self._steps.get(symbol))
        for tab in self._tabs():
            tab.update_from(values)
