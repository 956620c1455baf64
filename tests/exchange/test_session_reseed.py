"""AccountSession's REST reseeds against the simulator: the snapshot's time floor, updates that arrive
while a snapshot is taken, retries and what they show, and what asks for a new snapshot."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web

from marginwatch.core.account_state import AccountState
from marginwatch.core.position import PositionSide
from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.exchange.sim.server import SimulatedExchange
from marginwatch.exchange.ws_connection import Backoff, ConnectionOptions
from tests.exchange.session_harness import Probe, converge, matches_truth, running_session, settled, wait_until

pytestmark = pytest.mark.asyncio

BTC_LONG = ("BTCUSDT", PositionSide.LONG)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def btc_update(e: int, amount: str) -> dict[str, Any]:
    """An ACCOUNT_UPDATE that sets the BTCUSDT LONG leg (cross, entry 99500) to `amount`."""
    leg = {"s": "BTCUSDT", "pa": amount, "ep": "99500", "cr": "0", "up": "0", "mt": "cross", "iw": "0",
           "ps": "LONG"}
    return {"e": "ACCOUNT_UPDATE", "E": e, "T": e - 1, "a": {"m": "ORDER", "P": [leg]}}


def btc_amount(state: AccountState) -> Decimal | None:
    pos = state.positions().get(BTC_LONG)
    return pos.amount if pos is not None else None


def wrap_route(sim: SimulatedExchange, name: str, wrapper: Callable[[Handler, web.Request],
                                                                   Awaitable[web.StreamResponse]]) -> None:
    """Put `wrapper` around one of the simulator's REST handlers (before it starts: routes bind then)."""
    original: Handler = getattr(sim.rest, name)

    async def handler(request: web.Request) -> web.StreamResponse:
        return await wrapper(original, request)

    setattr(sim.rest, name, handler)


async def test_the_snapshot_time_is_the_server_time_less_the_snapshot_margin() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim:
        before = sim.now_ms()
        async with running_session(sim, snapshot_margin_ms=60_000) as (session, _):
            after = sim.now_ms()
            t0 = session.state.snapshot_time_ms
            assert t0 is not None and before - 60_000 <= t0 <= after - 60_000


async def test_an_update_stamped_at_the_snapshot_time_is_dropped_and_one_a_millisecond_later_applied() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim, running_session(
        sim
    ) as (session, _):
        await settled(session)
        t0 = session.state.snapshot_time_ms
        assert t0 is not None
        sim.emit_user_event(btc_update(t0, "0.7"))
        await wait_until(lambda: session.counters["stale_dropped"] == 1)
        assert btc_amount(session.state) == Decimal("0.5")
        sim.emit_user_event(btc_update(t0 + 1, "0.8"))
        await wait_until(lambda: btc_amount(session.state) == Decimal("0.8"))
        assert session.counters["stale_dropped"] == 1
        assert session.applied_updates == 1


async def test_an_update_that_arrives_while_a_snapshot_is_taken_is_applied_on_top_of_it() -> None:
    sim = SimulatedExchange(tick_interval=0.05, autostart_engine=False)
    armed: list[int] = []

    async def old_then_change(original: Handler, request: web.Request) -> web.StreamResponse:
        resp = await original(request)  # the positions as they were
        if armed:
            armed.clear()
            sim.engine.transfer_margin("SOLUSDT", "LONG", "30")  # on the stream while the reseed runs
            await wait_until(lambda: len(probe.events) > seen)
        return resp

    wrap_route(sim, "_position_risk", old_then_change)
    async with sim, running_session(sim) as (session, probe):
        await settled(session)
        seen = len(probe.events)
        resyncs = session.resyncs
        armed.append(1)
        session.request_resync()
        await wait_until(lambda: session.resyncs > resyncs)
        await converge(session, sim, limit=0.5)  # the snapshot alone is older than the truth


async def test_updates_that_arrived_during_a_failed_snapshot_are_applied_while_it_waits_to_retry() -> None:
    sim = SimulatedExchange(tick_interval=0.05, autostart_engine=False)
    armed: list[int] = []

    async def change_then_fail(original: Handler, request: web.Request) -> web.StreamResponse:
        if armed:
            armed.clear()
            sim.engine.transfer_margin("SOLUSDT", "LONG", "30")
            await wait_until(lambda: len(probe.events) > seen)
            return web.json_response({"code": -1001, "msg": "Internal error; unable to process your request."},
                                     status=500)
        return await original(request)

    wrap_route(sim, "_position_risk", change_then_fail)
    async with sim, running_session(sim, rest_backoff=Backoff(30.0, 30.0)) as (session, probe):
        await settled(session)
        seen = len(probe.events)
        armed.append(1)
        session.request_resync()
        await wait_until(lambda: session.health["rest"].state is StreamState.RECONNECTING)
        await wait_until(lambda: matches_truth(session, sim), 2.0)  # from the stream, 30 s before a retry


class Steps(Backoff):
    """A backoff without jitter: the n-th retry waits n × base (so each wait says which retry it is)."""

    def delay(self, attempt: int, rng: random.Random) -> float:
        return self.base * attempt


def fail_first(count: int) -> Callable[[Handler, web.Request], Awaitable[web.StreamResponse]]:
    """A route wrapper: the first `count` requests get Binance's HTTP 500, the rest the real answer."""
    left = [count]

    async def wrapper(original: Handler, request: web.Request) -> web.StreamResponse:
        if left[0] > 0:
            left[0] -= 1
            return web.json_response({"code": -1000, "msg": "An unknown error occurred."}, status=500)
        return await original(request)

    return wrapper


async def test_a_failed_snapshot_is_retried_after_a_growing_backoff_that_health_shows() -> None:
    sim = SimulatedExchange(tick_interval=0.05, autostart_engine=False)
    wrap_route(sim, "_account", fail_first(2))
    loop = asyncio.get_running_loop()
    seen: list[tuple[float, StreamHealth]] = []
    probe = Probe()
    probe.on_health = lambda h: seen.append((loop.time(), h))  # type: ignore[method-assign]
    async with sim, running_session(sim, probe=probe, rest_backoff=Steps(0.05, 1.0)) as (session, _):
        retries = [(h.next_retry_at - t, h.reconnects, h.reason) for t, h in seen
                   if h.name == "rest" and h.state is StreamState.RECONNECTING and h.next_retry_at is not None]
        assert [(round(d, 3), n) for d, n, _r in retries] == [(0.05, 1), (0.1, 2)]
        assert all(r and "server error" in r for _d, _n, r in retries)  # what the exchange error explains
        assert session.health["rest"].state is StreamState.LIVE and session.health["rest"].reconnects == 2
        assert session.failed_reason is None
    assert session.health["rest"] == StreamHealth("rest", StreamState.STOPPED, reconnects=2)


async def test_a_rate_limited_snapshot_waits_at_least_as_long_as_the_exchange_asked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim:
        sim.faults.rest_errors(429, count=2, retry_after=5)  # the client's own short retry gets the second
        loop = asyncio.get_running_loop()
        with caplog.at_level(logging.WARNING, logger="marginwatch.exchange.session"):
            async with running_session(sim, wait_ready=False, rest_backoff=Backoff(0.05, 0.05)) as (session, _):
                await wait_until(lambda: session.health["rest"].state is StreamState.RECONNECTING)
                h = session.health["rest"]
                assert h.next_retry_at is not None and 4.5 < h.next_retry_at - loop.time() <= 5.0
                assert "rate limit" in (h.reason or "")
        assert [r.getMessage() for r in caplog.records if r.name == "marginwatch.exchange.session"] == [
            "test: snapshot failed (RateLimited); retry in 5.0s"]


async def test_an_update_whose_only_row_is_unreadable_asks_for_a_new_snapshot() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim, running_session(
        sim
    ) as (session, _):
        await settled(session)
        resyncs = session.resyncs
        frame = btc_update(sim.now_ms(), "NaN")  # no B: the leg was all it said, and it cannot be read
        sim.emit_user_event(frame)
        await wait_until(lambda: session.resyncs > resyncs)
        assert btc_amount(session.state) == Decimal("0.5")  # the exchange's own figure, from the snapshot


async def test_a_key_rejected_at_a_later_snapshot_fails_rest_and_stream_updates_still_apply(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim, running_session(
        sim
    ) as (session, _):
        await settled(session)
        key, sim.auth.api_key = sim.auth.api_key, "revoked-in-the-meantime"
        with caplog.at_level(logging.ERROR, logger="marginwatch.exchange.session"):
            session.request_resync()
            await wait_until(lambda: session.health["rest"].state is StreamState.FAILED)
        assert [r.getMessage() for r in caplog.records if r.name == "marginwatch.exchange.session"] == [
            "test: InvalidApiKey"]  # the kind of rejection, never the key
        assert session.failed_reason == session.health["rest"].reason and session.failed_reason
        sim.auth.api_key = key
        sim.emit_user_event(btc_update(sim.now_ms(), "0.7"))  # the user stream still runs
        await wait_until(lambda: btc_amount(session.state) == Decimal("0.7"))


# ---------------------------------------------------------------------------- what asks for a snapshot


def config_update(e: int, **parts: Any) -> dict[str, Any]:
    return {"e": "ACCOUNT_CONFIG_UPDATE", "E": e, "T": e - 1, **parts}


async def test_a_requested_resync_brings_what_the_stream_never_said() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim, running_session(
        sim
    ) as (session, _):
        await settled(session)
        sim.engine.cross_wallet += Decimal("12.5")  # no event for it
        resyncs = session.resyncs
        session.request_resync()
        await wait_until(lambda: session.resyncs == resyncs + 1)
        await converge(session, sim, limit=0.5)


async def test_the_session_reseeds_every_resync_interval_on_its_own() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim, running_session(
        sim, resync_interval=0.05
    ) as (session, _):
        sim.engine.cross_wallet += Decimal("12.5")
        await wait_until(lambda: session.resyncs >= 3)
        await converge(session, sim, limit=0.5)


async def test_a_position_opened_while_no_event_could_arrive_is_followed_after_the_reseed() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim, running_session(
        sim
    ) as (session, probe):
        await settled(session)
        sim.engine.close_position("BNBUSDT", "SHORT")
        await wait_until(lambda: "BNBUSDT" not in session.mark_symbols)
        key = sim.listen_key
        sim.listen_key = None  # the key died silently: the next events go nowhere
        sim.engine.open_position("BNBUSDT", "SHORT", "3")
        sim.listen_key = key
        changes = probe.changes
        session.request_resync()
        await wait_until(lambda: "BNBUSDT" in session.mark_symbols)
        await converge(session, sim, limit=0.5)
        await wait_until(lambda: probe.changes > changes)


async def test_a_reconnect_of_the_user_stream_reseeds_but_a_rotation_does_not() -> None:
    user = ConnectionOptions(stale_after=None, backoff=Backoff(0.02, 0.2), max_age=0.15, rotation_overlap=0.05)
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim, running_session(
        sim, user=user
    ) as (session, _):
        stream = session.user_stream
        assert stream is not None
        await settled(session)
        rotations = stream.connection.rotations
        await wait_until(lambda: stream.connection.rotations >= rotations + 2)
        resyncs = session.resyncs
        assert resyncs == 2
        await sim.faults.drop("private")
        await wait_until(lambda: session.resyncs == 3)


async def test_a_leverage_change_updates_the_position_and_takes_a_new_snapshot() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim, running_session(
        sim
    ) as (session, probe):
        await settled(session)
        resyncs, changes = session.resyncs, probe.changes
        sim.engine.leverage["BTCUSDT"] = 7  # the brackets the next snapshot fetches are for 7x
        sim.emit_user_event(config_update(sim.now_ms(), ac={"s": "BTCUSDT", "l": 7}))
        await wait_until(lambda: session.state.positions()[BTC_LONG].leverage == 7)
        await wait_until(lambda: probe.changes > changes)
        await wait_until(lambda: session.resyncs == resyncs + 1)


async def test_an_asset_mode_update_takes_a_new_snapshot_even_when_the_mode_is_unchanged() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim, running_session(
        sim
    ) as (session, probe):
        await settled(session)
        resyncs, changes = session.resyncs, probe.changes
        sim.emit_user_event(config_update(sim.now_ms(), ai={"j": False}))
        await wait_until(lambda: session.resyncs == resyncs + 1)
        await wait_until(lambda: probe.changes > changes)


async def test_a_leverage_update_that_changes_nothing_takes_no_snapshot() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim, running_session(
        sim
    ) as (session, probe):
        await settled(session)
        resyncs = session.resyncs
        sim.emit_user_event(config_update(sim.now_ms(), ac={"s": "BTCUSDT", "l": 10}))  # as it already is
        await wait_until(lambda: len(probe.events) == 1)
        with pytest.raises(TimeoutError):  # a quiet period: nothing may ask for a snapshot
            await wait_until(lambda: session.resyncs > resyncs, 0.2)


async def test_event_times_that_jump_back_take_a_new_snapshot_once(caplog: pytest.LogCaptureFixture) -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim, running_session(
        sim
    ) as (session, _):
        await settled(session)
        resyncs = session.resyncs
        with caplog.at_level(logging.WARNING, logger="marginwatch.exchange.session"):
            sim.emit_user_event(btc_update(sim.now_ms() - 10_000, "0.7"))  # 10 s behind the snapshot
            await wait_until(lambda: session.resyncs == resyncs + 1)
            for amount in ("0.8", "0.9"):  # after the snapshot: ordinary updates again
                sim.emit_user_event(btc_update(sim.now_ms() + 1, amount))
                await wait_until(lambda amount=amount: btc_amount(session.state) == Decimal(amount))
        jumped = [r for r in caplog.records if "event times jumped backwards" in r.getMessage()]
        assert [r.getMessage() for r in jumped] == ["test: event times jumped backwards; reseeding"]
        assert session.resyncs == resyncs + 1
