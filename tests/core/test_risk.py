"""Risk maths: notional, PnL, maintenance margin (FAQ vectors), margin ratio, liquidation price."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from marginwatch.core import risk
from marginwatch.core.brackets import Bracket, BracketTable
from marginwatch.core.brackets_snapshot import load_snapshot
from marginwatch.core.errors import InvalidInputError
from marginwatch.core.position import ContractKind, MarginType, Position, PositionSide

D = Decimal
BTC = load_snapshot()["BTCUSDT"]


def pos(amount: str, entry: str, mark: str | None = None, side: PositionSide = PositionSide.BOTH,
        margin: MarginType = MarginType.CROSS, wallet: str = "0", inverse: bool = False) -> Position:  # fmt: skip
    return Position(
        symbol="BTCUSD_PERP" if inverse else "BTCUSDT",
        position_side=side,
        amount=D(amount),
        entry_price=D(entry),
        mark_price=D(mark or entry),
        margin_type=margin,
        isolated_wallet=D(wallet),
        contract=ContractKind.INVERSE if inverse else ContractKind.LINEAR,
        contract_size=D(100) if inverse else D(1),
    )


Leg = tuple[int, Decimal, Decimal, Decimal, Decimal]


def faq_lp(wb: Decimal, tmm: Decimal, upnl: Decimal, legs: list[Leg]) -> Decimal:
    """The FAQ formula written out term by term; legs: (side, |qty|, entry, mmr, cum)."""
    num = wb - tmm + upnl + sum((c for *_, c in legs), D(0)) - sum((s * q * e for s, q, e, _, _ in legs), D(0))
    den = sum((q * m for _, q, _, m, _ in legs), D(0)) - sum((s * q for s, q, *_ in legs), D(0))
    return num / den


def balance_minus_mm(legs: list[Position], wb: Decimal, table: BracketTable, om: Decimal, ou: Decimal,
                     price: Decimal) -> Decimal:  # fmt: skip
    bal = wb + ou + sum((risk.unrealized_pnl(p, price) for p in legs), D(0))
    return bal - om - sum((risk.position_maintenance_margin(p, table, price) for p in legs), D(0))


def test_faq_maintenance_margin_vectors() -> None:
    assert risk.maintenance_margin(D(264000), BTC) == D(1340)
    assert risk.maintenance_margin(D(500000), BTC) == D(3700)
    assert risk.maintenance_margin(D(-500000), BTC) == D(3700)
    assert risk.maintenance_margin(D(10000), BTC) == D(40)


def test_coin_m_vector() -> None:
    # 100 contracts of 100 USD at mark 25,000: 0.4 BTC notional, MM 0.0016 BTC at 0.4 %.
    p = pos("100", "20000", "25000", inverse=True)
    table = BracketTable("BTCUSD_PERP", (Bracket(1, 125, D(0), D(5), D("0.004"), D(0)),))
    assert risk.notional(p) == D("0.4")
    assert risk.position_maintenance_margin(p, table) == D("0.0016")
    assert risk.unrealized_pnl(p) == D(10000) * (D(1) / D(20000) - D(1) / D(25000))


def test_linear_notional_and_pnl_signs() -> None:
    short = pos("-2", "100", "90")
    assert risk.notional(short) == D(180)
    assert risk.unrealized_pnl(short) == D(20)
    assert risk.unrealized_pnl(short, D(110)) == D(-20)
    hedge_short = pos("-2", "100", "90", side=PositionSide.SHORT)
    assert risk.unrealized_pnl(hedge_short) == D(20)


def test_margin_ratio() -> None:
    assert risk.margin_ratio(D(40), D(100)) == D("0.4")
    assert risk.margin_ratio(D(0), D(100)) is None
    assert risk.margin_ratio(D(40), D(0)) == D("Infinity")
    assert risk.margin_ratio(D(40), D(-5)) == D("Infinity")


def test_isolated_long_matches_faq_formula() -> None:
    p = pos("1", "50000", margin=MarginType.ISOLATED, wallet="5000")
    liq = risk.liquidation_price([p], D(5000), BTC)
    assert liq == faq_lp(D(5000), D(0), D(0), [(1, D(1), D(50000), D("0.004"), D(0))])
    assert liq is not None and liq.quantize(D("0.01")) == D("45180.72")


def test_isolated_short_uses_bracket_at_liquidation_price() -> None:
    # Entry notional 45k is bracket 1; at the liquidation price it is above 50k: bracket 2.
    p = pos("-1", "45000", margin=MarginType.ISOLATED, wallet="9000")
    liq = risk.liquidation_price([p], D(9000), BTC)
    assert liq is not None and BTC.for_notional(liq).bracket == 2
    assert liq == faq_lp(D(9000), D(0), D(0), [(-1, D(1), D(45000), D("0.005"), D(50))])


def test_bracket_recheck_going_down_a_tier() -> None:
    # 5.1 BTC at 50k = 255k notional (bracket 3); around the liquidation price it is below 250k.
    p = pos("5.1", "50000", margin=MarginType.ISOLATED, wallet="30000")
    liq = risk.liquidation_price([p], D(30000), BTC)
    assert liq is not None and BTC.for_notional(D("5.1") * liq).bracket == 2
    assert abs(balance_minus_mm([p], D(30000), BTC, D(0), D(0), liq)) < D("1e-18")


def test_one_way_cross_uses_other_positions() -> None:
    p = pos("-0.5", "60000", "61000")
    wb, om, ou = D(10000), D(120), D(-300)
    liq = risk.liquidation_price([p], wb, BTC, om, ou)
    assert liq == faq_lp(wb, om, ou, [(-1, D("0.5"), D(60000), D("0.004"), D(0))])


def test_hedge_cross_legs_share_one_price() -> None:
    long_leg = pos("2", "50000", "48000", side=PositionSide.LONG)
    short_leg = pos("-0.5", "52000", "48000", side=PositionSide.SHORT)
    liq = risk.liquidation_price([long_leg, short_leg], D(20000), BTC)
    assert liq is not None
    # At ~36k the long leg (2 BTC, ~72k) is in bracket 2 and the short leg (~18k) in bracket 1.
    expected = faq_lp(D(20000), D(0), D(0), [(1, D(2), D(50000), D("0.005"), D(50)),
                                              (-1, D("0.5"), D(52000), D("0.004"), D(0))])  # fmt: skip
    assert liq == expected
    assert abs(balance_minus_mm([long_leg, short_leg], D(20000), BTC, D(0), D(0), liq)) < D("1e-18")


def test_hedge_root_past_the_top_cap_uses_the_top_bracket() -> None:
    # Net long 2 with a deep wallet: nothing below the mark liquidates it; the only root lies where
    # the long leg's notional is past the top bracket's cap. Binance's formula has no cap: the top
    # bracket extends, and the FAQ formula with both legs in it gives the price.
    eth = load_snapshot()["ETHUSDT"]
    long_leg = pos("4", "3480", "3500", side=PositionSide.LONG)
    short_leg = pos("-2", "3520", "3500", side=PositionSide.SHORT)
    legs = [replace(long_leg, symbol="ETHUSDT"), replace(short_leg, symbol="ETHUSDT")]
    assert balance_minus_mm(legs, D(10000), eth, D(0), D(0), D("0.01")) > 0
    top = eth.brackets[-1]
    expected = faq_lp(D(10000), D(0), D(0), [(1, D(4), D(3480), top.maint_margin_ratio, top.cum),
                                              (-1, D(2), D(3520), top.maint_margin_ratio, top.cum)])  # fmt: skip
    assert expected * 4 > top.cap and expected * 2 >= top.floor  # long past the cap, short in the top bracket
    assert risk.liquidation_price(legs, D(10000), eth) == expected
    assert risk.liquidation_prices(legs, D(10000), eth) == (expected,)


def test_hedge_isolated_short_leg() -> None:
    p = pos("-1", "30000", side=PositionSide.SHORT, margin=MarginType.ISOLATED, wallet="3000")
    liq = risk.liquidation_price([p], D(3000), BTC)
    assert liq == faq_lp(D(3000), D(0), D(0), [(-1, D(1), D(30000), D("0.004"), D(0))])


def test_none_when_price_would_be_non_positive() -> None:
    # A 1x long backed by its full notional never liquidates: Binance shows "--".
    p = pos("1", "50000", margin=MarginType.ISOLATED, wallet="50000")
    assert risk.liquidation_price([p], D(50000), BTC) is None
    # Short already beyond rescue at any positive price: the formula's root would be negative.
    s = pos("-1", "100", margin=MarginType.CROSS)
    assert risk.liquidation_price([s], D(0), BTC, D(10**6), D(0)) is None
    assert risk.liquidation_price([], D(100), BTC) is None
    assert risk.liquidation_price([pos("0", "100")], D(100), BTC) is None


def test_none_when_denominator_is_zero() -> None:
    # MMR 100 % on a long: margin balance and MM move in lockstep, no single price.
    table = BracketTable("X", (Bracket(1, 1, D(0), D(10**9), D(1), D(0)),))
    assert risk.liquidation_price([pos("1", "100")], D(50), table) is None


def test_inverse_long_and_short_match_derived_formula() -> None:
    table = BracketTable("BTCUSD_PERP", (Bracket(1, 125, D(0), D(1000), D("0.004"), D(0)),))
    cs, n, e, wb = D(100), D(100), D(25000), D("0.05")
    long_liq = risk.liquidation_price([pos("100", "25000", inverse=True)], wb, table)
    assert long_liq == cs * (n * D("0.004") + n) / (wb + cs * n / e)
    short_liq = risk.liquidation_price([pos("-100", "25000", inverse=True)], wb, table)
    assert short_liq == cs * (n * D("0.004") - n) / (wb - cs * n / e)


def test_mixed_contract_kinds_rejected() -> None:
    with pytest.raises(InvalidInputError):
        risk.liquidation_price([pos("1", "100"), pos("-1", "100", inverse=True)], D(10), BTC)


@pytest.mark.parametrize(
    ("legs", "wb", "om", "ou"),
    [
        ([pos("5.1", "50000", margin=MarginType.ISOLATED)], "30000", "0", "0"),
        ([pos("-40", "60000", "58000")], "500000", "1000", "-2000"),
        ([pos("300", "50000", "49000", side=PositionSide.LONG),
          pos("-120", "51000", "49000", side=PositionSide.SHORT)], "900000", "0", "0"),
    ],
)  # fmt: skip
def test_segment_scan_agrees_with_iteration(
    monkeypatch: pytest.MonkeyPatch, legs: list[Position], wb: str, om: str, ou: str
) -> None:
    iterated = risk.liquidation_price(legs, D(wb), BTC, D(om), D(ou))
    monkeypatch.setattr(risk, "_MAX_ITERATIONS", 0)  # forces the fallback scan of every bracket segment
    scanned = risk.liquidation_price(legs, D(wb), BTC, D(om), D(ou))
    assert iterated is not None and scanned is not None
    assert abs(iterated - scanned) / iterated < D("1e-20")


def test_distance_to_liquidation() -> None:
    assert risk.distance_to_liquidation(D(100), D(90)) == D(10)
    assert risk.distance_to_liquidation(D(100), D(125)) == D(25)
    assert risk.distance_to_liquidation(D(100), None) is None
    assert risk.distance_to_liquidation(D(0), D(5)) is None


JUMPY = BracketTable("X", (Bracket(1, 50, D(0), D(1000), D("0.01"), D(0)),
                           Bracket(2, 20, D(1000), D(10**6), D("0.02"), D(-500))))  # fmt: skip


@pytest.mark.parametrize(("wallet", "expected"), [("800", D(1000)), ("1500", D(1500) / D("1.02"))])
def test_an_inconsistent_cum_liquidates_at_the_cap_only_where_the_jump_crosses_zero(
    wallet: str, expected: Decimal
) -> None:
    # cum −500 instead of 10 makes MM jump by 510 where the short's notional reaches 1000. With 800
    # in the wallet the balance is 290 above MM just below the cap and 220 short above it: the cap
    # liquidates. With 1500 it is still 480 above after the jump, and the cap is no price at all.
    assert not JUMPY.convex
    short = pos("-1", "500", margin=MarginType.ISOLATED, wallet=wallet)
    assert risk.liquidation_prices([short], D(wallet), JUMPY) == (expected,)



def test_a_hedge_price_from_the_segment_scan_is_a_root_not_a_bracket_edge() -> None:
    # Bracket re-checks do not settle here. A scan that fell back to "where the sign changed" took
    # the short leg's cap (669,732.55, where the balance is 2.49 M under MM) for the price.
    eth = load_snapshot()["ETHUSDT"]
    mark = D("16591.947")
    legs = [replace(pos("762.78", "46230", str(mark), side=PositionSide.LONG), symbol="ETHUSDT"),
            replace(pos("-447.94", "60359", str(mark), side=PositionSide.SHORT), symbol="ETHUSDT")]  # fmt: skip
    wallet = D("8967383.54")
    prices = risk.liquidation_prices(legs, wallet, eth)
    assert len(prices) == 1 and prices[0] > mark
    edges = {b.cap / abs(p.amount) for p in legs for b in eth.brackets}
    assert prices[0] not in edges
    assert abs(balance_minus_mm(legs, wallet, eth, D(0), D(0), prices[0])) < D("1e-12")
