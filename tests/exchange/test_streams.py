"""The user and mark-price streams against the simulated exchange (dedupe/ordering: test_event_order.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio

from marginwatch.core.events import AccountUpdate, MarginCall
from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.exchange.credentials import Credentials
from marginwatch.exchange.endpoints import Endpoints
from marginwatch.exchange.listen_key import ListenKeyManager
from marginwatch.exchange.mark_price_stream import MarkPriceStream
from marginwatch.exchange.rest_client import BinanceRestClient
from marginwatch.exchange.sim.auth import DEMO_API_KEY, DEMO_API_SECRET
from marginwatch.exchange.sim.server import SimulatedExchange
from marginwatch.exchange.user_stream import UserDataStream
from marginwatch.exchange.ws_connection import Backoff, ConnectionOptions
from tests.exchange.session_harness import wait_until
from tests.exchange.virtual_time import VirtualTime

FAST_USER = ConnectionOptions(stale_after=None, backoff=Backoff(0.02, 0.2), ping_interval=0.5, ping_timeout=0.5)
FAST_MARKET = ConnectionOptions(stale_after=0.6, backoff=Backoff(0.02, 0.2))


def endpoints(sim: SimulatedExchange) -> Endpoints:
    return Endpoints.local(sim.base_url, sim.ws_url)


@contextlib.asynccontextmanager
async def user_stream(sim: SimulatedExchange, events: list[Any], *, options: ConnectionOptions = FAST_USER,
                      **timing: Any) -> AsyncIterator[UserDataStream]:
    """A user stream on its own listenKey manager; `timing` (clock, sleep, rng, on_health) goes to it."""
    client = BinanceRestClient(endpoints(sim), Credentials(DEMO_API_KEY, DEMO_API_SECRET))
    keys = ListenKeyManager(client, retry_interval=0.05)
    stream = UserDataStream(endpoints(sim), keys, events.append, options=options, **timing)
    await keys.start()
    stream.start()
    try:
        yield stream
    finally:
        await stream.stop()
        await keys.stop()
        await client.close()


def private_conns(sim: SimulatedExchange) -> list[Any]:
    return sim.hub.of(("private",))


@dataclass
class ConnectedStream:
    sim: SimulatedExchange
    events: list[Any]  # what the stream passed on
    stream: UserDataStream


@pytest_asyncio.fixture
async def connected() -> AsyncIterator[ConnectedStream]:
    """A user stream with its one private socket open, on a simulator whose engine does not run."""
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim:
        events: list[Any] = []
        async with user_stream(sim, events) as stream:
            await wait_until(lambda: len(private_conns(sim)) == 1)
            yield ConnectedStream(sim, events, stream)


@pytest.mark.asyncio
async def test_user_stream_delivers_decoded_events_and_counts_bad_frames(connected: ConnectedStream) -> None:
    sim, events, stream = connected.sim, connected.events, connected.stream
    sim.faults.send_malformed("private")
    sim.emit_user_event({"e": "SOMETHING_NEW", "E": sim.now_ms(), "x": 1})
    sim.engine.open_position("XRPUSDT" if "XRPUSDT" in sim.engine.symbols else "BTCUSDT", "LONG", "1")
    await wait_until(lambda: any(isinstance(e, AccountUpdate) for e in events))
    assert stream.malformed == 1 and stream.unknown == 1
    assert stream.connection.reconnects == 0


@pytest.mark.asyncio
async def test_an_account_update_row_with_a_non_finite_number_is_left_out_and_logged(
    connected: ConnectedStream, caplog: pytest.LogCaptureFixture,
) -> None:
    row = {"s": "BTCUSDT", "pa": "NaN", "ep": "100", "cr": "0", "up": "0", "mt": "cross", "iw": "0", "ps": "LONG"}
    frame = {"e": "ACCOUNT_UPDATE", "E": 7, "T": 6, "a": {"m": "ORDER", "P": [row, {**row, "s": "ETHUSDT", "pa": "2"}]}}
    sim, events, stream = connected.sim, connected.events, connected.stream
    with caplog.at_level(logging.WARNING, logger="marginwatch.exchange.user_stream"):
        sim.faults.push_user_frame(frame)
        await wait_until(lambda: any(isinstance(e, AccountUpdate) for e in events))
    (update,) = events
    assert [p.symbol for p in update.data.positions] == ["ETHUSDT"]
    assert stream.malformed == 0
    assert any("left out" in r.getMessage() and "'BTCUSDT' (pa)" in r.getMessage() for r in caplog.records)


@pytest.mark.asyncio
async def test_user_stream_renews_listen_key_after_expiry_and_keeps_receiving(connected: ConnectedStream) -> None:
    sim, events, stream = connected.sim, connected.events, connected.stream
    old = sim.faults.expire_listen_key()
    await wait_until(lambda: sim.listen_key is not None and len(private_conns(sim)) == 1
                     and old not in private_conns(sim)[0].listen_keys)
    assert stream.expired == 1
    sim.engine.emit_margin_call()
    await wait_until(lambda: any(isinstance(e, MarginCall) for e in events))


@pytest.mark.asyncio
async def test_user_stream_gets_a_new_key_when_the_server_refuses_the_old_one(connected: ConnectedStream) -> None:
    sim, events, stream = connected.sim, connected.events, connected.stream
    old = sim.listen_key
    sim.listen_key = None  # the key died silently (no listenKeyExpired event)
    await sim.faults.drop("private")  # the reconnect with the old key is refused with 1008
    await wait_until(lambda: sim.listen_key not in (None, old) and len(private_conns(sim)) == 1
                     and sim.listen_key in private_conns(sim)[0].listen_keys)
    assert stream.expired == 0
    sim.engine.emit_margin_call()
    await wait_until(lambda: any(isinstance(e, MarginCall) for e in events))


@pytest.mark.asyncio
async def test_user_stream_detects_a_stalled_socket_by_ping_and_reconnects(connected: ConnectedStream) -> None:
    sim, events, stream = connected.sim, connected.events, connected.stream
    first = private_conns(sim)[0]
    sim.faults.stall("private")  # no frames, no pongs
    await wait_until(lambda: stream.connection.reconnects >= 1
                     and any(c is not first for c in private_conns(sim)))
    sim.engine.emit_margin_call()
    await wait_until(lambda: any(isinstance(e, MarginCall) for e in events))


class ZeroJitter(random.Random):
    """Full jitter drawn at its lower bound: every backoff delay is 0, the worst case for a storm."""

    def uniform(self, a: float, b: float) -> float:
        return a


class TopOfJitter(random.Random):
    """Full jitter drawn at its upper bound: each delay is the backoff step itself."""

    def uniform(self, a: float, b: float) -> float:
        return b


# What a user stream runs with outside tests: the default backoff and connection budget.
DEFAULT_USER = ConnectionOptions(stale_after=None, close_timeout=0.5)
STORM = 30  # connects that end a test early: far more than a minute may take


def private_counts(sim: SimulatedExchange) -> tuple[int, int]:
    """(private handshakes, listenKey POSTs) since the simulator started."""
    state = sim.state()
    return state["private_connects"], state["listen_key_posts"]


async def a_virtual_minute(sim: SimulatedExchange, clock: VirtualTime,
                           before: tuple[int, int]) -> tuple[int, int]:
    """Connects and POSTs from now until the clock has moved a minute (or a storm made that moot)."""
    counted: list[tuple[int, int]] = []
    clock.when(clock.now + 60.0, lambda: counted.append(private_counts(sim)))
    await wait_until(lambda: bool(counted) or private_counts(sim)[0] - before[0] > STORM, 15)
    after = counted[0] if counted else private_counts(sim)
    return after[0] - before[0], after[1] - before[1]


@pytest.mark.asyncio
async def test_a_server_refusing_every_private_socket_gets_at_most_ten_connects_and_posts_a_minute() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim:
        clock = VirtualTime()
        async with user_stream(sim, [], options=DEFAULT_USER, clock=clock, sleep=clock.sleep,
                               rng=ZeroJitter()):
            await wait_until(lambda: len(private_conns(sim)) == 1)
            before = private_counts(sim)
            sim.faults.refuse_private(1008)
            await sim.faults.drop("private")
            connects, posts = await a_virtual_minute(sim, clock, before)
            assert 1 <= connects <= 10
            assert posts <= connects  # one listenKey POST at most per refused socket


@pytest.mark.asyncio
async def test_listen_key_expired_after_every_connect_gets_at_most_ten_connects_and_posts_a_minute() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim:
        clock = VirtualTime()
        async with user_stream(sim, [], options=DEFAULT_USER, clock=clock, sleep=clock.sleep,
                               rng=ZeroJitter()) as stream:
            await wait_until(lambda: len(private_conns(sim)) == 1)
            before = private_counts(sim)
            minute = asyncio.ensure_future(a_virtual_minute(sim, clock, before))
            seen: set[Any] = set()
            while not minute.done():
                # a hostile server: listenKeyExpired on every socket as soon as it is open
                await wait_until(lambda: minute.done() or any(c not in seen for c in private_conns(sim)))
                fresh = [c for c in private_conns(sim) if c not in seen]
                seen.update(fresh)
                if fresh:
                    sim.faults.push_user_frame({"e": "listenKeyExpired", "E": sim.now_ms(),
                                                "listenKey": sim.listen_key})
            connects, posts = await minute
            assert stream.expired >= 2
            assert 1 <= connects <= 10
            assert posts <= connects


@pytest.mark.asyncio
@pytest.mark.parametrize(("code", "reason"), [
    (1008, "listenKey refused"),
    (4000, "closed by server (code 4000: refused (simulated fault))"),
])
async def test_repeated_refusals_show_as_failed_with_the_reason_and_the_wait(code: int, reason: str) -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim:
        clock = VirtualTime()
        health: list[StreamHealth] = []
        sim.faults.refuse_private(code)
        async with user_stream(sim, [], options=DEFAULT_USER, clock=clock, sleep=clock.sleep,
                               rng=TopOfJitter(), on_health=health.append) as stream:
            await wait_until(lambda: sum(h.state is StreamState.FAILED for h in health) >= 3)
            failed = [h for h in health if h.state is StreamState.FAILED][:3]
            # backoff steps 0.5 s (the first refusal: reconnecting), then 1, 2, 4 s: failed
            assert [h.reason for h in failed] == [f"{reason}, retrying in {n} s" for n in (1, 2, 4)]
            assert all(h.next_retry_at is not None for h in failed)
            sim.faults.clear()
            await wait_until(lambda: stream.health.state is StreamState.LIVE)


@pytest.mark.asyncio
async def test_mark_stream_follows_symbols_incrementally() -> None:
    async with SimulatedExchange(tick_interval=0.05) as sim:
        marks: list[Any] = []
        stream = MarkPriceStream(endpoints(sim), marks.extend, options=FAST_MARKET)
        stream.start()
        try:
            await wait_until(lambda: len(sim.hub.of(("market",))) == 1)
            conn = sim.hub.of(("market",))[0]
            stream.set_symbols({"BTCUSDT", "ETHUSDT"})
            await wait_until(lambda: {m.symbol for m in marks} == {"BTCUSDT", "ETHUSDT"})
            assert sorted(conn.streams) == ["btcusdt@markPrice@1s", "ethusdt@markPrice@1s"]
            stream.set_symbols({"ETHUSDT", "SOLUSDT"})
            await wait_until(lambda: sorted(conn.streams) == ["ethusdt@markPrice@1s", "solusdt@markPrice@1s"])
            marks.clear()
            await wait_until(lambda: {m.symbol for m in marks} >= {"ETHUSDT", "SOLUSDT"})
            assert "BTCUSDT" not in {m.symbol for m in marks}
            assert stream.connection.reconnects == 0
        finally:
            await stream.stop()


@pytest.mark.asyncio
async def test_mark_stream_resubscribes_after_drop_and_reconnects_when_stale() -> None:
    async with SimulatedExchange(tick_interval=0.05) as sim:
        marks: list[Any] = []
        states: list[StreamState] = []
        stream = MarkPriceStream(endpoints(sim), marks.extend, lambda h: states.append(h.state),
                                 options=FAST_MARKET)
        stream.set_symbols({"BTCUSDT"})
        stream.start()
        try:
            await wait_until(lambda: bool(marks))
            await sim.faults.drop("market")
            await wait_until(lambda: stream.connection.reconnects == 1 and len(sim.hub.of(("market",))) == 1
                             and sim.hub.of(("market",))[0].streams == ["btcusdt@markPrice@1s"])
            sim.faults.stall("market")
            await wait_until(lambda: stream.connection.reconnects == 2)
            assert StreamState.STALE in states
            marks.clear()
            await wait_until(lambda: bool(marks))
        finally:
            await stream.stop()


@pytest.mark.asyncio
async def test_mark_stream_stays_under_the_incoming_message_limit() -> None:
    async with SimulatedExchange(tick_interval=0.05) as sim:
        stream = MarkPriceStream(endpoints(sim), lambda _m: None, options=FAST_MARKET, messages_per_second=8)
        stream.start()
        try:
            await wait_until(lambda: len(sim.hub.of(("market",))) == 1)
            symbols = sorted(sim.engine.symbols)
            for i in range(30):  # a burst of changes: more than 10 per second if sent naively
                stream.set_symbols(symbols[: 1 + i % len(symbols)])
                await asyncio.sleep(0.01)  # let the sender run between changes (pacing, not sync)
            stream.set_symbols(symbols)
            want = sorted(f"{s.lower()}@markPrice@1s" for s in symbols)
            await wait_until(lambda: len(sim.hub.of(("market",))) == 1
                             and sorted(sim.hub.of(("market",))[0].streams) == want)
            assert stream.connection.reconnects == 0
        finally:
            await stream.stop()


@pytest.mark.asyncio
async def test_mark_stream_switches_to_all_market_when_many_symbols_are_held() -> None:
    async with SimulatedExchange(tick_interval=0.05) as sim:
        marks: list[Any] = []
        stream = MarkPriceStream(endpoints(sim), marks.extend, options=FAST_MARKET, all_market_threshold=2)
        symbols = sorted(sim.engine.symbols)[:3]
        stream.set_symbols(symbols)
        stream.start()
        try:
            await wait_until(lambda: {m.symbol for m in marks} == set(symbols))
            assert sim.hub.of(("market",))[0].streams == ["!markPrice@arr@1s"]
        finally:
            await stream.stop()
