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
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from marginwatch.core.brackets import Bracket, BracketTable
from marginwatch.core.errors import InvalidInputError
from marginwatch.core.position import ONE, ZERO, ContractKind, Position

INFINITY = Decimal("Infinity")
# Bracket re-checks before falling back to a scan of every bracket segment.
_MAX_ITERATIONS = 8


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
    sign = pos.direction.sign
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


def _solve(k: Decimal, g_sq: Decimal, legs: Sequence[_Leg], brackets: Sequence[Bracket]) -> Decimal | None:
    """z for fixed brackets, or None when the equation has no single solution."""
    cum = ZERO
    q_mmr = ZERO
    for leg, b in zip(legs, brackets, strict=True):
        cum += b.cum
        q_mmr += leg.q * b.maint_margin_ratio
    denominator = g_sq - q_mmr
    if denominator == 0:
        return None
    return -(k + cum) / denominator


def _residual(k: Decimal, g_sq: Decimal, legs: Sequence[_Leg], table: BracketTable, z: Decimal) -> Decimal:
    """Margin balance − maintenance margin at z, brackets taken at z."""
    total = k + z * g_sq
    for leg in legs:
        total -= maintenance_margin(leg.q * z, table)
    return total


def _scan_segments(
    k: Decimal, g_sq: Decimal, legs: Sequence[_Leg], table: BracketTable, near: Decimal
) -> Decimal | None:
    """Every z > 0 where the residual crosses zero, walking bracket boundaries; the one nearest `near`.

    Used when re-checking brackets does not settle (hedge legs can make the residual non-monotonic,
    and a live table whose cum values are inconsistent makes it jump at boundaries).
    """
    points = {b.cap / leg.q for leg in legs for b in table.brackets[:-1] if b.cap > 0}
    bounds = sorted(p for p in points if p > 0)
    edges = [ZERO, *bounds]
    # No leg can hold more than the top bracket's cap: a root past it (a hedge whose gross size
    # outgrows its net exposure at absurd prices) is not a liquidation price anyone can reach.
    top_cap = table.brackets[-1].cap
    z_max = min(top_cap / leg.q for leg in legs) if top_cap > 0 else None
    roots: list[Decimal] = []
    for i, lo in enumerate(edges):
        hi = edges[i + 1] if i + 1 < len(edges) else None
        probe = (lo + hi) / 2 if hi is not None else (lo * 2 if lo > 0 else ONE)
        z = _solve(k, g_sq, legs, [table.for_notional(leg.q * probe) for leg in legs])
        if z is not None and z > lo and (hi is None or z < hi) and (z_max is None or z <= z_max):
            roots.append(z)
    if not roots:
        # A jump across zero at a boundary (inconsistent cum) liquidates at that boundary.
        prev = _residual(k, g_sq, legs, table, bounds[0] / 2) if bounds else None
        for edge in bounds:
            cur = _residual(k, g_sq, legs, table, edge)
            if prev is not None and (prev > 0) != (cur > 0):
                roots.append(edge)
            prev = cur
    if not roots:
        return None
    return min(roots, key=lambda r: abs(r - near))


def _no_root(k: Decimal, g_sq: Decimal, table: BracketTable) -> bool:
    """One leg, convex maintenance margin, and a fixed-bracket solution at z <= 0: is there
    provably no liquidation price? (The common case of a well-funded position: no scan needed.)

    The residual r(z) = k + g_sq·z − MM(q·z) lies below every bracket's line (MM is convex, each
    bracket's n·MMR − cum supports it). With g_sq < 0, r falls, so its root lies at or left of
    any line's root: a line root <= 0 means none at z > 0. With g_sq > 0, r rises (MMR < 1)
    from r(0+) = k + cum₀: no root when that is already >= 0.
    """
    if g_sq < 0:
        return True
    return k + table.brackets[0].cum >= 0


def liquidation_price(
    legs: Sequence[Position],
    wallet_balance: Decimal,
    table: BracketTable,
    other_maint: Decimal = ZERO,
    other_upnl: Decimal = ZERO,
) -> Decimal | None:
    """Binance's liquidation price for the legs of one symbol that share it.

    `legs`: one BOTH position; or the LONG and/or SHORT legs of a cross hedge-mode symbol; or one
    isolated leg (then `wallet_balance` is its isolated wallet and other_* must be zero).
    Linear or inverse by the legs' contract kind. Re-checks the bracket at the result. None where
    Binance shows `--` (price <= 0 or no solution).
    """
    open_legs = [p for p in legs if p.amount != 0]
    if not open_legs:
        return None
    kind = open_legs[0].contract
    if any(p.contract is not kind for p in open_legs):
        raise InvalidInputError("legs", "linear and inverse legs cannot share a liquidation price")
    inverse = kind is ContractKind.INVERSE
    g = -ONE if inverse else ONE
    reduced: list[_Leg] = []
    k = wallet_balance - other_maint + other_upnl
    g_sq = ZERO
    for p in open_legs:
        if not p.entry_price > 0 or not p.contract_size > 0:
            raise InvalidInputError("position", f"{p.symbol}: entry price and contract size must be > 0")
        q = abs(p.amount) * p.contract_size
        s = p.direction.sign
        e = ONE / p.entry_price if inverse else p.entry_price
        reduced.append(_Leg(q, s, e))
        g_sq += g * s * q
        k -= g * s * q * e

    mark = open_legs[0].mark_price
    start = (ONE / mark if inverse else mark) if mark > 0 else (reduced[0].e)
    brackets = [table.for_notional(leg.q * start) for leg in reduced]
    z: Decimal | None = None
    settled = False
    for _ in range(_MAX_ITERATIONS):
        z = _solve(k, g_sq, reduced, brackets)
        if z is None or z <= 0:
            break
        again = [table.for_notional(leg.q * z) for leg in reduced]
        if all(a is b for a, b in zip(again, brackets, strict=True)):
            settled = True
            break
        brackets = again
    if not settled:
        if z is not None and z <= 0 and len(reduced) == 1 and table.convex and _no_root(k, g_sq, table):
            return None
        z = _scan_segments(k, g_sq, reduced, table, start)
    if z is None or z <= 0 or not z.is_finite():
        return None
    return ONE / z if inverse else z


def distance_to_liquidation(mark: Decimal, liq: Decimal | None) -> Decimal | None:
    """|mark − liq| / mark × 100, in percent of the mark price; None without a liquidation price."""
    if liq is None or mark <= 0 or not mark.is_finite() or not liq.is_finite():
        return None
    return abs(mark - liq) / mark * 100
