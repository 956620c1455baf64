"""Calculator tabs: PnL, target price, liquidation wrapper, max open, average open price."""

from __future__ import annotations

from decimal import Decimal

import pytest

from marginwatch.core import calculator as calc
from marginwatch.core.brackets import BracketTable
from marginwatch.core.brackets_snapshot import load_snapshot
from marginwatch.core.errors import InvalidInputError, LeverageTooHighError, NoBracketsError

D = Decimal
BTC = load_snapshot()["BTCUSDT"]


def test_pnl_linear() -> None:
    r = calc.pnl("long", 100, 110, 2, 10)
    assert (r.initial_margin, r.pnl, r.roe_pct) == (D(20), D(20), D(100))
    s = calc.pnl("short", "100", "110", "2", "10")
    assert (s.pnl, s.roe_pct) == (D(-20), D(-100))


def test_pnl_inverse() -> None:
    # 100 contracts of 100 USD: 10,000 USD; long from 20k to 25k earns 10000 × (1/20000 − 1/25000) = 0.1 BTC.
    r = calc.pnl("long", 20000, 25000, 100, 10, "inverse", 100)
    assert r.initial_margin == D("0.05")
    assert r.pnl == D("0.1")
    assert r.roe_pct == D(200)


@pytest.mark.parametrize("contract", ["linear", "inverse"])
@pytest.mark.parametrize("side", ["long", "short"])
@pytest.mark.parametrize("roe", ["50", "-30", "250"])
def test_target_price_round_trips_through_pnl(contract: str, side: str, roe: str) -> None:
    target = calc.target_price(side, 30000, roe, 20, contract).target_price
    r = calc.pnl(side, 30000, target, 3, 20, contract, 100)
    assert abs(r.roe_pct - D(roe)) < D("1e-20")


def test_target_price_values_and_unreachable() -> None:
    assert calc.target_price("long", 100, 50, 10).target_price == D(105)
    assert calc.target_price("short", 100, 50, 10).target_price == D(95)
    with pytest.raises(InvalidInputError, match="roe"):
        calc.target_price("short", 100, 1000, 10)  # would need a price of 0
    with pytest.raises(InvalidInputError):
        calc.target_price("long", 100, 1000, 10, "inverse")  # would need an infinite price


def test_liquidation_isolated_defaults_to_initial_margin() -> None:
    r = calc.liquidation("long", 50000, 1, 10, brackets=BTC)
    assert r.wallet_balance == D(5000) == r.initial_margin
    assert r.liquidation_price is not None and r.liquidation_price.quantize(D("0.01")) == D("45180.72")
    assert r.maint_margin_ratio == D("0.004") and r.maint_amount == 0
    fixed = calc.liquidation("long", 50000, 1, 10, mmr="0.004")
    assert fixed.liquidation_price == r.liquidation_price


def test_liquidation_cross_and_hedge() -> None:
    one_way = calc.liquidation("short", 60000, "0.5", 20, margin_type="cross", wallet=10000, brackets=BTC,
                               other_maint=120, other_upnl=-300)  # fmt: skip
    hedge = calc.liquidation("short", 60000, "0.5", 20, margin_type="cross", wallet=10000, brackets=BTC,
                             other_maint=120, other_upnl=-300, hedge=True)  # fmt: skip
    assert one_way.liquidation_price == hedge.liquidation_price
    expected = (D(10000) - 120 - 300 + 30000) / (D("0.5") * D("0.004") + D("0.5"))
    assert one_way.liquidation_price == expected
    with pytest.raises(InvalidInputError, match="wallet"):
        calc.liquidation("long", 100, 1, 10, margin_type="cross", mmr="0.01")


def test_liquidation_inverse_wrapper() -> None:
    r = calc.liquidation("long", 25000, 100, 20, mmr="0.004", contract="inverse", face=100)
    wb = D(10000) / D(25000) / 20
    assert r.wallet_balance == wb
    assert r.liquidation_price == D(100) * (D(100) * D("0.004") + D(100)) / (wb + D(10000) / D(25000))


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"qty": -1}, InvalidInputError),
        ({"qty": 0}, InvalidInputError),
        ({"leverage": 0}, InvalidInputError),
        ({"leverage": -5}, InvalidInputError),
        ({"leverage": "2.5"}, InvalidInputError),
        ({"entry": "NaN"}, InvalidInputError),
        ({"entry": float("inf")}, InvalidInputError),
        ({"entry": "abc"}, InvalidInputError),
        ({"leverage": 126}, LeverageTooHighError),
        ({"side": "up"}, InvalidInputError),
        ({"mmr": "0.01"}, InvalidInputError),  # both brackets and mmr
        ({"brackets": None}, InvalidInputError),  # neither
        ({"margin_type": "both"}, InvalidInputError),
        ({"other_maint": 5}, InvalidInputError),  # isolated ignores others: reject, don't guess
    ],
)
def test_liquidation_invalid_input(kwargs: dict[str, object], error: type[Exception]) -> None:
    args: dict[str, object] = {"side": "long", "entry": 50000, "qty": 1, "leverage": 10, "brackets": BTC}
    args.update(kwargs)
    with pytest.raises(error):
        calc.liquidation(**args)  # type: ignore[arg-type]


def test_leverage_limit_depends_on_notional() -> None:
    calc.liquidation("long", 50000, "0.9", 125, brackets=BTC)  # 45k: 125x allowed
    with pytest.raises(LeverageTooHighError) as info:
        calc.liquidation("long", 50000, 6, 125, brackets=BTC)  # 300k: 50x at most
    assert info.value.maximum == 50


def test_empty_brackets_rejected() -> None:
    with pytest.raises(NoBracketsError):
        BracketTable("BTCUSDT", ())


def test_max_open_bounded_by_brackets() -> None:
    small = calc.max_open(1000, 20, 50000, BTC)
    assert (small.max_notional, small.max_qty) == (D(20000), D("0.4"))
    big = calc.max_open(10**9, 20, 50000, BTC)
    assert big.max_notional == big.bracket_cap == D(15_000_000)
    assert big.max_qty == D(300)
    assert calc.max_open(10**9, 125, 50000, BTC).max_notional == D(50000)
    inv = calc.max_open(1, 10, 25000, BTC, "inverse", 100)  # 1 BTC × 10 = 10 BTC notional
    assert inv.max_qty == D(2500)
    with pytest.raises(LeverageTooHighError):
        calc.max_open(1000, 126, 50000, BTC)
    with pytest.raises(InvalidInputError):
        calc.max_open(-1, 10, 50000, BTC)


def test_average_open_price() -> None:
    linear = calc.average_open_price([(100, 1), ("200", "3")])
    assert linear.average_price == D(175) and linear.total_qty == D(4)
    inverse = calc.average_open_price([(100, 1), (200, 1)], "inverse")
    assert inverse.average_price.quantize(D("0.0001")) == D("133.3333")
    with pytest.raises(InvalidInputError):
        calc.average_open_price([])
    with pytest.raises(InvalidInputError, match="fill 2 qty"):
        calc.average_open_price([(100, 1), (100, -1)])
