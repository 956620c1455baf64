"""What ResilientConnection reports, against a loopback websockets server: each Disconnect, the
health it emits (its text, name, counts, and no repeats), its counters, its log lines, and how the
socket it opens is configured."""

from __future__ import annotations

import logging
import socket
from http import HTTPStatus

import pytest
from websockets.asyncio.client import ClientConnection

from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.exchange.ws_connection import (
    ConnectionOptions,
    ConnectReason,
    Disconnect,
    EndKind,
    ResilientConnection,
)
from tests.exchange.ws_harness import FAST, Recorder, TinyServer

pytestmark = pytest.mark.asyncio
LOGGER = "marginwatch.exchange.ws_connection"


@pytest.mark.parametrize(("ended", "text"), [
    (Disconnect(EndKind.REQUESTED, reason="new key"), "new key"),
    (Disconnect(EndKind.REQUESTED), "requested"),
    (Disconnect(EndKind.STALE, reason="no data for 5.0s"), "no data for 5.0s"),
    (Disconnect(EndKind.STALE), "stale"),
    (Disconnect(EndKind.CLOSED, None, "ConnectionClosedError: no close frame received or sent"),
     "connection lost (ConnectionClosedError: no close frame received or sent)"),
    (Disconnect(EndKind.CLOSED), "connection lost"),
    (Disconnect(EndKind.CLOSED, 4001, "go away"), "closed by server (code 4001: go away)"),
    (Disconnect(EndKind.CLOSED, 1000), "closed by server (code 1000)"),
])
async def test_each_kind_of_disconnect_is_described_in_words(ended: Disconnect, text: str) -> None:
    assert ended.describe() == text


def _open(server: TinyServer, rec: Recorder, ended: list[Disconnect] | None = None,
          **opts: object) -> ResilientConnection:
    async def url() -> str:
        return server.url

    return ResilientConnection("test", url, rec.on_frame, rec.on_health, on_connected=rec.on_connected,
                               on_disconnected=None if ended is None else ended.append,
                               options=ConnectionOptions(backoff=FAST, **opts))  # type: ignore[arg-type]


async def test_a_drop_without_a_close_frame_and_a_long_close_reason_reach_the_callback_as_sent() -> None:
    async with TinyServer() as server:
        server.drop_first = 2
        server.close_with = (4002, "r" * 123)  # the longest reason a close frame can carry
        rec = Recorder()
        ended: list[Disconnect] = []
        conn = _open(server, rec, ended)
        conn.start()
        await rec.until(lambda: "hello 1" in rec.frames)
        await rec.until(lambda: "hello 2" in rec.frames)
        await rec.until(lambda: "hello 3" in rec.frames)
        server.conns[2].transport.abort()
        await rec.until(lambda: "hello 4" in rec.frames)
        await conn.stop()
    assert ended == [
        Disconnect(EndKind.CLOSED, 4002, "r" * 120),
        Disconnect(EndKind.CLOSED, 4002, "r" * 120),
        Disconnect(EndKind.CLOSED, None, "ConnectionClosedError: no close frame received or sent"),
    ]
    reasons = [h.reason for h in rec.health if h.state in (StreamState.RECONNECTING, StreamState.FAILED)]
    assert reasons[-1] == "connection lost (ConnectionClosedError: no close frame received or sent)"


async def test_health_names_the_stream_counts_reconnects_and_never_repeats_itself() -> None:
    async with TinyServer() as server:
        rec = Recorder()
        conn = _open(server, rec)
        assert conn.health == StreamHealth("test", StreamState.STOPPED)  # before start
        conn.start()
        await rec.until(lambda: "hello 1" in rec.frames)
        server.conns[0].transport.abort()
        await rec.until(lambda: "hello 2" in rec.frames)
        await server.conns[1].close()
        await rec.until(lambda: "hello 3" in rec.frames)
        await conn.stop()
        await conn.stop()  # a second stop reports nothing new
    assert {h.name for h in rec.health} == {"test"}
    assert all(isinstance(h.state, StreamState) for h in rec.health)
    assert all(a != b for a, b in zip(rec.health, rec.health[1:], strict=False))
    assert rec.states()[-1] is StreamState.STOPPED and rec.states().count(StreamState.STOPPED) == 1
    waits = [h for h in rec.health if h.state in (StreamState.RECONNECTING, StreamState.FAILED)]
    assert [h.reconnects for h in waits] == [1, 2] and conn.reconnects == 2
    assert waits[1].reason is not None and waits[1].reason.startswith("closed by server (code 1000), retrying in")


async def test_frames_connects_and_handler_errors_are_counted_exactly() -> None:
    async with TinyServer() as server:
        rec = Recorder()
        conn = _open(server, rec)
        assert (conn.frames, conn.connects, conn.rotations, conn.handler_errors) == (0, 0, 0, 0)
        conn.start()
        await rec.until(lambda: "hello 1" in rec.frames)
        for text in ("boom", "a", "boom", "b"):
            await server.broadcast(text)
        await rec.until(lambda: "b" in rec.frames)
        assert (conn.frames, conn.handler_errors, conn.connects) == (5, 2, 1)
        conn.request_reconnect("again")
        await rec.until(lambda: "hello 2" in rec.frames)
        assert (conn.frames, conn.connects, conn.rotations) == (6, 2, 0)
        await conn.stop()


async def test_a_failing_callback_is_logged_and_the_stream_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    async with TinyServer() as server:
        server.drop_first = 1
        rec = Recorder()

        def bad_health(h: StreamHealth) -> None:
            rec.on_health(h)
            raise RuntimeError("health bug")

        def bad_disconnect(d: Disconnect) -> None:
            raise RuntimeError("disconnect bug")

        def bad_text(d: Disconnect) -> str | None:
            raise RuntimeError("text bug")

        async def url() -> str:
            return server.url

        conn = ResilientConnection("acct", url, rec.on_frame, bad_health, on_disconnected=bad_disconnect,
                                   describe_disconnect=bad_text, options=ConnectionOptions(backoff=FAST))
        with caplog.at_level(logging.INFO, logger=LOGGER):
            conn.start()
            await rec.until(lambda: "hello 2" in rec.frames)
            await server.broadcast("boom")
            await server.broadcast("after")
            await rec.until(lambda: "after" in rec.frames)
            await conn.stop()
    records = [r for r in caplog.records if r.name == LOGGER]
    errors = {r.getMessage(): r.exc_info for r in records if r.levelno == logging.ERROR}
    assert set(errors) == {"acct stream: health callback failed", "acct stream: disconnect callback failed",
                           "acct stream: disconnect text failed"}
    assert all(info is not None and info[0] is RuntimeError for info in errors.values())
    messages = [r.getMessage() for r in records if r.levelno < logging.ERROR]
    assert "acct stream: reconnecting (closed by server (code 1000))" in messages  # the text fell back
    assert "acct stream: frame handler failed: ValueError" in messages
    assert rec.states()[-1] is StreamState.STOPPED and conn.reconnects == 1


async def test_connect_failures_and_rotations_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    async with TinyServer() as server:
        server.reject_next = 1
        server.reject_status = HTTPStatus.SERVICE_UNAVAILABLE
        server.retry_after = None
        rec = Recorder()
        conn = _open(server, rec, max_age=0.3, rotation_overlap=0.05)
        with caplog.at_level(logging.INFO, logger=LOGGER):
            conn.start()
            await rec.until(lambda: ConnectReason.ROTATION in rec.connected)
            server.reject_next = 1  # the next rotation's connect is refused
            await rec.until(lambda: rec.connected.count(ConnectReason.ROTATION) >= 2)
            await conn.stop()
    messages = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    refused = "InvalidStatus: server rejected WebSocket connection: HTTP 503"
    assert messages[0] == f"test stream: connect failed ({refused})"
    assert "test stream: rotated connection" in messages
    assert f"test stream: rotation connect failed ({refused}); keeping the old socket" in messages


@pytest.mark.parametrize(("raised", "reason"), [
    (RuntimeError(), "RuntimeError"),
    (ValueError("no key yet"), "ValueError: no key yet"),
    (ValueError("x" * 400), "ValueError: " + "x" * 288),
])
async def test_a_url_source_that_fails_is_a_failed_connect_shown_by_its_error(raised: Exception, reason: str) -> None:
    rec = Recorder()

    async def url() -> str:
        raise raised

    conn = ResilientConnection("test", url, rec.on_frame, rec.on_health, options=ConnectionOptions(backoff=FAST))
    conn.start()
    await rec.until(lambda: StreamState.RECONNECTING in rec.states())
    await conn.stop()
    first = next(h for h in rec.health if h.state is StreamState.RECONNECTING)
    assert first.reason == reason and len(reason) <= 300


async def test_the_url_never_shows_in_a_reason_it_is_written_as_url() -> None:
    rec = Recorder()

    async def url() -> str:
        return "http://127.0.0.1:1/ws/SECRETLISTENKEY"  # not a websocket URI: websockets quotes it back

    conn = ResilientConnection("test", url, rec.on_frame, rec.on_health, options=ConnectionOptions(backoff=FAST))
    conn.start()
    await rec.until(lambda: StreamState.RECONNECTING in rec.states())
    await conn.stop()
    reason = next(h.reason for h in rec.health if h.state is StreamState.RECONNECTING)
    assert reason == "InvalidURI: <url> isn't a valid URI: scheme isn't ws or wss"


async def test_a_custom_disconnect_text_is_the_reason_shown_and_none_falls_back() -> None:
    async with TinyServer() as server:
        server.drop_first = 2
        server.close_with = (4003, "bye")
        rec = Recorder()
        seen: list[Disconnect] = []

        def text(d: Disconnect) -> str | None:
            seen.append(d)
            return f"the exchange closed it ({d.code})" if len(seen) == 1 else None

        async def url() -> str:
            return server.url

        conn = ResilientConnection("test", url, rec.on_frame, rec.on_health, describe_disconnect=text,
                                   options=ConnectionOptions(backoff=FAST))
        conn.start()
        await rec.until(lambda: "hello 3" in rec.frames)
        await conn.stop()
    reasons = [h.reason for h in rec.health if h.state in (StreamState.RECONNECTING, StreamState.FAILED)]
    assert reasons[0] == "the exchange closed it (4003)"
    assert reasons[1] is not None and reasons[1].startswith("closed by server (code 4003: bye)")
    assert seen == [Disconnect(EndKind.CLOSED, 4003, "bye")] * 2


async def test_the_socket_is_opened_with_the_options_given() -> None:
    async with TinyServer(compression="deflate") as server:
        rec = Recorder()
        sockets: list[ClientConnection] = []

        async def hook(ws: ClientConnection, reason: ConnectReason) -> None:
            sockets.append(ws)
            await ws.send("subscribe")  # the hook gets the new socket itself

        async def url() -> str:
            return server.url

        options = ConnectionOptions(backoff=FAST, ping_interval=7.0, ping_timeout=8.0, close_timeout=1.5,
                                    max_size=12345)
        conn = ResilientConnection("test", url, rec.on_frame, rec.on_health, on_connected=hook, options=options)
        conn.start()
        await rec.until(lambda: "echo:subscribe" in rec.frames)
        (ws,) = sockets
        assert (ws.ping_interval, ws.ping_timeout, ws.close_timeout) == (7.0, 8.0, 1.5)
        assert ws.protocol.max_message_size == 12345
        assert ws.response is not None and "Sec-WebSocket-Extensions" not in ws.response.headers  # no deflate
        await conn.stop()


async def test_a_frame_above_max_size_ends_the_socket_and_one_at_the_limit_does_not() -> None:
    async with TinyServer() as server:
        rec = Recorder()
        ended: list[Disconnect] = []
        conn = _open(server, rec, ended)  # the default limit: 4 MiB
        conn.start()
        await rec.until(lambda: "hello 1" in rec.frames)
        await server.broadcast("x" * (4 * 1024 * 1024))
        await rec.until(lambda: conn.frames == 2)
        assert conn.reconnects == 0
        await server.broadcast("x" * (4 * 1024 * 1024 + 1))
        await rec.until(lambda: "hello 2" in rec.frames)
        await conn.stop()
    assert [d.code for d in ended] == [None] and "1009" in ended[0].reason  # message too big


async def test_a_proxy_in_the_environment_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{s.getsockname()[1]}"
    for name in ("ws_proxy", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, nowhere)
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    async with TinyServer() as server:
        rec = Recorder()
        conn = _open(server, rec)
        conn.start()
        await rec.until(lambda: "hello 1" in rec.frames)
        assert conn.reconnects == 0 and StreamState.RECONNECTING not in rec.states()
        await conn.stop()


async def test_send_on_a_socket_the_server_has_closed_says_false() -> None:
    async with TinyServer() as server:
        rec = Recorder()
        sockets: list[ClientConnection] = []
        sent: list[bool] = []

        async def url() -> str:
            return server.url

        async def hook(ws: ClientConnection, reason: ConnectReason) -> None:
            sockets.append(ws)
            if reason is ConnectReason.ROTATION:
                # While the new socket's hook runs, the old one is still the current socket.
                await server.conns[0].close()
                await sockets[0].wait_closed()
                sent.append(await conn.send("too late"))
            await rec.on_connected(ws, reason)

        conn = ResilientConnection("test", url, rec.on_frame, rec.on_health, on_connected=hook,
                                   options=ConnectionOptions(backoff=FAST, max_age=0.2, rotation_overlap=0.05))
        conn.start()
        await rec.until(lambda: "hello 2" in rec.frames)  # read by the new socket, once it is the current one
        assert sent == [False] and server.received == []
        assert await conn.send("on the new one")  # and the rotation put the new socket in its place
        await rec.until(lambda: "echo:on the new one" in rec.frames)
        await conn.stop()
