"""Figure 6: idle CPU of the running app (in this process, offscreen demo mode, calm market,
marks at 1 Hz): process CPU time / wall time over the window, after a settling period.

The simulator's demo book (5 positions) is extended by 15 small calm legs on 15 extra symbols
(`extend_demo_book`), so the app follows 20 positions on 19 symbols; the count used is printed.
The simulator runs in the same process, so its own cost is included (an upper bound).
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from app_harness import qapp, run_qasync, running_app
from common import figure, parse_args
from marginwatch.exchange.sim.engine import DEFAULT_BOOK, extend_demo_book

POSITIONS = 20


async def bench(seconds: float) -> tuple[float, int]:
    async with running_app(qapp(), ["--scenario", "calm"]) as (controller, _sim):
        await asyncio.sleep(3)
        positions = len(next(iter(controller.accounts.values())).session.state.positions())
        cpu0, wall0 = time.process_time(), time.monotonic()
        await asyncio.sleep(seconds)
        share = (time.process_time() - cpu0) / (time.monotonic() - wall0)
    return share * 100, positions


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__ or "", argv)
    extend_demo_book(POSITIONS - len(DEFAULT_BOOK))
    share, positions = run_qasync(qapp(), bench(15.0 if args.quick else 60.0))
    figure("idle_cpu.positions", positions, "positions")
    figure("idle_cpu.share", share, "%core")


if __name__ == "__main__":
    main()
