"""Risk maths on positions: notional, PnL, maintenance margin, margin ratio, liquidation price.

CONTRACT STUB: signatures are fixed (other layers code against them); bodies are being written.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from marginwatch.core.brackets import BracketTable
from marginwatch.core.position import ZERO, Position


def notional(pos: Position, price: Decimal | None = None) -> Decimal:
    """|position value| at `price` (mark when None): quote units (linear) or coin (inverse)."""
    raise NotImplementedError


def unrealized_pnl(pos: Position, price: Decimal | None = None) -> Decimal:
    """PnL at `price` (mark when None): quote units (linear) or coin (inverse)."""
    raise NotImplementedError


def maintenance_margin(notional_value: Decimal, table: BracketTable) -> Decimal:
    """notional × MMR − cum, bracket chosen by |notional|."""
    raise NotImplementedError


def position_maintenance_margin(pos: Position, table: BracketTable, price: Decimal | None = None) -> Decimal:
    raise NotImplementedError


def margin_ratio(maint_margin: Decimal, margin_balance: Decimal) -> Decimal | None:
    """Binance's margin ratio as a fraction (0.8 == 80 %): maintenance margin / margin balance.

    None when there is no maintenance margin; Decimal("Infinity") when the balance is <= 0.
    """
    raise NotImplementedError


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
    raise NotImplementedError


def distance_to_liquidation(mark: Decimal, liq: Decimal | None) -> Decimal | None:
    """|mark − liq| / mark × 100, in percent of the mark price; None without a liquidation price."""
    raise NotImplementedError
