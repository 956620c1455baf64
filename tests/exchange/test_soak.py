"""Bounded soak: 5,000 user events with a disconnect every ~200. Every MARGIN_CALL the simulator
emitted while we were connected reaches on_margin_call exactly once, and the state ends as the truth."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from marginwatch.exchange.sim.server import SimulatedExchange
from tests.exchange.robustness_log import record
from tests.exchange.session_harness import converge, live, running_session, wait_until

pytestmark = pytest.mark.asyncio

TOTAL_EVENTS = 5000
DISCONNECT_EVERY = 200


def private_ready(sim: SimulatedExchange, old: Any) -> bool:
    conns = sim.hub.of(("private",))
    return (
        len(conns) == 1
        and conns[0] is not old
        and sim.listen_key is not None
        and sim.listen_key in conns[0].listen_keys
    )


async def test_soak_every_margin_call_exactly_once_across_disconnects() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim, running_session(
        sim
    ) as (session, probe):
        e = sim.engine
        faults = [
            lambda: sim.faults.drop("private"),
            lambda: sim.faults.force_24h_cut("private"),
            lambda: sim.faults.drop("all"),
        ]
        emitted = 0
        disconnects = 0
        price = Decimal("180")
        while emitted < TOTAL_EVENTS:
            if disconnects % 5 == 1:
                sim.faults.duplicate_user_events(50)  # some bursts arrive twice
            for _ in range(DISCONNECT_EVERY // 20):
                for i in range(20):
                    if i % 10 == 0:
                        # a fresh mark makes every call's payload distinct, as on Binance
                        price += Decimal("0.01")
                        e.set_mark_price("SOLUSDT", price, evaluate=False)
                        e.emit_margin_call("SOLUSDT")
                    elif i % 2:
                        e.apply_funding_fee("BTCUSDT", "-0.01")
                    else:
                        e.transfer_margin("SOLUSDT", "LONG", "0.01" if i % 4 else "-0.01")
                    emitted += 1
                await asyncio.sleep(0)  # let the streams drain between bursts (pacing, not sync)
            # What is still in flight when a socket dies is gone for every client (Binance does not
            # replay), so cut only once this burst has arrived.
            await wait_until(lambda: len(probe.margin_calls) == sim.emitted.margin_calls, 5)
            old = sim.hub.of(("private",))[0]
            if disconnects % 4 == 3:
                sim.faults.expire_listen_key()
            else:
                await faults[disconnects % 3]()
            disconnects += 1
            await wait_until(lambda old=old: private_ready(sim, old) and live(session), 5)
        assert sim.emitted.user_events >= TOTAL_EVENTS
        await wait_until(lambda: len(probe.margin_calls) >= sim.emitted.margin_calls, 10)
        assert disconnects >= TOTAL_EVENTS // DISCONNECT_EVERY
        assert len(probe.margin_calls) == sim.emitted.margin_calls == TOTAL_EVENTS // 10
        # each call carries a unique mark: the multisets must match exactly (no loss, no repeat)
        assert sorted(c.positions[0].mark_price for c in probe.margin_calls) == sorted(
            Decimal(str(c["p"][0]["mp"])) for c in sim.margin_calls_emitted
        )
        assert session.counters["duplicates"] > 0
        await converge(session, sim)
        record(
            "soak",
            events_emitted=sim.emitted.user_events,
            user_frames_received=session.user_stream.connection.frames if session.user_stream else 0,
            account_updates_applied=session.applied_updates,
            margin_calls_emitted=sim.emitted.margin_calls,
            margin_calls_received=len(probe.margin_calls),
            disconnects=disconnects,
            duplicates_dropped=session.counters["duplicates"],
        )
