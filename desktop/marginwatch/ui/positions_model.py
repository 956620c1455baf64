"""Table model of open positions across accounts, updated incrementally.

Rows are keyed by (account, symbol, position side). Each update re-renders the affected rows once
(`position_rows.render_row`) and compares their cells with the shown ones, so views only hear about
cells that look different — never a model reset, which would lose the selection and scroll
position many times per second. The model keeps its rows sorted itself (`sort`), so the table's
view shows it directly, without a proxy.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)

from marginwatch import pacing
from marginwatch.core.account_risk import AccountRisk, PositionRisk
from marginwatch.core.risk_tiers import BandsByAccount, RiskBands, RiskTier
from marginwatch.ui.index_runs import adjacent_runs
from marginwatch.ui.position_rows import (
    ALIGNMENTS,
    COLUMNS,
    MISMATCH_MARK,
    Cell,
    Column,
    PositionKey,
    RowView,
    RowWords,
    changed_runs,
    render_row,
)

AnyIndex = QModelIndex | QPersistentModelIndex

SortRole = Qt.ItemDataRole.UserRole + 1
TierRole = Qt.ItemDataRole.UserRole + 2
KeyRole = Qt.ItemDataRole.UserRole + 3

# Which field of a Cell each role reads.
_CELL_FIELD: dict[int, str] = {
    int(Qt.ItemDataRole.DisplayRole): "text",
    int(Qt.ItemDataRole.TextAlignmentRole): "alignment",
    int(Qt.ItemDataRole.ForegroundRole): "foreground",
    int(Qt.ItemDataRole.BackgroundRole): "background",
    int(Qt.ItemDataRole.ToolTipRole): "tooltip",
    int(SortRole): "sort",
    int(Qt.ItemDataRole.EditRole): "sort",
}
# Rows re-sorted, columns unchanged: views and the headers skip work for the other orientation.
# (PySide's plain emit() takes no arguments; the hint needs the full overload.)
LAYOUT_ARGS = ("QList<QPersistentModelIndex>", "QAbstractItemModel::LayoutChangeHint")
SORT_HINT = QAbstractItemModel.LayoutChangeHint.VerticalSortHint


class PositionsModel(QAbstractTableModel):
    """Positions of every account; fed by `update_account`, read by views through `cell` (the
    table's delegate) and Qt's roles (`data`), both from the same per-row `RowView`."""

    account_count_changed = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[RowView] = []
        self._index: dict[PositionKey, int] = {}
        self._accounts: set[str] = set()
        self._ticks: dict[str, Decimal] = {}
        self._steps: dict[str, Decimal] = {}
        self._bands = BandsByAccount()
        self._stale: dict[PositionKey, PositionRisk] = {}  # figures newer than their row's cells, in order
        self._changes: list[tuple[PositionKey, list[tuple[int, int]]]] = []  # re-rendered, not yet announced
        self._sort_column = -1  # rows in insertion order until a view asks for an order
        self._sort_descending = False
        self._drain_timer = QTimer(self)
        self._drain_timer.setSingleShot(True)
        self._drain_timer.setInterval(0)
        self._drain_timer.timeout.connect(self._drain)
        self._words = RowWords.translated()
        self._headers = [
            self.tr("Account"),
            self.tr("Symbol"),
            self.tr("Side"),
            self.tr("Size"),
            self.tr("Entry"),
            self.tr("Mark"),
            self.tr("Liq. price"),
            self.tr("Distance to liq."),
            self.tr("Margin type"),
            self.tr("Margin ratio"),
            self.tr("Unrealised PnL"),
            self.tr("Next funding"),
            self.tr("ADL"),
            self.tr("Last hour"),
        ]

    # ---- feeding -------------------------------------------------------------------------------

    def update_account(
        self,
        account: str,
        risk: AccountRisk,
        tick_sizes: Mapping[str, Decimal] | None = None,
        step_sizes: Mapping[str, Decimal] | None = None,
    ) -> None:
        """Show `risk`'s open positions for `account`: insert new rows, drop closed ones, refresh the rest.

        Tick/step sizes are remembered per symbol, so they need only be passed when they change.
        Rows whose figures did not change are not re-formatted. A few changed rows are re-rendered
        before this returns (`pacing.INLINE_ROWS`), more on the next turns of the event loop,
        `pacing.RENDER_SLICE_S` per turn (`position_risk` and `chart_rows` give the new figures at
        once; `render_pending` finishes them now).
        """
        # New tick/step sizes change the texts of rows whose figures did not change.
        reformat = _merge(self._ticks, tick_sizes) | _merge(self._steps, step_sizes)
        fresh: dict[PositionKey, PositionRisk] = {}
        for pr in risk.positions:
            if pr.position.is_open:
                fresh[(account, pr.position.symbol, str(pr.position.position_side))] = pr
        self._remove_where(lambda key: key[0] == account and key not in fresh)
        new_rows: list[RowView] = []
        rows, stale = self._rows, self._stale
        for key, pr in fresh.items():
            row = self._index.get(key)
            if row is None:
                new_rows.append(self._render(key, pr))
            elif reformat or stale.get(key, rows[row].risk) != pr:  # same inputs, same cells: skip the formatting
                stale[key] = pr
        if new_rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(new_rows) - 1)
            for offset, new in enumerate(new_rows):
                self._rows.append(new)
                self._index[new.key] = first + offset
            self.endInsertRows()
            self._keep_sorted()
        if len(self._stale) <= pacing.INLINE_ROWS:
            self._drain()
        elif not self._drain_timer.isActive():
            self._drain_timer.start()
        if account not in self._accounts:
            self._accounts.add(account)
            self.account_count_changed.emit(len(self._accounts))

    def remove_account(self, account: str) -> None:
        self._remove_where(lambda key: key[0] == account)
        if account in self._accounts:
            self._accounts.discard(account)
            self.account_count_changed.emit(len(self._accounts))

    def set_bands(self, bands: RiskBands | BandsByAccount) -> None:
        bands = BandsByAccount.of_any(bands)
        if bands == self._bands:
            return
        self._bands = bands
        for row, view in enumerate(self._rows):
            self._stale[view.key] = self._latest(view.key, row)
        self._drain()

    # ---- reading (for views and the container) --------------------------------------------------

    @property
    def bands(self) -> BandsByAccount:
        return self._bands

    def account_count(self) -> int:
        return len(self._accounts)

    def key_at(self, row: int) -> PositionKey:
        return self._rows[row].key

    def tier_at(self, row: int) -> RiskTier:
        return self._rows[row].tier

    def row_of(self, account: str, symbol: str, position_side: str) -> int | None:
        return self._index.get((account, symbol, position_side))

    def cell(self, row: int, col: int) -> Cell | None:
        """The cell as shown; None off the table. What the table's delegate paints and `data` reads."""
        if 0 <= row < len(self._rows) and 0 <= col < COLUMNS:
            return self._rows[row].cells[col]
        return None

    def position_risk(self, account: str, symbol: str, position_side: str) -> PositionRisk | None:
        key = (account, symbol, position_side)
        row = self._index.get(key)
        return None if row is None else self._latest(key, row)

    def chart_keys(self) -> list[PositionKey]:
        """Every row's key, in model order."""
        return [view.key for view in self._rows]

    def chart_rows(self) -> list[tuple[str, PositionRisk]]:
        """(account, PositionRisk) for every row, in model order — what the liquidation chart draws."""
        stale = self._stale
        return [(view.key[0], stale.get(view.key, view.risk)) for view in self._rows]

    # ---- QAbstractTableModel ------------------------------------------------------------------------
    # The view asks rowCount and columnCount on every index() (each painted cell), so both stay a
    # length. flags() is Qt's own (enabled, selectable), answered without a call into Python.

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else COLUMNS

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation is Qt.Orientation.Horizontal and 0 <= section < len(self._headers):
            if role == Qt.ItemDataRole.DisplayRole:
                return self._headers[section]
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return ALIGNMENTS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = index.row()
        cell = self.cell(row, index.column())
        if cell is None:
            return None
        name = _CELL_FIELD.get(role)
        if name is not None:
            return getattr(cell, name)
        if role == TierRole:
            return self._rows[row].tier
        if role == KeyRole:
            return self._rows[row].key
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Keep the rows ordered by `column`'s sort keys from now on (-1: leave them as they are).

        The model orders itself, with one Python key sort (well under 1 ms for 200 rows) after each
        update that moves a row: a sorting proxy would ask data() twice per comparison (~15 ms).
        Views keep their selection: persistent indexes follow their rows (layoutChanged, no reset).
        """
        self._sort_column = column if 0 <= column < COLUMNS else -1
        self._sort_descending = order is Qt.SortOrder.DescendingOrder
        self._keep_sorted()

    def sort_column(self) -> int:
        return self._sort_column

    def sort_order(self) -> Qt.SortOrder:
        return Qt.SortOrder.DescendingOrder if self._sort_descending else Qt.SortOrder.AscendingOrder

    # ---- internals --------------------------------------------------------------------------------

    def _latest(self, key: PositionKey, row: int) -> PositionRisk:
        return self._stale.get(key, self._rows[row].risk)

    def _render(self, key: PositionKey, pr: PositionRisk, old: RowView | None = None) -> RowView:
        symbol = pr.position.symbol
        bands = self._bands.of(key[0])  # the account's own thresholds, as its alerts use
        return render_row(key, pr, self._words, bands, self._ticks.get(symbol), self._steps.get(symbol), old)

    def _remove_where(self, doomed: Callable[[PositionKey], bool]) -> None:
        # Walk backwards so earlier row numbers stay valid; remove contiguous runs in one go.
        row = len(self._rows) - 1
        removed = False
        while row >= 0:
            if not doomed(self._rows[row].key):
                row -= 1
                continue
            last = row
            while row - 1 >= 0 and doomed(self._rows[row - 1].key):
                row -= 1
            self.beginRemoveRows(QModelIndex(), row, last)
            for view in self._rows[row : last + 1]:
                self._stale.pop(view.key, None)
            del self._rows[row : last + 1]
            self.endRemoveRows()
            removed = True
            row -= 1
        if removed:
            self._index = {view.key: i for i, view in enumerate(self._rows)}

    def _keep_sorted(self) -> None:
        column = self._sort_column
        if column < 0 or len(self._rows) < 2:
            return
        # Stable, so equal values keep their current order (no churn between updates).
        ordered = sorted(self._rows, key=lambda view: view.cells[column].sort, reverse=self._sort_descending)
        if all(a is b for a, b in zip(ordered, self._rows, strict=True)):
            return
        self.layoutAboutToBeChanged[LAYOUT_ARGS].emit([], SORT_HINT)  # type: ignore[index]  # PySide's overload
        was = [view.key for view in self._rows]
        self._rows = ordered
        self._index = {view.key: i for i, view in enumerate(ordered)}
        old = self.persistentIndexList()  # few: a view's selection and current cell
        self.changePersistentIndexList(old, [self.index(self._index[was[i.row()]], i.column()) for i in old])
        self.layoutChanged[LAYOUT_ARGS].emit([], SORT_HINT)  # type: ignore[index]  # PySide's overload

    def _drain(self) -> None:
        """Re-render stale rows for up to `pacing.RENDER_SLICE_S` (at least one); the rest next loop turn.

        The change signals of a wide update go out together after its last slice: each batch of
        signals makes the view repaint, so one batch, not one per slice.
        """
        rendered = bool(self._stale)
        self._render_stale(time.perf_counter() + pacing.RENDER_SLICE_S)
        # A wide update is announced in a turn of its own: the repaint (and re-sort) it causes
        # follows that turn, and should not add to a turn that has just spent its render budget.
        if self._stale or (rendered and len(self._changes) > pacing.INLINE_ROWS):
            self._drain_timer.start()
            return
        self._announce_changes()

    def render_pending(self) -> None:
        """Re-render and announce every row whose figures are newer than its cells, now: for a
        window about to be shown, whose first paint should not show older figures."""
        self._drain_timer.stop()
        self._render_stale(None)
        self._announce_changes()

    def _render_stale(self, deadline: float | None) -> None:
        while self._stale:
            key = next(iter(self._stale))
            pr = self._stale.pop(key)
            row = self._index[key]
            old = self._rows[row]
            new = self._rows[row] = self._render(key, pr, old)
            runs = changed_runs(old, new)
            if runs:
                self._changes.append((key, runs))
            if deadline is not None and time.perf_counter() >= deadline:
                return

    def _announce_changes(self) -> None:
        changes, self._changes = self._changes, []
        self._announce(changes)
        if changes:
            self._keep_sorted()  # same turn: the new figures and the new order share one repaint

    def _announce(self, changes: list[tuple[PositionKey, list[tuple[int, int]]]]) -> None:
        """dataChanged per column, for each run of adjacent rows whose cell in it changed (every role:
        a text, a tooltip or a colour may be what changed).

        A view repaints the bounding rectangle of each signal. By row (first to last changed column)
        the unchanged cells between were repainted too (in a calm market, many of them); by cell it
        would be one signal per cell. By column, 200 rows whose marks all moved are one signal.
        """
        rows_by_column: dict[int, list[int]] = {}
        for key, runs in changes:
            row = self._index.get(key)
            if row is None:
                continue  # closed meanwhile
            for first, last in runs:
                for col in range(first, last + 1):
                    rows_by_column.setdefault(col, []).append(row)
        for col in sorted(rows_by_column):
            for first, last in adjacent_runs(sorted(rows_by_column[col])):
                self.dataChanged.emit(self.index(first, col), self.index(last, col))


def _merge(known: dict[str, Decimal], new: Mapping[str, Decimal] | None) -> bool:
    """Remember `new` sizes; True when one of them differs from what was known."""
    if not new:
        return False
    changed = any(known.get(symbol) != size for symbol, size in new.items())
    if changed:
        known.update(new)
    return changed


__all__ = [
    "LAYOUT_ARGS",
    "MISMATCH_MARK",
    "SORT_HINT",
    "Cell",
    "Column",
    "KeyRole",
    "PositionKey",
    "PositionsModel",
    "RowView",
    "SortRole",
    "TierRole",
]
