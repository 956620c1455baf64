"""The dead-man's heartbeat: GETs to a loopback endpoint while every stream is live, none while one is down."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.services.heartbeat import Heartbeat, HeartbeatState, from_spec
from tests.forward_servers import PingCounter
from tests.services.manual_sleep import ManualSleep

LIVE = StreamState.LIVE


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


def feed(beat: Heartbeat, account: str, stream: str, state: StreamState) -> None:
    beat.on_health(account, StreamHealth(stream, state))


def test_the_first_ping_goes_when_every_stream_of_every_account_is_live(qapp: QApplication) -> None:
    async def main() -> None:
        server = await PingCounter().start()
        sleep = ManualSleep()
        beat = Heartbeat(server.url(), interval_s=60, sleep=sleep)
        feed(beat, "Main", "user", LIVE)
        feed(beat, "Main", "market", StreamState.CONNECTING)
        feed(beat, "Other", "user", LIVE)
        assert beat.state is HeartbeatState.WAITING
        feed(beat, "Main", "market", LIVE)
        await server.wait_for(1)
        await sleep.slept(1)
        await beat.aclose()
        await server.stop()
        assert (server.pings, sleep.waited, beat.state) == (["/ping/uuid-token"], [60], HeartbeatState.OK)

    run(main())


def test_pings_repeat_at_the_interval_stop_while_a_stream_is_down_and_resume(qapp: QApplication) -> None:
    async def main() -> None:
        server = await PingCounter().start()
        sleep = ManualSleep()
        beat = Heartbeat(server.url(), interval_s=60, sleep=sleep)
        feed(beat, "Main", "user", LIVE)
        await server.wait_for(1)
        await sleep.slept(1)
        sleep.wake()
        await server.wait_for(2)
        await sleep.slept(2)
        feed(beat, "Main", "user", StreamState.RECONNECTING)
        sleep.wake()  # the interval passes while the stream is down
        assert beat.state is HeartbeatState.WAITING
        feed(beat, "Main", "market", StreamState.CONNECTING)
        await asyncio.sleep(0)
        assert len(server.pings) == 2 and sleep.sleeping == 0
        feed(beat, "Main", "user", LIVE)
        feed(beat, "Main", "market", LIVE)
        await server.wait_for(3)  # at once, not an interval later
        await sleep.slept(3)
        await beat.aclose()
        await server.stop()
        assert len(server.pings) == 3 and beat.pings == 3

    run(main())


def test_a_failed_ping_is_a_state_and_a_log_line_without_the_token(
    qapp: QApplication, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> list[tuple[str, str]]:
        server = await PingCounter(statuses=[503]).start()
        sleep = ManualSleep()
        beat = Heartbeat(server.url(), sleep=sleep)
        states: list[tuple[str, str]] = []
        beat.state_changed.connect(lambda s, why: states.append((s, why)))
        feed(beat, "Main", "user", LIVE)
        await sleep.slept(1)
        sleep.wake()
        await sleep.slept(2)
        await beat.aclose()
        await server.stop()
        return states

    with caplog.at_level(logging.WARNING):
        states = run(main())
    assert states == [("failing", "HTTP 503"), ("ok", "")]
    assert "uuid-token" not in caplog.text and "127.0.0.1" in caplog.text


def test_an_unreachable_monitor_fails_without_raising(qapp: QApplication) -> None:
    async def main() -> None:
        closed = PingCounter()  # never started: nothing listens on its port
        sleep = ManualSleep()
        beat = Heartbeat(closed.url(), sleep=sleep, timeout_s=5)
        feed(beat, "Main", "user", LIVE)
        await sleep.slept(1)
        await beat.aclose()
        assert (beat.state, beat.reason) == (HeartbeatState.FAILING, "connection refused")

    run(main())


def test_forgetting_a_removed_account_lets_the_others_ping(qapp: QApplication) -> None:
    async def main() -> None:
        server = await PingCounter().start()
        sleep = ManualSleep()
        beat = Heartbeat(server.url(), sleep=sleep)
        feed(beat, "Main", "user", LIVE)
        feed(beat, "Gone", "user", StreamState.FAILED)
        assert not beat.all_live()
        beat.forget_account("Gone")
        await server.wait_for(1)
        await beat.aclose()
        await server.stop()

    run(main())


def test_the_heartbeat_url_can_come_from_the_environment_and_a_missing_one_is_said(qapp: QApplication) -> None:
    beat, problem = from_spec("env:HC_URL", {"HC_URL": "https://hc-ping.com/secret-uuid"})
    assert beat is not None and problem is None and beat.name == "https://hc-ping.com/…"
    assert from_spec("env:HC_URL", {}) == (None, "The heartbeat is off: environment variable HC_URL is not set.")
    nothing, why = from_spec("hc-ping.com/secret-uuid", {})
    assert nothing is None and why is not None and "secret-uuid" not in why
    assert from_spec(None, {}) == (None, None)
