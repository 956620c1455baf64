"""Property: the solver's liquidation prices are where margin balance meets maintenance margin,
it finds them wherever they exist, and it shows the one nearest the mark.

The oracle is the test's own, from first principles, sharing nothing with the solver: margin
balance = wallet + Σ qty·(p − entry) (the COIN-M form for inverse contracts), maintenance margin =
Σ notional × MMR − cum with each leg's bracket looked up here by its notional at p (the top one
past its cap: Binance's formula has no cap). Between two prices where some leg's notional meets a
bracket cap that residual is linear (in p, or in 1/p for inverse contracts), and so it is beyond
the outermost ones: the oracle reads every root off those lines. The solver must report the
nearest root below the mark and the nearest above (a cross hedge pair can have both), show the
nearer, and return none where there is none.
Positions are large enough to cross bracket tiers. Every mode of reference §8.1, both hedge legs
together in cross hedge mode, plus inverse contracts; roots placed exactly on a bracket cap and
past the top cap, on the re-check path and on the scan of segments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from marginwatch.core import risk
from marginwatch.core.brackets import Bracket, BracketTable, cum_from_rates
from marginwatch.core.brackets_snapshot import load_snapshot
from marginwatch.core.position import ContractKind, MarginType, Position, PositionSide

LINEAR = load_snapshot()["BTCUSDT"]


def _inverse_table() -> BracketTable:
    # COIN-M style: floors and caps in coin.
    rows = [
        (0, 5, 125, "0.004"), (5, 10, 100, "0.005"), (10, 20, 50, "0.01"), (20, 50, 20, "0.025"),
        (50, 100, 10, "0.05"), (100, 200, 5, "0.1"), (200, 400, 4, "0.125"), (400, 1000, 3, "0.15"),
        (1000, 1500, 2, "0.25"), (1500, 100000, 1, "0.5"),
    ]  # fmt: skip
    cums = cum_from_rates((Decimal(f), Decimal(m)) for f, _, _, m in rows)
    return BracketTable(
        "BTCUSD_PERP",
        tuple(
            Bracket(i + 1, lev, Decimal(f), Decimal(c), Decimal(m), cum)
            for i, ((f, c, lev, m), cum) in enumerate(zip(rows, cums, strict=True))
        ),
    )


INVERSE = _inverse_table()
EXAMPLES = settings(max_examples=2000, deadline=None)
FEWER = settings(max_examples=1000, deadline=None)  # each draws a case to order: fewer suffice

qty_milli = st.integers(min_value=1, max_value=2_000_000)  # 0.001 .. 2000 BTC
price_int = st.integers(min_value=500, max_value=200_000)
leverage = st.integers(min_value=1, max_value=125)
pct = st.integers(min_value=-9000, max_value=9000)  # ±90.00 %


def _pos(side: PositionSide, signed_qty: Decimal, entry: int, mark_pct: int, margin: MarginType,
         iso_wallet: Decimal = Decimal(0), kind: ContractKind = ContractKind.LINEAR) -> Position:  # fmt: skip
    e = Decimal(entry)
    return Position(
        symbol="X",
        position_side=side,
        amount=signed_qty,
        entry_price=e,
        mark_price=e * (1 + Decimal(mark_pct) / 10000),
        margin_type=margin,
        isolated_wallet=iso_wallet,
        contract=kind,
        contract_size=Decimal(100) if kind is ContractKind.INVERSE else Decimal(1),
    )


def _bracket(table: BracketTable, notional: Decimal) -> Bracket:
    """The bracket whose [floor, cap) holds the notional; the top one beyond its cap."""
    for b in table.brackets:
        if b.floor <= notional < b.cap:
            return b
    return table.brackets[-1]


def _size_and_sign(p: Position) -> tuple[Decimal, int]:
    size = abs(p.amount) * p.contract_size
    if p.position_side is PositionSide.BOTH:
        return size, -1 if p.amount < 0 else 1
    return size, 1 if p.position_side is PositionSide.LONG else -1


def _notional(p: Position, price: Decimal) -> Decimal:
    size = _size_and_sign(p)[0]
    return size / price if p.contract is ContractKind.INVERSE else size * price


def _balance_and_maint(legs: list[Position], wallet: Decimal, table: BracketTable, om: Decimal, ou: Decimal,
                       price: Decimal) -> tuple[Decimal, Decimal]:  # fmt: skip
    balance, maint = wallet + ou, om
    for p in legs:
        size, sign = _size_and_sign(p)
        if p.contract is ContractKind.INVERSE:
            balance += sign * size * (1 / p.entry_price - 1 / price)
        else:
            balance += sign * size * (price - p.entry_price)
        notional = _notional(p, price)
        b = _bracket(table, notional)
        maint += notional * b.maint_margin_ratio - b.cum
    return balance, maint


def _scan_points(legs: list[Position], table: BracketTable) -> list[Decimal]:
    """Every price where a leg's notional meets a bracket cap, ascending."""
    inverse = legs[0].contract is ContractKind.INVERSE
    sizes = [_size_and_sign(p)[0] for p in legs]
    caps = [b.cap for b in table.brackets if b.cap.is_finite()]
    return sorted({(size / cap if inverse else cap / size) for size in sizes for cap in caps})


def _roots(legs: list[Position], table: BracketTable, residual: Callable[[Decimal], Decimal]) -> list[Decimal]:
    """Every price > 0 where the residual crosses zero, the top bracket extending without end.

    In z (the price, or 1/price for inverse contracts) the residual is a line between two scan
    points and on either side of all of them: its root is read off the line through two values.
    A root at z = 0 (a price of 0, or of infinity for inverse contracts) is none; the line's
    rounding puts it a few 1E-22 off.
    """
    inverse = legs[0].contract is ContractKind.INVERSE
    zs = sorted((1 / x if inverse else x) for x in _scan_points(legs, table))
    zs = [zs[0] / 3, *zs, zs[-1] * 3]

    def r(z: Decimal) -> Decimal:
        return residual(1 / z if inverse else z)

    values = [r(z) for z in zs]
    found: list[Decimal] = []
    for (a, ra), (b, rb) in pairwise(zip(zs, values, strict=True)):
        if ra == 0:
            found.append(a)
        elif (ra > 0) != (rb > 0) and rb != 0:
            found.append(a - ra * (b - a) / (rb - ra))
    if values[-1] == 0:
        found.append(zs[-1])
    # The lines past the outermost points, out to z -> 0 and to z -> infinity; a line flat but
    # for rounding (gross MM growing exactly as fast as the net balance) has no root.
    (a, b), (ra, rb) = zs[:2], values[:2]
    if abs(rb - ra) > (abs(ra) + abs(rb)) * Decimal("1e-15") and 0 < (z := a - ra * (b - a) / (rb - ra)) < a:
        found.append(z)
    (a, b), (ra, rb) = zs[-2:], values[-2:]
    if abs(rb - ra) > (abs(ra) + abs(rb)) * Decimal("1e-15") and (z := a - ra * (b - a) / (rb - ra)) > b:
        found.append(z)
    mark = legs[0].mark_price
    tiny = (1 / mark if inverse else mark) * Decimal("1e-15")
    return sorted(1 / z if inverse else z for z in found if z > tiny)


def _check(legs: list[Position], wallet: Decimal, table: BracketTable, om: Decimal = Decimal(0),
           ou: Decimal = Decimal(0)) -> None:  # fmt: skip
    def residual(price: Decimal) -> Decimal:
        balance, maint = _balance_and_maint(legs, wallet, table, om, ou, price)
        return balance - maint

    liq = risk.liquidation_price(legs, wallet, table, om, ou)
    prices = risk.liquidation_prices(legs, wallet, table, om, ou)
    mark = legs[0].mark_price
    roots = _roots(legs, table, residual)
    below = [x for x in roots if x <= mark]
    above = [x for x in roots if x > mark]
    expected = [*below[-1:], *above[:1]]
    event(f"{len(expected)} liquidation price(s) expected")
    if liq is None:
        assert not roots, f"no liquidation price, yet the residual crosses zero at {roots}"
        assert prices == ()
        return
    assert liq.is_finite() and liq > 0
    balance, maint = _balance_and_maint(legs, wallet, table, om, ou, liq)
    assert maint > 0
    assert abs(balance - maint) / maint < Decimal("1e-9"), (liq, balance, maint)
    # Both sides reported: the nearest root below the mark and the nearest above.
    assert len(prices) == len(expected), (prices, expected)
    for got, want in zip(prices, expected, strict=True):
        assert abs(got - want) <= want * Decimal("1e-9"), (prices, expected)
    # The one shown is the nearer: the first a move of the mark in either direction meets.
    assert liq == min(prices, key=lambda x: abs(x - mark))
    points = _scan_points(legs, table)
    near, far = sorted((mark, liq))
    between = [x for x in points if near < x < far and abs(x - liq) > liq * Decimal("1e-9")]
    if between:
        on_the_way = {residual(x) >= 0 for x in [mark, *between]}
        assert len(on_the_way) == 1, f"a liquidation price lies between the mark {mark} and {liq}"
    caps = [b.cap for b in table.brackets]
    if any(_notional(p, liq) >= caps[-1] for p in legs):
        event("past the top bracket's cap")
    tiers = {_bracket(table, _notional(p, mark)) is not _bracket(table, _notional(p, liq)) for p in legs}
    event("bracket differs at liquidation" if True in tiers else "same bracket")


def _isolated_wallet(qty: Decimal, entry: int, lev: int, extra_pct: int) -> Decimal:
    base = qty * Decimal(entry) / lev
    return max(Decimal(0), base * (1 + Decimal(extra_pct) / 20000))


@EXAMPLES
@given(qty_milli, price_int, pct, st.integers(0, 10**9), st.integers(0, 10**6), st.integers(-10**6, 10**6))
def test_one_way_cross_long(q: int, entry: int, mp: int, wallet: int, om: int, ou: int) -> None:
    qty = Decimal(q) / 1000
    pos = _pos(PositionSide.BOTH, qty, entry, mp, MarginType.CROSS)
    _check([pos], Decimal(wallet) / 100, LINEAR, Decimal(om), Decimal(ou))


@EXAMPLES
@given(qty_milli, price_int, pct, st.integers(0, 10**9), st.integers(0, 10**6), st.integers(-10**6, 10**6))
def test_one_way_cross_short(q: int, entry: int, mp: int, wallet: int, om: int, ou: int) -> None:
    qty = Decimal(q) / 1000
    pos = _pos(PositionSide.BOTH, -qty, entry, mp, MarginType.CROSS)
    _check([pos], Decimal(wallet) / 100, LINEAR, Decimal(om), Decimal(ou))


@EXAMPLES
@given(qty_milli, price_int, pct, leverage, pct)
def test_one_way_isolated_long(q: int, entry: int, mp: int, lev: int, extra: int) -> None:
    qty = Decimal(q) / 1000
    w = _isolated_wallet(qty, entry, lev, extra)
    _check([_pos(PositionSide.BOTH, qty, entry, mp, MarginType.ISOLATED, w)], w, LINEAR)


@EXAMPLES
@given(qty_milli, price_int, pct, leverage, pct)
def test_one_way_isolated_short(q: int, entry: int, mp: int, lev: int, extra: int) -> None:
    qty = Decimal(q) / 1000
    w = _isolated_wallet(qty, entry, lev, extra)
    _check([_pos(PositionSide.BOTH, -qty, entry, mp, MarginType.ISOLATED, w)], w, LINEAR)


@EXAMPLES
@given(qty_milli, qty_milli, price_int, price_int, pct, st.integers(0, 10**9), st.integers(0, 10**6),
       st.integers(-10**6, 10**6))  # fmt: skip
def test_hedge_cross_both_legs(
    ql: int, qs: int, el: int, es: int, mp: int, wallet: int, om: int, ou: int
) -> None:
    long_leg = _pos(PositionSide.LONG, Decimal(ql) / 1000, el, mp, MarginType.CROSS)
    short_leg = _pos(PositionSide.SHORT, -Decimal(qs) / 1000, es, 0, MarginType.CROSS)
    short_leg = replace(short_leg, mark_price=long_leg.mark_price)
    _check([long_leg, short_leg], Decimal(wallet) / 100, LINEAR, Decimal(om), Decimal(ou))


@EXAMPLES
@given(qty_milli, price_int, pct, leverage, pct, st.booleans())
def test_hedge_isolated_leg(q: int, entry: int, mp: int, lev: int, extra: int, is_long: bool) -> None:
    qty = Decimal(q) / 1000
    w = _isolated_wallet(qty, entry, lev, extra)
    side = PositionSide.LONG if is_long else PositionSide.SHORT
    # Binance reports a hedge SHORT leg with a negative amount.
    _check([_pos(side, qty if is_long else -qty, entry, mp, MarginType.ISOLATED, w)], w, LINEAR)


@EXAMPLES
@given(
    st.integers(1, 20_000_000),  # contracts of 100 USD
    price_int,
    pct,
    st.sampled_from(["cross-both", "iso-both", "hedge-cross", "hedge-iso"]),
    st.booleans(),
    st.integers(0, 10**7),
    st.integers(0, 10**4),
)
def test_inverse(contracts: int, entry: int, mp: int, mode: str, is_long: bool, wallet: int, om: int) -> None:
    n = Decimal(contracts)
    w = Decimal(wallet) / 1000  # coin
    margin = MarginType.ISOLATED if mode.endswith("iso") or mode == "iso-both" else MarginType.CROSS
    inv = ContractKind.INVERSE
    other = Decimal(om) / 1000 if margin is MarginType.CROSS else Decimal(0)
    if mode == "hedge-cross":
        legs = [
            _pos(PositionSide.LONG, n, entry, mp, margin, kind=inv),
            _pos(PositionSide.SHORT, -(n // 3 + 1), entry + 1000, mp, margin, kind=inv),
        ]
    else:
        side = PositionSide.BOTH if mode.endswith("both") else (
            PositionSide.LONG if is_long else PositionSide.SHORT)  # fmt: skip
        legs = [_pos(side, n if is_long else -n, entry, mp, margin, w, kind=inv)]
    _check(legs, w, INVERSE, other)


def _scanning(table: BracketTable) -> BracketTable:
    """The same table with its convexity shortcut switched off: the solver scans every segment."""
    copy = BracketTable(table.symbol, table.brackets)
    object.__setattr__(copy, "convex", False)
    return copy


LINEAR_SCANNED, INVERSE_SCANNED = _scanning(LINEAR), _scanning(INVERSE)


@EXAMPLES
@given(qty_milli, price_int, pct, st.integers(-10**7, 10**9), st.integers(0, 10**6), st.integers(-10**6, 10**6),
       st.booleans(), st.booleans())  # fmt: skip
def test_convex_shortcut_agrees_with_the_full_scan(
    q: int, entry: int, mp: int, wallet: int, om: int, ou: int, is_long: bool, inverse: bool
) -> None:
    # Well-funded positions (no liquidation price) skip the bracket scan; the answer must not change.
    kind = ContractKind.INVERSE if inverse else ContractKind.LINEAR
    qty = Decimal(q) / (1 if inverse else 1000)
    pos = _pos(PositionSide.BOTH, qty if is_long else -qty, entry, mp, MarginType.CROSS, kind=kind)
    table, scanned = (INVERSE, INVERSE_SCANNED) if inverse else (LINEAR, LINEAR_SCANNED)
    scale = 1000 if inverse else 100
    w, o, u = Decimal(wallet) / scale, Decimal(om) / scale, Decimal(ou) / scale
    fast = risk.liquidation_price([pos], w, table, o, u)
    event("no liquidation price" if fast is None else "liquidation price found")
    assert fast == risk.liquidation_price([pos], w, scanned, o, u)


def test_binance_tables_are_convex_and_a_broken_one_is_not() -> None:
    assert LINEAR.convex and INVERSE.convex
    b = LINEAR.brackets
    broken = (b[0], replace(b[1], cum=b[1].cum + 1), *b[2:])  # cum inconsistent at the first cap
    assert not BracketTable("X", broken).convex
    falling = (b[0], replace(b[1], maint_margin_ratio=b[0].maint_margin_ratio / 2), *b[2:])
    assert not BracketTable("X", falling).convex


@FEWER
@given(st.integers(1_000, 2_000_000), st.integers(100, 2000), price_int, st.integers(-200, 200),
       st.integers(-2000, 2000), st.integers(50, 2000))  # fmt: skip
def test_hedge_cross_near_balanced_pair_reports_a_price_each_side(
    ql: int, gap: int, entry: int, spread: int, mp: int, wallet_bp: int
) -> None:
    # Gross size well above the net: maintenance margin grows with the gross, the balance with the
    # net, so a fall and a rise can both liquidate. Both are reported, the nearer is shown.
    long_qty = Decimal(ql) / 1000
    short_qty = long_qty * (1 - Decimal(gap) / 10000)
    long_leg = _pos(PositionSide.LONG, long_qty, entry, mp, MarginType.CROSS)
    short_entry = Decimal(entry) * (1 + Decimal(spread) / 10000)
    short_leg = Position("X", PositionSide.SHORT, -short_qty, short_entry, long_leg.mark_price)
    wallet = long_qty * long_leg.mark_price * wallet_bp / 10000
    _check([long_leg, short_leg], wallet, LINEAR)


def _exact_size(a: int, b: int) -> Decimal:
    # 2^a·5^b / 1000: every cap divided by it is an exact decimal, so a price can sit on a cap.
    return Decimal(2**a * 5**b) / 1000


def _wallet_for_root(legs: list[Position], table: BracketTable, price: Decimal, om: Decimal = Decimal(0)) -> Decimal:
    """The wallet that puts margin balance exactly at maintenance margin at `price`."""
    balance, maint = _balance_and_maint(legs, Decimal(0), table, om, Decimal(0), price)
    return maint - balance


@FEWER
@given(st.integers(0, 10), st.integers(0, 8), st.integers(0, 8), st.integers(-5000, 5000), st.booleans(),
       st.sampled_from(["cross", "isolated", "hedge"]), st.booleans(), st.integers(1, 3))  # fmt: skip
def test_root_on_a_bracket_cap_is_found(
    a: int, b: int, tier: int, entry_pct: int, is_long: bool, mode: str, scanned: bool, short_ratio: int
) -> None:
    qty = _exact_size(a, b)
    on_cap = LINEAR.brackets[tier].cap / qty  # the leg's notional meets this cap exactly here
    entry = on_cap * (1 + Decimal(entry_pct) / 10000)
    table = LINEAR_SCANNED if scanned else LINEAR
    if mode == "hedge":
        # A long on its cap with a third of it short at the same entry; the mark at the entry.
        long_leg = Position("X", PositionSide.LONG, qty, entry, entry)
        short_leg = Position("X", PositionSide.SHORT, -qty / (short_ratio + 1), entry, entry)
        legs = [long_leg, short_leg]
    else:
        margin = MarginType.ISOLATED if mode == "isolated" else MarginType.CROSS
        legs = [Position("X", PositionSide.BOTH, qty if is_long else -qty, entry, entry, margin)]
    wallet = _wallet_for_root(legs, table, on_cap)
    with pytest.MonkeyPatch.context() as patch:
        if scanned:  # no bracket re-checks either: straight to the scan of every segment
            patch.setattr(risk, "_MAX_ITERATIONS", 0)
        prices = risk.liquidation_prices(legs, wallet, table)
    _check(legs, wallet, table)
    balance, maint = _balance_and_maint(legs, wallet, table, Decimal(0), Decimal(0), entry)
    if balance > maint:  # solvent at the mark: the root on the cap is the nearest on its side
        event("root on a cap, solvent at the mark")
        assert on_cap in prices, (on_cap, prices)


@FEWER
@given(st.integers(1, 2_000_000), st.integers(1, 10_000), st.integers(1, 5000), st.booleans(), st.booleans())
def test_root_past_the_top_cap_is_found(q: int, past_bp: int, entry_pct: int, inverse: bool, scanned: bool) -> None:
    # The top bracket extends without end (Binance's formula has no cap): a root where the notional
    # is past the top cap is a price on every path, the scan of segments included.
    if inverse:
        # A long in contracts of 100 USD: the notional (coin) grows as the price falls.
        contracts = Decimal(q)
        table = INVERSE_SCANNED if scanned else INVERSE
        target = contracts * 100 / (table.brackets[-1].cap * (1 + Decimal(past_bp) / 10000))
        entry = target * (1 + Decimal(entry_pct) / 1000)
        pos = Position("X", PositionSide.BOTH, contracts, entry, entry, contract=ContractKind.INVERSE,
                       contract_size=Decimal(100))  # fmt: skip
    else:
        qty = Decimal(q) / 1000
        table = LINEAR_SCANNED if scanned else LINEAR
        target = table.brackets[-1].cap / qty * (1 + Decimal(past_bp) / 10000)
        entry = target / (1 + Decimal(entry_pct) / 1000)
        pos = Position("X", PositionSide.BOTH, -qty, entry, entry)  # a short: the notional grows as it rises
    wallet = _wallet_for_root([pos], table, target)
    with pytest.MonkeyPatch.context() as patch:
        if scanned:  # no bracket re-checks either: straight to the scan of every segment
            patch.setattr(risk, "_MAX_ITERATIONS", 0)
        liq = risk.liquidation_price([pos], wallet, table)
    assert liq is not None, (target, wallet)
    assert abs(liq - target) <= target * Decimal("1e-20"), (liq, target)
    assert _notional(pos, liq) > table.brackets[-1].cap
    _check([pos], wallet, table)
