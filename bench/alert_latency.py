"""Figure 2: alert latency in the running app (offscreen, demo mode, simulator on loopback).

t0: the simulator is handed a MARGIN_CALL (`emit_user_event`, which queues it on the socket);
t1: `Notifier.notify` is entered (wrapped in this process; the app is not changed). Meanwhile the
simulator pushes 2,000 mark frames/s on the market connection. One call in flight at a time,
with a random 2-12 ms gap so calls land at every phase of the mark load.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from app_harness import qapp, run_qasync, running_app
from common import figure, note, parse_args, percentile

MARKS_PER_S = 2000
BATCH_EVERY_S = 0.01


async def push_marks(sim: Any, stop: asyncio.Event, counter: list[int]) -> None:
    """2,000 single-symbol mark frames a second on every market connection, in 10 ms batches."""
    per_batch = int(MARKS_PER_S * BATCH_EVERY_S)
    rnd = random.Random(7)
    loop = asyncio.get_running_loop()
    next_at = loop.time()
    while not stop.is_set():
        conns = sim.hub.of(("market",))
        for c in conns:
            streams = [s for s in c.streams if s.endswith("@markprice@1s") or "@markPrice@1s" in s]
            if not streams:
                continue
            for k in range(per_batch):
                name = streams[k % len(streams)]
                sym = name.split("@")[0].upper()
                base = sim.engine.marks.get(sym, Decimal(100))
                price = base * Decimal(1 + rnd.uniform(-1e-4, 1e-4))
                payload = {"e": "markPriceUpdate", "E": sim.now_ms(), "s": sym, "p": f"{price:.2f}",
                           "i": f"{price:.2f}", "P": f"{price:.2f}", "r": "0.00010000", "T": sim.now_ms() + 3600_000}
                c.send_json({"stream": name, "data": payload} if c.combined else payload)
            counter[0] += per_batch
        next_at += BATCH_EVERY_S
        await asyncio.sleep(max(0.0, next_at - loop.time()))


stages: dict[str, list[float]] = {"to_session": [], "journal": []}


async def bench(calls: int) -> list[float]:
    app = qapp()
    async with running_app(app, ["--scenario", "calm"]) as (controller, sim):
        sim.pause()  # prices still tick; the scenario itself stays quiet
        notifier = controller.notifier
        original = notifier.notify
        pending: dict[int, tuple[float, asyncio.Future[float]]] = {}

        def timed_notify(alert: Any) -> None:
            t1 = time.perf_counter()
            raw = getattr(alert, "raw", None)
            entry = pending.pop(getattr(raw, "event_time", -1), None)
            if entry is not None and not entry[1].done():
                entry[1].set_result(t1 - entry[0])
            original(alert)

        notifier.notify = timed_notify  # type: ignore[method-assign]
        # Stage timings (diagnosis): arrival at the session callback, and the journal writes
        # (SQLite, synchronous=FULL) that the controller does before it notifies.
        session = next(iter(controller.accounts.values())).session
        on_call = session._on_margin_call

        def timed_session(ev: Any) -> None:
            entry = pending.get(ev.event_time)
            if entry is not None:
                stages["to_session"].append(time.perf_counter() - entry[0])
            on_call(ev)

        session._on_margin_call = timed_session
        for meth in ("record_margin_call_event", "record_alert"):
            inner = getattr(controller.journal, meth)

            def timed(*a: Any, _inner: Any = inner, **kw: Any) -> Any:
                t = time.perf_counter()
                try:
                    return _inner(*a, **kw)
                finally:
                    stages["journal"].append(time.perf_counter() - t)

            setattr(controller.journal, meth, timed)
        stop = asyncio.Event()
        frames = [0]
        pusher = asyncio.get_running_loop().create_task(push_marks(sim, stop, frames))
        await asyncio.sleep(0.5)  # let the load settle
        rnd = random.Random(3)
        base_time = sim.now_ms() + 10_000_000
        latencies: list[float] = []
        start = time.perf_counter()
        for k in range(calls):
            event_time = base_time + k
            payload = {"e": "MARGIN_CALL", "E": event_time, "cw": "3.16812045", "p": [
                {"s": "ETHUSDT", "ps": "LONG", "pa": "1.327", "mt": "CROSSED", "iw": "0",
                 "mp": f"{187 + k / 1000:.5f}", "up": "-1.166074", "mm": "1.614445"}]}
            fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
            pending[event_time] = (time.perf_counter(), fut)
            sim.emit_user_event(payload)
            latencies.append(await asyncio.wait_for(fut, 5))
            await asyncio.sleep(rnd.uniform(0.002, 0.012))
        elapsed = time.perf_counter() - start
        stop.set()
        await pusher
        note(f"mark frames pushed during the run: {frames[0]} ({frames[0] / (elapsed + 0.5):.0f}/s)")
        figure("alert_latency.mark_load", frames[0] / (elapsed + 0.5), "frames/s")
    return latencies


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__ or "", argv)
    calls = 300 if args.quick else 1000
    lat = run_qasync(qapp(), bench(calls))
    ms = [x * 1000 for x in lat]
    figure("alert_latency.calls", len(ms), "calls")
    figure("alert_latency.p50", percentile(ms, 50), "ms")
    figure("alert_latency.p99", percentile(ms, 99), "ms")
    figure("alert_latency.max", max(ms), "ms")
    for stage, values in stages.items():
        v = [x * 1000 for x in values]
        if v:
            figure(f"alert_latency.stage.{stage}.p50", percentile(v, 50), "ms")
            figure(f"alert_latency.stage.{stage}.p99", percentile(v, 99), "ms")


if __name__ == "__main__":
    main()
