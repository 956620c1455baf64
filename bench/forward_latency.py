"""Figure: a margin call forwarded to the trader's phone (ntfy protocol) on loopback.

The app runs as `marginwatch --demo --forward ntfy://127.0.0.1:PORT/phone` (offscreen, in this
process) under alert_latency's background load (2,000 mark frames/s). t0: the simulator is handed
a MARGIN_CALL; t1: the local ntfy-protocol server has the POST (Apprise, in its worker thread).
The desktop path (t0 → `Notifier.notify`) is timed in the same run, to show forwarding costs it
nothing. One call in flight at a time, 2-12 ms apart.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import sys
import time
from pathlib import Path
from typing import Any

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))

from alert_latency import push_marks
from app_harness import qapp, run_qasync, running_app
from common import figure, note, parse_args, percentile


class Phone:
    """Speaks enough of ntfy's publish protocol: a JSON POST to /, answered 200."""

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.waiting: asyncio.Future[float] | None = None
        self.priorities: list[str] = []
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/", self._post)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _post(self, request: web.Request) -> web.Response:
        body = json.loads(await request.text())
        if str(body.get("title", "")).startswith("Margin call"):
            self.priorities.append(request.headers.get("X-Priority", "default"))
            if self.waiting is not None and not self.waiting.done():
                self.waiting.set_result(time.perf_counter())
        return web.json_response({"id": "m", "event": "message"})


async def bench(calls: int) -> tuple[list[float], list[float], list[str]]:
    phone = Phone()
    await phone.start()
    app = qapp()
    forwarded: list[float] = []
    desktop: list[float] = []
    async with running_app(app, ["--scenario", "calm", "--forward", f"ntfy://127.0.0.1:{phone.port}/phone"]) as (
        controller, sim,
    ):
        sim.pause()
        notifier = controller.notifier
        original = notifier.notify
        started: list[float] = [0.0]

        def timed_notify(alert: Any) -> None:
            desktop.append(time.perf_counter() - started[0])
            original(alert)

        notifier.notify = timed_notify  # type: ignore[method-assign]
        stop = asyncio.Event()
        frames = [0]
        pusher = asyncio.get_running_loop().create_task(push_marks(sim, stop, frames))
        await asyncio.sleep(0.5)  # let the load settle
        rnd = random.Random(5)
        base_time = sim.now_ms() + 20_000_000
        begin = time.perf_counter()
        for k in range(calls):
            payload = {"e": "MARGIN_CALL", "E": base_time + k, "cw": "3.16812045", "p": [
                {"s": "ETHUSDT", "ps": "LONG", "pa": "1.327", "mt": "CROSSED", "iw": "0",
                 "mp": f"{187 + k / 1000:.5f}", "up": "-1.166074", "mm": "1.614445"}]}
            phone.waiting = asyncio.get_running_loop().create_future()
            started[0] = time.perf_counter()
            sim.emit_user_event(payload)
            forwarded.append(await asyncio.wait_for(phone.waiting, 5) - started[0])
            await asyncio.sleep(rnd.uniform(0.002, 0.012))
        elapsed = time.perf_counter() - begin
        stop.set()
        await pusher
        await controller.forwarder.drain()
        await phone.stop()  # before the app quits: its window closing stops the loop
        note(f"mark frames pushed during the run: {frames[0]} ({frames[0] / (elapsed + 0.5):.0f}/s)")
        figure("forward_latency.mark_load", frames[0] / (elapsed + 0.5), "frames/s")
    return forwarded, desktop, phone.priorities


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__ or "", argv)
    calls = 200 if args.quick else 1000
    forwarded, desktop, priorities = run_qasync(qapp(), bench(calls))
    ms = [x * 1000 for x in forwarded]
    figure("forward_latency.calls", len(ms), "calls")
    figure("forward_latency.p50", percentile(ms, 50), "ms")
    figure("forward_latency.p99", percentile(ms, 99), "ms")
    figure("forward_latency.max", max(ms), "ms")
    d = [x * 1000 for x in desktop]
    figure("forward_latency.desktop.p50", percentile(d, 50), "ms")
    figure("forward_latency.desktop.p99", percentile(d, 99), "ms")
    figure("forward_latency.priority_max_share", priorities.count("max") / max(1, len(priorities)), "ratio")


if __name__ == "__main__":
    main()
