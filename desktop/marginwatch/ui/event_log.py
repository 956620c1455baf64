"""Event log: margin calls, threshold crossings, connection changes; newest first and bounded.

An entry for an alert that escalates on the forwarding channels carries its dedupe key: its
context menu's "Acknowledge" asks (through `acknowledge_requested`) that the repeats stop.
"""

from __future__ import annotations

import bisect
import time

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QMenu, QStyle, QVBoxLayout, QWidget

KINDS = ("margin_call", "threshold", "connection", "info")
DEFAULT_MAX_ENTRIES = 1000
_KEY = Qt.ItemDataRole.UserRole


class EventLog(QWidget):
    """Widget only: the container calls `add_entry` and `forget_key`, and answers `acknowledge_requested`."""

    acknowledge_requested = Signal(str)  # the alert's dedupe key

    def __init__(self, parent: QWidget | None = None, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        super().__init__(parent)
        if max_entries < 1:
            raise ValueError("max_entries must be >= 1")
        self._max = max_entries
        # Negated timestamps, ascending, parallel to the list rows: bisect finds where an entry goes.
        self._order: list[float] = []
        self._entries: list[tuple[float, str, str]] = []
        self._list = QListWidget(self)
        self._list.setUniformItemSizes(True)  # cheap layout for a long list
        self._list.setAlternatingRowColors(True)
        self._list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self._list.customContextMenuRequested.connect(self._context_menu)
        self._menu: QMenu | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._list)
        style = self.style()
        self._icons = {
            "margin_call": style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical),
            "threshold": style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning),
            "connection": style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload),
            "info": style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation),
        }
        self._words = {
            "margin_call": self.tr("Margin call"),
            "threshold": self.tr("Threshold"),
            "connection": self.tr("Connection"),
            "info": self.tr("Info"),
        }

    def add_entry(self, timestamp: float, kind: str, text: str, key: str = "") -> None:
        """Add an event (epoch seconds); entries stay ordered newest first, the oldest drop off.
        `key`: the dedupe key of an alert that can be acknowledged from here."""
        if kind not in self._icons:
            raise ValueError(f"unknown event kind {kind!r}; expected one of {', '.join(KINDS)}")
        row = bisect.bisect_left(self._order, -timestamp)  # before entries with the same time
        if row >= self._max:
            return  # older than everything kept
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))
        item = QListWidgetItem(self._icons[kind], f"{stamp}   {self._words[kind]}   {text}")
        item.setToolTip(text)
        if key:
            item.setData(_KEY, key)
        self._list.insertItem(row, item)
        self._order.insert(row, -timestamp)
        self._entries.insert(row, (timestamp, kind, text))
        while len(self._entries) > self._max:
            self._order.pop()
            self._entries.pop()
            self._list.takeItem(self._list.count() - 1)

    def entry_key(self, row: int) -> str:
        """The dedupe key row `row` can be acknowledged by; "" when it has none (or none any more)."""
        item = self._list.item(row)
        return str(item.data(_KEY) or "") if item is not None else ""

    def acknowledge_row(self, row: int) -> bool:
        """What the context menu's "Acknowledge" does; False for a row that has nothing to acknowledge."""
        key = self.entry_key(row)
        if key:
            self.acknowledge_requested.emit(key)
        return bool(key)

    def forget_key(self, key: str) -> None:
        """The alert `key` is acknowledged or over: its rows offer nothing more."""
        for i in range(self._list.count()):
            item = self._list.item(i)
            if item.data(_KEY) == key:
                item.setData(_KEY, None)

    def _context_menu(self, pos: QPoint) -> None:
        item = self._list.itemAt(pos)
        row = self._list.row(item) if item is not None else -1
        menu = QMenu(self)
        action = menu.addAction(self.tr("Acknowledge (stop repeats on the channels)"))
        action.setEnabled(bool(self.entry_key(row)))
        action.triggered.connect(lambda: self.acknowledge_row(row))
        self._menu = menu  # kept: popup() returns at once
        menu.popup(self._list.viewport().mapToGlobal(pos))

    def clear(self) -> None:
        self._list.clear()
        self._order.clear()
        self._entries.clear()

    def entries(self) -> list[tuple[float, str, str]]:
        """(timestamp, kind, text), newest first."""
        return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)
