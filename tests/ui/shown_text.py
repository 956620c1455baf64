"""What a widget shows, read from its Qt children as a user would see them."""

from __future__ import annotations

from PySide6.QtWidgets import QListWidget

from marginwatch.ui.event_log import EventLog


def event_log_lines(log: EventLog) -> list[str]:
    """The event log's lines as shown, top (newest) first."""
    (view,) = log.findChildren(QListWidget)
    return [view.item(row).text() for row in range(view.count())]
