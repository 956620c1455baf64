"""AccountSession against the simulator: per-entity ordering inside one ACCOUNT_UPDATE (a stale row is
left out, the rest applied) and the notifications a snapshot with buffered updates gives."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web

from marginwatch.core.position import PositionSide
from marginwatch.exchange.sim.server import SimulatedExchange
from tests.exchange.session_harness import running_session, settled, wait_until

pytestmark = pytest.mark.asyncio


def leg(symbol: str, side: str, amount: str, entry: str) -> dict[str, Any]:
    return {"s": symbol, "pa": amount, "ep": entry, "cr": "0", "up": "0", "mt": "cross", "iw": "0", "ps": side}


def usdt(cross_wallet: str) -> dict[str, Any]:
    return {"a": "USDT", "wb": cross_wallet, "cw": cross_wallet, "bc": "0"}


def update(e: int, *, balances: list[dict[str, Any]] | None = None,
           legs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    a: dict[str, Any] = {"m": "ORDER"}
    if balances is not None:
        a["B"] = balances
    if legs is not None:
        a["P"] = legs
    return {"e": "ACCOUNT_UPDATE", "E": e, "T": e - 1, "a": a}


def amount(session: Any, symbol: str, side: str) -> Decimal | None:
    pos = session.state.positions().get((symbol, PositionSide(side)))
    return pos.amount if pos is not None else None


async def test_a_leg_older_than_its_last_update_is_left_out_and_the_rest_of_that_update_applied() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim, running_session(
        sim
    ) as (session, _):
        await settled(session)
        t = session.state.snapshot_time_ms
        assert t is not None
        sim.emit_user_event(update(t + 200, legs=[leg("BTCUSDT", "LONG", "0.7", "99500")]))
        await wait_until(lambda: amount(session, "BTCUSDT", "LONG") == Decimal("0.7"))
        # older than the BTC update above, but the first word on ETH and on the wallet since the snapshot
        sim.emit_user_event(update(t + 100, balances=[usdt("12345.5")], legs=[
            leg("BTCUSDT", "LONG", "0.6", "99500"), leg("ETHUSDT", "LONG", "5", "3480")]))
        await wait_until(lambda: amount(session, "ETHUSDT", "LONG") == Decimal("5"))
        assert amount(session, "BTCUSDT", "LONG") == Decimal("0.7")
        assert session.state.cross_wallet_balance == Decimal("12345.5")
        assert session.counters["stale_dropped"] == 1 and session.applied_updates == 2


async def test_a_balance_older_than_its_last_update_is_left_out_and_the_legs_of_that_update_applied() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim, running_session(
        sim
    ) as (session, _):
        await settled(session)
        t = session.state.snapshot_time_ms
        assert t is not None
        sim.emit_user_event(update(t + 200, balances=[usdt("11111")]))
        await wait_until(lambda: session.state.cross_wallet_balance == Decimal("11111"))
        sim.emit_user_event(update(t + 100, balances=[usdt("22222")], legs=[leg("ETHUSDT", "LONG", "5", "3480")]))
        await wait_until(lambda: amount(session, "ETHUSDT", "LONG") == Decimal("5"))
        assert session.state.cross_wallet_balance == Decimal("11111")
        assert session.counters["stale_dropped"] == 1


async def test_an_update_whose_rows_are_all_stale_changes_nothing_and_notifies_nobody() -> None:
    async with SimulatedExchange(tick_interval=10.0, autostart_engine=False) as sim, running_session(
        sim, change_delay=0.0
    ) as (session, probe):
        await settled(session)
        t = session.state.snapshot_time_ms
        assert t is not None
        sim.emit_user_event(update(t + 200, balances=[usdt("11111")], legs=[leg("BTCUSDT", "LONG", "0.7", "99500")]))
        await wait_until(lambda: session.applied_updates == 1)
        await wait_until(lambda: probe.changes >= 1)
        changes = probe.changes
        sim.emit_user_event(update(t + 100, balances=[usdt("22222")], legs=[leg("BTCUSDT", "LONG", "0.6", "99500")]))
        await wait_until(lambda: session.counters["stale_dropped"] == 2)
        sim.engine.emit_margin_call("SOLUSDT")  # after it on the same socket: the stale update was handled
        await wait_until(lambda: len(probe.margin_calls) == 1)
        assert session.applied_updates == 1 and probe.changes == changes
        assert session.state.cross_wallet_balance == Decimal("11111")


async def test_a_snapshot_and_the_updates_buffered_during_it_notify_once() -> None:
    # No mark ticks (the first is 10 s away) and no delay: each loop turn that changed the state
    # notifies once, and the snapshot with its buffered update is one turn.
    sim = SimulatedExchange(tick_interval=10.0, autostart_engine=False)
    armed: list[int] = []
    original = sim.rest._position_risk

    async def old_then_change(request: web.Request) -> web.StreamResponse:
        resp = await original(request)
        if armed:
            armed.clear()
            sim.engine.transfer_margin("SOLUSDT", "LONG", "30")
            await wait_until(lambda: len(probe.events) > seen)
        return resp

    sim.rest._position_risk = old_then_change  # type: ignore[method-assign]  # routes bind on start
    async with sim, running_session(sim, change_delay=0.0) as (session, probe):
        await settled(session)
        await wait_until(lambda: probe.changes >= 1)
        seen, changes, resyncs = len(probe.events), probe.changes, session.resyncs
        armed.append(1)
        session.request_resync()
        await wait_until(lambda: session.resyncs > resyncs)
        sim.engine.emit_margin_call("SOLUSDT")  # a later loop turn: the notification has gone out by then
        await wait_until(lambda: len(probe.margin_calls) == 1)
        assert probe.changes == changes + 1
