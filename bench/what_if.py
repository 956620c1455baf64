"""What-if slider cost with 200 positions (offscreen): the GUI thread's share of each slider step.

A drag on the what-if panel's slider, one 0.1 % step at a time from 0 to -N %, on a window with the
chart attached, wired as the app wires it (panel → WhatIfService's worker → MainWindow.show_shock).
Per step the GUI thread: builds the shock and snapshots the account (the step), shows the results
when they arrive (table model, summary, chart ghosts) and repaints. Each step waits for its result
(a real drag coalesces steps while one computes: this is the dearer case). The worker's time per
shock is reported apart: it runs off the GUI thread. GUI figures are the GUI thread's CPU time
(`time.thread_time`: the machine is shared, so wall time also counts other processes' turns);
the wall-clock median is given beside them.
"""

from __future__ import annotations

import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from common import figure, median, note, parse_args, percentile
from marginwatch.app import shorten_gil_switch_interval
from marginwatch.core.account_state import AccountState
from marginwatch.core.position import MarginType, Position, PositionSide
from marginwatch.core.price_shock import Shock
from marginwatch.exchange.sim.market import bracket_entries, bracket_tables
from marginwatch.services.what_if import ShockResults, WhatIfService
from marginwatch.ui.liquidation_chart import LiquidationChart
from marginwatch.ui.main_window import MainWindow

POSITIONS = 200


def build_state() -> AccountState:
    """200 positions of 5-15 k USDT: every fourth isolated and long at 5-17 % margin, so a drag
    down liquidates them one after another; the rest cross, long and short, on a wide wallet."""
    btc = bracket_tables(bracket_entries())["BTCUSDT"]
    positions = []
    for i in range(POSITIONS):
        price = Decimal(100 + i)
        isolated = i % 4 == 0
        amount = Decimal(50) * (1 if isolated or i % 2 else -1)
        wallet = abs(amount) * price * (Decimal("0.05") + Decimal(i % 7) / 50) if isolated else Decimal(0)
        positions.append(Position(f"S{i:03d}USDT", PositionSide.BOTH, amount, price, price,
                                  MarginType.ISOLATED if isolated else MarginType.CROSS, wallet, leverage=10))
    state = AccountState()
    state.reseed(positions, Decimal(200_000), {p.symbol: btc for p in positions})
    return state


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__ or "", argv)
    steps = 30 if args.quick else 150
    shorten_gil_switch_interval()
    app = QApplication.instance() or QApplication(["marginwatch-bench"])
    window = MainWindow()
    window.resize(1280, 800)
    window.show()
    window.attach_chart(LiquidationChart())
    state = build_state()
    service = WhatIfService()
    from marginwatch.core.account_risk import assess_account

    window.update_account("bench", assess_account(state.positions().values(), state.cross_wallet_balance,
                                                  state.brackets))  # fmt: skip
    window.positions_model.render_pending()
    app.processEvents()

    asked: list[float] = []
    shown: list[float] = []
    painted: list[float] = []
    wall: list[float] = []
    worker: list[float] = []
    submitted = [0.0]
    loop = QEventLoop()

    def on_shock(shock: Shock | None) -> None:
        if shock is not None:
            submitted[0] = time.perf_counter()
            service.request([("bench", state)], shock)

    def on_computed(shock: Shock, results: ShockResults) -> None:
        worker.append(time.perf_counter() - submitted[0])
        cpu, at = time.thread_time(), time.perf_counter()
        window.show_shock(shock, results)
        shown.append(time.thread_time() - cpu)
        wall.append(time.perf_counter() - at)
        loop.quit()

    window.shock_requested.connect(on_shock)
    service.computed.connect(on_computed)
    slider = window.what_if.slider
    timeout = QTimer()
    timeout.setSingleShot(True)
    timeout.timeout.connect(loop.quit)  # a result that never comes must not hang the bench
    for step in range(1, steps + 1):
        cpu, at = time.thread_time(), time.perf_counter()
        slider.setValue(-step)
        asked.append(time.thread_time() - cpu)
        before = time.perf_counter() - at
        timeout.start(10_000)
        loop.exec()
        timeout.stop()
        cpu, at = time.thread_time(), time.perf_counter()
        app.processEvents()  # the repaint of the table, the panel and the chart's ghosts
        painted.append(time.thread_time() - cpu)
        wall[-1] += before + time.perf_counter() - at  # on_computed put this step's show time there
    service.close()
    per_step = [(a + s + p) * 1000 for a, s, p in zip(asked, shown, painted, strict=True)]
    note(f"{steps} slider steps of 0.1 % on {POSITIONS} positions; GUI thread = step + show + repaint")
    figure("what_if.gui_ms_per_step_p50", median(per_step), "ms")
    figure("what_if.gui_ms_per_step_p95", percentile(per_step, 95), "ms")
    figure("what_if.gui_ms_per_step_max", max(per_step), "ms")
    figure("what_if.gui_wall_ms_per_step_p50", median(wall) * 1000, "ms")
    figure("what_if.step_ms_p50", median(asked) * 1000, "ms")
    figure("what_if.show_ms_p50", median(shown) * 1000, "ms")
    figure("what_if.repaint_ms_p50", median(painted) * 1000, "ms")
    figure("what_if.worker_ms_per_shock_p50", median(worker) * 1000, "ms")
    ghosts = window.chart.ghost_bars() if window.chart is not None else []
    note(f"last step: {window.what_if.summary_text()[:160]} ({len(ghosts)} ghosts)")


if __name__ == "__main__":
    main()
