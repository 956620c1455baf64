"""Figure 6: idle CPU of the running app (in this process, offscreen demo mode, calm market,
marks at 1 Hz): CPU time / wall time over the window, after a settling period.

The simulator's demo book (5 positions) is extended by 15 small calm legs on 15 extra symbols
(`Book.with_calm_legs`), so the app follows 20 positions on 19 symbols; the count used is printed.
The simulator runs in this process but on a thread and event loop of its own (the app reaches it
over loopback sockets, as it would reach Binance), so its CPU can be told apart:
`idle_cpu.app_share` is the process without the simulator's thread (what the target is about),
`idle_cpu.share` the whole process, simulator included (an upper bound; the earlier figure),
`idle_cpu.gui_share` the GUI thread alone (where the table, chart and summary repaint).
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psutil

from app_harness import demo_exchange, qapp, run_qasync, running_app
from common import figure, parse_args
from marginwatch.exchange.endpoints import Endpoints
from marginwatch.exchange.sim.book import DEMO_BOOK
from marginwatch.exchange.sim.market import SYMBOLS, extra_symbols
from marginwatch.services import demo

POSITIONS = 20


class _SimThread:
    """An event loop on its own thread for the simulator."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="simulator", daemon=True)
        self.thread.start()

    def run(self, coro: Any) -> asyncio.Future[Any]:
        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    def cpu_seconds(self) -> float:
        return _thread_cpu_seconds(self.thread.native_id)


def _thread_cpu_seconds(native_id: int | None) -> float:
    for t in psutil.Process().threads():
        if t.id == native_id:
            return float(t.user_time + t.system_time)
    return 0.0


SIM = _SimThread()
EXTRA = extra_symbols(POSITIONS - len(DEMO_BOOK.entries))


class _BenchDemo(demo.DemoExchange):
    """The demo exchange with 15 more symbols and calm legs, its simulator on SIM's thread."""

    def __init__(self, scenario: str = "demo", speed: float = 1.0) -> None:
        super().__init__(scenario, speed, symbols={**SYMBOLS, **EXTRA}, book=DEMO_BOOK.with_calm_legs(EXTRA.values()))

    async def start(self) -> Endpoints:
        sim: Any = self.sim
        await SIM.run(sim.start())
        return Endpoints.local(sim.base_url, sim.ws_url)

    async def stop(self) -> None:
        await SIM.run(self.sim.stop())  # type: ignore[attr-defined]


async def _window(seconds: float, gui: int) -> tuple[float, float, float]:
    """(process, app, GUI thread) CPU over `seconds` of wall time, in % of one core."""
    cpu0, sim0, gui0, wall0 = time.process_time(), SIM.cpu_seconds(), _thread_cpu_seconds(gui), time.monotonic()
    await asyncio.sleep(seconds)
    wall = time.monotonic() - wall0
    cpu, sim = time.process_time() - cpu0, SIM.cpu_seconds() - sim0
    gui_cpu = _thread_cpu_seconds(gui) - gui0
    return cpu / wall * 100, (cpu - sim) / wall * 100, gui_cpu / wall * 100


async def bench(seconds: float) -> tuple[tuple[float, float, float], tuple[float, float, float], int]:
    """The window open (the figure), then the window closed to the tray, where the app spends
    most of its life: streams, risk and alerts go on, nothing is painted."""
    gui = threading.main_thread().native_id
    async with running_app(qapp(), ["--scenario", "calm"]) as (controller, _sim):
        await asyncio.sleep(3)
        positions = len(next(iter(controller.accounts.values())).session.state.positions())
        shown = await _window(seconds, gui)
        controller.window.hide()
        await asyncio.sleep(2)
        tray = await _window(seconds, gui)
    return shown, tray, positions


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__ or "", argv)
    with demo_exchange(_BenchDemo):
        shown, tray, positions = run_qasync(qapp(), bench(15.0 if args.quick else 60.0))
    figure("idle_cpu.positions", positions, "positions")
    figure("idle_cpu.share", shown[0], "%core")
    figure("idle_cpu.app_share", shown[1], "%core")
    figure("idle_cpu.gui_share", shown[2], "%core")
    figure("idle_cpu.in_tray.app_share", tray[1], "%core")
    figure("idle_cpu.in_tray.gui_share", tray[2], "%core")


if __name__ == "__main__":
    main()
