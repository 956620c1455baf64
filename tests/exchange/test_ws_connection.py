"""ResilientConnection against a tiny loopback websockets server (real sockets, no mocks)."""

from __future__ import annotations

import asyncio
import random
from http import HTTPStatus

import pytest
from websockets.asyncio.client import ClientConnection

from marginwatch.core.stream_health import StreamState
from marginwatch.exchange.ws_connection import (
    ConnectionOptions,
    ConnectReason,
    Disconnect,
    EndKind,
    ResilientConnection,
)
from tests.exchange.virtual_time import VirtualTime
from tests.exchange.ws_harness import FAST, STEPS, FakeClock, Recorder, TinyServer, ZeroJitter, make, make_timed

pytestmark = pytest.mark.asyncio

async def test_delivers_frames_and_reports_live() -> None:
    async with TinyServer() as server:
        rec = Recorder()
        conn = make(server, rec)
        conn.start()
        await rec.until(lambda: "hello 1" in rec.frames)
        assert rec.raw_types == {bytes}  # text frames stay undecoded bytes, as the decoders want them
        assert rec.states()[:2] == [StreamState.CONNECTING, StreamState.LIVE]
        assert rec.connected == [ConnectReason.INITIAL]
        assert await conn.send("ping1")
        await rec.until(lambda: "echo:ping1" in rec.frames)
        assert conn.health.last_message_at is not None
        await conn.stop()
        assert rec.states()[-1] is StreamState.STOPPED
        assert not await conn.send("after stop")


async def test_abrupt_drop_without_close_frame_reconnects() -> None:
    async with TinyServer() as server:
        rec = Recorder()
        conn = make(server, rec)
        conn.start()
        await rec.until(lambda: "hello 1" in rec.frames)
        server.conns[0].transport.abort()  # TCP reset, no close frame (1006 on the client)
        await rec.until(lambda: "hello 2" in rec.frames)
        assert rec.connected == [ConnectReason.INITIAL, ConnectReason.RECONNECT]
        assert conn.reconnects == 1
        assert StreamState.RECONNECTING in rec.states()
        assert rec.health[-1].state is StreamState.LIVE
        await conn.stop()


async def test_stall_is_marked_stale_then_reconnected() -> None:
    async with TinyServer() as server:
        rec = Recorder()
        conn = make(server, rec, stale_after=0.3)
        conn.start()
        await rec.until(lambda: "hello 1" in rec.frames)
        # the server stays connected but silent
        await rec.until(lambda: "hello 2" in rec.frames)
        stale = [h for h in rec.health if h.state is StreamState.STALE]
        assert stale and stale[0].reason is not None and "no data" in stale[0].reason
        assert conn.reconnects >= 1
        await conn.stop()


async def test_user_stream_style_no_staleness_limit_keeps_quiet_socket() -> None:
    async with TinyServer() as server:
        rec = Recorder()
        conn = make(server, rec, stale_after=None)
        conn.start()
        await rec.until(lambda: "hello 1" in rec.frames)
        await asyncio.sleep(0.5)  # quiet period (not synchronisation): silence alone must not reconnect
        assert await conn.send("still there")
        await rec.until(lambda: "echo:still there" in rec.frames)
        assert conn.reconnects == 0 and StreamState.STALE not in rec.states()
        await conn.stop()


async def test_malformed_frame_is_counted_and_never_raised() -> None:
    async with TinyServer() as server:
        rec = Recorder()
        conn = make(server, rec)
        conn.start()
        await rec.until(lambda: "hello 1" in rec.frames)
        await server.broadcast("boom")
        await server.broadcast("after")
        await rec.until(lambda: "after" in rec.frames)
        assert conn.handler_errors == 1
        assert conn.reconnects == 0
        await conn.stop()


async def test_rotation_opens_new_socket_before_closing_old() -> None:
    async with TinyServer() as server:
        rec = Recorder()
        conn = make(server, rec, max_age=0.3, rotation_overlap=0.1)
        conn.start()
        await rec.until(lambda: rec.connected.count(ConnectReason.ROTATION) >= 3)
        assert server.max_open == 2  # overlap: both were open at once, never more
        assert conn.rotations >= 2
        assert conn.reconnects == 0
        assert StreamState.RECONNECTING not in rec.states()
        await conn.stop()


async def test_http_429_on_handshake_backs_off_then_connects() -> None:
    async with TinyServer() as server:
        server.reject_next = 2
        rec = Recorder()
        conn = make(server, rec)
        conn.start()
        await rec.until(lambda: "hello 1" in rec.frames)
        retries = [h for h in rec.health if h.state is StreamState.RECONNECTING]
        assert len(retries) >= 2
        assert all(h.next_retry_at is not None for h in retries)
        assert retries[0].reason is not None and "429" in retries[0].reason
        await conn.stop()


async def test_connection_refused_keeps_retrying_until_server_appears() -> None:
    async with TinyServer() as server:
        port = server.port
    rec = Recorder()

    async def url() -> str:
        return f"ws://127.0.0.1:{port}/ws"

    conn = ResilientConnection("test", url, rec.on_frame, rec.on_health,
                               options=ConnectionOptions(backoff=FAST))
    conn.start()
    await rec.until(lambda: sum(h.state is StreamState.RECONNECTING for h in rec.health) >= 3)
    assert not conn.connected
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    await conn.stop()
    assert loop.time() - t0 < 3.0
    assert rec.states()[-1] is StreamState.STOPPED


async def test_request_reconnect_replaces_socket_immediately() -> None:
    async with TinyServer() as server:
        rec = Recorder()
        conn = make(server, rec)
        conn.start()
        await rec.until(lambda: "hello 1" in rec.frames)
        conn.request_reconnect("new key")
        await rec.until(lambda: "hello 2" in rec.frames)
        assert rec.connected[-1] is ConnectReason.RECONNECT
        await conn.stop()


# ---- backoff: recorded delays, an injected clock, no real waiting ----------------------------------


async def test_failed_handshakes_back_off_exponentially_up_to_the_cap() -> None:
    async with TinyServer() as server:
        server.reject_next = 6
        server.reject_status = HTTPStatus.SERVICE_UNAVAILABLE
        server.retry_after = None
        rec = Recorder()
        conn = make_timed(server, rec, FakeClock())
        conn.start()
        await rec.until(lambda: "hello 1" in rec.frames)
        assert rec.delays == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
        await conn.stop()


async def test_backoff_delays_stay_within_their_jitter_bounds() -> None:
    async with TinyServer() as server:
        server.reject_next = 6
        server.reject_status = HTTPStatus.SERVICE_UNAVAILABLE
        server.retry_after = None
        rec = Recorder()
        conn = make_timed(server, rec, FakeClock(), rng=random.Random(7))
        conn.start()
        await rec.until(lambda: "hello 1" in rec.frames)
        bounds = [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
        assert len(rec.delays) == len(bounds)
        assert all(0.0 <= d <= b for d, b in zip(rec.delays, bounds, strict=True)), rec.delays
        await conn.stop()


async def test_connections_dropped_before_the_stable_threshold_keep_growing_the_backoff() -> None:
    async with TinyServer() as server:
        server.reject_next = 3
        server.reject_status = HTTPStatus.SERVICE_UNAVAILABLE
        server.retry_after = None
        server.drop_first = 2  # accepted, greeted, closed at once: no time passes on the clock
        rec = Recorder()
        conn = make_timed(server, rec, FakeClock())
        conn.start()
        await rec.until(lambda: "hello 3" in rec.frames)
        assert rec.delays == [1.0, 2.0, 4.0, 8.0, 8.0]
        await conn.stop()


async def test_a_connection_that_stayed_up_past_the_stable_threshold_resets_the_backoff() -> None:
    async with TinyServer() as server:
        server.reject_next = 3
        server.reject_status = HTTPStatus.SERVICE_UNAVAILABLE
        server.retry_after = None
        rec = Recorder()
        clock = FakeClock()
        conn = make_timed(server, rec, clock, stable_after=10.0)
        conn.start()
        await rec.until(lambda: "hello 1" in rec.frames)
        assert rec.delays == [1.0, 2.0, 4.0]
        clock.t += 10.5  # the connection has now been up longer than stable_after
        await server.conns[0].close()
        await rec.until(lambda: len(rec.delays) == 4)
        assert rec.delays[3] == 1.0  # back at the first step, not 8
        await rec.until(lambda: "hello 2" in rec.frames)
        await conn.stop()


async def test_handshake_retry_after_is_honoured_as_the_wait() -> None:
    async with TinyServer() as server:
        server.reject_next = 2
        server.retry_after = "7"
        rec = Recorder()
        clock = FakeClock()
        conn = make_timed(server, rec, clock)
        conn.start()
        await rec.until(lambda: "hello 1" in rec.frames)
        assert rec.delays == [7.0, 7.0]  # the server's 7 s, not the backoff's 1 s and 2 s
        retries = [h for h in rec.health if h.state is StreamState.RECONNECTING]
        assert [h.next_retry_at for h in retries] == [clock.t + 7.0, clock.t + 7.0]
        await conn.stop()


async def test_handshake_retry_after_is_capped_at_ten_minutes() -> None:
    async with TinyServer() as server:
        server.reject_next = 1
        server.retry_after = "86400"
        rec = Recorder()
        conn = make_timed(server, rec, FakeClock())
        conn.start()
        await rec.until(lambda: "hello 1" in rec.frames)
        assert rec.delays == [600.0]
        await conn.stop()


async def test_disconnects_reach_the_callback_as_a_close_code_and_whether_we_asked() -> None:
    async with TinyServer() as server:
        server.drop_first = 1
        server.close_with = (4001, "go away")
        rec = Recorder()
        ended: list[Disconnect] = []

        async def url() -> str:
            return server.url

        conn = ResilientConnection("test", url, rec.on_frame, rec.on_health, on_connected=rec.on_connected,
                                   on_disconnected=ended.append, options=ConnectionOptions(backoff=FAST))
        conn.start()
        await rec.until(lambda: "hello 2" in rec.frames)
        conn.request_reconnect("new key")
        await rec.until(lambda: "hello 3" in rec.frames)
        await conn.stop()
        assert ended == [Disconnect(EndKind.CLOSED, 4001, "go away"), Disconnect(EndKind.REQUESTED, None, "new key")]
        assert [d.requested for d in ended] == [False, True]
        assert ended[0].describe() == "closed by server (code 4001: go away)"


async def test_a_requested_reconnect_is_at_once_for_a_stable_socket_and_a_backoff_step_for_a_young_one() -> None:
    async with TinyServer() as server:
        rec = Recorder()
        clock = FakeClock()
        conn = make_timed(server, rec, clock, stable_after=10.0)
        conn.start()
        await rec.until(lambda: "hello 1" in rec.frames)
        clock.t += 10.5  # up longer than stable_after: e.g. a new listenKey after an hour
        conn.request_reconnect("new key")
        await rec.until(lambda: "hello 2" in rec.frames)
        assert rec.delays == []  # no pause
        conn.request_reconnect("new key again")  # the new socket is young: a renewal must not skip the backoff
        await rec.until(lambda: "hello 3" in rec.frames)
        assert rec.delays == [1.0]
        await conn.stop()


async def test_reconnects_stay_within_the_connect_budget_whatever_the_backoff() -> None:
    async with TinyServer() as server:
        server.drop_first = 25  # accepted, greeted, closed at once
        rec = Recorder()
        clock = VirtualTime()
        opened: list[float] = []

        async def url() -> str:
            return server.url

        async def connected(ws: ClientConnection, reason: ConnectReason) -> None:
            opened.append(clock.now)

        conn = ResilientConnection("test", url, rec.on_frame, rec.on_health, on_connected=connected,
                                   options=ConnectionOptions(backoff=STEPS, max_connects=10, connect_window=60.0),
                                   rng=ZeroJitter(), clock=clock, sleep=clock.sleep)
        conn.start()
        await rec.until(lambda: "hello 26" in rec.frames)
        await conn.stop()
        assert opened[:10] == [1000.0] * 10  # the backoff alone (0 s here) would allow them all at once
        assert opened[10] == 1060.0  # the 11th waits for the first to leave the window
        assert all(sum(t <= u < t + 60.0 for u in opened) <= 10 for t in opened)
