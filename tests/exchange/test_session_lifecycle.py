"""AccountSession's callbacks, counters, health and start/stop against the simulator on loopback."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from aiohttp import web

from marginwatch.core.account_state import AccountState
from marginwatch.core.events import AccountUpdate, MarginCall
from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.exchange.credentials import Credentials
from marginwatch.exchange.endpoints import Endpoints
from marginwatch.exchange.session import AccountSession
from marginwatch.exchange.sim.auth import DEMO_API_KEY, DEMO_API_SECRET
from marginwatch.exchange.sim.server import SimulatedExchange
from marginwatch.exchange.ws_connection import Backoff, ConnectionOptions
from tests.exchange.session_harness import Probe, converge, running_session, settled, wait_until

pytestmark = pytest.mark.asyncio

COUNTERS = ("frames", "malformed", "unknown", "reconnects", "rotations", "resyncs", "duplicates", "stale_dropped",
            "margin_calls", "listen_key_expired")


class RaisingProbe(Probe):
    """Callbacks that record, then raise: the session must carry on regardless."""

    def on_event(self, event: Any) -> None:
        super().on_event(event)
        raise RuntimeError("event handler bug")

    def on_change(self, state: AccountState) -> None:
        super().on_change(state)
        raise RuntimeError("change handler bug")

    def on_health(self, health: StreamHealth) -> None:
        super().on_health(health)
        raise RuntimeError("health handler bug")


async def test_every_user_event_reaches_on_event_once_and_margin_calls_on_margin_call_too() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim, running_session(
        sim
    ) as (session, probe):
        sim.faults.duplicate_user_events(2)
        sim.engine.emit_margin_call("SOLUSDT")
        sim.engine.apply_funding_fee("BTCUSDT", "-1")
        await wait_until(lambda: session.counters["duplicates"] == 2)
        assert [type(e) for e in probe.events] == [MarginCall, AccountUpdate]
        assert probe.margin_calls == probe.events[:1]
        assert session.counters["margin_calls"] == 1


async def test_callbacks_that_raise_are_logged_and_the_session_carries_on(caplog: pytest.LogCaptureFixture) -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim:
        with caplog.at_level(logging.ERROR, logger="marginwatch.exchange.session"):
            async with running_session(sim, probe=RaisingProbe()) as (session, probe):
                sim.engine.emit_margin_call("SOLUSDT")
                await wait_until(lambda: len(probe.margin_calls) == 1)
                sim.engine.apply_funding_fee("BTCUSDT", "-1")
                await converge(session, sim)
                changes = probe.changes
                sim.engine.apply_funding_fee("BTCUSDT", "-1")
                await wait_until(lambda: probe.changes > changes)  # on_change still called after raising
        failed = [r for r in caplog.records if r.getMessage() == "test: callback failed"]
        assert len(failed) >= 3 and all(r.exc_info is not None for r in failed)


async def test_counters_add_up_both_streams() -> None:
    fast = {"backoff": Backoff(0.02, 0.2), "max_age": 0.3, "rotation_overlap": 0.05, "close_timeout": 0.5}
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim, running_session(
        sim, user=ConnectionOptions(stale_after=None, **fast), market=ConnectionOptions(stale_after=None, **fast)
    ) as (session, _):
        user, marks = session.user_stream, session.mark_stream
        assert user is not None and marks is not None
        sim.faults.send_malformed("all")
        sim.faults.send_malformed("all", text='{"e":"somethingNew","E":1}')
        sim.faults.expire_listen_key()
        await wait_until(lambda: user.malformed == marks.malformed == user.unknown == marks.unknown == 1)
        await sim.faults.drop("market")
        await wait_until(lambda: min(user.connection.reconnects, marks.connection.reconnects) >= 1)
        await wait_until(lambda: min(user.connection.rotations, marks.connection.rotations) >= 1)
        c = session.counters  # read at one instant with the streams' own counts
        assert c["frames"] == user.connection.frames + marks.connection.frames
        assert c["malformed"] == 2 and c["unknown"] == 2
        assert c["reconnects"] == user.connection.reconnects + marks.connection.reconnects
        assert c["rotations"] == user.connection.rotations + marks.connection.rotations
        assert c["listen_key_expired"] == user.expired == 1
        assert c["resyncs"] == session.resyncs


async def test_a_session_that_never_got_its_streams_counts_nothing_and_follows_no_marks() -> None:
    async with SimulatedExchange(tick_interval=0.05) as sim, running_session(
        sim, secret="wrong-secret-wrong-secret", wait_ready=False
    ) as (session, _):
        await wait_until(lambda: session.health["rest"].state is StreamState.FAILED)
        assert session.counters == dict.fromkeys(COUNTERS, 0)
        assert session.mark_symbols == frozenset()
        assert session.mark_stream is None and session.user_stream is None
        assert session.health["user"].state is StreamState.STOPPED


async def test_health_is_the_streams_own_while_running_and_stopped_after_with_their_reconnects() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim:
        user_options = ConnectionOptions(stale_after=30.0, backoff=Backoff(0.02, 0.2), close_timeout=0.5)
        async with running_session(sim, user=user_options) as (session, _):
            user, marks = session.user_stream, session.mark_stream
            assert user is not None and marks is not None
            await sim.faults.drop("all")
            await wait_until(lambda: min(user.connection.reconnects, marks.connection.reconnects) >= 1)
            await wait_until(lambda: session.health["user"].state is StreamState.LIVE)
            await wait_until(lambda: session.health["market"].state is StreamState.LIVE)
            sim.engine.emit_margin_call("SOLUSDT")
            await wait_until(lambda: session.health["user"].last_message_at is not None)
            h = session.health
            assert h["user"] == user.health and h["market"] == marks.health
            # the streams' own: when they last heard something is not what their callbacks report
            assert h["market"].last_message_at is not None
            reconnects = {n: h[n].reconnects for n in ("user", "market")}
        after = session.health
        assert {n: after[n] for n in ("user", "market")} == {
            n: StreamHealth(n, StreamState.STOPPED, reconnects=reconnects[n]) for n in ("user", "market")
        }


async def test_starting_a_started_session_again_changes_nothing() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim, running_session(
        sim
    ) as (session, _):
        posts = sim.state()["listen_key_posts"]
        await session.start()
        with pytest.raises(TimeoutError):  # a quiet period: a second run would take a key of its own
            await wait_until(lambda: sim.state()["listen_key_posts"] > posts or session.resyncs > 2, 0.2)


async def test_stop_of_a_session_never_started_reports_every_stream_stopped() -> None:
    probe = Probe()
    session = AccountSession(Endpoints.local("http://127.0.0.1:9", "ws://127.0.0.1:9"),
                             Credentials(DEMO_API_KEY, DEMO_API_SECRET), name="idle", on_health=probe.on_health)
    assert session.health == {n: StreamHealth(n, StreamState.STOPPED) for n in ("rest", "user", "market")}
    assert session.failed_reason is None and session.resyncs == 0 and session.applied_updates == 0
    await session.stop()
    assert [(h.name, h.state) for h in probe.health] == [(n, StreamState.STOPPED) for n in ("rest", "user", "market")]
    assert session.counters == dict.fromkeys(COUNTERS, 0)


async def test_stop_cancels_a_pending_change_notification() -> None:
    # No mark ticks (the first is 10 s away): only the start's snapshots and the update below notify.
    async with SimulatedExchange(tick_interval=10.0, autostart_engine=False) as sim:
        async with running_session(sim, change_delay=0.3) as (session, probe):
            await settled(session)
            sim.engine.apply_funding_fee("BTCUSDT", "-1")  # its notification is due within 0.3 s
            await converge(session, sim)
        changes = probe.changes
        with pytest.raises(TimeoutError):
            await wait_until(lambda: probe.changes > changes, 0.5)


async def test_stop_is_bounded_when_the_exchange_does_not_answer_the_listen_key_delete() -> None:
    sim = SimulatedExchange(tick_interval=0.05, autostart_engine=False)
    never = asyncio.Event()

    async def hang(request: web.Request) -> web.StreamResponse:
        await never.wait()
        raise AssertionError("unreachable")

    sim.listen_keys._delete = hang  # type: ignore[method-assign]  # routes bind on start
    async with sim:
        loop = asyncio.get_running_loop()
        try:
            async with running_session(sim, stop_timeout=0.2) as (session, _):
                t0 = loop.time()
        finally:
            never.set()  # else the simulator waits for the handler when it shuts down
        assert loop.time() - t0 < 1.5
        assert all(h.state is StreamState.STOPPED for h in session.health.values())


async def test_margin_calls_are_counted_and_passed_on_without_an_on_margin_call_handler() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim:
        events: list[Any] = []
        session = AccountSession(Endpoints.local(sim.base_url, sim.ws_url), Credentials(DEMO_API_KEY, DEMO_API_SECRET),
                                 name="bare", on_event=events.append)
        await session.start()
        try:
            await asyncio.wait_for(session.ready.wait(), 5)
            await wait_until(lambda: session.health["user"].state is StreamState.LIVE)
            sim.engine.emit_margin_call("SOLUSDT")
            await wait_until(lambda: session.counters["margin_calls"] == 1)
            assert [type(e) for e in events] == [MarginCall]
        finally:
            await session.stop()


async def test_the_listen_key_is_kept_alive_every_keepalive_interval() -> None:
    sim = SimulatedExchange(tick_interval=0.05, autostart_engine=False)
    puts: list[float] = []
    original = sim.listen_keys._put

    async def counted(request: web.Request) -> web.StreamResponse:
        puts.append(asyncio.get_running_loop().time())
        return await original(request)

    sim.listen_keys._put = counted  # type: ignore[method-assign]  # routes bind on start
    async with sim, running_session(sim, keepalive_interval=0.05) as (session, _):
        await wait_until(lambda: len(puts) >= 3)
        assert session.health["user"].state is StreamState.LIVE


async def test_holding_more_symbols_than_the_all_market_threshold_follows_the_all_market_stream() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim, running_session(
        sim, all_market_threshold=3
    ) as (session, _):
        def subscribed() -> set[str]:
            return {s for c in sim.hub.of(("market",)) for s in c.streams}

        await wait_until(lambda: subscribed() == {"!markPrice@arr@1s"})  # four held symbols
        assert len(session.state.held_symbols()) == 4


class StateProbe(Probe):
    """Also keeps what on_change was given."""

    def __init__(self) -> None:
        super().__init__()
        self.states: list[AccountState] = []

    def on_change(self, state: AccountState) -> None:
        super().on_change(state)
        self.states.append(state)


async def test_start_reports_rest_connecting_first_and_on_change_gets_the_sessions_state() -> None:
    probe = StateProbe()
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim, running_session(
        sim, probe=probe
    ) as (session, _):
        assert probe.health[0] == StreamHealth("rest", StreamState.CONNECTING)
        await wait_until(lambda: bool(probe.states))
        assert all(s is session.state for s in probe.states)


async def test_a_burst_of_updates_notifies_once_per_change_delay() -> None:
    async with SimulatedExchange(tick_interval=10.0, autostart_engine=False) as sim, running_session(
        sim, change_delay=0.2
    ) as (session, probe):
        await settled(session)
        before = probe.changes
        for _ in range(20):
            sim.engine.apply_funding_fee("BTCUSDT", "-0.1")
        await converge(session, sim)
        await wait_until(lambda: probe.changes > before)
        with pytest.raises(TimeoutError):  # a quiet period: every other update joined that notification
            await wait_until(lambda: probe.changes > before + 2, 0.4)


async def test_updates_handled_one_by_one_within_change_delay_are_notified_together() -> None:
    async with SimulatedExchange(tick_interval=10.0, autostart_engine=False) as sim, running_session(
        sim, change_delay=0.3
    ) as (session, probe):
        await settled(session)
        before = probe.changes
        for i in range(1, 4):  # each waited for: three loop turns, well within 0.3 s
            sim.engine.apply_funding_fee("BTCUSDT", "-0.1")
            await wait_until(lambda i=i: session.applied_updates >= i)
        await wait_until(lambda: probe.changes > before)
        with pytest.raises(TimeoutError):  # at most the start's pending notification and this one
            await wait_until(lambda: probe.changes > before + 2, 0.4)


async def test_a_silent_mark_stream_shows_stale_after_the_sessions_market_stale_after() -> None:
    market = ConnectionOptions(stale_after=0.2, backoff=Backoff(5.0, 5.0), close_timeout=0.5)
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim, running_session(
        sim, market=market
    ) as (_, probe):
        sim.faults.stall("market")
        await wait_until(lambda: any(h.name == "market" and h.state is StreamState.STALE for h in probe.health), 2.0)


async def test_a_snapshot_request_that_hangs_fails_after_rest_timeout_and_is_retried() -> None:
    sim = SimulatedExchange(tick_interval=0.05, autostart_engine=False)
    release = asyncio.Event()
    original = sim.rest._account

    async def hang(request: web.Request) -> web.StreamResponse:
        await release.wait()  # the client gives up first (and once more on its own retry)
        return await original(request)

    sim.rest._account = hang  # type: ignore[method-assign]  # routes bind on start
    async with sim, running_session(sim, rest_timeout=0.3, wait_ready=False) as (session, _):
        try:
            await wait_until(lambda: session.health["rest"].state is StreamState.RECONNECTING, 2.0)
            assert "timeout" in (session.health["rest"].reason or "")
        finally:
            release.set()
        await asyncio.wait_for(session.ready.wait(), 5)


async def test_stop_closes_every_connection_to_the_exchange_and_the_session_starts_again() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim:
        server = sim._runner.server if sim._runner is not None else None  # to count open connections
        assert server is not None
        async with running_session(sim) as (session, _):
            await settled(session)
        await wait_until(lambda: not server.connections)
        await session.start()
        try:
            await wait_until(lambda: session.resyncs >= 3 and session.health["user"].state is StreamState.LIVE)
            await converge(session, sim)
        finally:
            await session.stop()


async def test_stop_during_the_first_snapshot_leaves_no_stream_or_listen_key_behind() -> None:
    sim = SimulatedExchange(tick_interval=0.05, autostart_engine=False)
    entered, release = asyncio.Event(), asyncio.Event()
    original = sim.rest._account

    async def held(request: web.Request) -> web.StreamResponse:
        entered.set()
        await release.wait()
        return await original(request)

    sim.rest._account = held  # type: ignore[method-assign]  # routes bind on start
    async with sim:
        async with running_session(sim, wait_ready=False) as (session, _):
            await asyncio.wait_for(entered.wait(), 5)
        release.set()  # the answer the stopped session was waiting for now comes
        with pytest.raises(TimeoutError):  # a quiet period: nothing of the session may carry on
            await wait_until(lambda: sim.state()["listen_key_posts"] > 0 or session.resyncs > 0
                             or any(h.state is not StreamState.STOPPED for h in session.health.values()), 0.3)
        assert not sim.hub.of(("market", "private"))


async def test_an_unexpected_error_in_a_snapshot_is_shown_by_its_type_and_message_and_retried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The one place a patch is needed: no answer of the exchange makes our own snapshot code raise.
    import marginwatch.exchange.session as session_module

    real = session_module.positions_from_snapshot
    calls: list[int] = []

    def broken_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("bad row")
        return real(*args, **kwargs)

    monkeypatch.setattr(session_module, "positions_from_snapshot", broken_once)
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim, running_session(
        sim
    ) as (session, probe):
        rest = [h for h in probe.health if h.name == "rest"]
        assert [(h.state, h.reason) for h in rest[:2]] == [(StreamState.CONNECTING, None),
                                                           (StreamState.RECONNECTING, "ValueError: bad row")]
        assert session.health["rest"].state is StreamState.LIVE


async def test_no_change_is_notified_once_stop_has_begun_even_while_marks_still_arrive() -> None:
    # No ticks of its own (the first is 10 s away): the test sends a burst of mark frames just before
    # stop, and some of them are only handled while stop waits for the streams to close.
    async with SimulatedExchange(tick_interval=10.0, autostart_engine=False) as sim:
        async with running_session(sim, change_delay=0.0) as (session, probe):
            await settled(session)
            for _ in range(300):
                sim.tick()  # queued for the mark socket: they go out while stop runs
            changes = probe.changes  # stop cancels a pending notification before it awaits anything
        with pytest.raises(TimeoutError):
            await wait_until(lambda: probe.changes > changes, 0.2)
