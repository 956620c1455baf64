"""The real app in this process (offscreen, demo mode on the in-process simulator), for benchmarks.

Same wiring as `marginwatch --demo` (MainWindow + AppController + qasync), but with private
settings and a handle on the controller and the simulator so a benchmark can drive and observe.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The journal, settings and single-instance files of a benchmark never touch the user's own.
_TMP = Path(tempfile.mkdtemp(prefix="mw-bench-home-"))
for _var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
    os.environ[_var] = str(_TMP / _var.lower())
os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)  # no desktop bus: the tray fallback is the channel

import qasync  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from marginwatch.app import parse_args, shorten_gil_switch_interval  # noqa: E402
from marginwatch.controller import AppController  # noqa: E402
from marginwatch.core.stream_health import StreamState  # noqa: E402
from marginwatch.services import demo  # noqa: E402
from marginwatch.services.settings import Settings  # noqa: E402
from marginwatch.ui.main_window import MainWindow  # noqa: E402


async def wait_for(pred: Callable[[], bool], limit_s: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while not pred():
        if loop.time() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)  # polling an external condition, not synchronising our own code


@contextmanager
def demo_exchange(cls: type[demo.DemoExchange]) -> Iterator[None]:
    """The controller builds its demo exchange as `cls(scenario, speed)` while this lasts: a
    benchmark's subclass passes its own market and book (or runs the simulator elsewhere)."""
    original = demo.DemoExchange
    demo.DemoExchange = cls  # type: ignore[misc]
    try:
        yield
    finally:
        demo.DemoExchange = original  # type: ignore[misc]


@asynccontextmanager
async def running_app(
    app: QApplication, argv: list[str], *, demo_sides: bool = False
) -> AsyncIterator[tuple[AppController, Any]]:
    """Start the app in demo mode; yields (controller, simulator) once every stream is LIVE. The
    demo's COIN-M and MEXC accounts are left out unless `demo_sides`: each figure is defined for
    its book (e.g. 20 positions), and stays comparable with the runs before those accounts came."""
    tmp = Path(tempfile.mkdtemp(prefix="mw-bench-"))
    settings = Settings(QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow()
    window.show()
    controller = AppController(app, window, parse_args(["--demo", *argv]), settings=settings)
    controller.registry.set_demo_sides(coinm=demo_sides, mexc=demo_sides)
    run = asyncio.get_running_loop().create_task(controller.run())

    def live() -> bool:
        accounts = list(controller.accounts.values())
        return bool(accounts) and all(
            h.state is StreamState.LIVE for a in accounts for h in a.health.values()
        ) and len(accounts[0].health) >= 2

    await wait_for(live, 30, "the demo account to go live")
    try:
        yield controller, controller.registry.demo.sim
    finally:
        controller.request_quit()
        await asyncio.wait_for(run, 15)
        window.close()


def run_qasync(app: QApplication, coro: Coroutine[Any, Any, Any]) -> Any:
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app, already_running=False)) as runner:
        return runner.run(coro)


def qapp() -> QApplication:
    shorten_gil_switch_interval()  # as marginwatch.app.main does at start-up
    app = QApplication.instance() or QApplication(["marginwatch-bench"])
    assert isinstance(app, QApplication)
    return app
