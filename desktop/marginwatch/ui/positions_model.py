"""Table model of open positions across accounts, updated incrementally.

Rows are keyed by (account, symbol, position side). Each update re-renders the affected rows'
texts once and compares them with the cached ones, so views only hear about cells whose shown
value changed — never a model reset, which would lose the selection and scroll position many
times per second.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
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
from PySide6.QtGui import QBrush

from marginwatch.core.account_risk import AccountRisk, PositionRisk
from marginwatch.core.position import ContractKind, Direction, MarginType
from marginwatch.core.risk_tiers import RiskTier, TierThresholds
from marginwatch.ui.formatting import (
    DASH,
    format_decimal,
    format_fraction_as_percent,
    format_percent,
    format_price,
    format_quantity,
    to_float,
)
from marginwatch.ui.index_runs import adjacent_runs
from marginwatch.ui.tier_style import TIER_COLOURS, tier_suffix, tier_word

PositionKey = tuple[str, str, str]  # (account, symbol, position side)
AnyIndex = QModelIndex | QPersistentModelIndex

SortRole = Qt.ItemDataRole.UserRole + 1
TierRole = Qt.ItemDataRole.UserRole + 2
KeyRole = Qt.ItemDataRole.UserRole + 3

MISMATCH_MARK = "≠"
_INF = float("inf")
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


class Column(IntEnum):
    ACCOUNT = 0
    SYMBOL = 1
    SIDE = 2
    SIZE = 3
    ENTRY = 4
    MARK = 5
    LIQ = 6
    DISTANCE = 7
    MARGIN_TYPE = 8
    MARGIN_RATIO = 9
    UPNL = 10


_NUMERIC = frozenset(
    {Column.SIZE, Column.ENTRY, Column.MARK, Column.LIQ, Column.DISTANCE, Column.MARGIN_RATIO, Column.UPNL}
)
_ALIGN = [_RIGHT if c in _NUMERIC else _LEFT for c in Column]
ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable  # every cell's flags
NO_FLAGS = Qt.ItemFlag.NoItemFlags
_RATIO_COLUMN = int(Column.MARGIN_RATIO)
_SIDE, _SIZE, _ENTRY, _LIQ = int(Column.SIDE), int(Column.SIZE), int(Column.ENTRY), int(Column.LIQ)
_K_TEXT, _K_SORT, _K_TIP, _K_ALIGN, _K_TIER, _K_KEY, _K_BACKGROUND, _K_FOREGROUND = range(8)
_ROLE_KIND: dict[int, int] = {
    int(Qt.ItemDataRole.DisplayRole): _K_TEXT,
    int(SortRole): _K_SORT,
    int(Qt.ItemDataRole.EditRole): _K_SORT,
    int(Qt.ItemDataRole.ToolTipRole): _K_TIP,
    int(Qt.ItemDataRole.TextAlignmentRole): _K_ALIGN,
    int(TierRole): _K_TIER,
    int(KeyRole): _K_KEY,
    int(Qt.ItemDataRole.BackgroundRole): _K_BACKGROUND,
    int(Qt.ItemDataRole.ForegroundRole): _K_FOREGROUND,
}
# (foreground, background) brushes of the ratio cell per tier, made once: the table paints each cell.
_TIER_BRUSHES: dict[RiskTier, tuple[QBrush | None, QBrush | None]] = {
    tier: (None if fg is None else QBrush(fg), None if bg is None else QBrush(bg))
    for tier, (bg, fg) in TIER_COLOURS.items()
}
_NO_CELL: tuple[str | None, Qt.AlignmentFlag, QBrush | None, QBrush | None] = (None, _LEFT, None, None)
# Rows re-sorted, columns unchanged: views and the headers skip work for the other orientation.
# (PySide's plain emit() takes no arguments; the hint needs the full overload.)
LAYOUT_ARGS = ("QList<QPersistentModelIndex>", "QAbstractItemModel::LayoutChangeHint")
SORT_HINT = QAbstractItemModel.LayoutChangeHint.VerticalSortHint
_COLUMNS = len(Column)  # Enum.__len__ is slow, and Qt asks for the column count on every index()
# GUI-thread time spent re-rendering rows per turn of the event loop. Formatting a row and letting
# the sorting proxy place it costs ~60-100 µs; 200 rows at once held the GUI thread for ~25 ms
# (a visible stall). The rest of a wide update finishes on the next turns (QTimer 0), so input
# and paints interleave. A time budget, not a row count: a paint follows each turn.
_CHUNK_BUDGET_S = 0.006
# Up to this many changed rows are re-rendered before update_account returns; a wider update is
# all deferred, so the caller's own work (the risk computation) and ours are separate stalls.
_INLINE_ROWS = 8


@dataclass(slots=True)
class _Row:
    key: PositionKey
    risk: PositionRisk
    texts: list[str]
    sorts: list[float | str]
    tooltips: list[str | None]
    tier: RiskTier
    held: tuple[object, ...] = ()  # what the size and entry texts were made from


class PositionsModel(QAbstractTableModel):
    """Positions of every account; fed by `update_account`, read by views through Qt roles."""

    # Number of accounts fed so far; views hide the Account column while it is <= 1.
    account_count_changed = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[_Row] = []
        self._index: dict[PositionKey, int] = {}
        self._accounts: set[str] = set()
        self._ticks: dict[str, Decimal] = {}
        self._steps: dict[str, Decimal] = {}
        self._thresholds = TierThresholds()
        self._stale: dict[PositionKey, None] = {}  # rows whose risk is newer than their texts, in order
        self._changes: list[tuple[PositionKey, list[tuple[int, int]]]] = []  # re-rendered, not yet announced
        self._sort_column = -1  # rows in insertion order until a view asks for an order
        self._sort_descending = False
        self._drain_timer = QTimer(self)
        self._drain_timer.setSingleShot(True)
        self._drain_timer.setInterval(0)
        self._drain_timer.timeout.connect(self._drain)
        # Translated once: _render runs for every row several times a second.
        self._long, self._short = self.tr("Long"), self.tr("Short")
        self._cross, self._isolated = self.tr("Cross"), self.tr("Isolated")
        self._side_tip = self.tr("Position side: {0}")
        self._side_words = {"LONG": self.tr("LONG"), "SHORT": self.tr("SHORT"), "BOTH": self.tr("BOTH")}
        self._cross_ratio_tip = self.tr("Cross account's margin ratio (maintenance margin / margin balance): {0}")
        self._isolated_ratio_tip = self.tr("This isolated position's margin ratio: {0}")
        self._ratio_tips: dict[tuple[bool, RiskTier], str] = {}  # (cross, tier) -> tooltip
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
        before this returns, more on the next turns of the event loop, `_CHUNK_BUDGET_S` per turn
        (`position_risk` and `chart_rows` give the new figures at once).
        """
        # New tick/step sizes change the texts of rows whose figures did not change.
        reformat = _merge(self._ticks, tick_sizes) | _merge(self._steps, step_sizes)
        fresh: dict[PositionKey, PositionRisk] = {}
        for pr in risk.positions:
            if pr.position.is_open:
                fresh[(account, pr.position.symbol, str(pr.position.position_side))] = pr
        self._remove_where(lambda key: key[0] == account and key not in fresh)
        new_rows: list[_Row] = []
        for key, pr in fresh.items():
            row = self._index.get(key)
            if row is None:
                new_rows.append(self._render(key, pr))
            else:
                entry = self._rows[row]
                if reformat or entry.risk != pr:  # same inputs, same texts: skip the formatting
                    entry.risk = pr
                    self._stale[key] = None
        if new_rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(new_rows) - 1)
            for offset, new in enumerate(new_rows):
                self._rows.append(new)
                self._index[new.key] = first + offset
            self.endInsertRows()
            self._keep_sorted()
        if len(self._stale) <= _INLINE_ROWS:
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

    def set_thresholds(self, thresholds: TierThresholds) -> None:
        if thresholds == self._thresholds:
            return
        self._thresholds = thresholds
        for entry in self._rows:
            self._stale[entry.key] = None
        self._drain()

    # ---- reading (for views and the container) --------------------------------------------------

    @property
    def thresholds(self) -> TierThresholds:
        return self._thresholds

    def account_count(self) -> int:
        return len(self._accounts)

    def key_at(self, row: int) -> PositionKey:
        return self._rows[row].key

    def row_of(self, account: str, symbol: str, position_side: str) -> int | None:
        return self._index.get((account, symbol, position_side))

    def position_risk(self, account: str, symbol: str, position_side: str) -> PositionRisk | None:
        row = self._index.get((account, symbol, position_side))
        return None if row is None else self._rows[row].risk

    def chart_rows(self) -> list[tuple[str, PositionRisk]]:
        """(account, PositionRisk) for every row, in model order — what the liquidation chart draws."""
        return [(entry.key[0], entry.risk) for entry in self._rows]

    # ---- QAbstractTableModel ------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else _COLUMNS

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation is Qt.Orientation.Horizontal and 0 <= section < len(self._headers):
            if role == Qt.ItemDataRole.DisplayRole:
                return self._headers[section]
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return _ALIGN[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        return self.cell_data(index.row(), index.column(), role)

    def cell_data(self, row: int, col: int, role: int) -> Any:
        """data() by row and column (-1 for an invalid index): what the table's proxy calls."""
        # Called ~10,000 times per second while the table paints: plain ints, no enums.
        kind = _ROLE_KIND.get(role)
        if kind is None:
            return None
        if row < 0 or row >= len(self._rows) or col < 0 or col >= _COLUMNS:
            return None
        entry = self._rows[row]
        if kind == _K_TEXT:
            return entry.texts[col]
        if kind == _K_SORT:
            return entry.sorts[col]
        if kind == _K_TIP:
            return entry.tooltips[col]
        if kind == _K_ALIGN:
            return _ALIGN[col]
        if kind == _K_TIER:
            return entry.tier
        if kind == _K_KEY:
            return entry.key
        if col == _RATIO_COLUMN:
            background, foreground = TIER_COLOURS[entry.tier]
            colour = background if kind == _K_BACKGROUND else foreground
            if colour is not None:
                return QBrush(colour)
        return None

    def cell_paint(self, row: int, col: int) -> tuple[str | None, Qt.AlignmentFlag, QBrush | None, QBrush | None]:
        """(text, alignment, foreground, background) of a cell in one call: what the table's delegate
        paints. The same values as data() for those roles; one Python call per painted cell, not four."""
        if 0 <= row < len(self._rows) and 0 <= col < _COLUMNS:
            entry = self._rows[row]
            if col == _RATIO_COLUMN:
                foreground, background = _TIER_BRUSHES[entry.tier]
                return entry.texts[col], _ALIGN[col], foreground, background
            return entry.texts[col], _ALIGN[col], None, None
        return _NO_CELL

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        return ROW_FLAGS if index.isValid() else NO_FLAGS

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Keep the rows ordered by `column`'s SortRole values from now on (-1: leave them as they are).

        The model orders itself, with one Python key sort (well under 1 ms for 200 rows) after each
        update that moves a row: a sorting proxy would ask data() twice per comparison (~15 ms).
        Views keep their selection: persistent indexes follow their rows (layoutChanged, no reset).
        """
        self._sort_column = column if 0 <= column < _COLUMNS else -1
        self._sort_descending = order is Qt.SortOrder.DescendingOrder
        self._keep_sorted()

    def sort_column(self) -> int:
        return self._sort_column

    def sort_order(self) -> Qt.SortOrder:
        return Qt.SortOrder.DescendingOrder if self._sort_descending else Qt.SortOrder.AscendingOrder

    # ---- internals --------------------------------------------------------------------------------

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
            del self._rows[row : last + 1]
            self.endRemoveRows()
            removed = True
            row -= 1
        if removed:
            self._index = {entry.key: i for i, entry in enumerate(self._rows)}

    def _keep_sorted(self) -> None:
        column = self._sort_column
        if column < 0 or len(self._rows) < 2:
            return
        # Stable, so equal values keep their current order (no churn between updates).
        ordered = sorted(self._rows, key=lambda entry: entry.sorts[column], reverse=self._sort_descending)
        if all(a is b for a, b in zip(ordered, self._rows, strict=True)):
            return
        self.layoutAboutToBeChanged[LAYOUT_ARGS].emit([], SORT_HINT)
        was = [entry.key for entry in self._rows]
        self._rows = ordered
        self._index = {entry.key: i for i, entry in enumerate(ordered)}
        old = self.persistentIndexList()  # few: a view's selection and current cell, a proxy's own
        self.changePersistentIndexList(old, [self.index(self._index[was[i.row()]], i.column()) for i in old])
        self.layoutChanged[LAYOUT_ARGS].emit([], SORT_HINT)

    def _drain(self) -> None:
        """Re-render stale rows for up to `_CHUNK_BUDGET_S` (at least one); the rest next loop turn.

        The change signals of a wide update go out together after its last slice: each batch of
        signals makes the view repaint (~2,500 calls into data()), so one batch, not one per slice.
        """
        deadline = time.perf_counter() + _CHUNK_BUDGET_S
        rendered = bool(self._stale)
        while self._stale:
            key = next(iter(self._stale))
            del self._stale[key]
            row = self._index.get(key)
            if row is not None:  # closed meanwhile
                self._refresh(row, self._rows[row].risk)
                if time.perf_counter() >= deadline:
                    break
        # A wide update is announced in a turn of its own: the repaint (and re-sort) it causes
        # follows that turn, and should not add to a turn that has just spent its render budget.
        if self._stale or (rendered and len(self._changes) > _INLINE_ROWS):
            self._drain_timer.start()
            return
        changes, self._changes = self._changes, []
        self._announce(changes)
        if changes:
            self._keep_sorted()  # same turn: the new figures and the new order share one repaint

    def _announce(self, changes: list[tuple[PositionKey, list[tuple[int, int]]]]) -> None:
        """dataChanged per column, for each run of adjacent rows whose cell in it changed.

        A view repaints the bounding rectangle of each signal, and each signal costs a pass through
        the proxy (~7 µs). By row (first to last changed column) the unchanged cells between were
        repainted too (~25 µs each: in a calm market about a third of a 20-row update); by cell it
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

    def _refresh(self, row: int, pr: PositionRisk) -> None:
        old = self._rows[row]
        new = self._render(old.key, pr, old)
        self._rows[row] = new
        runs = _changed_runs(old, new)
        if runs:
            self._changes.append((old.key, runs))

    def _render(self, key: PositionKey, pr: PositionRisk, old: _Row | None = None) -> _Row:
        """The row's texts; those of an `old` rendering whose inputs are unchanged are reused (a
        calm update moves the mark-driven figures of every row every second, not the size or entry)."""
        pos = pr.position
        tick = self._ticks.get(pos.symbol)
        step = self._steps.get(pos.symbol)
        held = (pos.qty, pos.entry_price, tick, step)
        if old is not None and old.held == held:
            size_text, entry_text = old.texts[_SIZE], old.texts[_ENTRY]
            size_sort, entry_sort = old.sorts[_SIZE], old.sorts[_ENTRY]
            side_tip = old.tooltips[_SIDE]
        else:
            size_text, entry_text = format_quantity(pos.qty, step), format_price(pos.entry_price, tick)
            size_sort, entry_sort = float(pos.qty), float(pos.entry_price)
            side_tip = self._side_tip.format(self._side_words.get(key[2], key[2]))
        tier = self._thresholds.tier_for_ratio(pr.margin_ratio)
        is_long = pos.direction is Direction.LONG
        side_text = self._long if is_long else self._short
        margin_text = self._cross if pos.margin_type is MarginType.CROSS else self._isolated
        pnl_places = 2 if pos.contract is ContractKind.LINEAR else 6
        liq_text = format_price(pr.liquidation_price, tick)
        liq_tip = self._liq_tooltip(pr, tick)
        if liq_tip is not None:
            liq_text = f"{liq_text} {MISMATCH_MARK}"
        ratio_text = format_fraction_as_percent(pr.margin_ratio)
        if ratio_text != DASH:
            ratio_text += tier_suffix(tier)
        is_cross = pos.margin_type is MarginType.CROSS
        ratio_tip = self._ratio_tips.get((is_cross, tier))
        if ratio_tip is None:
            ratio_tip = self._ratio_tips[(is_cross, tier)] = (
                self._cross_ratio_tip if is_cross else self._isolated_ratio_tip
            ).format(tier_word(tier))
        texts = [
            key[0],
            pos.symbol,
            side_text,
            size_text,
            entry_text,
            format_price(pos.mark_price, tick),
            liq_text,
            format_percent(pr.distance_pct),
            margin_text,
            ratio_text,
            format_decimal(pr.unrealized_pnl, pnl_places, signed=True),
        ]
        sorts: list[float | str] = [
            key[0],
            pos.symbol,
            side_text,
            size_sort,
            entry_sort,
            float(pos.mark_price),
            to_float(pr.liquidation_price, _INF),
            to_float(pr.distance_pct, _INF),  # no liquidation price sorts as "furthest away"
            margin_text,
            to_float(pr.margin_ratio, -1.0),
            float(pr.unrealized_pnl),
        ]
        tooltips: list[str | None] = [None] * _COLUMNS
        tooltips[_SIDE] = side_tip
        tooltips[_LIQ] = liq_tip
        tooltips[_RATIO_COLUMN] = ratio_tip
        return _Row(key, pr, texts, sorts, tooltips, tier, held)

    def _liq_tooltip(self, pr: PositionRisk, tick: Decimal | None) -> str | None:
        """A note when the exchange's liquidation price and ours, both from the last snapshot's
        marks and wallet, differ by more than one tick. (The live figure is not compared: a cross
        position's moves with every other mark, so it drifts from a snapshot's without any
        disagreement.)"""
        pos = pr.position
        theirs = pos.exchange_liquidation_price
        if theirs is None:
            return None  # the exchange has not told us (streams do not carry it)
        ours = pos.liquidation_price_at_snapshot
        ours_known = ours is not None and ours.is_finite() and ours > 0
        theirs_known = theirs.is_finite() and theirs > 0
        if not ours_known and not theirs_known:
            return None
        if ours_known and theirs_known:
            assert ours is not None
            tolerance = tick if tick is not None and tick > 0 else abs(ours) * Decimal("0.0001")
            if abs(ours - theirs) <= tolerance:
                return None
        text = self.tr("Exchange's liquidation price at the last snapshot: {0}; ours from the same prices: {1}")
        return text.format(format_price(theirs, tick), format_price(ours, tick))


def _merge(known: dict[str, Decimal], new: Mapping[str, Decimal] | None) -> bool:
    """Remember `new` sizes; True when one of them differs from what was known."""
    if not new:
        return False
    changed = any(known.get(symbol) != size for symbol, size in new.items())
    if changed:
        known.update(new)
    return changed


def _changed_runs(old: _Row, new: _Row) -> list[tuple[int, int]]:
    """Contiguous column ranges whose text or tooltip differ."""
    return adjacent_runs(
        col for col in range(_COLUMNS) if old.texts[col] != new.texts[col] or old.tooltips[col] != new.tooltips[col]
    )


__all__ = [
    "LAYOUT_ARGS",
    "NO_FLAGS",
    "ROW_FLAGS",
    "SORT_HINT",
    "Column",
    "KeyRole",
    "PositionKey",
    "PositionsModel",
    "SortRole",
    "TierRole",
]
