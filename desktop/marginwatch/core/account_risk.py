"""Whole-account risk: every position's figures plus the cross account's margin ratio.

CONTRACT STUB: signatures are fixed (the simulator, account state and UI code against them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from marginwatch.core.brackets import BracketTable
from marginwatch.core.position import Position


@dataclass(frozen=True, slots=True)
class PositionRisk:
    position: Position
    notional: Decimal
    unrealized_pnl: Decimal
    maint_margin: Decimal | None  # None when no bracket table is known for the symbol
    # Isolated: the position's own ratio; cross: the cross account's ratio.
    margin_ratio: Decimal | None
    liquidation_price: Decimal | None
    distance_pct: Decimal | None


@dataclass(frozen=True, slots=True)
class AccountRisk:
    cross_wallet_balance: Decimal
    wallet_balance: Decimal  # cross wallet + isolated wallets
    cross_unrealized_pnl: Decimal
    unrealized_pnl: Decimal
    cross_margin_balance: Decimal  # cross wallet + cross uPnL
    margin_balance: Decimal  # wallet + all uPnL
    cross_maint_margin: Decimal
    maint_margin: Decimal
    margin_ratio: Decimal | None  # cross account: cross MM / cross margin balance
    positions: tuple[PositionRisk, ...]


def assess_account(
    positions: Iterable[Position],
    cross_wallet_balance: Decimal,
    brackets: Mapping[str, BracketTable],
    fallback: Mapping[str, BracketTable] | None = None,
) -> AccountRisk:
    """Figures for every open position and the cross account, at each position's mark price.

    Brackets come from `brackets`, else `fallback`; a symbol in neither gets None for its
    maintenance margin, ratio and liquidation price and is left out of the account totals' MM.
    """
    raise NotImplementedError
