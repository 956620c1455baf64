"""Builders for PositionRisk/AccountRisk test data, written directly (no risk maths involved)."""

from __future__ import annotations

from decimal import Decimal

from marginwatch.core.account_risk import AccountRisk, PositionRisk
from marginwatch.core.position import MarginType, Position, PositionSide

D = Decimal


def position_risk(
    symbol: str = "BTCUSDT",
    side: PositionSide = PositionSide.BOTH,
    amount: str = "0.5",
    entry: str = "60000",
    mark: str = "61000",
    liq: str | None = "50000",
    distance: str | None = "18.03",
    ratio: str | None = "0.2",
    pnl: str = "500",
    margin_type: MarginType = MarginType.CROSS,
    exchange_liq: str | None = None,
    snapshot_liq: str | None = None,  # ours at the snapshot; by default the live `liq`
) -> PositionRisk:
    pos = Position(
        symbol=symbol,
        position_side=side,
        amount=D(amount),
        entry_price=D(entry),
        mark_price=D(mark),
        margin_type=margin_type,
        exchange_liquidation_price=None if exchange_liq is None else D(exchange_liq),
        liquidation_price_at_snapshot=D(snapshot_liq) if snapshot_liq else (None if liq is None else D(liq)),
    )
    return PositionRisk(
        position=pos,
        notional=abs(D(amount)) * D(mark),
        unrealized_pnl=D(pnl),
        maint_margin=D("100"),
        margin_ratio=None if ratio is None else D(ratio),
        liquidation_price=None if liq is None else D(liq),
        distance_pct=None if distance is None else D(distance),
    )


def account_risk(*positions: PositionRisk, ratio: str | None = "0.2") -> AccountRisk:
    return AccountRisk(
        cross_wallet_balance=D("10000"),
        wallet_balance=D("10000"),
        cross_unrealized_pnl=D("500"),
        unrealized_pnl=D("500"),
        cross_margin_balance=D("10500"),
        margin_balance=D("10500"),
        cross_maint_margin=D("2100"),
        maint_margin=D("2100"),
        margin_ratio=None if ratio is None else D(ratio),
        positions=tuple(positions),
    )
