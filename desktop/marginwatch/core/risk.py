"""Risk maths on positions: notional, PnL, maintenance margin, margin ratio, liquidation price.

Everything is Decimal in the ambient context (28 significant digits); no local contexts, because
this runs for every position on every UI refresh.

Liquidation price (reference §8.1/§8.3): the price P where margin balance equals maintenance
margin. Written in the variable z (z = P for linear contracts, z = 1/P for inverse ones) every
leg's notional is q·z (q = |amount| × contract size) and the condition is linear in z while the
brackets stay fixed:

    K + Σcum_i + z·(g·Σ s_i q_i − Σ q_i MMR_i) = 0

with g = +1 (linear) or −1 (inverse), s_i = ±1 the leg's direction and
K = WB − TMM1 + UPNL1 − g·Σ s_i q_i e_i, e_i = entry (linear) or 1/entry (inverse).
Solving that with the FAQ's brackets gives the FAQ formula exactly.

The top bracket extends past its cap (the formula has none). One leg on a convex table has at
most one root; a cross hedge pair can have one each side of the mark, and both are reported. No
price is returned before the residual is checked there.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from marginwatch.core.brackets import BracketTable
from marginwatch.core.errors import InvalidInputError
from marginwatch.core.position import ONE, ZERO, ContractKind, Position

INFINITY = Decimal("Infinity")
# Bracket re-checks before falling back to a scan of every bracket segment.
_MAX_ITERATIONS = 8
# Relative size under which a sum of opposite terms is rounding, i.e. zero (28 digits in use).
_SNAP = Decimal("1e-24")
# A price is returned only where |margin balance − maintenance| is this small relative to the
# terms, or where the residual changes sign across it (measured this far either side).
_TOLERANCE = Decimal("1e-18")
_SIDE = Decimal("1e-15")


def notional(pos: Position, price: Decimal | None = None) -> Decimal:
    """|position value| at `price` (mark when None): quote units (linear) or coin (inverse)."""
    p = pos.mark_price if price is None else price
    size = abs(pos.amount) * pos.contract_size
    if pos.contract is ContractKind.INVERSE:
        return size / p if p else ZERO
    return size * p


def unrealized_pnl(pos: Position, price: Decimal | None = None) -> Decimal:
    """PnL at `price` (mark when None): quote units (linear) or coin (inverse)."""
    p = pos.mark_price if price is None else price
    size = abs(pos.amount) * pos.contract_size
    sign = pos.sign
    if pos.contract is ContractKind.INVERSE:
        if not p or not pos.entry_price:
            return ZERO
        return sign * size * (ONE / pos.entry_price - ONE / p)
    return sign * size * (p - pos.entry_price)


def maintenance_margin(notional_value: Decimal, table: BracketTable) -> Decimal:
    """notional × MMR − cum, bracket chosen by |notional|."""
    n = abs(notional_value)
    b = table.for_notional(n)
    return n * b.maint_margin_ratio - b.cum


def position_maintenance_margin(pos: Position, table: BracketTable, price: Decimal | None = None) -> Decimal:
    """Maintenance margin of one position, bracket chosen by its notional at `price` (mark when None)."""
    return maintenance_margin(notional(pos, price), table)


def margin_ratio(maint_margin: Decimal, margin_balance: Decimal) -> Decimal | None:
    """Binance's margin ratio as a fraction (0.8 == 80 %): maintenance margin / margin balance.

    None when there is no maintenance margin (<= 0: nothing at risk); Decimal("Infinity") when the
    balance is <= 0 with margin required, which is past liquidation (ratio >= 100 %).
    """
    if maint_margin <= 0:
        return None
    if margin_balance <= 0:
        return INFINITY
    return maint_margin / margin_balance


class _Leg:
    """One leg reduced to what the liquidation equation needs."""

    __slots__ = ("e", "q", "s")

    def __init__(self, q: Decimal, s: Decimal, e: Decimal) -> None:
        self.q = q  # |amount| × contract size
        self.s = s  # +1 long, −1 short
        self.e = e  # entry (linear) or 1/entry (inverse)


class _Equation:
    """r(z) = K + g_sq·z − Σ MM(q_i·z): margin balance − maintenance margin, in z."""

    __slots__ = ("_flat", "_terms", "_zero", "g_sq", "k", "legs", "q_sum", "table")

    def __init__(
        self, k: Decimal, g_sq: Decimal, legs: Sequence[_Leg], table: BracketTable, mag: Decimal, q_sum: Decimal
    ) -> None:
        self.k = k
        self.g_sq = g_sq
        self.legs = legs
        self.table = table
        self.q_sum = q_sum
        # Rounding is relative to the size of the terms summed: `mag` for those in k, the largest
        # cum per leg, q per unit of z. Thresholds are fixed once: this runs on every refresh.
        self._terms = mag + abs(table.brackets[-1].cum) * len(legs)  # the top cum is the largest
        self._zero = self._terms * _SNAP
        self._flat = q_sum * _SNAP

    def line_root(self, cum: Decimal, q_mmr: Decimal) -> Decimal | None:
        """z where the line of fixed brackets (Σcum, Σq·MMR) crosses zero; None when it is flat.

        A constant term or slope that is zero up to rounding is taken as zero: otherwise a price
        that is exactly "none" (a zero denominator in the FAQ formula) comes out as 1E+32.
        """
        slope = self.g_sq - q_mmr
        if abs(slope) <= self._flat:
            return None
        constant = self.k + cum
        if abs(constant) <= self._zero:
            return ZERO
        return -constant / slope

    def residual(self, z: Decimal) -> Decimal:
        total = self.k + z * self.g_sq
        for leg in self.legs:
            total -= maintenance_margin(leg.q * z, self.table)
        return total

    def tolerance(self, z: Decimal) -> Decimal:
        return (self._terms + z * self.q_sum) * _TOLERANCE

    def is_root(self, z: Decimal) -> bool:
        """Does the residual vanish at z, or jump across zero there (a cap where cum is inconsistent)?"""
        if not z > 0 or not z.is_finite():
            return False
        tol = self.tolerance(z)
        if abs(self.residual(z)) <= tol:
            return True
        below, above = self.residual(z * (ONE - _SIDE)), self.residual(z * (ONE + _SIDE))
        return (below >= -tol and above <= tol) or (below <= tol and above >= -tol)


def _all_roots(eq: _Equation) -> list[Decimal]:
    """Every z > 0 where the residual crosses zero, walking the bracket caps of every leg upwards.

    Between two caps the brackets are fixed and the residual is a line: sums are updated as each
    leg crosses a cap, and a segment is solved only where its line changes sign. The top bracket
    extends without end, as in Binance's formula. A residual that jumps across zero at a cap
    (inconsistent cum) liquidates at that cap. Candidates, not yet verified.
    """
    legs = eq.legs
    # (z where the leg's notional meets the cap, Δcum, q·ΔMMR); plain tuples sort fastest.
    events = sorted((cap / leg.q, d_cum, leg.q * d_mmr) for leg in legs for cap, d_cum, d_mmr in eq.table.steps)
    first = eq.table.for_notional(ZERO)
    cum = first.cum * len(legs)
    q_mmr = eq.q_sum * first.maint_margin_ratio
    k, g_sq = eq.k, eq.g_sq
    roots: list[Decimal] = []
    lo = ZERO
    at_lo = k + cum  # the segment's line at its lower end
    j, n = 0, len(events)
    while j < n:
        hi = events[j][0]
        left = k + cum + hi * (g_sq - q_mmr)  # the line's value at the cap, from below
        if (at_lo <= 0 <= left or left <= 0 <= at_lo) and (z := eq.line_root(cum, q_mmr)) is not None:
            # A root on a cap can come out a hair either side of it.
            if abs(z - hi) <= hi * _SNAP:
                z = hi
            elif abs(z - lo) <= lo * _SNAP:
                z = lo
            roots.append(min(max(z, lo), hi))
        while j < n and events[j][0] == hi:
            _, d_cum, d_q_mmr = events[j]
            cum += d_cum
            q_mmr += d_q_mmr
            j += 1
        at_lo = k + cum + hi * (g_sq - q_mmr)
        if (left > 0 > at_lo) or (left < 0 < at_lo):
            roots.append(hi)
        lo = hi
    z = eq.line_root(cum, q_mmr)
    if z is not None and z >= lo:
        roots.append(z)
    return [z for z in roots if z > 0]


def _nearest_roots(eq: _Equation, roots: list[Decimal], inverse: bool, reference: Decimal) -> tuple[Decimal, ...]:
    """The verified price nearest the reference below it and the one above it, ascending."""
    prices = sorted({ONE / z if inverse else z for z in roots})
    below = [p for p in prices if p <= reference]
    above = [p for p in prices if p > reference]
    out: list[Decimal] = []
    for candidate in reversed(below):
        if eq.is_root(ONE / candidate if inverse else candidate):
            out.append(candidate)
            break
    for candidate in above:
        if eq.is_root(ONE / candidate if inverse else candidate):
            out.append(candidate)
            break
    return tuple(out)


def _no_root(eq: _Equation) -> bool:
    """One leg, convex maintenance margin, and a fixed-bracket solution at z <= 0: is there
    provably no liquidation price? (The common case of a well-funded position: no scan needed.)

    The residual r(z) = k + g_sq·z − MM(q·z) lies below every bracket's line (MM is convex, each
    bracket's n·MMR − cum supports it). With g_sq < 0, r falls, so its root lies at or left of
    any line's root: a line root <= 0 means none at z > 0. With g_sq > 0, r rises (MMR < 1)
    from r(0+) = k + cum₀: no root when that is already >= 0.
    """
    if eq.g_sq < 0:
        return True
    return eq.k + eq.table.brackets[0].cum >= 0


def _iterate(eq: _Equation, start: Decimal) -> tuple[Decimal | None, bool]:
    """One leg: re-check the bracket at the result until it settles: (last z, whether it settled).

    A settled z is a verified root: the line was solved with the very bracket the residual takes
    at z, so the residual there is the line's value at its own root, rounding (28 digits) far
    below `tolerance`: the check `is_root` makes would always pass.
    """
    table = eq.table
    q = eq.legs[0].q
    bracket = table.for_notional(q * start)
    z: Decimal | None = None
    for _ in range(_MAX_ITERATIONS):
        z = eq.line_root(bracket.cum, q * bracket.maint_margin_ratio)
        if z is None or z <= 0:
            return z, False
        again = table.for_notional(q * z)
        if again is bracket:
            return z, True
        bracket = again
    return z, False


def _reduce(
    legs: Sequence[Position],
    wallet_balance: Decimal,
    table: BracketTable,
    other_maint: Decimal,
    other_upnl: Decimal,
) -> tuple[_Equation, bool, Decimal] | None:
    """The equation of the open legs, whether it is in 1/P, and the price to measure from."""
    open_legs = [p for p in legs if p.amount != 0]
    if not open_legs:
        return None
    kind = open_legs[0].contract
    if len(open_legs) > 1 and any(p.contract is not kind for p in open_legs):
        raise InvalidInputError("legs", "linear and inverse legs cannot share a liquidation price")
    inverse = kind is ContractKind.INVERSE
    g = -ONE if inverse else ONE
    reduced: list[_Leg] = []
    k = wallet_balance - other_maint + other_upnl
    mag = abs(wallet_balance) + abs(other_maint) + abs(other_upnl)
    g_sq = ZERO
    q_sum = ZERO
    for p in open_legs:
        if not p.entry_price > 0 or not p.contract_size > 0:
            raise InvalidInputError("position", f"{p.symbol}: entry price and contract size must be > 0")
        q = abs(p.amount) * p.contract_size
        s = p.sign
        e = ONE / p.entry_price if inverse else p.entry_price
        reduced.append(_Leg(q, s, e))
        g_sq += g * s * q
        k -= g * s * q * e
        mag += q * e
        q_sum += q
    return _Equation(k, g_sq, reduced, table, mag, q_sum), inverse, reference_price(open_legs[0])


def liquidation_prices(
    legs: Sequence[Position],
    wallet_balance: Decimal,
    table: BracketTable,
    other_maint: Decimal = ZERO,
    other_upnl: Decimal = ZERO,
) -> tuple[Decimal, ...]:
    """Binance's liquidation prices for the legs of one symbol that share them, ascending: the
    nearest one below the mark and the nearest one above it, where they exist.

    `legs`: one BOTH position; or the LONG and/or SHORT legs of a cross hedge-mode symbol; or one
    isolated leg (then `wallet_balance` is its isolated wallet and other_* must be zero).
    Linear or inverse by the legs' contract kind. A single leg has at most one; a hedge pair in
    cross can have one each side of the mark (its gross size grows maintenance margin faster than
    its net exposure grows the balance). Empty where Binance shows `--`.
    """
    reduced = _reduce(legs, wallet_balance, table, other_maint, other_upnl)
    if reduced is None:
        return ()
    eq, inverse, reference = reduced
    if len(eq.legs) == 1 and table.convex:
        # One leg on a convex table: the residual is monotonic, so the root is unique.
        z, settled = _iterate(eq, ONE / reference if inverse else reference)
        if settled and z is not None:
            return (ONE / z if inverse else z,)
        if z is not None and z <= 0 and _no_root(eq):
            return ()
    return _nearest_roots(eq, _all_roots(eq), inverse, reference)


def reference_price(position: Position) -> Decimal:
    """Where "nearest" is measured from: the mark, or the entry price while no mark is known."""
    return position.mark_price if position.mark_price > 0 else position.entry_price


def nearest_to(prices: Sequence[Decimal], mark: Decimal) -> Decimal | None:
    """The price nearest the mark (the one a move reaches first); None when there is none."""
    if len(prices) < 2:
        return prices[0] if prices else None
    return min(prices, key=lambda p: abs(p - mark))


def liquidation_price(
    legs: Sequence[Position],
    wallet_balance: Decimal,
    table: BracketTable,
    other_maint: Decimal = ZERO,
    other_upnl: Decimal = ZERO,
) -> Decimal | None:
    """The liquidation price nearest the mark (see `liquidation_prices`); None where Binance shows `--`."""
    prices = liquidation_prices(legs, wallet_balance, table, other_maint, other_upnl)
    leg = next((p for p in legs if p.amount != 0), None)
    return nearest_to(prices, reference_price(leg)) if leg is not None else None


def liquidation_price_maint_at_entry(pos: Position, wallet: Decimal, maint: Decimal) -> Decimal | None:
    """An isolated position's liquidation price when its maintenance margin `maint` is fixed (taken
    at the entry price, MEXC's rule): where wallet + uPnL(P) = maint. None: the margin covers every move.

    linear  P = (s·(maint − wallet) + entry·q) / q        inverse  P = q / (q/entry + s·(wallet − maint))
    """
    q = abs(pos.amount) * pos.contract_size
    s = pos.sign
    if q <= 0 or pos.entry_price <= 0:
        return None
    if pos.contract is ContractKind.INVERSE:
        denominator = q / pos.entry_price + s * (wallet - maint)
        return q / denominator if denominator > 0 else None
    numerator = s * (maint - wallet) + pos.entry_price * q
    return numerator / q if numerator > 0 else None


def distance_to_liquidation(mark: Decimal, liq: Decimal | None) -> Decimal | None:
    """|mark − liq| / mark × 100, in percent of the mark price; None without a liquidation price."""
    if liq is None or mark <= 0 or not mark.is_finite() or not liq.is_finite():
        return None
    return abs(mark - liq) / mark * 100
