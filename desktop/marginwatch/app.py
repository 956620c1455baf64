"""`marginwatch`: the desktop app entry point (stub until the app issue lands)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from PySide6.QtWidgets import QApplication, QLabel

    app = QApplication(sys.argv if argv is None else argv)
    label = QLabel("MarginWatch")
    label.show()
    return app.exec()
