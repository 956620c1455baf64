"""Figure 3: GUI cost with 200 positions, every mark updating at 1 Hz (offscreen), with the table's
"Last hour" sparklines redrawn at each 10 s sample.

Each second, as in the app: apply 200 new marks to an AccountState on the GUI thread, compute the
risk on AccountService's worker thread (`RiskWorker`: a snapshot is taken on the GUI thread) and,
when it arrives, `MainWindow.update_account(...)` with the liquidation chart attached. The update
cost is the GUI thread's share: applying the marks, the snapshot and update_account.
Busy share = GUI-thread CPU time / wall time (the offscreen platform paints on that thread too;
the worker's time is reported apart). Stalls: a 1 ms precise QTimer probe; a stall is the gap
between two probe firings beyond its interval.
"""

from __future__ import annotations

import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QApplication

from common import figure, note, parse_args
from marginwatch.app import shorten_gil_switch_interval
from marginwatch.core.account_state import AccountState
from marginwatch.core.events import MarkPriceUpdate
from marginwatch.core.position import MarginType, Position, PositionSide
from marginwatch.exchange.sim.market import bracket_entries, bracket_tables
from marginwatch.services.account_service import RiskWorker
from marginwatch.services.risk_history_store import RiskSample
from marginwatch.ui.liquidation_chart import LiquidationChart
from marginwatch.ui.main_window import MainWindow

POSITIONS = 200


def build_state() -> tuple[AccountState, list[str]]:
    btc = bracket_tables(bracket_entries())["BTCUSDT"]
    symbols = [f"S{i:03d}USDT" for i in range(POSITIONS)]
    positions = [
        Position(
            symbol=s, position_side=PositionSide.BOTH, amount=Decimal("0.01") * (1 if i % 2 else -1),
            entry_price=Decimal(100 + i), mark_price=Decimal(100 + i),
            margin_type=MarginType.ISOLATED if i % 4 == 0 else MarginType.CROSS,
            isolated_wallet=Decimal("0.2") if i % 4 == 0 else Decimal(0), leverage=20,
        )
        for i, s in enumerate(symbols)
    ]
    state = AccountState()
    state.reseed(positions, Decimal("500"), {s: btc for s in symbols})
    return state, symbols


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__ or "", argv)
    seconds = 15.0 if args.quick else 60.0
    shorten_gil_switch_interval()  # as marginwatch.app.main does at start-up
    app = QApplication.instance() or QApplication(["marginwatch-bench"])
    window = MainWindow()
    window.resize(1280, 800)
    window.show()
    window.attach_chart(LiquidationChart())
    state, symbols = build_state()
    # The "Last hour" sparklines as the app feeds them: an hour of samples per position, a new one
    # every 10 s (each rebuilds the lines once; repaints in between reuse them).
    hour = [RiskSample(time.time() - 3600 + i * 10, 0.2 + 0.1 * ((i * 7) % 13) / 13, None, None) for i in range(361)]
    window.set_sparkline_source(lambda _key: hour)
    sampler = QTimer()
    sampler.timeout.connect(window.refresh_sparklines)
    rnd = random.Random(5)
    update_cost: list[float] = []
    worker = RiskWorker("bench")
    tick_cost = [0.0]

    def tick() -> None:
        t = time.perf_counter()
        now = int(time.time() * 1000)
        marks = [
            MarkPriceUpdate(event_time=now, symbol=s, mark_price_text=f"{(100 + i) * rnd.uniform(0.98, 1.02):.2f}")
            for i, s in enumerate(symbols)
        ]
        state.apply_mark_prices(marks)
        worker.request(state)
        tick_cost[0] = time.perf_counter() - t

    def on_risk(_version: int, risk: object) -> None:
        t = time.perf_counter()
        window.update_account("Bench", risk)  # type: ignore[arg-type]
        update_cost.append(tick_cost[0] + time.perf_counter() - t)

    worker.computed.connect(on_risk)

    gaps: list[float] = []
    last = [time.perf_counter()]

    def probe() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    tick()  # first fill (table rows created) is not the steady state
    loop = QEventLoop()
    QTimer.singleShot(2000, loop.quit)
    loop.exec()

    ticker = QTimer()
    ticker.setTimerType(Qt.TimerType.PreciseTimer)
    ticker.timeout.connect(tick)
    prober = QTimer()
    prober.setTimerType(Qt.TimerType.PreciseTimer)
    prober.timeout.connect(probe)
    update_cost.clear()
    cpu0, wall0 = time.thread_time(), time.perf_counter()
    last[0] = wall0
    ticker.start(1000)
    prober.start(1)
    sampler.start(10_000)
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    cpu, wall = time.thread_time() - cpu0, time.perf_counter() - wall0
    ticker.stop()
    prober.stop()
    sampler.stop()
    # The probe itself runs ~1000 times a second; its own cost is not the app's.
    probe_cost = 0.0
    t = time.perf_counter()
    for _ in range(10000):
        probe()
    probe_cost = (time.perf_counter() - t) / 10000 * len(gaps)
    busy = max(0.0, cpu - probe_cost) / wall
    stall = max(g - 0.001 for g in gaps) * 1000
    note(f"{len(update_cost)} updates, probe fired {len(gaps)} times in {wall:.1f}s")
    figure("gui.positions", POSITIONS, "positions")
    figure("gui.busy_share", busy * 100, "%")
    figure("gui.longest_stall", stall, "ms")
    figure("gui.update_cost_max", max(update_cost) * 1000, "ms")
    figure("gui.update_cost_median", sorted(update_cost)[len(update_cost) // 2] * 1000, "ms")
    worker.close()
    window.allow_close()
    window.close()
    app.processEvents()


if __name__ == "__main__":
    main()
