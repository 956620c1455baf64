"""ResilientConnection's timing at its edges, against a loopback websockets server: staleness and
rotation exactly at their limits, a refused rotation retried after a backoff step, the overlap of
rotated sockets, when a stream shows FAILED, the connect budget's wait, and how long stop() takes."""

from __future__ import annotations

import asyncio
import random
from http import HTTPStatus

import pytest
from websockets.asyncio.client import ClientConnection

from marginwatch.core.stream_health import StreamState
from marginwatch.exchange.ws_connection import (
    Backoff,
    ConnectionOptions,
    ConnectReason,
    Disconnect,
    EndKind,
    ResilientConnection,
)
from tests.exchange.virtual_time import VirtualTime
from tests.exchange.ws_harness import FAST, STEPS, FakeClock, Recorder, TinyServer, TopOfJitter, ZeroJitter, make_timed

pytestmark = pytest.mark.asyncio


def _conn(server: TinyServer, rec: Recorder, *, clock: FakeClock | None = None, rng: random.Random | None = None,
          ended: list[Disconnect] | None = None, **opts: object) -> ResilientConnection:
    async def url() -> str:
        return server.url

    options = ConnectionOptions(**{"backoff": FAST, **opts})  # type: ignore[arg-type]
    return ResilientConnection("test", url, rec.on_frame, rec.on_health, on_connected=rec.on_connected,
                               on_disconnected=None if ended is None else ended.append, options=options,
                               rng=rng, clock=clock, sleep=rec.sleep if clock is not None else None)


def _stream_tasks() -> list[asyncio.Task[object]]:
    return [t for t in asyncio.all_tasks() if t.get_name() == "test stream"]


@pytest.mark.parametrize("start", [1000.0, 0.0])
async def test_a_silence_of_exactly_the_staleness_limit_is_stale(start: float) -> None:
    async with TinyServer() as server:
        rec, clock = Recorder(), FakeClock()
        ended: list[Disconnect] = []
        clock.t = start  # a clock may start at 0
        conn = _conn(server, rec, clock=clock, ended=ended, stale_after=0.5)
        conn.start()
        await rec.until(lambda: "hello 1" in rec.frames)
        clock.t += 0.5  # read when the loop's own 0.5 s wait ends
        await rec.until(lambda: StreamState.STALE in rec.states() or ConnectReason.ROTATION in rec.connected)
        await conn.stop()
    stale = next(h for h in rec.health if h.state is StreamState.STALE)
    assert stale.reason == "no data for 0.5s" and stale.last_message_at == start
    assert ended[0] == Disconnect(EndKind.STALE, None, "no data for 0.5s")
    assert ConnectReason.ROTATION not in rec.connected


async def test_a_socket_exactly_at_its_maximum_age_is_rotated() -> None:
    async with TinyServer() as server:
        rec, clock = Recorder(), FakeClock()
        conn = _conn(server, rec, clock=clock, max_age=0.25)
        conn.start()
        await rec.until(lambda: "hello 1" in rec.frames)
        clock.t += 0.25
        await rec.until(lambda: ConnectReason.ROTATION in rec.connected, limit=3.0)
        await conn.stop()


async def test_frames_keep_a_stream_live_and_silence_makes_it_stale_within_the_limit() -> None:
    async with TinyServer() as server:
        rec = Recorder()
        conn = _conn(server, rec, stale_after=0.25)
        conn.start()
        await rec.until(lambda: "hello 1" in rec.frames)
        loop = asyncio.get_running_loop()
        for i in range(8):  # a tick every 0.08 s for well over two staleness limits
            await server.broadcast(f"tick {i}")
            await asyncio.sleep(0.08)  # pacing the ticks, not waiting for the code under test
        assert StreamState.STALE not in rec.states() and conn.reconnects == 0
        quiet_from = loop.time()
        await rec.until(lambda: StreamState.STALE in rec.states())
        assert loop.time() - quiet_from < 0.9  # the loop wakes at the limit, not a second later
        await conn.stop()


async def test_touch_restarts_the_staleness_clock() -> None:
    async with TinyServer() as server:
        rec = Recorder()
        conn = _conn(server, rec, stale_after=0.4)
        conn.start()
        await rec.until(lambda: "hello 1" in rec.frames)
        loop = asyncio.get_running_loop()
        await asyncio.sleep(0.25)  # let part of the limit pass silently (not synchronisation)
        touched = loop.time()
        conn.touch()
        await rec.until(lambda: StreamState.STALE in rec.states())
        assert loop.time() - touched >= 0.4
        await conn.stop()


async def test_a_refused_rotation_keeps_the_old_socket_and_is_tried_again_after_a_backoff_step() -> None:
    async with TinyServer() as server:
        rec = Recorder()
        loop = asyncio.get_running_loop()
        times: dict[ConnectReason, list[float]] = {}

        async def url() -> str:
            return server.url

        async def hook(ws: ClientConnection, reason: ConnectReason) -> None:
            times.setdefault(reason, []).append(loop.time())
            if reason is ConnectReason.INITIAL:
                server.reject_next = 1  # the first rotation's connect is refused
            await rec.on_connected(ws, reason)

        options = ConnectionOptions(backoff=Backoff(base=0.25, cap=10.0), max_age=0.3, rotation_overlap=0.05)
        conn = ResilientConnection("test", url, rec.on_frame, rec.on_health, on_connected=hook, options=options,
                                   rng=TopOfJitter())
        conn.start()
        await rec.until(lambda: ConnectReason.ROTATION in rec.connected)
        await conn.stop()
    gap = times[ConnectReason.ROTATION][0] - times[ConnectReason.INITIAL][0]
    assert 0.8 <= gap < 1.25  # 0.3 s age, refused, then the second backoff step (0.5 s)
    assert conn.reconnects == 0 and StreamState.RECONNECTING not in rec.states()


async def test_after_a_rotation_both_sockets_deliver_for_the_overlap_then_the_old_one_closes() -> None:
    async with TinyServer() as server:
        rec = Recorder()
        loop = asyncio.get_running_loop()
        conn = _conn(server, rec, max_age=0.6, stale_after=5.0)  # the default overlap: 1 s
        conn.start()
        await rec.until(lambda: ConnectReason.ROTATION in rec.connected)
        rotated_at = loop.time()
        await rec.until(lambda: "hello 2" in rec.frames)
        assert await conn.send("via new")
        await rec.until(lambda: "echo:via new" in rec.frames)
        assert server.received == ["via new"] and conn.rotations == 1 and conn.connected
        await server.until_closed(1)
        assert server.closed_at[0] - rotated_at >= 1.0 and server.close_codes[0] == 1000
        await conn.stop()
        assert _stream_tasks() == []


async def test_a_stream_the_server_keeps_closing_young_shows_failed_from_the_second_close() -> None:
    async with TinyServer() as server:
        server.drop_first = 3
        server.close_with = (1008, "policy")
        rec, clock = Recorder(), FakeClock()
        conn = make_timed(server, rec, clock)
        conn.start()
        await rec.until(lambda: "hello 4" in rec.frames)
        await conn.stop()
    waits = [(h.state, h.reason, h.next_retry_at) for h in rec.health
             if h.state in (StreamState.RECONNECTING, StreamState.FAILED)]
    why = "closed by server (code 1008: policy)"
    assert waits == [
        (StreamState.RECONNECTING, why, 1001.0),
        (StreamState.FAILED, f"{why}, retrying in 2 s", 1002.0),
        (StreamState.FAILED, f"{why}, retrying in 4 s", 1004.0),
    ]


async def test_young_sockets_lost_without_a_close_frame_are_reconnecting_not_failed() -> None:
    async with TinyServer() as server:
        rec, clock = Recorder(), FakeClock()
        conn = make_timed(server, rec, clock)
        conn.start()
        for n in (1, 2, 3):
            await rec.until(lambda n=n: f"hello {n}" in rec.frames)  # type: ignore[misc]
            if n < 3:
                server.conns[n - 1].transport.abort()
        await conn.stop()
    assert rec.delays == [1.0, 2.0] and StreamState.FAILED not in rec.states()


async def test_young_sockets_we_asked_to_replace_show_failed_from_the_second_request() -> None:
    async with TinyServer() as server:
        rec, clock = Recorder(), FakeClock()
        conn = make_timed(server, rec, clock)
        conn.start()
        for n in (1, 2, 3):
            await rec.until(lambda n=n: f"hello {n}" in rec.frames)  # type: ignore[misc]
            if n < 3:
                conn.request_reconnect("new key")
        await conn.stop()
    assert [h.state for h in rec.health if h.reason is not None] == [StreamState.RECONNECTING, StreamState.FAILED]


async def test_a_socket_up_exactly_the_stable_time_is_stable() -> None:
    async with TinyServer() as server:
        rec, clock = Recorder(), FakeClock()
        conn = make_timed(server, rec, clock, stable_after=10.0)
        conn.start()
        await rec.until(lambda: "hello 1" in rec.frames)
        clock.t += 10.0
        conn.request_reconnect("new key")
        await rec.until(lambda: "hello 2" in rec.frames)
        assert rec.delays == []
        await conn.stop()


async def test_after_a_stable_socket_drops_the_backoff_starts_again_from_its_first_step() -> None:
    async with TinyServer() as server:
        server.reject_next = 1
        server.reject_status = HTTPStatus.SERVICE_UNAVAILABLE
        server.retry_after = None
        rec, clock = Recorder(), FakeClock()
        conn = make_timed(server, rec, clock, stable_after=10.0)
        conn.start()
        await rec.until(lambda: "hello 1" in rec.frames)
        assert rec.connected == [ConnectReason.RECONNECT]  # the first handshake failed: events may be missed
        clock.t += 10.5
        server.reject_next = 1
        await server.conns[0].close()
        await rec.until(lambda: "hello 2" in rec.frames)
        assert rec.delays == [1.0, 1.0, 1.0]  # refused; dropped when stable; refused once more
        await conn.stop()


async def test_a_wait_for_the_connect_budget_is_shown_as_waiting_and_sat_out_to_the_end() -> None:
    async with TinyServer() as server:
        rec = Recorder()
        clock = VirtualTime()
        opened: list[float] = []

        async def url() -> str:
            return server.url

        async def hook(ws: ClientConnection, reason: ConnectReason) -> None:
            opened.append(clock.now)
            await rec.on_connected(ws, reason)

        conn = ResilientConnection("test", url, rec.on_frame, rec.on_health, on_connected=hook,
                                   options=ConnectionOptions(backoff=STEPS, stable_after=0.0, max_connects=10,
                                                             connect_window=60.0),
                                   rng=ZeroJitter(), clock=clock, sleep=clock.sleep)
        conn.start()
        for n in range(1, 11):
            await rec.until(lambda n=n: len(opened) == n)  # type: ignore[misc]
            if n < 10:
                conn.request_reconnect("new key")  # stable (stable_after 0): at once
        clock.now = 1059.5
        conn.request_reconnect("new key")
        await rec.until(lambda: len(opened) == 11)
        await conn.stop()
    assert opened == [1000.0] * 10 + [1060.0]
    waiting = [h for h in rec.health if h.reason is not None]
    assert [(h.state, h.reason, h.next_retry_at) for h in waiting] == [
        (StreamState.RECONNECTING, "10 connects in 60 s; waiting", 1060.0)]


class _HangingHook:
    def __init__(self, hang: int) -> None:
        self.hang = hang  # how many connects' hooks never return
        self.entered = asyncio.Event()

    async def __call__(self, ws: ClientConnection, reason: ConnectReason) -> None:
        if self.hang > 0:
            self.hang -= 1
            self.entered.set()
            await asyncio.Event().wait()


async def test_a_hook_that_never_returns_fails_that_connect_after_the_hook_timeout() -> None:
    async with TinyServer() as server:
        rec = Recorder()
        hook = _HangingHook(hang=1)

        async def url() -> str:
            return server.url

        conn = ResilientConnection("test", url, rec.on_frame, rec.on_health, on_connected=hook,
                                   options=ConnectionOptions(backoff=FAST, hook_timeout=0.2))
        conn.start()
        await rec.until(lambda: "hello 2" in rec.frames)
        assert rec.health[1].state is StreamState.RECONNECTING and rec.health[1].reason == "TimeoutError"
        await conn.stop()


@pytest.mark.parametrize(("grace", "least", "most"), [(0.3, 0.3, 1.5), (None, 3.0, 3.9)])
async def test_stop_waits_at_most_its_grace_for_a_connect_stuck_in_its_hook(
    grace: float | None, least: float, most: float
) -> None:
    async with TinyServer() as server:
        rec = Recorder()
        hook = _HangingHook(hang=1)

        async def url() -> str:
            return server.url

        conn = ResilientConnection("test", url, rec.on_frame, rec.on_health, on_connected=hook,
                                   options=ConnectionOptions(backoff=FAST))  # the hook may take 10 s
        conn.start()
        await asyncio.wait_for(hook.entered.wait(), 5.0)
        loop = asyncio.get_running_loop()
        began = loop.time()
        await (conn.stop() if grace is None else conn.stop(grace))  # the default grace: 3 s
        assert least <= loop.time() - began < most
        assert rec.states()[-1] is StreamState.STOPPED


async def test_stop_aborts_a_socket_whose_close_is_not_answered_within_the_grace() -> None:
    async with TinyServer() as server:
        rec = Recorder()
        conn = _conn(server, rec, close_timeout=2.0)
        conn.start()
        await rec.until(lambda: "hello 1" in rec.frames)
        server.conns[0].transport.pause_reading()  # our close frame is never read, so never answered
        loop = asyncio.get_running_loop()
        began = loop.time()
        await conn.stop(grace=0.3)
        assert loop.time() - began < 1.2
        server.conns[0].transport.abort()  # or the server's own shutdown waits for that close


async def test_stop_and_a_requested_reconnect_close_their_sockets_with_a_close_frame() -> None:
    async with TinyServer() as server:
        rec = Recorder()
        conn = _conn(server, rec)
        conn.start()
        await rec.until(lambda: "hello 1" in rec.frames)
        conn.request_reconnect("new key")
        await rec.until(lambda: "hello 2" in rec.frames)
        await server.until_closed(1)
        await conn.stop()
        await server.until_closed(2)
    assert server.close_codes == [1000, 1000]


async def test_stop_before_start_reports_stopped_and_start_twice_opens_one_socket() -> None:
    async with TinyServer() as server:
        rec = Recorder()
        conn = _conn(server, rec)
        await conn.stop()
        assert rec.states() == [] and conn.health.state is StreamState.STOPPED
        conn.start()
        conn.start()
        await rec.until(lambda: "hello 1" in rec.frames)
        assert await conn.send("one")
        await rec.until(lambda: "echo:one" in rec.frames)
        assert len(server.conns) == 1 and rec.connected == [ConnectReason.INITIAL]
        assert len(_stream_tasks()) >= 2  # the supervisor and the reader, named for the stream
        await conn.stop()
        assert _stream_tasks() == []
        conn.start()  # a stopped connection can be started again
        await rec.until(lambda: "hello 2" in rec.frames)
        await conn.stop()

