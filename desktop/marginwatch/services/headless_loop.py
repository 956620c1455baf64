"""asyncio merged into a QCoreApplication's loop, for running with no display and no GUI libraries.

The services need Qt's event loop (timers, queued signals from the risk worker) and asyncio's
(the exchange) as one, which qasync provides. qasync's loop uses only QtCore, but its module
imports QtGui and QtWidgets (to name `QApplication`), and those load the GUI libraries (EGL,
fontconfig, xkbcommon) that a server may not have. So qasync is imported here with stand-ins
for both that name QCoreApplication instead; they leave `sys.modules` right after.
"""

from __future__ import annotations

import asyncio
import sys
import types
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QCoreApplication

from marginwatch import APP_NAME, __version__

_GUI_MODULES = ("PySide6.QtGui", "PySide6.QtWidgets")


def import_qasync() -> types.ModuleType:
    """qasync, without loading QtGui or QtWidgets (unless something else loaded them already)."""
    loaded = sys.modules.get("qasync")
    if loaded is not None:
        return loaded
    standins: dict[str, types.ModuleType] = {}
    for name in _GUI_MODULES:
        if name not in sys.modules:
            module = types.ModuleType(name, "stand-in: qasync only needs QApplication.instance()")
            module.QApplication = QCoreApplication  # type: ignore[attr-defined]
            standins[name] = sys.modules[name] = module
    try:
        import qasync
    finally:
        for name, module in standins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]
    return qasync


def run_headless(main: Callable[[], Coroutine[Any, Any, int]]) -> int:
    """Run `main()` on a qasync loop over a QCoreApplication (made here unless one exists)."""
    app = QCoreApplication.instance() or QCoreApplication([sys.argv[0]])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationVersion(__version__)
    qasync = import_qasync()
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        return runner.run(main())
