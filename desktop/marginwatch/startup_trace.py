"""The start-up marks bench/cold_start.py reads, printed to stderr when MARGINWATCH_TRACE_STARTUP=1.

`startup painted <epoch s>` at the main window's first paint, `startup chart_live <epoch s>` the
first time the chart has positions to show. Without the variable nothing is printed or installed.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from marginwatch.core.account_risk import AccountRisk
    from marginwatch.ui.main_window import MainWindow

ENV_VAR = "MARGINWATCH_TRACE_STARTUP"


def enabled() -> bool:
    return os.environ.get(ENV_VAR) == "1"


def _mark(what: str) -> None:
    print(f"startup {what} {time.time():.6f}", file=sys.stderr, flush=True)


def trace_first_paint(window: QWidget) -> None:
    """Print `startup painted` at the window's first paint (call before it is shown)."""
    from PySide6.QtCore import QEvent, QObject

    class _FirstPaint(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                _mark("painted")
                obj.removeEventFilter(self)
            return False

    window.installEventFilter(_FirstPaint(window))  # parented: lives as long as the window


class ChartLiveTrace:
    """Prints `startup chart_live` once: the first time the window's chart is fed positions."""

    def __init__(self) -> None:
        self._pending = enabled()

    def observe(self, window: MainWindow, risk: AccountRisk) -> None:
        if self._pending and window.chart is not None and risk.positions:
            self._pending = False
            _mark("chart_live")
