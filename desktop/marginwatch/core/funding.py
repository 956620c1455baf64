"""Funding: what the next settlement pays or costs a position, and where an isolated position's
liquidation price moves once it is paid.

Binance settles funding every 8 h (some symbols 4 h or 1 h) at the rate the mark-price stream sends
(`r`, with the time `T`): a position pays (rate > 0, long; rate < 0, short) or receives
mark × |size| × |rate|. The estimate uses the current mark and rate; both move until the settlement.
A cross position pays from the cross wallet (every cross position shares the effect); an isolated
one from its own margin, so its liquidation price moves toward the mark when it pays.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from marginwatch.core import risk
from marginwatch.core.brackets import BracketTable
from marginwatch.core.errors import CoreError
from marginwatch.core.position import ZERO, ContractKind, Position


@dataclass(frozen=True, slots=True)
class FundingEstimate:
    rate: Decimal  # a fraction: 0.0001 is 0.01 %
    next_time_ms: int | None  # exchange milliseconds; None when the stream did not say
    payment: Decimal  # received (> 0) or paid (< 0), in the margin asset
    # Isolated positions: the liquidation price and distance once the payment is made; None for cross
    # positions or when there is no liquidation price.
    liquidation_after: Decimal | None = None
    distance_after_pct: Decimal | None = None


def funding_payment(position: Position, rate: Decimal, notional: Decimal | None = None) -> Decimal:
    """What the next settlement moves the margin by at the current mark: −sign × notional × rate."""
    return -position.sign * (risk.notional(position) if notional is None else notional) * rate


def _shifted_liquidation(position: Position, liq: Decimal, payment: Decimal, table: BracketTable) -> Decimal | None:
    """A linear isolated leg's liquidation price with `payment` more margin, where the bracket at the
    new price is the one at the old: W + s·q·(P − E) = q·P·m − c is linear in W, so P moves by
    payment / (q·(m − s)). None where that does not hold (the solver then decides)."""
    if position.contract is not ContractKind.LINEAR:
        return None
    q = abs(position.amount) * position.contract_size
    bracket = table.for_notional(q * liq)
    slope = q * (bracket.maint_margin_ratio - position.sign)
    if slope == 0:
        return None
    moved = liq + payment / slope
    if moved <= 0 or table.for_notional(q * moved) is not bracket:
        return None
    return moved


def estimate_funding(
    position: Position,
    table: BracketTable | None,
    *,
    notional: Decimal | None = None,
    liquidation_price: Decimal | None = None,
) -> FundingEstimate | None:
    """The next funding payment of `position` and, when isolated, its liquidation price after it;
    None when the stream has not sent a funding rate for its symbol. `notional` and an isolated
    position's current `liquidation_price`, when known, save recomputing them (this runs on every
    risk refresh)."""
    rate = position.funding_rate
    if rate is None or not rate.is_finite() or position.amount == 0:
        return None
    payment = funding_payment(position, rate, notional)
    if not position.is_isolated or table is None:
        return FundingEstimate(rate, position.next_funding_ms, payment)
    wallet = position.isolated_wallet + payment
    after = None if liquidation_price is None else _shifted_liquidation(position, liquidation_price, payment, table)
    if after is None:
        try:
            after = risk.liquidation_price([position], wallet, table)
        except (CoreError, ArithmeticError):
            after = None
    if wallet <= ZERO and after is None:
        after = position.mark_price  # the payment alone takes the whole margin
    return FundingEstimate(rate, position.next_funding_ms, payment, after,
                           risk.distance_to_liquidation(position.mark_price, after))
