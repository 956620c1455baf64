"""The positions table: a sortable view over PositionsModel that reports selection and menu requests."""

from __future__ import annotations

from PySide6.QtCore import (
    QItemSelection,
    QModelIndex,
    QPoint,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableView, QWidget

from marginwatch.ui.positions_model import Column, PositionKey, PositionsModel, SortRole

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


class PositionsTable(QTableView):
    """Widget only: knows its model, not the app. Talks through signals."""

    position_selected = Signal(str, str, str)  # account, symbol, position side
    calculator_requested = Signal(str, str, str)

    def __init__(self, model: PositionsModel | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model if model is not None else PositionsModel(self)
        self._proxy = QSortFilterProxyModel(self)
        self._proxy.setSourceModel(self._model)
        self._proxy.setSortRole(SortRole)
        self._proxy.setDynamicSortFilter(True)
        self._quiet = False  # set while selecting on request, so links do not echo back
        self.setModel(self._proxy)
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
        self._on_account_count(self._model.account_count())

    @property
    def positions_model(self) -> PositionsModel:
        return self._model

    @property
    def proxy(self) -> QSortFilterProxyModel:
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
