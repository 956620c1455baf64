"""History: the journal's rows (margin calls, alerts, connection changes, snapshots), newest first,
filtered by account, symbol, kind and time, with CSV export of what the filters select. Rows
still waiting to be written to the journal file are shown too, and the status line says why.
A margin call or alert still repeating on the forwarding channels can be acknowledged from here.

Reads the journal only; opening and closing it is the container's job. Open with show()/open().
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from marginwatch.services.journal import JournalRow, RowKind

if TYPE_CHECKING:
    from collections.abc import Iterable

    from marginwatch.services.journal import Journal

DEFAULT_LIMIT = 1000
COLUMNS = ("time", "account", "kind", "symbols", "summary")


class HistoryDialog(QDialog):
    export_finished = Signal(str, int)  # path, rows written
    export_failed = Signal(str)  # plain-words reason
    acknowledge_requested = Signal(str)  # the dedupe key of a selected alert still repeating
    chart_requested = Signal(str, str, float)  # account, symbol ('' for the account), time: the risk chart then

    def __init__(self, journal: Journal, parent: QWidget | None = None, *, limit: int = DEFAULT_LIMIT) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("MarginWatch History"))
        self.resize(900, 560)
        self._journal = journal
        self._limit = limit
        self._rows: list[JournalRow] = []
        self._known_accounts: set[str] = set()
        self._file_dialog: QFileDialog | None = None
        self._escalating: set[str] = set()
        self._kind_labels = {
            RowKind.MARGIN_CALL: self.tr("Margin call"),
            RowKind.ALERT: self.tr("Alert"),
            RowKind.CONNECTION: self.tr("Connection"),
            RowKind.SNAPSHOT: self.tr("Snapshot"),
        }

        self.account_combo = QComboBox()
        self.account_combo.addItem(self.tr("All accounts"), None)
        self.kind_combo = QComboBox()
        self.kind_combo.addItem(self.tr("Everything"), None)
        for kind, label in self._kind_labels.items():
            self.kind_combo.addItem(label, kind.value)
        self.symbol_edit = QLineEdit()
        self.symbol_edit.setPlaceholderText(self.tr("Symbol, e.g. BTCUSDT"))
        self.symbol_edit.setClearButtonEnabled(True)
        now = QDateTime.currentDateTime()
        self.since_check = QCheckBox(self.tr("From"))
        self.since_edit = QDateTimeEdit(now.addDays(-7))
        self.until_check = QCheckBox(self.tr("To"))
        self.until_edit = QDateTimeEdit(now)
        for edit in (self.since_edit, self.until_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
            edit.setEnabled(False)
        self.since_check.toggled.connect(self.since_edit.setEnabled)
        self.until_check.toggled.connect(self.until_edit.setEnabled)
        self.refresh_button = QPushButton(self.tr("Refresh"))
        self.refresh_button.clicked.connect(self.refresh)
        self.export_button = QPushButton(self.tr("Export CSV…"))
        self.export_button.clicked.connect(self.choose_export_path)
        self.acknowledge_button = QPushButton(self.tr("Acknowledge"))
        self.acknowledge_button.setToolTip(self.tr("Stop the selected alert repeating on the forwarding channels"))
        self.acknowledge_button.setEnabled(False)
        self.acknowledge_button.clicked.connect(self.acknowledge_selected)
        self.chart_button = QPushButton(self.tr("Show on risk chart"))
        self.chart_button.setToolTip(self.tr("The risk history around the selected row's time (or double-click a row)"))
        self.chart_button.clicked.connect(self.show_selected_on_chart)
        for signal in (self.account_combo.currentIndexChanged, self.kind_combo.currentIndexChanged,
                       self.symbol_edit.editingFinished, self.since_check.toggled, self.until_check.toggled,
                       self.since_edit.editingFinished, self.until_edit.editingFinished):
            signal.connect(self.refresh)

        filters = QHBoxLayout()
        for w in (self.account_combo, self.kind_combo, self.symbol_edit, self.since_check, self.since_edit,
                  self.until_check, self.until_edit, self.refresh_button):
            filters.addWidget(w)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(
            [self.tr("Time"), self.tr("Account"), self.tr("Kind"), self.tr("Symbols"), self.tr("Summary")]
        )
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._sync_acknowledge)
        self.table.cellDoubleClicked.connect(lambda row, _col: self.show_row_on_chart(row))
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status_label, 1)
        bottom.addWidget(self.acknowledge_button)
        bottom.addWidget(self.chart_button)
        bottom.addWidget(self.export_button)

        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        self.refresh()

    # ----------------------------------------------------------------- filters

    def set_accounts(self, names: Iterable[str]) -> None:
        """Offer these accounts in the filter (accounts seen in the journal are added as they appear)."""
        self._add_accounts(names)

    def _summary(self, r: JournalRow) -> str:
        """The journal's English one-liner, in the UI language (alert titles were translated when sent)."""
        d = r.data
        try:
            if r.kind is RowKind.MARGIN_CALL:
                return self.tr("Margin call: {0}").format(", ".join(r.symbols) or "?")
            if r.kind is RowKind.CONNECTION:
                streams = {"user": self.tr("user"), "market": self.tr("market"), "rest": self.tr("REST snapshot")}
                states = {
                    "connecting": self.tr("connecting"),
                    "live": self.tr("live"),
                    "stale": self.tr("stale"),
                    "reconnecting": self.tr("reconnecting"),
                    "failed": self.tr("failed"),
                    "stopped": self.tr("stopped"),
                }
                text = self.tr("{0} stream {1}").format(
                    streams.get(str(d["stream"]), str(d["stream"])), states.get(str(d["state"]), str(d["state"]))
                )
                return text + (f": {d['reason']}" if d["reason"] else "")
            if r.kind is RowKind.SNAPSHOT:
                return self.tr("margin ratio {0}, margin balance {1}").format(
                    d["margin_ratio"] or "--", d["margin_balance"]
                )
        except (KeyError, TypeError):
            pass  # an odd row: show what the journal made of it
        return r.summary

    def _add_accounts(self, names: Iterable[str]) -> None:
        new = sorted(set(names) - self._known_accounts)
        if not new:
            return
        self._known_accounts.update(new)
        current = self.account_combo.currentData()
        self.account_combo.blockSignals(True)
        while self.account_combo.count() > 1:
            self.account_combo.removeItem(1)
        for name in sorted(self._known_accounts):
            self.account_combo.addItem(name, name)
        self.account_combo.setCurrentIndex(max(0, self.account_combo.findData(current)))
        self.account_combo.blockSignals(False)

    def set_filters(
        self,
        *,
        account: str | None = None,
        kind: RowKind | str | None = None,
        symbol: str | None = None,
        since: float | datetime | None = None,
        until: float | datetime | None = None,
    ) -> None:
        """Set every filter at once (None: no filter) and show the result."""
        widgets: list[QWidget] = [self.account_combo, self.kind_combo, self.symbol_edit, self.since_check,
                                  self.until_check, self.since_edit, self.until_edit]
        for w in widgets:
            w.blockSignals(True)
        try:
            if account is not None:
                self._add_accounts([account])
            self.account_combo.setCurrentIndex(max(0, self.account_combo.findData(account)))
            kind_value = None if kind is None else RowKind(kind).value
            self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(kind_value)))
            self.symbol_edit.setText(symbol or "")
            for check, edit, value in ((self.since_check, self.since_edit, since),
                                       (self.until_check, self.until_edit, until)):
                check.setChecked(value is not None)
                edit.setEnabled(value is not None)
                if value is not None:
                    stamp = value.timestamp() if isinstance(value, datetime) else float(value)
                    edit.setDateTime(QDateTime.fromMSecsSinceEpoch(int(stamp * 1000)))
        finally:
            for w in widgets:
                w.blockSignals(False)
        self.refresh()

    def filters(self) -> dict[str, Any]:
        """The current filters as keyword arguments for Journal.query / export_csv."""
        symbol = self.symbol_edit.text().strip().upper()
        return {
            "account": self.account_combo.currentData(),
            "kind": self.kind_combo.currentData(),
            "symbol": symbol or None,
            "since": self.since_edit.dateTime().toMSecsSinceEpoch() / 1000 if self.since_check.isChecked() else None,
            "until": self.until_edit.dateTime().toMSecsSinceEpoch() / 1000 if self.until_check.isChecked() else None,
        }

    # ----------------------------------------------------------------- rows

    def refresh(self) -> None:
        """Query the journal with the current filters and show the rows, newest first."""
        try:
            rows = self._journal.query(**self.filters(), limit=self._limit)
        except Exception as exc:  # a closed or broken journal must not take the dialog down
            self._rows = []
            self.table.setRowCount(0)
            self.status_label.setText(self.tr("Could not read the history: %s") % str(exc)[:200])
            return
        self._rows = rows
        self._add_accounts(r.account for r in rows)
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            cells = (
                time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.at)),
                r.account,
                self._kind_labels.get(r.kind, str(r.kind)),
                " ".join(r.symbols),
                self._summary(r),
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 0:
                    item.setData(Qt.ItemDataRole.UserRole, r.at)
                self.table.setItem(i, col, item)
        if len(rows) >= self._limit:
            self.status_label.setText(
                self.tr("Showing the newest %d rows; narrow the filters to see older ones. "
                        "Export writes every matching row.") % self._limit
            )
        else:
            self.status_label.setText(self.tr("%d rows") % len(rows))
        state = self._journal.state
        if state.degraded:  # the rows shown include those still waiting to be written to the file
            self.status_label.setText(f"{self.status_label.text()} {state.reason}")

    def rows(self) -> list[JournalRow]:
        """The rows the table shows, in its order."""
        return list(self._rows)

    # ----------------------------------------------------------------- acknowledge

    def set_escalating(self, keys: Iterable[str]) -> None:
        """The dedupe keys of alerts still repeating on the forwarding channels (the container's)."""
        self._escalating = set(keys)
        self._sync_acknowledge()

    def _selected_key(self) -> str:
        rows = {i.row() for i in self.table.selectedIndexes()}
        if len(rows) != 1:
            return ""
        row = self._rows[rows.pop()]
        key = str(row.data.get("dedupe_key") or "") if row.kind in (RowKind.ALERT, RowKind.MARGIN_CALL) else ""
        return key if key in self._escalating else ""

    def _sync_acknowledge(self) -> None:
        self.acknowledge_button.setEnabled(bool(self._selected_key()))

    def acknowledge_selected(self) -> bool:
        """Ask that the selected alert stop repeating; False when it is not repeating."""
        key = self._selected_key()
        if not key:
            return False
        self._escalating.discard(key)
        self._sync_acknowledge()
        self.acknowledge_requested.emit(key)
        return True
    def show_row_on_chart(self, row: int) -> None:
        """Ask for the risk chart at row `row`'s time, on its first symbol (none: the account)."""
        if 0 <= row < len(self._rows):
            r = self._rows[row]
            self.chart_requested.emit(r.account, r.symbols[0] if r.symbols else "", r.at)

    def show_selected_on_chart(self) -> None:
        selected = self.table.selectionModel().selectedRows()
        if selected:
            self.show_row_on_chart(selected[0].row())

    # ----------------------------------------------------------------- export

    def choose_export_path(self) -> None:
        """Ask where to save (a non-blocking file dialog), then export."""
        dialog = QFileDialog(self, self.tr("Export history as CSV"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter(self.tr("CSV files (*.csv)"))
        dialog.setDefaultSuffix("csv")
        dialog.selectFile(time.strftime("marginwatch-history-%Y%m%d-%H%M.csv"))
        dialog.fileSelected.connect(lambda path: self.export_csv(Path(path)))
        self._file_dialog = dialog
        dialog.open()

    def export_csv(self, path: Path | str) -> int | None:
        """Write every row the filters select (not only the shown ones); the count, or None on failure."""
        path = Path(path)
        try:
            count = self._journal.export_csv(path, **self.filters())
        except (OSError, ValueError) as exc:
            reason = str(exc)[:200]
            self.status_label.setText(self.tr("Export failed: %s") % reason)
            self.export_failed.emit(reason)
            return None
        self.status_label.setText(self.tr("Exported %d rows to %s") % (count, path))
        self.export_finished.emit(str(path), count)
        return count
