"""Escalation: urgent alerts repeat on their channels until acknowledged or cleared (real ntfy on loopback)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication

from marginwatch.core.risk_tiers import RiskTier
from marginwatch.services.alert import Alert, AlertKind
from marginwatch.services.alert_engine import ClearedAlert
from marginwatch.services.forwarding import Channel, Forwarder
from marginwatch.services.journal import Journal
from tests.forward_servers import LoopbackReceiver
from tests.services.manual_sleep import ManualSleep

NOON = datetime(2026, 12, 2, 12, 0).timestamp()


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


def margin_call(key: str = "mc:1") -> Alert:
    return Alert(kind=AlertKind.MARGIN_CALL, account="Main", tier=RiskTier.DANGER, title="Margin call on Main",
                 body="ETHUSDT LONG", dedupe_key=key, created_at=NOON)


def test_a_margin_call_repeats_at_the_interval_up_to_the_cap(qapp: QApplication) -> None:
    async def main() -> None:
        server = await LoopbackReceiver().start()
        sleep = ManualSleep()
        fwd = Forwarder([Channel(server.url())], clock=lambda: NOON, repeat_sleep=sleep,
                        repeat_every_s=120, repeat_cap=3)
        fwd.forward(margin_call())
        for sends in (1, 2):
            await server.wait_for(sends)
            await sleep.slept(sends)
            assert len(server.received) == sends  # nothing more until the interval has passed
            sleep.wake()
        await server.wait_for(3)
        await fwd.drain(repeats=True)
        await server.stop()
        assert sleep.waited == [120, 120]
        assert [m.title for m in server.received] == [
            "Margin call on Main", "[repeat 2/3] Margin call on Main", "[repeat 3/3] Margin call on Main"]
        assert all(m.priority == 5 for m in server.received)

    run(main())


def test_a_warning_is_sent_once_and_never_repeats(qapp: QApplication) -> None:
    async def main() -> None:
        server = await LoopbackReceiver().start()
        sleep = ManualSleep()
        fwd = Forwarder([Channel(server.url())], clock=lambda: NOON, repeat_sleep=sleep)
        fwd.forward(Alert(kind=AlertKind.THRESHOLD, account="Main", tier=RiskTier.WARNING, title="Warning",
                          body="", dedupe_key="th:w", created_at=NOON))
        await fwd.drain(repeats=True)
        await server.stop()
        assert (len(server.received), sleep.waited) == (1, [])

    run(main())


def test_acknowledging_stops_the_repeats_and_is_journalled(qapp: QApplication, tmp_path: Path) -> None:
    async def main(journal: Journal) -> None:
        server = await LoopbackReceiver().start()
        sleep = ManualSleep()
        channel = Channel(server.url())
        fwd = Forwarder([channel], journal=journal, clock=lambda: NOON, repeat_sleep=sleep)
        fwd.forward(margin_call())
        await sleep.slept(1)
        assert fwd.acknowledge("mc:1") is True
        await fwd.drain(repeats=True)
        sleep.wake()
        await server.stop()
        assert len(server.received) == 1
        assert [(r["channel"], r["state"]) for r in journal.deliveries("mc:1")] == [(channel.key, "acknowledged")]
        assert fwd.acknowledge("mc:1") is False  # already done: nothing repeats

    with Journal.open(tmp_path / "j.sqlite3") as journal:
        run(main(journal))


def test_clearing_stops_the_repeats_and_says_so_once(qapp: QApplication, tmp_path: Path) -> None:
    async def main(journal: Journal) -> None:
        server = await LoopbackReceiver().start()
        sleep = ManualSleep()
        fwd = Forwarder([Channel(server.url())], journal=journal, clock=lambda: NOON, repeat_sleep=sleep)
        fwd.forward(margin_call())
        await sleep.slept(1)
        cleared = ClearedAlert("Main", RiskTier.WARNING, "Margin call on Main cleared", ("mc:1",))
        fwd.clear(cleared)
        fwd.clear(cleared)
        await fwd.drain(repeats=True)
        await server.stop()
        assert [m.title for m in server.received] == ["Margin call on Main", "Margin call on Main cleared"]
        assert [r["state"] for r in journal.deliveries("mc:1")] == ["cleared"]
        assert fwd.escalating() == []

    with Journal.open(tmp_path / "j.sqlite3") as journal:
        run(main(journal))


def test_acknowledge_all_stops_every_repeating_alert(qapp: QApplication) -> None:
    async def main() -> None:
        server = await LoopbackReceiver().start()
        sleep = ManualSleep()
        fwd = Forwarder([Channel(server.url())], clock=lambda: NOON, repeat_sleep=sleep)
        fwd.forward(margin_call("mc:1"))
        fwd.forward(margin_call("mc:2"))
        await sleep.slept(2)
        assert fwd.acknowledge_all() == 2
        await fwd.drain(repeats=True)
        await server.stop()
        assert len(server.received) == 2

    run(main())


def test_a_margin_call_burst_sends_quickly_then_repeats_at_the_interval(qapp: QApplication) -> None:
    async def main() -> None:
        server = await LoopbackReceiver().start()
        sleep = ManualSleep()
        fwd = Forwarder([Channel(server.url())], clock=lambda: NOON, repeat_sleep=sleep,
                        burst=3, burst_gap_s=2, repeat_every_s=300, repeat_cap=2)
        fwd.forward(margin_call())
        for sends in (1, 2, 3):
            await server.wait_for(sends)
            await sleep.slept(sends)
            sleep.wake()
        await server.wait_for(4)
        await fwd.drain(repeats=True)
        await server.stop()
        assert sleep.waited == [2, 2, 300]
        assert len(server.received) == 4

    run(main())


def test_the_stop_notice_reaches_every_channel_before_it_returns(qapp: QApplication) -> None:
    async def main() -> None:
        server = await LoopbackReceiver().start()
        fwd = Forwarder([Channel(server.url("ntfy", "a")), Channel(server.url("ntfy", "b"))], clock=lambda: NOON)
        await fwd.say_stopped(timeout_s=5)
        got = sorted((m.topic, m.title) for m in server.received)
        await server.stop()
        assert got == [("a", "MarginWatch stopped monitoring — no further alerts"),
                       ("b", "MarginWatch stopped monitoring — no further alerts")]

    run(main())
