"""Portfolio price shock: every position's figures after marks move, and the move that liquidates each.

A `Shock` moves one symbol, a group or every mark by `pct` percent, each symbol by `pct × beta`
(e.g. alts 1.5× BTC). The shocked account is assessed like a live one (`assess_account`): a cross
position's liquidation price moves with every other cross position's loss, brackets change with
the shocked notionals.

The move that liquidates a position is found on the shock's own shape, in its direction: for the
cross account the move at which its margin balance falls to its maintenance margin (every cross
position goes then: Binance liquidates the cross account as one), for an isolated position the
move at which its own margin does. With convex bracket tables that balance minus maintenance is
concave in the move, so it crosses zero once: a deeper move never un-liquidates, and bisection
finds the crossing, then one linear step inside its bracket segment makes it exact.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from marginwatch.core import risk
from marginwatch.core.account_risk import AccountRisk, PositionRisk, assess_account
from marginwatch.core.brackets import BracketTable
from marginwatch.core.position import ONE, ZERO, MarginType, Position, PositionSide

HUNDRED = Decimal(100)
MAX_UP_PCT = Decimal(1000)  # a rise beyond +1000 % is not searched
# A mark cannot reach 0: a move of -100 % or beyond leaves it at this fraction of itself.
_FLOOR = Decimal("1e-9")
_STEPS = 80  # bisection halvings: from 1000 % to well under 1e-20 %

PositionKey = tuple[str, PositionSide]


@dataclass(frozen=True, slots=True)
class Shock:
    """`pct` percent on the marks of `symbols` (None: every symbol), times each symbol's `betas` (default 1)."""

    pct: Decimal
    symbols: frozenset[str] | None = None
    betas: Mapping[str, Decimal] = field(default_factory=dict)

    def coefficient(self, symbol: str) -> Decimal:
        """How many percent `symbol` moves per percent of the shock (0 outside it)."""
        if self.symbols is not None and symbol not in self.symbols:
            return ZERO
        return self.betas.get(symbol, ONE)


def shocked_mark(mark: Decimal, coefficient: Decimal, pct: Decimal) -> Decimal:
    factor = ONE + coefficient * pct / HUNDRED
    return mark * (factor if factor > _FLOOR else _FLOOR)


@dataclass(frozen=True, slots=True)
class ShockedPosition:
    before: PositionRisk
    after: PositionRisk
    move_pct: Decimal  # this symbol's own move
    liquidated: bool  # at the shocked marks: its margin (cross: the account's) is at or below maintenance
    # The shock (its own pct, in its direction) at which it is liquidated; None when no move up to
    # -100 % or +1000 % does, or its figures are unavailable. 0 when it is already.
    liquidation_move: Decimal | None

    @property
    def key(self) -> PositionKey:
        return self.before.position.key


@dataclass(frozen=True, slots=True)
class ShockResult:
    shock: Shock
    before: AccountRisk
    after: AccountRisk
    positions: tuple[ShockedPosition, ...]  # in the account's order
    cross_liquidation_move: Decimal | None  # the move that liquidates the cross account

    def liquidation_order(self) -> tuple[ShockedPosition, ...]:
        """Positions a deepening move liquidates, first first (a cross account's positions together)."""
        doomed = [p for p in self.positions if p.liquidation_move is not None]
        return tuple(sorted(doomed, key=lambda p: abs(p.liquidation_move or ZERO)))


def shock_account(
    positions: Sequence[Position],
    cross_wallet_balance: Decimal,
    brackets: Mapping[str, BracketTable],
    shock: Shock,
    *,
    fallback: Mapping[str, BracketTable] | None = None,
    direction: int | None = None,
) -> ShockResult:
    """The account after `shock`, and for each position the move (in `direction`: -1 down, +1 up;
    by default the shock's own sign, down for 0) that liquidates it."""
    fallback = fallback or {}
    before = assess_account(positions, cross_wallet_balance, brackets, fallback)
    moved = [p.with_mark(shocked_mark(p.mark_price, shock.coefficient(p.symbol), shock.pct)) for p in positions]
    after = assess_account(moved, cross_wallet_balance, brackets, fallback)
    sign = direction if direction is not None else (1 if shock.pct > 0 else -1)
    if sign not in (-1, 1):
        raise ValueError("direction must be -1 or 1")
    tables = {**fallback, **brackets}
    usable = [r for r in before.positions if r.risk_unavailable is None and r.position.is_open]
    cross = [r.position for r in usable if r.position.margin_type is MarginType.CROSS]
    cross_move = (
        _liquidation_move(_margin_left(cross, cross_wallet_balance, tables, shock), shock, cross, sign)
        if cross else None
    )
    after_by_key = {r.position.key: r for r in after.positions}
    cross_gone = bool(cross) and after.cross_margin_balance <= after.cross_maint_margin
    out: list[ShockedPosition] = []
    for r in before.positions:
        pos = r.position
        shocked = after_by_key.get(pos.key, r)
        move: Decimal | None = None
        gone = False
        if r.risk_unavailable is None and pos.is_open:
            if pos.margin_type is MarginType.CROSS:
                move, gone = cross_move, cross_gone
            else:
                move = _liquidation_move(_margin_left([pos], pos.isolated_wallet, tables, shock), shock, [pos], sign)
                gone = shocked.maint_margin is not None and (
                    pos.isolated_wallet + shocked.unrealized_pnl <= shocked.maint_margin
                )
        out.append(ShockedPosition(r, shocked, shock.coefficient(pos.symbol) * shock.pct, gone, move))
    return ShockResult(shock, before, after, tuple(out), cross_move)


def _margin_left(
    legs: Sequence[Position], wallet: Decimal, tables: Mapping[str, BracketTable], shock: Shock
) -> Callable[[Decimal], Decimal]:
    """Margin balance minus maintenance margin of `legs` on `wallet` after a shock of `t` percent."""
    parts = [(p, tables.get(p.symbol), shock.coefficient(p.symbol)) for p in legs]

    def left(t: Decimal) -> Decimal:
        total = wallet
        for p, table, c in parts:
            price = shocked_mark(p.mark_price, c, t)
            total += risk.unrealized_pnl(p, price)
            if table is not None:
                total -= risk.position_maintenance_margin(p, table, price)
        return total

    return left


def _liquidation_move(
    left: Callable[[Decimal], Decimal], shock: Shock, legs: Sequence[Position], sign: int
) -> Decimal | None:
    """The smallest move in `sign`'s direction at which `left` reaches 0; 0 when it is already there."""
    if left(ZERO) <= 0:
        return ZERO
    coefficients = [shock.coefficient(p.symbol) for p in legs]
    if not any(coefficients):
        return None  # nothing in the shock moves these positions
    # Down: until the steepest falling mark would reach 0 (a negative beta rises instead); up: to
    # the search's limit. Past 0 a mark stays at its floor, so the ends need not be exact.
    steepest = max(coefficients)
    end = -HUNDRED / steepest * (ONE - _FLOOR) if sign < 0 and steepest > 0 else sign * MAX_UP_PCT
    f_end = left(end)
    if f_end > 0:
        return None
    lo, hi, f_lo, f_hi = ZERO, end, left(ZERO), f_end
    for _ in range(_STEPS):
        mid = (lo + hi) / 2
        f_mid = left(mid)
        if f_mid > 0:
            lo, f_lo = mid, f_mid
        else:
            hi, f_hi = mid, f_mid
        if abs(hi - lo) < Decimal("1e-12"):
            break
    # Within one bracket segment the balance is linear in the move: one secant step lands on it.
    if f_lo != f_hi:
        root = lo - f_lo * (hi - lo) / (f_hi - f_lo)
        if min(lo, hi) <= root <= max(lo, hi):
            return root
    return hi
