"""Event log: margin calls, threshold crossings, connection changes; newest first and bounded."""

from __future__ import annotations

import bisect
import time

from PySide6.QtWidgets import QListWidget, QListWidgetItem, QStyle, QVBoxLayout, QWidget

KINDS = ("margin_call", "threshold", "connection", "info")
DEFAULT_MAX_ENTRIES = 1000


class EventLog(QWidget):
    """Widget only: the container calls `add_entry`."""

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

    def add_entry(self, timestamp: float, kind: str, text: str) -> None:
        """Add an event (epoch seconds); entries stay ordered newest first, the oldest drop off."""
        if kind not in self._icons:
            raise ValueError(f"unknown event kind {kind!r}; expected one of {', '.join(KINDS)}")
        row = bisect.bisect_left(self._order, -timestamp)  # before entries with the same time
        if row >= self._max:
            return  # older than everything kept
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))
        item = QListWidgetItem(self._icons[kind], f"{stamp}   {self._words[kind]}   {text}")
        item.setToolTip(text)
        self._list.insertItem(row, item)
        self._order.insert(row, -timestamp)
        self._entries.insert(row, (timestamp, kind, text))
        while len(self._entries) > self._max:
            self._order.pop()
            self._entries.pop()
            self._list.takeItem(self._list.count() - 1)

    def clear(self) -> None:
        self._list.clear()
        self._order.clear()
        self._entries.clear()

    def entries(self) -> list[tuple[float, str, str]]:
        """(timestamp, kind, text), newest first."""
        return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)
