"""Figure 5: RSS of the running app (in this process, offscreen demo mode) after start and after a
run with the mark stream at 1 Hz; the slope over the second half of the run, extrapolated to 24 h.

The simulator lists 4 symbols, so "all-market" here is every symbol it has (4), not Binance's ~600.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psutil

from app_harness import qapp, run_qasync, running_app
from common import figure, parse_args


async def bench(seconds: float) -> tuple[float, float, float]:
    proc = psutil.Process()
    async with running_app(qapp(), ["--scenario", "demo"]):
        await asyncio.sleep(2)
        gc.collect()
        start_rss = proc.memory_info().rss
        samples: list[tuple[float, int]] = []
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            await asyncio.sleep(1)
            samples.append((time.monotonic() - t0, proc.memory_info().rss))
        gc.collect()
        end_rss = proc.memory_info().rss
    half = samples[len(samples) // 2 :]
    (ta, ra), (tb, rb) = half[0], half[-1]
    slope = (rb - ra) / (tb - ta) if tb > ta else 0.0
    return start_rss / 2**20, end_rss / 2**20, slope * 86400 / 2**20


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__ or "", argv)
    seconds = 60.0 if args.quick else 600.0
    start, end, per_day = run_qasync(qapp(), bench(seconds))
    figure("memory.rss_after_start", start, "MB")
    figure("memory.rss_after_run", end, "MB")
    figure("memory.run_seconds", seconds, "s")
    figure("memory.slope_24h", per_day, "MB/24h")
    figure("memory.rss_24h_extrapolated", end + per_day, "MB")


if __name__ == "__main__":
    main()
