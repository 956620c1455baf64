"""MexcSession against the MEXC simulator face on loopback (real REST and WebSocket traffic)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from marginwatch.core import mexc_risk as mr
from marginwatch.core.events import MarginCall
from marginwatch.core.position import MarginType, PositionSide
from marginwatch.core.stream_health import StreamState
from marginwatch.exchange.sim_mexc import MexcSimServer
from tests.exchange.mexc_harness import converge, running_mexc
from tests.exchange.session_harness import wait_until

pytestmark = pytest.mark.asyncio
D = Decimal


async def started(compression: str | None = None) -> MexcSimServer:
    sim = MexcSimServer(compression=compression)  # type: ignore[arg-type]
    await sim.start()
    return sim


async def seed_position(sim: MexcSimServer) -> int:
    # The seed article's position: 5000 contracts of 0.0001 BTC long at 18000, 10x, 50 USDT left.
    sim.account.available = D(950)
    return sim.account.open("BTC_USDT", long=True, vol=5000, entry=18000, leverage=10).position_id


async def test_snapshot_and_pushes_converge_to_the_simulators_truth() -> None:
    sim = await started()
    await seed_position(sim)
    sim.account.open("ETH_USDT", long=False, vol=10, entry=2500, leverage=5, isolated=False)
    try:
        async with running_mexc(sim) as (session, _probe):
            await converge(session, sim)
            btc_filters = session.state.symbol_filters("BTC_USDT")
            assert btc_filters is not None and btc_filters.tick_size == D("0.1")  # contract detail's priceUnit
            eth = session.state.positions()[("ETH_USDT", PositionSide.SHORT)]
            assert eth.margin_type is MarginType.CROSS and eth.contract_size == D("0.01")
            await sim.open_position("SOL_USDT", long=True, vol=3, entry=150, leverage=3)
            await sim.set_fair_price("ETH_USDT", 2400)
            await converge(session, sim)
            (sol_id,) = [p.position_id for p in sim.account.positions.values() if p.symbol == "SOL_USDT"]
            await sim.close_position(sol_id)
            await converge(session, sim)
            assert ("SOL_USDT", PositionSide.LONG) not in session.state.positions()
    finally:
        await sim.stop()


async def test_seed_articles_worked_example_from_a_simulated_position() -> None:
    sim = await started()
    pid = await seed_position(sim)
    try:
        async with running_mexc(sim) as (session, _probe):
            await converge(session, sim)
            pos = session.state.positions()[("BTC_USDT", PositionSide.LONG)]
            assert D(pos.extra[mr.EXTRA_OWN_LIQUIDATION]) == D(16272) == pos.exchange_liquidation_price
            # ours at the snapshot, by the same rule, agrees with MEXC's: no "≠" in the table
            assert pos.liquidation_price_at_snapshot == D(16272)
            (risk,) = session.state.risk().positions
            assert risk.liquidation_price == D(16272) and risk.maint_margin == D(36)
            preview = session.auto_add_preview("BTC_USDT", True)
            assert preview is not None and preview.add_per_trigger == D(36)
            assert [(s.added, s.liquidation_price) for s in preview.steps] == [(D(36), D(16200)), (D(14), D(16172))]
            sim.account.add_margin(pid, D(36))  # MEXC's first automatic addition
            await sim.push_position(sim.account.positions[pid])
            await wait_until(lambda: session.state.positions()[("BTC_USDT", PositionSide.LONG)].isolated_wallet
                             == D(936))
            after = session.state.positions()[("BTC_USDT", PositionSide.LONG)]
            assert D(after.extra[mr.EXTRA_OWN_LIQUIDATION]) == D(16200)  # the article's 16200 USDT
    finally:
        await sim.stop()


async def test_liquidation_warning_reaches_on_margin_call_once_with_the_matched_symbol() -> None:
    sim = await started()
    await seed_position(sim)
    try:
        async with running_mexc(sim) as (session, probe):
            await converge(session, sim)
            await sim.set_fair_price("BTC_USDT", 16300)  # margin ratio under twice the MMR: one warning
            await wait_until(lambda: len(probe.margin_calls) == 1)
            await sim.set_fair_price("BTC_USDT", 16290)  # still in the zone: the simulator does not repeat
            warning = next(f for f in sim.emitted if f["channel"] == "push.personal.generic.notify")
            await sim.send_raw(warning)  # MEXC resending the same notice
            await converge(session, sim)
            assert len(probe.margin_calls) == 1 and session.margin_calls == 1
            (call,) = probe.margin_calls
            assert isinstance(call, MarginCall) and call.event_time == warning["ts"]
            (leg,) = call.positions
            assert (leg.symbol, leg.position_side, leg.amount) == ("BTC_USDT", PositionSide.LONG, D(5000))
            assert leg.margin_type is MarginType.ISOLATED and leg.isolated_wallet == D(900)
            assert leg.maint_margin == D(36) and leg.mark_price == D(16300)  # the mark when it came
    finally:
        await sim.stop()


async def test_a_warning_naming_an_unknown_contract_still_goes_out_and_resyncs() -> None:
    sim = await started()
    await seed_position(sim)
    try:
        async with running_mexc(sim) as (session, probe):
            await converge(session, sim)
            before = session.resyncs
            await sim.send_raw({"channel": "push.personal.generic.notify", "ts": 7, "data": {"type": 1, "param": {
                "notifyType": 2, "openType": 1, "dn": "DOGE_USDT永续", "dne": "DOGE_USDT PERPETUAL"}}})
            await wait_until(lambda: len(probe.margin_calls) == 1 and session.resyncs > before)
            (leg,) = probe.margin_calls[0].positions
            assert leg.symbol == "DOGE_USDT PERPETUAL" and leg.unreadable[0].key == "s"
    finally:
        await sim.stop()


async def test_a_liquidation_notice_is_no_margin_call() -> None:
    sim = await started()
    await seed_position(sim)
    try:
        async with running_mexc(sim) as (session, probe):
            await converge(session, sim)
            await sim.send_raw({"channel": "push.personal.generic.notify", "ts": 8, "data": {"type": 1, "param": {
                "notifyType": 1, "openType": 1, "dn": "BTC_USDT永续", "dne": "BTC_USDT PERPETUAL"}}})
            await wait_until(lambda: session.liquidations == 1)
            assert probe.margin_calls == []
    finally:
        await sim.stop()


@pytest.mark.parametrize("compression", ["gzip", "deflate"])
async def test_compressed_frames_are_read_like_text(compression: str) -> None:
    sim = await started(compression)
    await seed_position(sim)
    try:
        async with running_mexc(sim) as (session, probe):
            await converge(session, sim)
            await sim.set_fair_price("BTC_USDT", 16300)
            await converge(session, sim)
            await wait_until(lambda: len(probe.margin_calls) == 1)
            assert session.stream is not None and session.stream.malformed == 0
    finally:
        await sim.stop()


async def test_a_dropped_socket_reconnects_logs_in_again_and_resyncs_what_it_missed() -> None:
    sim = await started()
    await seed_position(sim)
    try:
        async with running_mexc(sim) as (session, _probe):
            await converge(session, sim)
            resyncs, logins = session.resyncs, sim.logins
            await sim.drop_connections()
            sim.account.open("SOL_USDT", long=False, vol=2, entry=150, leverage=2)  # no one hears of it
            await converge(session, sim)
            assert sim.logins == logins + 1 and session.resyncs > resyncs
    finally:
        await sim.stop()


async def test_pings_keep_the_socket_and_draw_pongs() -> None:
    sim = await started()
    try:
        async with running_mexc(sim) as (session, _probe):
            await wait_until(lambda: sim.pings >= 2 and session.stream is not None and session.stream.pongs >= 2)
    finally:
        await sim.stop()


async def test_a_rejected_key_fails_with_plain_words_and_no_secret() -> None:
    sim = await started()
    try:
        async with running_mexc(sim, secret="wrong-secret-value", wait_ready=False) as (session, _probe):
            await wait_until(lambda: session.health["rest"].state is StreamState.FAILED)
            reason = session.failed_reason or ""
            assert "602" in reason and "rejected the API key" in reason and "wrong-secret-value" not in reason
            assert not session.ready.is_set() and sim.logins == 0
    finally:
        await sim.stop()
