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
from marginwatch.core.position import ZERO, Position


@dataclass(frozen=True, slots=True)
class FundingEstimate:
    rate: Decimal  # a fraction: 0.0001 is 0.01 %
    next_time_ms: int | None  # exchange milliseconds; None when the stream did not say
    payment: Decimal  # received (> 0) or paid (< 0), in the margin asset
    # Isolated positions: the liquidation price and distance once the payment is made; None for cross
    # positions or when there is no liquidation price.
    liquidation_after: Decimal | None = None
    distance_after_pct: Decimal | None = None


def funding_payment(position: Position, rate: Decimal) -> Decimal:
    """What the next settlement moves the margin by at the current mark: −sign × notional × rate."""
    return -position.sign * risk.notional(position) * rate


def estimate_funding(position: Position, table: BracketTable | None) -> FundingEstimate | None:
    """The next funding payment of `position` and, when isolated, its liquidation price after it;
    None when the stream has not sent a funding rate for its symbol."""
    rate = position.funding_rate
    if rate is None or not rate.is_finite() or position.amount == 0:
        return None
    payment = funding_payment(position, rate)
    if not position.is_isolated or table is None:
        return FundingEstimate(rate, position.next_funding_ms, payment)
    wallet = position.isolated_wallet + payment
    try:
        after = risk.liquidation_price([position], wallet, table)
    except (CoreError, ArithmeticError):
        after = None
    if wallet <= ZERO and after is None:
        after = position.mark_price  # the payment alone takes the whole margin
    return FundingEstimate(rate, position.next_funding_ms, payment, after,
                           risk.distance_to_liquidation(position.mark_price, after))
