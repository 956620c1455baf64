"""Property: the solver's liquidation price is where margin balance meets maintenance margin, and
it finds one wherever one exists.

The oracle is the test's own, from first principles, sharing nothing with the solver: margin
balance = wallet + Σ qty·(p − entry) (the COIN-M form for inverse contracts), maintenance margin =
Σ notional × MMR − cum with each leg's bracket looked up here by its notional at p. Between two
prices where some leg's notional meets a bracket cap that residual is linear (in p, or in 1/p for
inverse contracts), so scanning those prices finds every sign change: a solver that returns None
while one exists within the table's top cap fails, and the price it returns must be the first one
the price meets on its way there from the mark.
Positions are large enough to cross bracket tiers. Every mode of reference §8.1, both hedge legs
together in cross hedge mode, plus inverse contracts.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from itertools import pairwise

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


def _scan_prices(legs: list[Position], table: BracketTable) -> tuple[list[Decimal], Decimal, Decimal]:
    """Every price where a leg's notional meets a bracket cap, and the reachable range: prices at
    which no leg's notional is past the top cap (no position can be larger)."""
    inverse = legs[0].contract is ContractKind.INVERSE
    sizes = [_size_and_sign(p)[0] for p in legs]
    caps = [b.cap for b in table.brackets]
    points = sorted({(size / cap if inverse else cap / size) for size in sizes for cap in caps})
    top = caps[-1]
    if inverse:
        return points, max(sizes) / top, Decimal("1e18")
    return points, Decimal("1e-9"), top / max(sizes)


def _check(legs: list[Position], wallet: Decimal, table: BracketTable, om: Decimal = Decimal(0),
           ou: Decimal = Decimal(0)) -> None:  # fmt: skip
    def residual(price: Decimal) -> Decimal:
        balance, maint = _balance_and_maint(legs, wallet, table, om, ou, price)
        return balance - maint

    liq = risk.liquidation_price(legs, wallet, table, om, ou)
    points, lo, hi = _scan_prices(legs, table)
    reachable = [lo, *(x for x in points if lo < x < hi), hi]
    signs = [residual(x) >= 0 for x in reachable]
    crossings = sum(a != b for a, b in pairwise(signs))
    event(f"{'no ' if crossings == 0 else ''}sign change in reach, {'none' if liq is None else 'a price'} found")
    if liq is None:
        assert crossings == 0, f"no liquidation price, yet the residual changes sign in {reachable}"
        return
    assert liq.is_finite() and liq > 0
    balance, maint = _balance_and_maint(legs, wallet, table, om, ou, liq)
    assert maint > 0
    assert abs(balance - maint) / maint < Decimal("1e-9"), (liq, balance, maint)
    # The first liquidation the price meets moving from the mark towards `liq`: no root on the way.
    mark = legs[0].mark_price
    near, far = sorted((mark, liq))
    between = [x for x in points if near < x < far and abs(x - liq) > liq * Decimal("1e-9")]
    if between:
        on_the_way = {residual(x) >= 0 for x in [mark, *between]}
        assert len(on_the_way) == 1, f"a liquidation price lies between the mark {mark} and {liq}"
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
