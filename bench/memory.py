"""Figure 5: RSS of the running app (in this process, offscreen demo mode) after start and after a
run with the mark stream at 1 Hz; the RSS slope over the second half, extrapolated to 24 h; and,
because a page-granular RSS slope over minutes is weak evidence on its own, what the Python heap
did over the second half:

- `py_blocks_growth`: net change of live pymalloc blocks (`sys.getallocatedblocks`), exact;
- `gc_objects_growth`: net change of gc-tracked objects, and the types that grew most (stderr);
- `traced_growth`: tracemalloc, started a warm-up before the half (so steady-state churn is traced
  by then): net change of live traced bytes from the half to the end, per allocation site (top
  sites on stderr). Memory allocated before tracing and freed later is not seen, so it leans high;
- `asyncio_tasks_growth`, `threads_growth`, and `modules_growth` (a first use that imports code
  grows the heap once: that is not a leak).

tracemalloc's own memory is subtracted from the RSS samples it overlaps, so it does not bias the slope.
The simulator lists `--symbols` symbols (default 600, about Binance's USDⓈ-M count; the demo book's
4 plus small extra ones without positions) and the account follows the all-market mark stream
(`!markPrice@arr@1s`, as the app does from 150 held symbols on): every second the app receives
and decodes an array of 600 marks, as it would on Binance.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import threading
import time
import tracemalloc
from array import array
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psutil

from marginwatch.app import drop_import_sources

drop_import_sources()  # as `marginwatch` does before it imports the rest of the app

from app_harness import demo_exchange, qapp, run_qasync, running_app  # noqa: E402
from common import figure, note  # noqa: E402
from marginwatch.exchange.mark_price_stream import ALL_MARKET_STREAM  # noqa: E402
from marginwatch.services import demo  # noqa: E402

TOP = 8  # growing types / allocation sites listed on stderr


def _rss() -> float:
    """RSS in bytes, without the memory tracemalloc uses for itself while it traces."""
    return psutil.Process().memory_info().rss - tracemalloc.get_tracemalloc_memory()


def _types() -> Counter[str]:
    return Counter(type(o).__qualname__ for o in gc.get_objects())


def _slope(ts: array[float], rs: array[float]) -> float:
    """Least-squares slope (bytes/s): less at the mercy of one page than the two end points."""
    n = len(ts)
    if n < 2:
        return 0.0
    mt, mr = sum(ts) / n, sum(rs) / n
    var = sum((t - mt) ** 2 for t in ts)
    return sum((t - mt) * (r - mr) for t, r in zip(ts, rs, strict=True)) / var if var else 0.0


def _where(tb: tracemalloc.Traceback) -> str:
    """The innermost frame in the app, else the allocating frame (frames run oldest first)."""
    return str(next((f for f in reversed(tb) if "marginwatch" in f.filename), tb[-1]))


async def bench(seconds: float, dump: Path) -> dict[str, float]:
    """Whatever the measuring keeps alive from the half to the end (the type counts, the RSS
    samples) exists before the half's figures are taken, and the tracemalloc snapshots wait on disk,
    so the second-half growth figures count the app and not this script."""
    out: dict[str, float] = {}
    half = seconds / 2
    trace_from = half - min(60.0, seconds / 8)  # warm-up: steady-state churn is traced by the half
    ts, rs = array("d", bytes(8 * (int(half) + 8))), array("d", bytes(8 * (int(half) + 8)))
    n = 0
    async with running_app(qapp(), ["--scenario", "demo"]) as (controller, _sim):
        await asyncio.sleep(2)
        gc.collect()
        out["rss_after_start"] = _rss()
        # Binance accounts' mark streams (a MEXC account's marks ride on its private socket)
        streams = [m for a in controller.accounts.values() if (m := getattr(a.session, "mark_stream", None))]
        frames0 = sum(m.connection.frames for m in streams)
        t0 = time.monotonic()
        while (now := time.monotonic() - t0) < seconds:
            await asyncio.sleep(1)
            if now >= trace_from and not tracemalloc.is_tracing():
                tracemalloc.start(8)
            if now >= half and n == 0:
                gc.collect()
                types0 = _types()
                tracemalloc.take_snapshot().dump(str(dump))
                gc.collect()
                blocks0, tasks0, threads0 = sys.getallocatedblocks(), len(asyncio.all_tasks()), threading.active_count()
                modules0 = len(sys.modules)
            if now >= half and n < len(ts):
                ts[n], rs[n] = now, _rss()
                n += 1
        out["market_frames_per_s"] = (sum(m.connection.frames for m in streams) - frames0) / seconds
        out["all_market"] = float(any(ALL_MARKET_STREAM in m.subscribed for m in streams))
        gc.collect()
        out["rss_after_run"] = _rss()
        blocks1, tasks1, threads1 = sys.getallocatedblocks(), len(asyncio.all_tasks()), threading.active_count()
        out["modules_growth"] = len(sys.modules) - modules0  # a first use importing code: growth that stops
        tracemalloc.take_snapshot().dump(str(dump) + ".end")
        tracemalloc.stop()
        types1 = _types()
    out["slope"] = _slope(ts[:n], rs[:n])
    out["window"] = ts[n - 1] - ts[0]
    out["blocks_growth"] = blocks1 - blocks0
    out["objects_growth"] = sum(types1.values()) - sum(types0.values())
    out["tasks_growth"] = tasks1 - tasks0
    out["threads_growth"] = threads1 - threads0
    last, first = (tracemalloc.Snapshot.load(str(dump) + end) for end in (".end", ""))
    diffs = last.compare_to(first, "traceback")
    out["traced_growth"] = sum(d.size_diff for d in diffs)
    top_types = ", ".join(f"{k} +{v}" for k, v in (types1 - types0).most_common(TOP)) or "none"
    note(f"gc object types that grew over the second half: {top_types}")
    note("allocation sites with the largest net growth over the second half:")
    for d in sorted(diffs, key=lambda d: d.size_diff, reverse=True)[:TOP]:
        note(f"  {d.size_diff:+8d} B {d.count_diff:+5d} blocks  {_where(d.traceback)}")
    return out


def _all_market(symbols: int) -> type[demo.DemoExchange]:
    """The demo exchange listing `symbols` symbols; every session follows the all-market stream."""
    from dataclasses import replace
    from typing import Any

    from marginwatch.exchange import session
    from marginwatch.exchange.sim.market import SYMBOLS, with_extra_symbols

    listed = with_extra_symbols(symbols - len(SYMBOLS))

    class LargeMarketDemo(demo.DemoExchange):
        def __init__(self, scenario: str = "demo", speed: float = 1.0) -> None:
            super().__init__(scenario, speed, symbols=listed)

    init = session.AccountSession.__init__

    def all_market_init(self: session.AccountSession, *args: Any, options: Any = None, **kw: Any) -> None:
        init(self, *args, options=replace(options or session.SessionOptions(), all_market_threshold=1), **kw)

    session.AccountSession.__init__ = all_market_init  # type: ignore[method-assign]
    return LargeMarketDemo


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true", help="60 s run (CI mode); figures are noisier")
    p.add_argument("--seconds", type=float, default=None, help="run length (default 600, 60 with --quick)")
    p.add_argument("--symbols", type=int, default=600, help="symbols the simulator lists (all-market size)")
    args = p.parse_args(argv)
    seconds = args.seconds or (60.0 if args.quick else 600.0)
    if seconds < 20:
        p.error("--seconds must be at least 20")
    exchange = _all_market(args.symbols) if args.symbols > 4 else demo.DemoExchange
    with demo_exchange(exchange), tempfile.TemporaryDirectory(prefix="mw-memory-") as tmp:
        r = run_qasync(qapp(), bench(seconds, Path(tmp) / "half.tracemalloc"))
    mb, day = 2**20, 86400
    per_day = r["slope"] * day / mb
    figure("memory.rss_after_start", r["rss_after_start"] / mb, "MB")
    figure("memory.rss_after_run", r["rss_after_run"] / mb, "MB")
    figure("memory.run_seconds", seconds, "s")
    figure("memory.symbols_listed", args.symbols, "symbols")
    figure("memory.all_market_stream", "yes" if r["all_market"] else "no", "-")
    figure("memory.market_frames_per_s", r["market_frames_per_s"], "frames/s")
    figure("memory.slope_24h", per_day, "MB/24h")
    figure("memory.rss_24h_extrapolated", r["rss_after_run"] / mb + per_day, "MB")
    figure("memory.py_blocks_growth_2nd_half", r["blocks_growth"], "blocks")
    figure("memory.gc_objects_growth_2nd_half", r["objects_growth"], "objects")
    figure("memory.traced_growth_2nd_half", r["traced_growth"] / 1024, "KB")
    figure("memory.traced_growth_24h", r["traced_growth"] / r["window"] * day / mb, "MB/24h")
    figure("memory.asyncio_tasks_growth_2nd_half", r["tasks_growth"], "tasks")
    figure("memory.threads_growth_2nd_half", r["threads_growth"], "threads")
    figure("memory.modules_growth_2nd_half", r["modules_growth"], "modules")


if __name__ == "__main__":
    main()
