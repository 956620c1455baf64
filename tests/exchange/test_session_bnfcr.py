"""A session on an EU account whose margin asset is BNFCR (credits, no USDT balance) against the
simulator: the wallet is the BNFCR balance, and an ACCOUNT_UPDATE carrying only a BNFCR balance
changes the wallet the session's figures use."""

from __future__ import annotations

from decimal import Decimal

import pytest

from marginwatch.exchange.session import AccountSession
from marginwatch.exchange.sim.book import BNFCR_BOOK
from marginwatch.exchange.sim.server import SimulatedExchange
from tests.exchange.session_harness import converge, running_session, settled, wait_until

pytestmark = pytest.mark.asyncio


def liquidation_prices(session: AccountSession) -> dict[tuple[str, str], Decimal | None]:
    return {(pr.position.symbol, pr.position.position_side.value): pr.liquidation_price
            for pr in session.state.risk().positions}


def simulator_prices(sim: SimulatedExchange) -> dict[tuple[str, str], Decimal | None]:
    return {(k[0], k[1].value): pr.liquidation_price for k, pr in sim.engine.position_risks().items()}


async def test_the_wallet_is_the_bnfcr_balance() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False, book=BNFCR_BOOK) as sim, \
            running_session(sim) as (session, _):
        await settled(session)
        await converge(session, sim)
        assert session.state.cross_wallet_balance == sim.engine.cross_wallet > 0
        assert set(session.state.collateral) == {"BNFCR"}
        assert session.state.multi_assets_margin is False
        assert {p.extra.get("margin_asset") for p in session.state.positions().values()} == {"BNFCR"}
        assert liquidation_prices(session) == simulator_prices(sim)


async def test_a_bnfcr_only_funding_update_changes_the_wallet() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False, book=BNFCR_BOOK) as sim, \
            running_session(sim) as (session, _):
        await settled(session)
        before = session.state.cross_wallet_balance
        resyncs = session.resyncs
        sim.engine.apply_funding_fee("BTCUSDT", "-120")  # a cross symbol: B only, no P rows
        sent = sim.events_emitted[-1]["a"]
        assert [b["a"] for b in sent["B"]] == ["BNFCR"] and sent["P"] == []
        await wait_until(lambda: session.state.cross_wallet_balance == before - 120)
        assert session.resyncs == resyncs
        assert liquidation_prices(session) == simulator_prices(sim)


async def test_an_order_update_with_a_bnfcr_balance_and_no_positions_sets_the_wallet() -> None:
    async with SimulatedExchange(tick_interval=0.05, autostart_engine=False, book=BNFCR_BOOK) as sim, \
            running_session(sim) as (session, _):
        await settled(session)
        applied = session.applied_updates
        now = sim.now_ms()
        # The shape an EU account sends: reason ORDER, one BNFCR row, an empty P, E and T equal.
        frame = {"e": "ACCOUNT_UPDATE", "T": now, "E": now,
                 "a": {"m": "ORDER", "B": [{"a": "BNFCR", "wb": "9020.60000000", "cw": "7920.60000000", "bc": "0"}],
                       "P": []}}
        assert sim.faults.push_user_frame(frame) == 1
        await wait_until(lambda: session.applied_updates > applied)
        assert session.state.cross_wallet_balance == Decimal("7920.60000000")
        assert session.state.risk().cross_wallet_balance == Decimal("7920.60000000")
