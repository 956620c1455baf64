"""Auto-add margin: MEXC's worked example exactly, shorts, inverse, and Binance's convention."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marginwatch.core import risk
from marginwatch.core.auto_add import (
    AutoAddConvention,
    auto_add_margin_binance,
    auto_add_margin_mexc,
    mexc_liquidation_price,
)
from marginwatch.core.brackets_snapshot import load_snapshot
from marginwatch.core.errors import InvalidInputError, LeverageTooHighError
from marginwatch.core.position import ContractKind, Direction, MarginType, Position, PositionSide

D = Decimal


def test_mexc_seed_example() -> None:
    # BTCUSDT long at 18000, 10x, 5000 contracts of 0.0001 BTC, MMR 0.4 %, 50 USDT available.
    r = auto_add_margin_mexc("long", 18000, 5000, "0.0001", 10, "0.004", 50)
    assert r.convention is AutoAddConvention.MEXC
    assert r.add_per_trigger == D(36) and r.initial_margin == D(900)
    assert r.initial_liquidation_price == D(16272)  # the article's 16270.96 includes fees
    assert [(s.added, s.liquidation_price) for s in r.steps] == [(D(36), D(16200)), (D(14), D(16172))]
    assert [s.trigger_price for s in r.steps] == [D(16272), D(16200)]
    assert [s.margin_after for s in r.steps] == [D(936), D(950)]
    assert [s.available_after for s in r.steps] == [D(14), D(0)]
    assert not r.truncated


def test_mexc_short_mirrors_long() -> None:
    r = auto_add_margin_mexc("short", 18000, 5000, "0.0001", 10, "0.004", 50)
    # short LP = (margin − MM + entry·size) / size
    assert r.initial_liquidation_price == (D(900) - 36 + 9000) / D("0.5")
    assert [(s.added, s.liquidation_price) for s in r.steps] == [(D(36), D(19800)), (D(14), D(19828))]


@pytest.mark.parametrize("side", [Direction.LONG, Direction.SHORT])
def test_mexc_inverse_balances_at_each_liquidation_price(side: Direction) -> None:
    # BTCUSD: 1000 contracts of 100 USD at 20000, 20x, MMR 0.5 %, 0.01 BTC available.
    r = auto_add_margin_mexc(side, 20000, 1000, 100, 20, "0.005", "0.01", "inverse")
    size = D(100000)
    assert r.add_per_trigger == size * D("0.005") / 20000
    assert r.initial_margin == size / 20000 / 20
    assert sum((s.added for s in r.steps), D(0)) == D("0.01")
    maint = r.add_per_trigger
    for s in r.steps:
        assert s.liquidation_price is not None
        upnl = side.sign * size * (D(1) / 20000 - D(1) / s.liquidation_price)
        assert abs(s.margin_after + upnl - maint) < D("1e-24")  # margin + uPnL == MM fixed at entry
    moves = [s.liquidation_price for s in r.steps if s.liquidation_price is not None]
    assert moves == sorted(moves, reverse=side is Direction.LONG)  # each addition pushes it away


def test_mexc_formula_none_when_unliquidatable() -> None:
    assert mexc_liquidation_price(Direction.LONG, D(100), D(1), D(200), D(1), ContractKind.LINEAR) is None
    assert mexc_liquidation_price(Direction.SHORT, D(100), D(100), D(5), D(0), ContractKind.INVERSE) is None


def test_no_available_margin_means_no_steps_and_truncation_is_reported() -> None:
    assert auto_add_margin_mexc("long", 18000, 5000, "0.0001", 10, "0.004", 0).steps == ()
    r = auto_add_margin_mexc("long", 18000, 5000, "0.0001", 10, "0.004", 1000, max_steps=3)
    assert len(r.steps) == 3 and r.truncated
    r = auto_add_margin_mexc("long", 18000, 5000, "0.0001", 10, "0.004", 1000)
    assert not r.truncated and r.steps[-1].available_after == 0
    assert len(r.steps) == 28  # 27 × 36 + 28


def test_binance_convention_margin_equals_mm_at_each_liquidation_price() -> None:
    table = load_snapshot()["BTCUSDT"]
    r = auto_add_margin_binance("long", 18000, 5000, "0.0001", 10, 50, brackets=table)
    assert r.convention is AutoAddConvention.BINANCE
    assert [s.added for s in r.steps] == [D(36), D(14)]
    for s in r.steps:
        liq = s.liquidation_price
        assert liq is not None
        pos = Position("BTCUSDT", PositionSide.BOTH, D("0.5"), D(18000), D(18000), MarginType.ISOLATED, s.margin_after)
        balance = s.margin_after + risk.unrealized_pnl(pos, liq)
        assert abs(balance - risk.position_maintenance_margin(pos, table, liq)) < D("1e-20")
    # MM at the (lower) liquidation price is smaller than at entry, so Binance's price is lower.
    mexc = auto_add_margin_mexc("long", 18000, 5000, "0.0001", 10, "0.004", 50)
    assert all(b.liquidation_price < m.liquidation_price  # type: ignore[operator]
               for b, m in zip(r.steps, mexc.steps, strict=True))  # fmt: skip
    fixed = auto_add_margin_binance("long", 18000, 5000, "0.0001", 10, 50, mmr="0.004")
    assert [s.liquidation_price for s in fixed.steps] == [s.liquidation_price for s in r.steps]


@pytest.mark.parametrize(
    "kwargs",
    [{"qty": -1}, {"leverage": 0}, {"available": -1}, {"entry": "inf"}, {"side": "flat"}, {"mmr": "-0.1"},
     {"max_steps": 0}],
)  # fmt: skip
def test_invalid_input(kwargs: dict[str, object]) -> None:
    args: dict[str, object] = {"side": "long", "entry": 18000, "qty": 5000, "face": "0.0001", "leverage": 10,
                               "mmr": "0.004", "available": 50}  # fmt: skip
    args.update(kwargs)
    with pytest.raises(InvalidInputError):
        auto_add_margin_mexc(**args)  # type: ignore[arg-type]


def test_binance_convention_checks_leverage_and_inputs() -> None:
    table = load_snapshot()["BTCUSDT"]
    with pytest.raises(LeverageTooHighError):
        auto_add_margin_binance("long", 18000, 5000, "0.0001", 126, 50, brackets=table)
    with pytest.raises(InvalidInputError):
        auto_add_margin_binance("long", 18000, 5000, "0.0001", 10, 50)


def test_mexc_inverse_short_with_a_zero_denominator_stops_adding() -> None:
    # After 11 additions margin − MM equals size/entry exactly: no liquidation price (not 1.97E+32),
    # and the remaining 0.5786 BTC stays available.
    r = auto_add_margin_mexc("short", 92243, 197212, 10, 2, "0.05", "12.3374", "inverse")
    assert len(r.steps) == 11
    assert r.steps[-1].liquidation_price is None
    assert all(s.liquidation_price is not None and s.liquidation_price < 2 * 10**6 for s in r.steps[:-1])
    assert abs(r.steps[-1].available_after - (D("12.3374") - 11 * r.add_per_trigger)) < D("1e-24")


def test_mexc_linear_long_with_a_zero_numerator_stops_adding() -> None:
    # 3x and an MMR of (2/3)/6, both rounded: after 7 additions margin − MM is entry × size, the
    # price is 0 (none), not a hair above it with another addition.
    r = auto_add_margin_mexc("long", 30000, 7, "0.001", 3, (1 - D(1) / 3) / 6, 1000)
    assert len(r.steps) == 7
    assert r.steps[-1].liquidation_price is None
    assert all(s.liquidation_price is not None and s.liquidation_price > 1 for s in r.steps[:-1])


@settings(max_examples=1000, deadline=None)
@given(
    st.integers(2, 25),  # leverage
    st.integers(2, 40),  # additions until the position can no longer be liquidated
    st.integers(1, 200_000),  # entry
    st.integers(1, 10**6),  # contracts
    st.sampled_from(["0.001", "1", "10", "100"]),  # face
    st.sampled_from([("mexc", "inverse"), ("mexc", "linear"), ("binance", "inverse"), ("binance", "linear")]),
)
def test_an_addition_that_leaves_no_liquidation_price_is_the_last(
    lev: int, n: int, entry: int, contracts: int, face: str, how: tuple[str, str]
) -> None:
    # Inverse shorts and linear longs stop being liquidatable once margin − MM covers the whole
    # entry notional. With the MMR chosen so that happens exactly at addition n (up to the MMR's
    # own rounding), addition n shows no price and nothing follows it.
    convention, contract = how
    side = "short" if contract == "inverse" else "long"
    size = contracts * D(face)
    available = 3 * (size / entry if contract == "inverse" else size * entry)  # more than n additions take
    if convention == "mexc":
        # Margin − MM = (1/lev + (k − 1)·MMR) × notional: whole at k = n.
        mmr = (1 - D(1) / lev) / (n - 1)
        r = auto_add_margin_mexc(side, entry, contracts, face, lev, mmr, available, contract)
    else:
        # Binance's margin balance = MM at the price: isolated margin = notional at k = n, MM -> 0.
        mmr = (1 - D(1) / lev) / n
        r = auto_add_margin_binance(side, entry, contracts, face, lev, available, mmr=mmr, contract=contract)
    assert len(r.steps) == n, [s.liquidation_price for s in r.steps]
    assert r.steps[-1].liquidation_price is None
    assert all(s.liquidation_price is not None for s in r.steps[:-1])
