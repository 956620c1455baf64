"""Fault matrix: for every fault the session recovers by itself, and within 5 s of the fault ending
its account state equals the simulator's truth; MARGIN_CALLs still arrive exactly once.

Faults in ON_VIRTUAL_TIME count something per minute: their session's user stream keeps the default
backoff and connect budget, run on virtual time (the tests' fast backoff would make a rate meaningless).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest

from marginwatch.core.stream_health import StreamState
from marginwatch.exchange.session import AccountSession
from marginwatch.exchange.sim.server import SimulatedExchange
from marginwatch.exchange.ws_connection import ConnectionOptions
from tests.exchange.robustness_log import record
from tests.exchange.session_harness import Probe, converge, running_session, wait_until
from tests.exchange.virtual_time import VirtualTime

pytestmark = pytest.mark.asyncio

Timing = VirtualTime | None  # the user stream's clock, for the faults in ON_VIRTUAL_TIME
Fault = Callable[[SimulatedExchange, AccountSession, Probe, Timing], Awaitable[None]]


def mutate(sim: SimulatedExchange) -> None:
    """Account changes whose events a broken stream would lose (wallet, isolated margin, positions)."""
    e = sim.engine
    e.transfer_margin("SOLUSDT", "LONG", "7.5")
    e.apply_funding_fee("BTCUSDT", "-1.25")
    if ("BNBUSDT", "LONG") in {(p.symbol, p.side.value) for p in e.open_positions()}:
        e.close_position("BNBUSDT", "LONG")
    else:
        e.open_position("BNBUSDT", "LONG", "3")


async def drop_market(sim: SimulatedExchange, session: AccountSession, probe: Probe, _clock: Timing) -> None:
    await sim.faults.drop("market")
    mutate(sim)
    await wait_until(lambda: session.counters["reconnects"] >= 1)


async def drop_private(sim: SimulatedExchange, session: AccountSession, probe: Probe, _clock: Timing) -> None:
    resyncs = session.resyncs
    await sim.faults.drop("private")
    mutate(sim)  # sent to nobody: only the REST reseed after the reconnect can bring these back
    await wait_until(lambda: session.resyncs > resyncs)


async def stall_private(sim: SimulatedExchange, session: AccountSession, probe: Probe, _clock: Timing) -> None:
    sim.faults.stall("private")  # open, silent, no pongs: events are lost
    mutate(sim)
    await wait_until(lambda: session.counters["reconnects"] >= 1)
    sim.faults.resume("private")


async def stall_market(sim: SimulatedExchange, session: AccountSession, probe: Probe, _clock: Timing) -> None:
    sim.faults.stall("market")
    mutate(sim)
    await wait_until(lambda: any(h.name == "market" and h.state is StreamState.STALE for h in probe.health))
    await wait_until(lambda: session.counters["reconnects"] >= 1)
    sim.faults.resume("market")


async def malformed(sim: SimulatedExchange, session: AccountSession, probe: Probe, _clock: Timing) -> None:
    sim.faults.send_malformed("all")
    mutate(sim)
    await wait_until(lambda: session.counters["malformed"] >= 2)  # one per stream
    assert session.counters["reconnects"] == 0


async def listen_key_expired(sim: SimulatedExchange, session: AccountSession, probe: Probe, _clock: Timing) -> None:
    sim.faults.expire_listen_key()
    mutate(sim)  # no key: these events go nowhere
    await wait_until(lambda: session.counters["listen_key_expired"] == 1)


def _waiting_out(probe: Probe) -> list[str]:
    # Whichever REST call meets the limit first says so: the reseed's snapshot ("rest") or, as the
    # private socket reconnects, its listenKey request ("user"): which one comes first is a race.
    return [h.reason or "" for h in probe.health
            if h.name in ("rest", "user") and h.state is StreamState.RECONNECTING and h.reason]


async def rest_429(sim: SimulatedExchange, session: AccountSession, probe: Probe, _clock: Timing) -> None:
    # The client itself retries a request once after a short Retry-After, and a snapshot's four
    # requests go out at once: with that retry on, whether a 429 reaches the session is a race.
    session._client.max_auto_wait = 0
    sim.faults.rest_errors(429, count=2, retry_after=1)
    await sim.faults.drop("private")  # forces a REST reseed into the rate limit
    mutate(sim)
    await wait_until(lambda: any("rate limit" in why for why in _waiting_out(probe)))


async def rest_418(sim: SimulatedExchange, session: AccountSession, probe: Probe, _clock: Timing) -> None:
    sim.faults.rest_errors(418, count=1, retry_after=1)
    await sim.faults.drop("private")
    mutate(sim)
    await wait_until(lambda: any("banned" in why for why in _waiting_out(probe)))


async def clock_ahead(sim: SimulatedExchange, session: AccountSession, probe: Probe, _clock: Timing) -> None:
    sim.faults.skew_clock(+8000)  # our signed timestamps now look 8 s old: -1021 until re-synced
    await sim.faults.drop("private")
    mutate(sim)


async def clock_behind(sim: SimulatedExchange, session: AccountSession, probe: Probe, _clock: Timing) -> None:
    sim.faults.skew_clock(-8000)  # event times jump 8 s back: must not be discarded as "old"
    mutate(sim)


async def cut_24h(sim: SimulatedExchange, session: AccountSession, probe: Probe, _clock: Timing) -> None:
    await sim.faults.force_24h_cut("all")
    mutate(sim)
    await wait_until(lambda: session.counters["reconnects"] >= 2)


async def duplicates(sim: SimulatedExchange, session: AccountSession, probe: Probe, _clock: Timing) -> None:
    before = len(probe.margin_calls)
    sim.faults.duplicate_user_events(10)
    for symbol in ("SOLUSDT", "BNBUSDT", None):  # distinct payloads (None: the cross positions)
        sim.engine.emit_margin_call(symbol)
    mutate(sim)
    await wait_until(lambda: session.counters["duplicates"] >= 3)
    assert len(probe.margin_calls) - before == 3


async def reordered(sim: SimulatedExchange, session: AccountSession, probe: Probe, _clock: Timing) -> None:
    sim.faults.reorder_user_events(3)
    for amount in ("5", "6", "7"):  # three updates of one position, delivered newest first
        # Binance stamps successive updates with increasing E; make sure the sim's ms clock moved.
        now = sim.now_ms()
        await wait_until(lambda now=now: sim.now_ms() > now)
        sim.engine.transfer_margin("SOLUSDT", "LONG", amount)
    await wait_until(lambda: session.counters["stale_dropped"] >= 1)


async def refuse_private(sim: SimulatedExchange, session: AccountSession, probe: Probe, clock: Timing) -> None:
    """Every new private socket closed with 1008 for a minute: what the exchange pays for it."""
    assert clock is not None

    def counts() -> tuple[int, int, int]:
        state = sim.state()
        return state["private_connects"], state["listen_key_posts"], session.resyncs

    before = counts()
    at_a_minute: list[tuple[int, int, int]] = []
    clock.when(clock.now + 60.0, lambda: at_a_minute.append(counts()))
    sim.faults.refuse_private(1008)
    await sim.faults.drop("private")
    mutate(sim)
    await wait_until(lambda: bool(at_a_minute) or counts()[0] - before[0] > 30, 15)
    connects, posts, snapshots = (a - b for a, b in zip(at_a_minute[0] if at_a_minute else counts(), before,
                                                        strict=True))
    record("per_minute", name="refuse_private", private_connects=connects, listen_key_posts=posts,
           snapshots=snapshots)
    assert connects <= 10 and posts <= connects and snapshots <= connects
    sim.faults.clear()


FAULTS: dict[str, Fault] = {
    f.__name__: f
    for f in (drop_market, drop_private, stall_private, stall_market, malformed, listen_key_expired,
              rest_429, rest_418, clock_ahead, clock_behind, cut_24h, duplicates, reordered, refuse_private)
}
ON_VIRTUAL_TIME = {"refuse_private"}


@pytest.mark.parametrize("name", list(FAULTS))
async def test_session_recovers_from(name: str) -> None:
    clock = VirtualTime() if name in ON_VIRTUAL_TIME else None
    timing: dict[str, Any] = {} if clock is None else {
        "clock": clock, "user": ConnectionOptions(stale_after=None, close_timeout=0.5)}
    async with SimulatedExchange(tick_interval=0.05) as sim, running_session(sim, **timing) as (session, probe):
        await converge(session, sim)
        record("fault_injected", name=name)
        injected = time.monotonic()
        await FAULTS[name](sim, session, probe, clock)
        ended = time.monotonic()
        # the fault has ended: within 5 s everything is live again and the state is the truth
        await converge(session, sim, limit=5.0)
        recovered = time.monotonic()
        # and the alarm path still works, exactly once per margin call
        before = len(probe.margin_calls)
        sim.engine.emit_margin_call("SOLUSDT")
        await wait_until(lambda: len(probe.margin_calls) == before + 1)
        sim.engine.transfer_margin("SOLUSDT", "LONG", "1")
        await converge(session, sim, limit=5.0)
        assert len(probe.margin_calls) == sim.emitted.margin_calls
        assert session.state.cross_wallet_balance > Decimal(0)
        record("fault", name=name, recover_s=recovered - ended, outage_s=recovered - injected)
