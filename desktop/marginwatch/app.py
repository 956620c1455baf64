"""`marginwatch`: start-up. Paint the window first, then merge asyncio into Qt and bring in the rest.

Heavy imports (pyqtgraph, aiohttp, the simulator) wait until the window is on screen: a bare
window paints in ~0.2 s, pyqtgraph alone costs ~0.6 s to import.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Sequence

from marginwatch import APP_NAME, __version__, pacing
from marginwatch.app_args import parse_args
from marginwatch.exchange.log_redaction import configure_logging

log = logging.getLogger("marginwatch")


def drop_import_sources() -> bool:
    """Stop PySide6 from keeping the source of every imported module in memory.

    After PySide6 is imported, its `__feature__` import hook reads the source of each module imported
    later (`inspect.getsource`, to look for "PySide6" in it) and `linecache` keeps every line of it
    for the life of the process, interleaved with long-lived objects
    so they are never given back. Wrapping the check so that it forgets the lines it read costs
    nothing and changes no behaviour (tracebacks read their lines again when they need them).
    Returns whether the hook was found and wrapped (False when PySide6 has no such hook).
    """
    import inspect
    import linecache

    import PySide6.QtCore  # noqa: F401 - installs the hook wrapped here

    feature = sys.modules.get("PySide6.support.feature")
    check = getattr(feature, "_mod_uses_pyside", None)
    if not callable(check):
        return False
    if getattr(check, "__wrapped__", None) is not None:
        return True  # already done

    def uses_pyside(module: object) -> bool:
        # Only the checked module's own entry (the key inspect.getsource reads it under) is
        # dropped: an import on another thread may be reading its own entry at this moment.
        try:
            name: str | None = inspect.getsourcefile(module)  # type: ignore[arg-type]
        except TypeError:
            name = None  # a built-in module: no source to read or keep
        kept_before = name is not None and name in linecache.cache
        try:
            return bool(check(module))
        finally:
            if name is not None and not kept_before:
                linecache.cache.pop(name, None)

    uses_pyside.__wrapped__ = check  # type: ignore[attr-defined]
    feature._mod_uses_pyside = uses_pyside  # type: ignore[union-attr]
    return True


def shorten_gil_switch_interval() -> None:
    """Let the GUI thread take the GIL back within `pacing.SWITCH_INTERVAL_S` (1 ms) while a risk
    worker computes, instead of CPython's 5 ms: each slot or paint that runs Python would otherwise
    wait up to 5 ms whenever a computation is in flight. Process-wide, so set once, here."""
    sys.setswitchinterval(min(sys.getswitchinterval(), pacing.SWITCH_INTERVAL_S))


def _install_signal_handlers(request_quit: object) -> None:
    def handler(signum: int, _frame: object) -> None:
        log.info("signal %s: shutting down", signum)
        request_quit()  # type: ignore[operator]

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


class _SignalWakeup:
    """Lets Python run its signal handlers while Qt sleeps in C++, without a polling timer.

    Python only runs handlers between bytecodes; with `signal.set_wakeup_fd` the C-level handler
    writes a byte to a socket that a QSocketNotifier watches, and its slot brings the
    interpreter back. (A 250 ms wake timer did this before, at a cost in idle CPU.)
    """

    def __init__(self, parent: object) -> None:
        import socket

        from PySide6.QtCore import QSocketNotifier

        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, parent)  # type: ignore[arg-type]
        self._notifier.activated.connect(self._drain)

    def _drain(self, *_args: object) -> None:
        try:
            while self._reader.recv(512):
                pass
        except BlockingIOError:
            pass  # nothing left; Python runs the pending handler as this slot returns




def _desktop_entry(*, install: bool) -> int:
    from marginwatch.services import desktop_entry

    try:
        paths = desktop_entry.install() if install else desktop_entry.uninstall()
    except OSError as exc:
        print(f"marginwatch: could not {'install' if install else 'remove'} the menu entry: {exc}", file=sys.stderr)
        return 1
    print(f"{'installed' if install else 'removed'} {len(paths)} files" + (f": {paths[-1]}" if paths else ""))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    configure_logging(os.environ.get("MARGINWATCH_LOG", "INFO"))  # masks listenKeys and API keys

    if args.install_desktop_entry or args.uninstall_desktop_entry:
        return _desktop_entry(install=args.install_desktop_entry)
    drop_import_sources()  # before the app's own imports: they are what it would keep
    shorten_gil_switch_interval()
    if args.self_test:
        from marginwatch.self_test import run_self_test

        return run_self_test(language=args.lang or "system")

    from PySide6.QtWidgets import QApplication

    from marginwatch.services.single_instance import SingleInstance, instance_name

    app = QApplication([sys.argv[0], *argv])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setQuitOnLastWindowClosed(False)  # closing the window keeps the tray app running
    # Before any widget exists: widgets translate their texts when they are built.
    from marginwatch import i18n
    from marginwatch.services.settings import Settings

    if args.lang:
        os.environ[i18n.ENV_VAR] = args.lang
    settings = Settings()
    i18n.install_translator(app, settings.language.value)
    from marginwatch import resources

    app.setWindowIcon(resources.app_icon())
    app.setDesktopFileName("io.marginwatch.MarginWatch")  # Wayland app id, matches the menu entry

    instance = SingleInstance(instance_name())
    if not instance.acquire():
        log.info("already running: asked the running instance to show its window")
        return 0

    from marginwatch.ui.main_window import MainWindow

    window = MainWindow()
    from marginwatch import startup_trace

    if startup_trace.enabled():
        startup_trace.trace_first_paint(window)
    if args.minimised or settings.start_minimised:
        window.start_in_tray()
    else:
        window.show()
        # Paint now: the controller, asyncio and the account's exchange stack (imported in the
        # loop's first turn) would otherwise all come before the first paint.
        app.processEvents()

    import asyncio

    from marginwatch.controller import AppController

    controller = AppController(app, window, args, settings=settings)
    instance.activated.connect(controller.show_window)
    _install_signal_handlers(controller.request_quit)
    wakeup = _SignalWakeup(app)  # noqa: F841 - lives as long as the loop

    import qasync

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        code = runner.run(controller.run())
    instance.release()
    return code


if __name__ == "__main__":
    raise SystemExit(main())
