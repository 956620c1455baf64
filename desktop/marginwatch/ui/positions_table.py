"""The positions table: a view straight over PositionsModel (which sorts itself) that reports selection and
menu requests."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QModelIndex, QObject, QPersistentModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QBrush, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QMenu,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from marginwatch.ui.positions_model import Column, PositionKey, PositionsModel
from marginwatch.ui.sparklines import RecentSource, SparklineDelegate

AnyIndex = QModelIndex | QPersistentModelIndex
_HAS_DISPLAY = QStyleOptionViewItem.ViewItemFeature.HasDisplay
_TEXT_ROLE = QPalette.ColorRole.Text
_NO_BRUSH = QBrush()

# Starting widths in pixels; users can resize, and the last column stretches.
_WIDTHS = {
    Column.ACCOUNT: 90,
    Column.SYMBOL: 95,
    Column.SIDE: 50,
    Column.SIZE: 65,
    Column.ENTRY: 85,
    Column.MARK: 85,
    Column.LIQ: 95,
    Column.DISTANCE: 130,  # with its tier word, like the ratio
    Column.MARGIN_TYPE: 80,
    Column.MARGIN_RATIO: 130,
    Column.UPNL: 90,
    Column.FUNDING: 120,
    Column.ADL: 70,
    Column.TREND: 90,
}


class _CellDelegate(QStyledItemDelegate):
    """QStyledItemDelegate that fills a cell's style option from the model's `cell` in one call.

    Qt's own initStyleOption asks seven roles per cell, each a call into Python; a repaint of ~200
    visible cells made ~1,300 of them. Same option fields, same painting. The Python side of a
    cell is kept to a few attribute sets (it runs ~100 times per second per repaint of a 20-row
    table): one model call, and `features` from a cache, as PySide's enum flags arithmetic (`|=`)
    costs more than the rest of the method.
    """

    def __init__(self, model: PositionsModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._with_display: dict[QStyleOptionViewItem.ViewItemFeature, QStyleOptionViewItem.ViewItemFeature] = {}

    def initStyleOption(self, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        cell = self._model.cell(index.row(), index.column())
        option.index = index  # type: ignore[assignment]
        if cell is None:
            option.displayAlignment = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
            option.backgroundBrush = _NO_BRUSH
            option.styleObject = None  # type: ignore[assignment]  # the stub says QObject; Qt takes None
            return
        text, alignment, foreground, background, _tooltip, _sort = cell
        option.displayAlignment = alignment
        features = option.features
        with_display = self._with_display.get(features)
        if with_display is None:
            with_display = self._with_display[features] = features | _HAS_DISPLAY
        option.features = with_display
        option.text = text
        if foreground is not None:
            palette = option.palette
            palette.setBrush(_TEXT_ROLE, foreground)
            option.palette = palette
        option.backgroundBrush = background if background is not None else _NO_BRUSH
        option.styleObject = None  # type: ignore[assignment]  # as Qt's: no style animations inside item views


class PositionsTable(QTableView):
    """Widget only: knows its model, not the app. Talks through signals."""

    position_selected = Signal(str, str, str)  # account, symbol, position side
    calculator_requested = Signal(str, str, str)
    risk_history_requested = Signal(str, str, str)  # account, symbol, position side

    def __init__(self, model: PositionsModel | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model if model is not None else PositionsModel(self)
        self._quiet = False  # set while selecting on request, so links do not echo back
        self.setModel(self._model)
        self.setItemDelegate(_CellDelegate(self._model, self))
        self._sparklines = SparklineDelegate(self._model.key_at, self._model.tier_at, self)
        self.setItemDelegateForColumn(Column.TREND, self._sparklines)
        self.doubleClicked.connect(self._on_double_clicked)
        self.setSortingEnabled(True)
        self.sortByColumn(Column.DISTANCE, Qt.SortOrder.AscendingOrder)  # nearest to liquidation first
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in _WIDTHS.items():
            self.setColumnWidth(column, width)
        # The line beside the ratio it draws, where it is seen without scrolling; funding and ADL after.
        header.moveSection(header.visualIndex(Column.TREND), header.visualIndex(Column.MARGIN_RATIO) + 1)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._show_context_menu)
        self.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self._model.account_count_changed.connect(self._on_account_count)
        # After a re-sort, lay the rows out in the same turn (connected after the view's own slot,
        # which schedules it for a later turn): one repaint for the new figures and order, not two.
        self._model.layoutChanged.connect(self.executeDelayedItemsLayout)
        self._on_account_count(self._model.account_count())

    @property
    def positions_model(self) -> PositionsModel:
        return self._model

    @property
    def sparklines(self) -> SparklineDelegate:
        return self._sparklines

    def set_sparkline_source(self, recent: RecentSource | None) -> None:
        self._sparklines.set_source(recent)
        self.refresh_sparklines()

    def refresh_sparklines(self) -> None:
        """After a new sample: rebuild the lines once, repainting only their column."""
        self._sparklines.invalidate()
        x = self.columnViewportPosition(Column.TREND)
        if x >= 0:
            self.viewport().update(x, 0, self.columnWidth(Column.TREND), self.viewport().height())

    def _on_double_clicked(self, index: QModelIndex) -> None:
        if index.isValid() and index.column() == Column.TREND:
            self.risk_history_requested.emit(*self._model.key_at(index.row()))

    def selected_key(self) -> PositionKey | None:
        rows = self.selectionModel().selectedRows()
        if not rows:
            return None
        return self._model.key_at(rows[0].row())

    def select_position(self, account: str, symbol: str, position_side: str) -> bool:
        """Select and reveal a row without emitting `position_selected`; False when it is not shown."""
        row = self._model.row_of(account, symbol, position_side)
        if row is None:
            return False
        index = self._model.index(row, 0)
        self._quiet = True
        try:
            self.selectRow(index.row())
            self.scrollTo(index)
        finally:
            self._quiet = False
        return True

    def context_menu_for(self, index: QModelIndex) -> QMenu | None:
        """The menu for an index; None off the rows. Kept separate so tests need not exec it."""
        if not index.isValid():
            return None
        key = self._model.key_at(index.row())
        menu = QMenu(self)
        action = menu.addAction(self.tr("Open calculator…"))
        action.triggered.connect(lambda: self.calculator_requested.emit(*key))
        history = menu.addAction(self.tr("Risk history…"))
        history.triggered.connect(lambda: self.risk_history_requested.emit(*key))
        return menu

    def _show_context_menu(self, pos: QPoint) -> None:
        menu = self.context_menu_for(self.indexAt(pos))
        if menu is not None:
            menu.exec(self.viewport().mapToGlobal(pos))
            menu.deleteLater()

    def _on_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        if self._quiet:
            return
        key = self.selected_key()
        if key is not None:
            self.position_selected.emit(*key)

    def _on_account_count(self, count: int) -> None:
        self.setColumnHidden(Column.ACCOUNT, count <= 1)
