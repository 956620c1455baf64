"""The what-if panel: move one symbol, the alts or every mark by X % and see what the account becomes.

A widget: it says which shock the user wants (`shock_changed`) and shows the results it is given
(`show_results`); the container computes them off the GUI thread (services.what_if). A slider step
does no risk maths here: it builds a `Shock` and emits it.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSlider,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from marginwatch.core.price_shock import Shock
from marginwatch.core.risk_tiers import BandsByAccount, RiskBands
from marginwatch.services.what_if import ShockResults
from marginwatch.ui.position_rows import TIER_BRUSHES
from marginwatch.ui.what_if_rows import ResultRow, result_rows, summary

AnyIndex = QModelIndex | QPersistentModelIndex
SLIDER_STEPS_PER_PCT = 10  # the slider moves in 0.1 % steps
SLIDER_RANGE_PCT = 50
ALL, ALTS = "", "\u0001alts"  # the scope box's data for every mark and for all but BTCUSDT
BTC = "BTCUSDT"
_STATUS = 5  # the column coloured by the shocked tier
_WIDTHS = (170, 75, 230, 90, 95, 105)  # starting widths; the last column stretches


class ShockResultsModel(QAbstractTableModel):
    """Every position after the shock, first to be liquidated first; texts made when a view asks."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ResultRow] = []
        self._texts: dict[int, tuple[str, ...]] = {}
        self._many = False
        self._headers = [self.tr("Position"), self.tr("Its move"), self.tr("Liq. price now → shocked"),
                         self.tr("Distance"), self.tr("Margin ratio"), self.tr("Then"),
                         self.tr("Liquidated from")]  # fmt: skip

    def set_rows(self, rows: list[ResultRow]) -> None:
        # A reset: the view asks again only for the rows it shows (a few dozen of 200).
        self.beginResetModel()
        self._rows = rows
        self._texts = {}
        self._many = len({r.account for r in rows}) > 1
        self.endResetModel()

    def rows(self) -> list[ResultRow]:
        return list(self._rows)

    def text(self, row: int, col: int) -> str:
        texts = self._texts.get(row)
        if texts is None:
            texts = self._texts[row] = self._rows[row].texts(self._many)
        return texts[col]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row, col = index.row(), index.column()
        if not (0 <= row < len(self._rows)):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(row, col)
        if col == _STATUS and role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole):
            fg, bg = TIER_BRUSHES[self._rows[row].tier]
            return bg if role == Qt.ItemDataRole.BackgroundRole else fg
        return None


class WhatIfPanel(QWidget):
    shock_changed = Signal(object)  # Shock, or None at 0 % (nothing to show)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bands = BandsByAccount()
        self._symbols: tuple[str, ...] = ()
        self._scope = QComboBox(self)
        self._scope.setToolTip(self.tr("Which marks move"))
        self._slider = QSlider(Qt.Orientation.Horizontal, self)
        self._slider.setRange(-SLIDER_RANGE_PCT * SLIDER_STEPS_PER_PCT, SLIDER_RANGE_PCT * SLIDER_STEPS_PER_PCT)
        self._slider.setToolTip(self.tr("Drag to move the marks down (left) or up (right)"))
        self._move = QDoubleSpinBox(self)
        self._move.setRange(-99.99, 1000.0)
        self._move.setDecimals(2)
        self._move.setSuffix(" %")
        self._move.setToolTip(self.tr("The move, exactly (negative: down)"))
        self._beta = QDoubleSpinBox(self)
        self._beta.setRange(0.0, 10.0)
        self._beta.setDecimals(2)
        self._beta.setSingleStep(0.1)
        self._beta.setValue(1.0)
        self._beta.setPrefix("× ")
        self._beta.setToolTip(self.tr("Alts (every symbol but BTCUSDT) move this many times the move"))
        self._reset = QPushButton(self.tr("Back to now"), self)
        self._summary = QLabel(self.tr("Move the marks to see what a price shock would do."), self)
        self._summary.setWordWrap(True)
        self._model = ShockResultsModel(self)
        self._view = QTableView(self)
        self._view.setModel(self._model)
        self._view.verticalHeader().setVisible(False)
        self._view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self._view.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate(_WIDTHS):
            self._view.setColumnWidth(column, width)

        controls = QHBoxLayout()
        controls.addWidget(QLabel(self.tr("What if"), self))
        controls.addWidget(self._scope)
        controls.addWidget(self._slider, 1)
        controls.addWidget(self._move)
        controls.addWidget(QLabel(self.tr("Alts"), self))
        controls.addWidget(self._beta)
        controls.addWidget(self._reset)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self._summary)
        layout.addWidget(self._view, 1)
        self._fill_scope()

        self._slider.valueChanged.connect(self._on_slider)
        self._move.valueChanged.connect(self._on_exact)
        self._scope.currentIndexChanged.connect(lambda _i: self._emit())
        self._beta.valueChanged.connect(lambda _v: self._emit())
        self._reset.clicked.connect(lambda: self._move.setValue(0.0))

    # ---- feeding ----------------------------------------------------------------------------------

    def set_symbols(self, symbols: Iterable[str]) -> None:
        """The held symbols the scope box offers; the chosen one is kept while it is held."""
        held = tuple(sorted(set(symbols)))
        if held == self._symbols:
            return
        self._symbols = held
        chosen = self._scope.currentData()
        self._scope.blockSignals(True)
        self._fill_scope()
        at = self._scope.findData(chosen)
        self._scope.setCurrentIndex(max(at, 0))
        self._scope.blockSignals(False)
        if at < 0 and chosen not in (None, ALL):
            self._emit()  # the symbol it moved is gone: every mark now

    def set_bands(self, bands: RiskBands | BandsByAccount) -> None:
        self._bands = BandsByAccount.of_any(bands)

    def show_results(self, shock: Shock, results: ShockResults) -> list[ResultRow]:
        """Show a computed shock (it may be older than the controls while the slider moves)."""
        rows = result_rows(results, self._bands)
        self._model.set_rows(rows)
        self._summary.setText(summary(shock, rows))
        return rows

    def clear_results(self) -> None:
        self._model.set_rows([])
        self._summary.setText(self.tr("Move the marks to see what a price shock would do."))

    # ---- reading ------------------------------------------------------------------------------------

    def shock(self) -> Shock | None:
        """The shock the controls ask for; None at 0 %."""
        pct = Decimal(str(round(self._move.value(), 2)))
        if pct == 0:
            return None
        scope = self._scope.currentData()
        betas: dict[str, Decimal] = {}
        beta = Decimal(str(round(self._beta.value(), 2)))
        if beta != 1:
            betas = {s: beta for s in self._symbols if s != BTC}
        if scope == ALTS:
            return Shock(pct, frozenset(s for s in self._symbols if s != BTC), betas)
        if scope and scope != ALL:
            return Shock(pct, frozenset({scope}), betas)
        return Shock(pct, None, betas)

    @property
    def results_model(self) -> ShockResultsModel:
        return self._model

    @property
    def slider(self) -> QSlider:
        return self._slider

    @property
    def move_field(self) -> QDoubleSpinBox:
        return self._move

    @property
    def scope_box(self) -> QComboBox:
        return self._scope

    @property
    def beta_field(self) -> QDoubleSpinBox:
        return self._beta

    def summary_text(self) -> str:
        return self._summary.text()

    # ---- internals ----------------------------------------------------------------------------------

    def _fill_scope(self) -> None:
        self._scope.clear()
        self._scope.addItem(self.tr("Every mark"), ALL)
        self._scope.addItem(self.tr("Alts (all but BTCUSDT)"), ALTS)
        for symbol in self._symbols:
            self._scope.addItem(symbol, symbol)

    def _on_slider(self, value: int) -> None:
        pct = value / SLIDER_STEPS_PER_PCT
        if round(self._move.value(), 2) != pct:
            self._move.setValue(pct)  # emits through _on_exact

    def _on_exact(self, value: float) -> None:
        steps = round(value * SLIDER_STEPS_PER_PCT)
        self._slider.blockSignals(True)  # the slider follows the field, clamped to its range
        self._slider.setValue(steps)
        self._slider.blockSignals(False)
        self._emit()

    def _emit(self) -> None:
        self.shock_changed.emit(self.shock())
