"""AccountSession against the simulated exchange on loopback (real REST and WebSocket traffic)."""

from __future__ import annotations

import asyncio
import re
import time
from decimal import Decimal

import pytest

from marginwatch.core.events import MarginCall
from marginwatch.core.stream_health import StreamState
from marginwatch.exchange.sim.server import SimulatedExchange
from marginwatch.exchange.ws_connection import Backoff, ConnectionOptions
from tests.core.margin_call_variants import ENVELOPE_VARIANTS, VARIANTS
from tests.exchange.session_harness import converge, matches_truth, running_session, wait_until
from tests.exchange.virtual_time import VirtualTime

# ---------------------------------------------------------------------------- tests

pytestmark = pytest.mark.asyncio


async def test_start_takes_snapshot_and_follows_the_account() -> None:
    async with SimulatedExchange(tick_interval=0.05) as sim, running_session(sim) as (session, probe):
        await converge(session, sim)
        assert session.mark_symbols == {"BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT"}
        # exchangeInfo's contract type and tick sizes reach the positions and the state
        assert {p.extra.get("contract_type") for p in session.state.positions().values()} == {"PERPETUAL"}
        btc_filters = session.state.symbol_filters("BTCUSDT")
        assert btc_filters is not None and btc_filters.tick_size is not None
        sim.engine.transfer_margin("SOLUSDT", "LONG", "25")
        sim.engine.apply_funding_fee("BTCUSDT", "-3.5")
        sim.engine.close_position("ETHUSDT", "SHORT")
        await converge(session, sim)
        # marks flow for held symbols and reach the state
        mark = session.state.mark_price("BTCUSDT")
        sim.pause()  # the scenario would move the price again on the next tick
        sim.engine.set_mark_price("BTCUSDT", "101234.5")
        await wait_until(lambda: session.state.mark_price("BTCUSDT") == Decimal("101234.5"))
        assert mark != session.state.mark_price("BTCUSDT")
        assert probe.changes > 0
        assert session.counters["resyncs"] >= 1


async def test_mark_stream_follows_held_symbols() -> None:
    async with SimulatedExchange(tick_interval=0.05) as sim, running_session(sim) as (session, _):
        stream = session.mark_stream
        assert stream is not None

        def subscribed() -> set[str]:
            conns = sim.hub.of(("market",))
            return {s.split("@")[0].upper() for c in conns for s in c.streams}

        await wait_until(lambda: subscribed() == {"BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT"})
        sim.engine.close_position("BNBUSDT", "SHORT")
        await wait_until(lambda: subscribed() == {"BTCUSDT", "ETHUSDT", "SOLUSDT"})
        sim.engine.close_position("ETHUSDT", "LONG")  # the SHORT leg still holds ETHUSDT
        await wait_until(lambda: len(session.state.positions()) == 3)
        assert subscribed() == {"BTCUSDT", "ETHUSDT", "SOLUSDT"}
        sim.engine.open_position("BNBUSDT", "LONG", "2")
        await wait_until(lambda: subscribed() == {"BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT"})
        await wait_until(lambda: not session.state.is_mark_provisional("BNBUSDT"))
        assert stream.connection.reconnects == 0


async def test_margin_call_is_delivered_once() -> None:
    async with SimulatedExchange(tick_interval=0.05) as sim, running_session(sim) as (session, probe):
        sim.engine.emit_margin_call("SOLUSDT")
        await wait_until(lambda: len(probe.margin_calls) == 1)
        call = probe.margin_calls[0]
        assert isinstance(call, MarginCall) and call.positions[0].symbol == "SOLUSDT"
        sim.engine.emit_margin_call("BNBUSDT")
        await wait_until(lambda: len(probe.margin_calls) == 2)
        assert session.counters["margin_calls"] == 2


async def test_rejected_key_fails_with_explanation_and_does_not_retry() -> None:
    async with SimulatedExchange(tick_interval=0.05) as sim, running_session(
        sim, secret="wrong-secret-wrong-secret", wait_ready=False
    ) as (session, _probe):
        await wait_until(lambda: session.health["rest"].state is StreamState.FAILED)
        reason = session.health["rest"].reason or ""
        assert "secret" in reason.lower()
        assert "wrong-secret" not in reason
        assert session.user_stream is None  # no streams for an account we cannot read
        weight_before = sim._used_weight(0)
        await asyncio.sleep(0.3)  # a quiet period: nothing must be retried
        assert sim._used_weight(0) == weight_before


async def test_stop_closes_streams_and_deletes_listen_key_quickly() -> None:
    async with SimulatedExchange(tick_interval=0.05) as sim:
        async with running_session(sim) as (session, _probe):
            assert sim.listen_key is not None
            loop = asyncio.get_running_loop()
            t0 = loop.time()
        assert loop.time() - t0 < 3.0
        assert sim.listen_key is None
        await wait_until(lambda: not sim.hub.of(("market", "private")))
        assert all(h.state is StreamState.STOPPED for h in session.health.values())


async def test_on_change_is_coalesced() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim, running_session(
        sim, change_delay=0.2
    ) as (session, probe):
        before = probe.changes
        for _ in range(20):
            sim.engine.apply_funding_fee("BTCUSDT", "-0.1")
        await wait_until(lambda: matches_truth(session, sim))
        await wait_until(lambda: probe.changes > before)
        assert probe.changes - before <= 2  # 20 updates, one (or two, at a boundary) notifications


async def test_rotation_overlaps_and_loses_no_margin_call() -> None:
    user = ConnectionOptions(stale_after=None, backoff=Backoff(0.02, 0.2), max_age=0.4, rotation_overlap=0.1)
    market = ConnectionOptions(stale_after=0.5, backoff=Backoff(0.02, 0.2), max_age=0.4, rotation_overlap=0.1)
    async with SimulatedExchange(tick_interval=0.05) as sim, running_session(
        sim, user=user, market=market
    ) as (session, probe):
        user_stream = session.user_stream
        assert user_stream is not None
        for i in range(60):
            sim.engine.emit_margin_call("SOLUSDT" if i % 2 else "BNBUSDT")
            await asyncio.sleep(0.02)  # spread the calls over several rotations (pacing, not sync)
        await wait_until(lambda: len(probe.margin_calls) >= len(sim.margin_calls_emitted))
        assert user_stream.connection.rotations >= 2
        assert len(probe.margin_calls) == len(sim.margin_calls_emitted) == 60
        assert session.counters["reconnects"] == 0
        await converge(session, sim)


async def test_a_crashed_background_task_shows_as_failed_not_a_silent_stall(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    # Simulate a programming error inside the session's own start-up (the one place a patch is
    # needed: no real input makes our code raise a TypeError there).
    import marginwatch.exchange.session as session_module

    def broken(*_a: object, **_k: object) -> None:
        raise TypeError("bug")

    monkeypatch.setattr(session_module, "UserDataStream", broken)
    async with SimulatedExchange(tick_interval=0.05) as sim, running_session(
        sim, wait_ready=False
    ) as (session, probe):
        await wait_until(lambda: session.health["rest"].state is StreamState.FAILED)
        assert session.health["rest"].reason == "internal error: TypeError"
        assert any(h.state is StreamState.FAILED for h in probe.health)
    # the log names the account's task, so a crash can be told apart from another account's
    assert any(r.getMessage() == "background task test session (AccountSession._run) failed" for r in caplog.records)


async def test_an_event_that_arrives_on_both_sockets_of_a_rotation_overlap_is_passed_on_once() -> None:
    # A long overlap keeps the old socket subscribed while the new one is: both get the next event.
    user = ConnectionOptions(stale_after=None, backoff=Backoff(0.02, 0.2), max_age=0.3, rotation_overlap=30.0,
                             close_timeout=0.5)
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim, running_session(
        sim, user=user
    ) as (session, probe):
        stream = session.user_stream
        assert stream is not None

        def overlapping() -> bool:
            conns = sim.hub.of(("private",))
            return len(conns) >= 2 and all(sim.listen_key in c.listen_keys for c in conns)

        await wait_until(overlapping)
        frames = stream.connection.frames
        sim.engine.emit_margin_call("SOLUSDT")
        await wait_until(lambda: stream.connection.frames >= frames + 2)  # one copy per socket
        assert len(probe.margin_calls) == 1
        assert session.counters["margin_calls"] == 1
        assert session.counters["duplicates"] >= 1
        assert session.counters["reconnects"] == 0


async def test_margin_calls_with_odd_fields_reach_on_margin_call_from_the_wire() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim, running_session(
        sim
    ) as (session, probe):
        names = sorted(VARIANTS)
        for i, name in enumerate(names):
            sim.emit_user_event({**VARIANTS[name].doc, "E": sim.now_ms() + i})  # distinct times: not replays
        await wait_until(lambda: len(probe.margin_calls) == len(names))
        # Each arrived once, saying what of it could not be read (compared as sets of wire keys).
        got = sorted(sorted(f.key for f in (*c.unreadable, *(f for p in c.positions for f in p.unreadable)))
                     for c in probe.margin_calls)
        assert got == sorted(sorted(VARIANTS[n].unreadable) for n in names)
        assert session.user_stream is not None and session.user_stream.malformed == 0


async def test_a_server_refusing_every_private_socket_costs_one_snapshot_per_reconnect_and_ten_a_minute() -> None:
    clock = VirtualTime()
    user = ConnectionOptions(stale_after=None, close_timeout=0.5)  # the default backoff and connect budget
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim, running_session(
        sim, user=user, clock=clock
    ) as (session, probe):
        def counts() -> tuple[int, int, int]:
            state = sim.state()
            return state["private_connects"], state["listen_key_posts"], session.resyncs

        before = counts()
        at_a_minute: list[tuple[int, int, int]] = []
        clock.when(clock.now + 60.0, lambda: at_a_minute.append(counts()))
        sim.faults.refuse_private(1008)
        await sim.faults.drop("private")
        await wait_until(lambda: bool(at_a_minute) or counts()[0] - before[0] > 30, 15)
        connects, posts, snapshots = (a - b for a, b in zip(at_a_minute[0] if at_a_minute else counts(), before,
                                                            strict=True))
        assert 1 <= connects <= 10
        assert posts <= connects and snapshots <= connects  # one POST and one REST reseed per step at most
        assert len(clock.pauses) >= connects  # every reconnect waited its backoff step
        # what the user is shown while each pause lasts
        failed = [h for h in probe.health if h.name == "user" and h.state is StreamState.FAILED]
        assert failed and all(re.fullmatch(r"listenKey refused, retrying in \d+ s", h.reason or "") for h in failed)
        sim.faults.clear()
        await converge(session, sim)


async def test_margin_calls_with_an_odd_time_or_positions_list_reach_on_margin_call_from_the_wire() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim, running_session(
        sim
    ) as (session, probe):
        names = sorted(ENVELOPE_VARIANTS)
        for name in names:
            sim.faults.push_user_frame(ENVELOPE_VARIANTS[name].doc)  # as it is: E and p untouched
        await wait_until(lambda: len(probe.margin_calls) == len(names))
        got = sorted((tuple(f.key for f in c.unreadable), len(c.positions)) for c in probe.margin_calls)
        assert got == sorted((v.unreadable, v.positions) for v in ENVELOPE_VARIANTS.values())
        # an unreadable time is when it arrived (wall-clock ms, like Binance's)
        now_ms = time.time() * 1000
        assert all(abs(c.event_time - now_ms) < 60_000 for c in probe.margin_calls
                   if any(f.key == "E" for f in c.unreadable))
        assert session.user_stream is not None and session.user_stream.malformed == 0
