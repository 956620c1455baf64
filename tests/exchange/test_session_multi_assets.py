"""A session on a multi-assets account (USDT plus USDC/BTC collateral, each with a USD price and a
haircut) against the simulator: the cross wallet is the USD value of all collateral, liquidation
prices agree with the simulator's own, live collateral changes keep them right, and the mode comes
from accountConfig."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from marginwatch.exchange.session import AccountSession
from marginwatch.exchange.sim.book import DEMO_BOOK, MULTI_ASSETS_BOOK, CollateralEntry
from marginwatch.exchange.sim.server import SimulatedExchange
from tests.exchange.session_harness import running_session, settled, wait_until

pytestmark = pytest.mark.asyncio

REL = Decimal("0.0005")  # 0.05 %
ACCOUNT_CONFIG = "/fapi/v1/accountConfig"
# One non-USDT collateral asset: its USD rate after the haircut follows exactly from the snapshot.
USDC_BOOK = replace(DEMO_BOOK, wallet=Decimal("4000"), collateral=(CollateralEntry("USDC", "3500", "0.9998", "0.01"),))


def liquidation_gaps(session: AccountSession, sim: SimulatedExchange) -> dict[tuple[str, str], Decimal]:
    """Each open leg's relative gap between the session's liquidation price and the simulator's."""
    theirs = sim.engine.position_risks()
    gaps: dict[tuple[str, str], Decimal] = {}
    for pr in session.state.risk().positions:
        key = pr.position.key
        exchange = theirs[key].liquidation_price
        assert pr.liquidation_price is not None and exchange is not None, key
        gaps[(key[0], key[1].value)] = abs(pr.liquidation_price - exchange) / exchange
    assert set(gaps) == {(p.symbol, p.side.value) for p in sim.engine.open_positions()}
    return gaps


def agrees(session: AccountSession, sim: SimulatedExchange) -> bool:
    return all(g <= REL for g in liquidation_gaps(session, sim).values())


async def test_cross_wallet_is_every_collateral_in_usd_and_liquidation_prices_agree() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False, book=MULTI_ASSETS_BOOK) as sim, \
            running_session(sim) as (session, _):
        await settled(session)
        engine = sim.engine
        usdt_only = engine.cross_wallet
        assert engine.cross_wallet_usd - usdt_only > Decimal("5000")  # the collateral is most of the margin
        assert abs(session.state.cross_wallet_balance - engine.cross_wallet_usd) <= Decimal("0.00000001")
        assert agrees(session, sim)
        risk = session.state.risk()
        assert session.state.multi_assets_margin is True and risk.multi_assets is True
        assert set(session.state.collateral) == {"USDT", "USDC", "BTC"}


async def test_live_usdc_change_moves_the_wallet_without_a_snapshot() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False, book=USDC_BOOK) as sim, \
            running_session(sim) as (session, _):
        await settled(session)
        assert agrees(session, sim)
        btc = ("BTCUSDT", "LONG")
        before = {k: v for k, v in ((pr.position.key, pr.liquidation_price) for pr in session.state.risk().positions)}
        resyncs, applied = session.resyncs, session.applied_updates
        sim.engine.set_collateral("USDC", amount="500")  # a 3,000 USDC withdrawal: ACCOUNT_UPDATE, USDC only
        await wait_until(lambda: session.applied_updates > applied)
        assert session.resyncs == resyncs  # the stream's balance did it, not a new snapshot
        assert abs(session.state.cross_wallet_balance - sim.engine.cross_wallet_usd) <= Decimal("0.000001")
        assert agrees(session, sim)
        after = {pr.position.key: pr.liquidation_price for pr in session.state.risk().positions}
        key = next(k for k in after if (k[0], k[1].value) == btc)
        moved = after[key] - before[key]  # type: ignore[operator]
        assert moved / before[key] > REL * 10  # type: ignore[operator]  # the change was worth checking


async def test_a_change_among_several_collateral_assets_is_checked_against_a_snapshot() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False, book=MULTI_ASSETS_BOOK) as sim, \
            running_session(sim) as (session, _):
        await settled(session)
        resyncs = session.resyncs
        sim.engine.set_collateral("BTC", amount="0.002")  # USDC and BTC have different haircuts
        await wait_until(lambda: session.resyncs > resyncs)
        await wait_until(lambda: agrees(session, sim))
        assert abs(session.state.cross_wallet_balance - sim.engine.cross_wallet_usd) <= Decimal("0.00000001")


async def test_a_new_collateral_asset_is_read_from_a_snapshot() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False, book=USDC_BOOK) as sim, \
            running_session(sim) as (session, _):
        await settled(session)
        resyncs = session.resyncs
        sim.engine.set_collateral("BTC", amount="0.01", usd_price="100000", haircut="0.05")
        await wait_until(lambda: session.resyncs > resyncs and "BTC" in session.state.collateral)
        assert abs(session.state.cross_wallet_balance - sim.engine.cross_wallet_usd) <= Decimal("0.00000001")
        assert agrees(session, sim)


async def test_the_mode_comes_from_account_config_not_from_the_balances() -> None:
    # Multi-assets mode with USDT alone: nothing in the balances tells it from single-asset mode.
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim:
        sim.engine.multi_assets_margin = True
        async with running_session(sim) as (session, _):
            await settled(session)
            assert session.state.multi_assets_margin is True
            assert session.state.risk().multi_assets is True
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False) as sim, \
            running_session(sim) as (session, _):
        await settled(session)
        assert session.state.multi_assets_margin is False


async def test_account_config_is_read_after_each_user_stream_connect_only() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False, book=USDC_BOOK) as sim, \
            running_session(sim) as (session, _):
        await settled(session)
        calls = sim.rest.calls
        assert calls[ACCOUNT_CONFIG] == 2  # with the first snapshot and the one after the stream's connect
        resyncs = session.resyncs
        session.request_resync()  # a safety-net reseed: the mode cannot have changed unseen
        await wait_until(lambda: session.resyncs > resyncs)
        assert calls[ACCOUNT_CONFIG] == 2
        sim.engine.multi_assets_margin = False  # switched while the stream is down: no event reaches us
        resyncs = session.resyncs
        await sim.faults.drop("private")
        await wait_until(lambda: session.resyncs > resyncs and session.state.multi_assets_margin is False)
        assert calls[ACCOUNT_CONFIG] == 3
