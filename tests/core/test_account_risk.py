"""assess_account: per-position figures, cross totals, shared hedge prices, speed."""

from __future__ import annotations

import time
from decimal import Decimal

from marginwatch.core import risk
from marginwatch.core.account_risk import assess_account, other_cross_totals
from marginwatch.core.brackets_snapshot import load_snapshot
from marginwatch.core.position import MarginType, Position, PositionSide

D = Decimal
SNAP = load_snapshot()


def mk(symbol: str, amount: str, entry: str, mark: str, side: PositionSide = PositionSide.BOTH,
       margin: MarginType = MarginType.CROSS, wallet: str = "0") -> Position:  # fmt: skip
    return Position(symbol, side, D(amount), D(entry), D(mark), margin, D(wallet))


def account() -> list[Position]:
    return [
        mk("BTCUSDT", "0.5", "60000", "58000"),
        mk("ETHUSDT", "-10", "3000", "3100"),
        mk("XRPUSDT", "5000", "0.6", "0.55", PositionSide.LONG),
        mk("XRPUSDT", "-2000", "0.62", "0.55", PositionSide.SHORT),
        mk("SOLUSDT", "20", "150", "140", margin=MarginType.ISOLATED, wallet="400"),
        mk("FOOUSDT", "100", "1", "1.2"),  # no bracket table anywhere
        mk("DOGEUSDT", "0", "0.1", "0.1"),  # closed: left out
    ]


def test_totals_and_ratios() -> None:
    cw = D(20000)
    positions = account()
    r = assess_account(positions, cw, {}, SNAP)
    assert [p.position.symbol for p in r.positions] == ["BTCUSDT", "ETHUSDT", "XRPUSDT", "XRPUSDT", "SOLUSDT",
                                                        "FOOUSDT"]  # fmt: skip
    by = {(p.position.symbol, p.position.position_side): p for p in r.positions}
    cross = positions[:4]
    cross_upnl = sum((risk.unrealized_pnl(p) for p in cross), D(0)) + D(20)  # FOO's uPnL counts too
    cross_mm = sum((risk.position_maintenance_margin(p, SNAP[p.symbol]) for p in cross), D(0))
    assert r.cross_unrealized_pnl == cross_upnl
    assert r.cross_maint_margin == cross_mm
    assert r.cross_margin_balance == cw + cross_upnl
    assert r.margin_ratio == cross_mm / (cw + cross_upnl)
    assert r.wallet_balance == cw + D(400)
    sol = by[("SOLUSDT", PositionSide.BOTH)]
    assert sol.unrealized_pnl == D(-200)
    assert sol.margin_ratio == sol.maint_margin / (D(400) - D(200))  # type: ignore[operator]
    assert r.maint_margin == cross_mm + sol.maint_margin  # type: ignore[operator]
    assert r.unrealized_pnl == cross_upnl + D(-200)
    assert r.margin_balance == r.wallet_balance + r.unrealized_pnl
    foo = by[("FOOUSDT", PositionSide.BOTH)]
    assert foo.maint_margin is None and foo.liquidation_price is None and foo.margin_ratio is None
    assert by[("BTCUSDT", PositionSide.BOTH)].margin_ratio == r.margin_ratio


def test_cross_liquidation_prices_use_the_other_positions() -> None:
    cw = D(20000)
    positions = account()
    r = assess_account(positions, cw, SNAP)
    by = {(p.position.symbol, p.position.position_side): p for p in r.positions}
    xrp_long, xrp_short = by[("XRPUSDT", PositionSide.LONG)], by[("XRPUSDT", PositionSide.SHORT)]
    # Net long with both legs far from danger: the only root lies beyond the top bracket's cap
    # (XRP near 100,000), where the top bracket extends; both legs show it together.
    assert xrp_long.liquidation_price is not None and xrp_long.liquidation_price > 10**5
    assert xrp_long.liquidation_prices == (xrp_long.liquidation_price,)
    assert xrp_long.liquidation_prices == xrp_short.liquidation_prices
    assert xrp_long.liquidation_price == xrp_short.liquidation_price
    cross = [p for p in positions if p.margin_type is MarginType.CROSS and p.symbol in SNAP and p.amount]
    for sym in ("BTCUSDT", "ETHUSDT", "XRPUSDT"):
        liq = next(p.liquidation_price for p in r.positions if p.position.symbol == sym)
        assert liq is not None
        # Move only this symbol to its liquidation price: cross balance == cross MM there.
        balance = cw + D(20)  # FOO's uPnL (no table) still counts toward the balance
        maint = D(0)
        for p in cross:
            price = liq if p.symbol == sym else None
            balance += risk.unrealized_pnl(p, price)
            maint += risk.position_maintenance_margin(p, SNAP[p.symbol], price)
        assert abs(balance - maint) / maint < D("1e-20")
    sol = by[("SOLUSDT", PositionSide.BOTH)]
    assert sol.liquidation_price == risk.liquidation_price([sol.position], D(400), SNAP["SOLUSDT"])
    assert sol.distance_pct == risk.distance_to_liquidation(D(140), sol.liquidation_price)


def test_no_cross_positions_means_no_account_ratio() -> None:
    r = assess_account([mk("SOLUSDT", "20", "150", "140", margin=MarginType.ISOLATED, wallet="400")], D(100), SNAP)
    assert r.margin_ratio is None and r.cross_maint_margin == 0
    assert assess_account([], D(100), SNAP).positions == ()


def test_two_hundred_positions_are_fast() -> None:
    symbols = sorted(SNAP)
    positions = []
    for i in range(200):
        sym = symbols[i % len(symbols)]
        iso = i % 3 == 0
        positions.append(mk(sym, str((i % 7 + 1) * (-1 if i % 2 else 1)), "100", str(100 + i % 9 - 4),
                            PositionSide.BOTH, MarginType.ISOLATED if iso else MarginType.CROSS,
                            "300" if iso else "0"))  # fmt: skip
    assess_account(positions, D(100000), SNAP)  # warm-up
    start = time.perf_counter()
    r = assess_account(positions, D(100000), SNAP)
    elapsed = time.perf_counter() - start
    assert len(r.positions) == 200
    # ~0.1 ms per position here; the bound leaves room for slow CI machines.
    assert elapsed < 0.2, elapsed


def test_a_position_with_a_negative_entry_price_is_risk_unavailable_and_the_others_stay_computed() -> None:
    good = mk("BTCUSDT", "0.5", "60000", "58000")
    bad = mk("ETHUSDT", "-10", "-5", "3100")
    alone = assess_account([good], D(20000), {}, SNAP)
    r = assess_account([good, bad], D(20000), {}, SNAP)
    btc, eth = r.positions
    assert eth.risk_unavailable == "risk unavailable: entry price -5 is not positive"
    assert eth.liquidation_price is None and eth.margin_ratio is None
    assert btc.risk_unavailable is None
    assert btc.liquidation_price == alone.positions[0].liquidation_price is not None
    assert r.margin_ratio == alone.margin_ratio  # the bad leg is left out of the cross totals
    assert [(u.symbol, u.position_side, u.text) for u in r.unavailable] == [
        ("ETHUSDT", PositionSide.BOTH, "risk unavailable: entry price -5 is not positive")]


def test_a_position_whose_liquidation_solve_raises_is_risk_unavailable_alone() -> None:
    # Linear and inverse legs cannot share a price: the solver raises for that symbol only.
    from dataclasses import replace

    from marginwatch.core.position import ContractKind

    long_leg = mk("XRPUSDT", "5000", "0.6", "0.55", PositionSide.LONG)
    short_leg = replace(mk("XRPUSDT", "-2000", "0.62", "0.55", PositionSide.SHORT), contract=ContractKind.INVERSE)
    good = mk("BTCUSDT", "0.5", "60000", "58000")
    r = assess_account([good, long_leg, short_leg], D(20000), {}, SNAP)
    btc, *xrp = r.positions
    assert btc.liquidation_price is not None and btc.risk_unavailable is None
    assert all(p.risk_unavailable == "risk unavailable: legs: linear and inverse legs cannot share a liquidation price"
               for p in xrp)
    assert len(r.unavailable) == 2


def test_non_finite_and_non_positive_marks_make_only_that_position_unavailable() -> None:
    good = mk("BTCUSDT", "0.5", "60000", "58000")
    r = assess_account([good, mk("ETHUSDT", "1", "3000", "0"), mk("SOLUSDT", "1", "150", "NaN")], D(20000), {}, SNAP)
    assert [p.risk_unavailable for p in r.positions] == [
        None, "risk unavailable: mark price 0 is not positive", "risk unavailable: mark price is not a number (NaN)"]
    assert r.positions[0].liquidation_price is not None


def test_other_cross_totals_reproduce_the_accounts_cross_liquidation_prices() -> None:
    # What the calculator is prefilled with must give the price the table shows for the position.
    r = assess_account(account(), D(20000), SNAP)
    for p in r.positions:
        if p.position.is_isolated or p.position.symbol not in SNAP:
            continue
        others = other_cross_totals(r, p.position)
        legs = [q.position for q in r.positions if q.position.symbol == p.position.symbol]
        price = risk.liquidation_price(legs, D(20000), SNAP[p.position.symbol], *others)
        assert price == p.liquidation_price, p.position.symbol


def test_other_cross_totals_leave_out_the_symbols_own_legs_and_isolated_positions() -> None:
    r = assess_account(account(), D(20000), SNAP)
    by = {(p.position.symbol, p.position.position_side): p for p in r.positions}
    btc, eth, foo = (by[(s, PositionSide.BOTH)] for s in ("BTCUSDT", "ETHUSDT", "FOOUSDT"))
    xrp_long = by[("XRPUSDT", PositionSide.LONG)].position
    others = other_cross_totals(r, xrp_long)
    assert others.maint_margin == btc.maint_margin + eth.maint_margin  # type: ignore[operator]  # FOO has no table
    assert others.unrealized_pnl == btc.unrealized_pnl + eth.unrealized_pnl + foo.unrealized_pnl
    assert other_cross_totals(r, by[("SOLUSDT", PositionSide.BOTH)].position) == (0, 0)


def test_a_cross_hedge_pair_shows_the_nearer_of_its_two_liquidation_prices() -> None:
    # Gross 12,933 SOL on a net 400: a fall to 84.13 or a rise to 176.55 liquidates. The rise is
    # nearer (+30.8 % against −37.7 %), so both legs show it and carry both.
    legs = [mk("SOLUSDT", "6666.667", "150", "135", PositionSide.LONG),
            mk("SOLUSDT", "-6266.667", "150", "135", PositionSide.SHORT)]  # fmt: skip
    r = assess_account(legs, D(50000), SNAP)
    low, high = r.positions[0].liquidation_prices
    assert round(low, 2) == D("84.13") and round(high, 2) == D("176.55")
    for pr in r.positions:
        assert pr.liquidation_prices == (low, high)
        assert pr.liquidation_price == high
        assert pr.distance_pct is not None and round(pr.distance_pct, 1) == D("30.8")
    for price in (low, high):  # each is where cross balance meets cross MM
        balance = D(50000) + sum((risk.unrealized_pnl(p, price) for p in legs), D(0))
        maint = sum((risk.position_maintenance_margin(p, SNAP["SOLUSDT"], price) for p in legs), D(0))
        assert abs(balance - maint) / maint < D("1e-20")
