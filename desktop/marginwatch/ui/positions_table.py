"""The positions table: a sortable view over PositionsModel that reports selection and menu requests."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QItemSelection,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
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

from marginwatch.ui.positions_model import (
    LAYOUT_ARGS,
    NO_FLAGS,
    ROW_FLAGS,
    SORT_HINT,
    Column,
    PositionKey,
    PositionsModel,
    SortRole,
)

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
    Column.DISTANCE: 110,
    Column.MARGIN_TYPE: 80,
    Column.MARGIN_RATIO: 130,
    Column.UPNL: 90,
}


class PositionsSortProxy(QSortFilterProxyModel):
    """The table's sorting proxy: sort requests (header clicks) go to the PositionsModel, which keeps
    its own rows in order (`PositionsModel.sort`); this proxy shows them in that order.

    Qt's own (dynamic) sorting would re-place changed rows on every dataChanged and ask the Python
    model for two values per comparison: ~6-15 ms for an update of 200 rows, in one turn; the
    model's key sort takes well under 1 ms.

    A re-sort reaches the view as a layout change with `VerticalSortHint`, which Qt's proxy would
    drop: the headers then rebuild their sections (the hidden Account column, the stretched last
    column), and the table repaints a second time. So the proxy's own layout signals are sent
    here, with the hint, around its internal handling of the model's.
    """

    def __init__(self, model: PositionsModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._forwarding = False
        # Connected before setSourceModel: runs before the proxy's own handler, as Qt's order is
        # "announce to the views, then store the persistent indexes".
        model.layoutAboutToBeChanged[LAYOUT_ARGS].connect(self._on_source_layout_about_to_change)
        self.setSortRole(SortRole)
        self.setDynamicSortFilter(False)
        self.setSourceModel(model)
        model.layoutChanged[LAYOUT_ARGS].connect(self._on_source_layout_changed)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._model.sort(column, order)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # This proxy never sorts or filters by itself, so its rows are the model's rows. Going
        # straight to the model saves two calls back into Python per cell and role (Qt's mapping
        # asks the model for rowCount and columnCount): a table repaint makes ~1,300 data() calls.
        return self._model.cell_data(index.row(), index.column(), role)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        # Same reason (Qt's would map the index through Python first); the model's answer, inlined.
        return ROW_FLAGS if index.isValid() else NO_FLAGS

    def sortColumn(self) -> int:
        return self._model.sort_column()

    def sortOrder(self) -> Qt.SortOrder:
        return self._model.sort_order()

    def _on_source_layout_about_to_change(self, _parents: object, hint: object) -> None:
        if hint is not SORT_HINT:
            return
        self.layoutAboutToBeChanged[LAYOUT_ARGS].emit([], SORT_HINT)
        self._forwarding = True
        self.blockSignals(True)  # the proxy's own, hint-less announcement stays inside

    def _on_source_layout_changed(self, _parents: object, hint: object) -> None:
        if not self._forwarding:
            return
        self._forwarding = False
        self.blockSignals(False)
        self.layoutChanged[LAYOUT_ARGS].emit([], SORT_HINT)


class _CellDelegate(QStyledItemDelegate):
    """QStyledItemDelegate that fills a cell's style option from the model in one call.

    Qt's own initStyleOption asks seven roles per cell, each a call into Python through the proxy;
    a repaint of ~200 visible cells made ~1,300 of them. Same option fields, same painting. The
    Python side of a cell is kept to a few attribute sets (it runs ~100 times per second per
    repaint of a 20-row table): one model call, and `features` from a cache, as PySide's enum
    flags arithmetic (`|=`) costs more than the rest of the method.
    """

    def __init__(self, model: PositionsModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._with_display: dict[QStyleOptionViewItem.ViewItemFeature, QStyleOptionViewItem.ViewItemFeature] = {}

    def initStyleOption(self, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        # The proxy's rows are the model's rows.
        text, alignment, foreground, background = self._model.cell_paint(index.row(), index.column())
        option.index = index  # type: ignore[assignment]
        option.displayAlignment = alignment
        if text is not None:
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
        option.styleObject = None  # as Qt's: no style animations inside item views


class PositionsTable(QTableView):
    """Widget only: knows its model, not the app. Talks through signals."""

    position_selected = Signal(str, str, str)  # account, symbol, position side
    calculator_requested = Signal(str, str, str)

    def __init__(self, model: PositionsModel | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model if model is not None else PositionsModel(self)
        self._proxy = PositionsSortProxy(self._model, self)
        self._quiet = False  # set while selecting on request, so links do not echo back
        self.setModel(self._proxy)
        self.setItemDelegate(_CellDelegate(self._model, self))
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
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._show_context_menu)
        self.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self._model.account_count_changed.connect(self._on_account_count)
        # After a re-sort, lay the rows out in the same turn (connected after the view's own slot,
        # which schedules it for a later turn): one repaint for the new figures and order, not two.
        self._proxy.layoutChanged.connect(self.executeDelayedItemsLayout)
        self._on_account_count(self._model.account_count())

    @property
    def positions_model(self) -> PositionsModel:
        return self._model

    @property
    def proxy(self) -> PositionsSortProxy:
        return self._proxy

    def selected_key(self) -> PositionKey | None:
        rows = self.selectionModel().selectedRows()
        if not rows:
            return None
        return self._model.key_at(self._proxy.mapToSource(rows[0]).row())

    def select_position(self, account: str, symbol: str, position_side: str) -> bool:
        """Select and reveal a row without emitting `position_selected`; False when it is not shown."""
        row = self._model.row_of(account, symbol, position_side)
        if row is None:
            return False
        index = self._proxy.mapFromSource(self._model.index(row, 0))
        if not index.isValid():
            return False
        self._quiet = True
        try:
            self.selectRow(index.row())
            self.scrollTo(index)
        finally:
            self._quiet = False
        return True

    def context_menu_for(self, index: QModelIndex) -> QMenu | None:
        """The menu for a (proxy) index; None off the rows. Kept separate so tests need not exec it."""
        if not index.isValid():
            return None
        key = self._model.key_at(self._proxy.mapToSource(index).row())
        menu = QMenu(self)
        action = menu.addAction(self.tr("Open calculator…"))
        action.triggered.connect(lambda: self.calculator_requested.emit(*key))
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
