"""Funding estimates: who pays, how much, and where an isolated position's liquidation price goes once
it has paid; the stream's rate reaching the positions; ADL buckets held per position."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marginwatch.core import risk
from marginwatch.core.account_state import AccountState
from marginwatch.core.brackets import Bracket, BracketTable
from marginwatch.core.calculator import single_bracket_table
from marginwatch.core.events import MarkPriceUpdate
from marginwatch.core.funding import estimate_funding, funding_payment
from marginwatch.core.position import MarginType, Position, PositionSide

D = Decimal
TABLE = single_bracket_table("0.004", symbol="BTCUSDT")
# A step at 50,000 notional, inside the range the property test's liquidation prices span: the
# shortcut must hand over to the solver where a payment moves the price across it.
TWO_BRACKETS = BracketTable("BTCUSDT", (
    Bracket(1, 125, D(0), D(50000), D("0.004"), D(0)),
    Bracket(2, 100, D(50000), D(10**9), D("0.005"), D(50)),
))


def pos(amount: str, *, rate: str | None = "0.0001", iso_wallet: str | None = None, mark: str = "60000") -> Position:
    return Position(
        "BTCUSDT", PositionSide.BOTH, D(amount), D("60000"), D(mark),
        margin_type=MarginType.ISOLATED if iso_wallet else MarginType.CROSS,
        isolated_wallet=D(iso_wallet or "0"), funding_rate=None if rate is None else D(rate),
        next_funding_ms=1_700_000_000_000,
    )


def test_a_long_pays_and_a_short_receives_mark_times_size_times_rate() -> None:
    assert funding_payment(pos("0.5"), D("0.0001")) == D("-3.00000")
    assert funding_payment(pos("-0.5"), D("0.0001")) == D("3.00000")
    assert funding_payment(pos("0.5"), D("-0.0002")) == D("6.00000")  # a negative rate: longs receive


def test_a_cross_position_gets_the_payment_and_time_but_no_liquidation_price_of_its_own() -> None:
    est = estimate_funding(pos("0.5"), TABLE)
    assert est is not None and est.payment == D("-3") and est.next_time_ms == 1_700_000_000_000
    assert est.liquidation_after is None
    assert estimate_funding(pos("0.5", rate=None), TABLE) is None


def test_an_isolated_payer_liquidation_price_moves_toward_the_mark_by_what_it_pays() -> None:
    p = pos("0.5", iso_wallet="3000")
    est = estimate_funding(p, TABLE)
    assert est is not None
    before = risk.liquidation_price([p], p.isolated_wallet, TABLE)
    assert before is not None and est.liquidation_after is not None
    assert before < est.liquidation_after < p.mark_price
    # The same as the liquidation price of that position with the payment taken from its margin.
    assert est.liquidation_after == risk.liquidation_price([p], D("2997"), TABLE)
    assert est.distance_after_pct == risk.distance_to_liquidation(p.mark_price, est.liquidation_after)
    # The shortcut from the current liquidation price gives the solver's answer.
    fast = estimate_funding(p, TABLE, liquidation_price=before)
    assert fast is not None and fast.liquidation_after == pytest.approx(est.liquidation_after, rel=D("1e-20"))
    receiver = estimate_funding(pos("-0.5", iso_wallet="3000"), TABLE)
    short_before = risk.liquidation_price([pos("-0.5", iso_wallet="3000")], D("3000"), TABLE)
    assert receiver is not None and receiver.liquidation_after is not None and short_before is not None
    assert receiver.liquidation_after > short_before  # a short that receives moves its price away


@given(rate=st.decimals("-0.003", "0.003", places=6), size=st.decimals("0.01", "2", places=3))
def test_at_the_liquidation_price_after_funding_the_margin_left_equals_the_maintenance_margin(
    rate: Decimal, size: Decimal
) -> None:
    p = pos(str(size), iso_wallet=str(size * 6000), rate=str(rate))
    est = estimate_funding(p, TWO_BRACKETS, liquidation_price=risk.liquidation_price([p], p.isolated_wallet,
                                                                                   TWO_BRACKETS))
    assert est is not None and est.liquidation_after is not None
    liq = est.liquidation_after
    margin_left = p.isolated_wallet + est.payment + risk.unrealized_pnl(p, liq)
    assert margin_left == pytest.approx(risk.maintenance_margin(risk.notional(p, liq), TWO_BRACKETS), abs=D("1e-6"))


def held() -> AccountState:
    state = AccountState()
    state.reseed([Position("BTCUSDT", PositionSide.LONG, D("0.5"), D("60000"), D("60000")),
                  Position("BTCUSDT", PositionSide.SHORT, D("-0.2"), D("60000"), D("60000"))],
                 D("10000"), {"BTCUSDT": TABLE})
    return state


def test_the_streams_funding_rate_and_time_reach_each_positions_risk() -> None:
    state = held()
    assert all(pr.funding is None for pr in state.risk().positions)
    state.apply_mark_prices([MarkPriceUpdate(event_time=1, symbol="BTCUSDT", mark_price_text="61000",
                                             funding_rate_str="0.00012", next_funding_time=1_700_028_800_000)])
    by_side = {pr.position.position_side: pr.funding for pr in state.risk().positions}
    long, short = by_side[PositionSide.LONG], by_side[PositionSide.SHORT]
    assert long is not None and long.rate == D("0.00012") and long.next_time_ms == 1_700_028_800_000
    assert long.payment == D("-3.66000") and short is not None and short.payment == D("1.464000")
    # A delivery contract's empty rate is no funding, not a zero rate or an error.
    state.apply_mark_prices([MarkPriceUpdate(event_time=2, symbol="BTCUSDT", mark_price_text="61100",
                                             funding_rate_str="")])
    assert {pr.funding.rate for pr in state.risk().positions if pr.funding} == {D("0.00012")}


def test_adl_buckets_are_held_per_position_and_a_change_is_a_new_version() -> None:
    state = held()
    version = state.version
    assert state.set_adl_quantiles({("BTCUSDT", PositionSide.LONG): 4, ("BTCUSDT", PositionSide.SHORT): 1,
                                    ("ETHUSDT", PositionSide.BOTH): 3})
    assert state.version > version
    assert {p.position_side: p.adl_quantile for p in state.positions().values()} == {
        PositionSide.LONG: 4, PositionSide.SHORT: 1}
    assert state.adl_quantile(("ETHUSDT", PositionSide.BOTH)) is None  # not held: not kept
    version = state.version
    assert not state.set_adl_quantiles({("BTCUSDT", PositionSide.LONG): 4, ("BTCUSDT", PositionSide.SHORT): 1})
    assert state.version == version
    # A mark tick keeps the bucket on the rebuilt position.
    state.apply_mark_prices([MarkPriceUpdate(event_time=1, symbol="BTCUSDT", mark_price_text="61000")])
    assert {p.adl_quantile for p in state.positions().values()} == {4, 1}
