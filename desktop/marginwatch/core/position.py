"""Position domain types. Amounts are Decimal; the sign convention follows Binance."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

ZERO = Decimal(0)
ONE = Decimal(1)


class PositionSide(StrEnum):
    """Binance `positionSide`: BOTH in one-way mode, LONG/SHORT in hedge mode."""

    BOTH = "BOTH"
    LONG = "LONG"
    SHORT = "SHORT"


class Direction(StrEnum):
    LONG = "long"
    SHORT = "short"

    @property
    def sign(self) -> Decimal:
        return ONE if self is Direction.LONG else -ONE


class MarginType(StrEnum):
    CROSS = "cross"
    ISOLATED = "isolated"

    @classmethod
    def parse(cls, raw: str) -> MarginType:
        """Binance spells it `cross`, `crossed`, `CROSSED` or `isolated` depending on the endpoint."""
        low = raw.strip().lower()
        if low in ("cross", "crossed"):
            return cls.CROSS
        if low == "isolated":
            return cls.ISOLATED
        raise ValueError(f"unknown margin type {raw!r}")


class ContractKind(StrEnum):
    """Linear (USDⓈ-M, PnL in quote) or inverse (COIN-M, PnL in base coin)."""

    LINEAR = "linear"
    INVERSE = "inverse"


ADL_TOP_BUCKET = 4  # Binance's ADL buckets run 0-4; 4 is first in line (core.adl reads them)


@dataclass(frozen=True, slots=True)
class Position:
    """One position as the exchange reports it.

    `amount` is signed like Binance's `positionAmt`/`pa`: negative means short, also for a
    hedge-mode SHORT leg. For inverse contracts `amount` counts contracts of `contract_size`
    quote units (e.g. 100 USD for BTCUSD); for linear ones it is base quantity times
    `contract_size` (1 on Binance USDⓈ-M).
    """

    symbol: str
    position_side: PositionSide
    amount: Decimal
    entry_price: Decimal
    mark_price: Decimal
    margin_type: MarginType = MarginType.CROSS
    isolated_wallet: Decimal = ZERO
    contract: ContractKind = ContractKind.LINEAR
    contract_size: Decimal = ONE
    leverage: int = 20
    # The exchange's own figure from positionRisk, kept to compare with ours.
    exchange_liquidation_price: Decimal | None = None
    # Ours, computed from that same snapshot (its marks and wallet): the like-for-like figure to
    # compare with the exchange's. The live figure drifts from it as marks move (cross positions
    # with every other symbol's mark), which is not a disagreement.
    liquidation_price_at_snapshot: Decimal | None = None
    # Maintenance margin taken at the entry price instead of the mark (MEXC's rule); the liquidation
    # price of an isolated position then has a closed form (`risk.liquidation_price_maint_at_entry`).
    maint_at_entry: bool = False
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    # From the mark-price stream: the current funding rate (a fraction) and when it is next paid.
    funding_rate: Decimal | None = None
    next_funding_ms: int | None = None
    # Binance's auto-deleveraging queue bucket, 0 (last in line) to 4 (first); None until polled.
    adl_quantile: int | None = None

    @property
    def key(self) -> tuple[str, PositionSide]:
        return (self.symbol, self.position_side)

    def with_mark(self, mark_price: Decimal) -> Position:
        """This position at another mark: `dataclasses.replace` costs 3× as much (it looks every
        field up by name), and this runs for every held position on every mark tick."""
        return self.with_market(mark_price, self.funding_rate, self.next_funding_ms, self.adl_quantile)

    def with_market(
        self, mark_price: Decimal, funding_rate: Decimal | None, next_funding_ms: int | None, adl_quantile: int | None
    ) -> Position:
        """This position with what the market says of it now: mark, funding and ADL bucket."""
        return Position(
            symbol=self.symbol,
            position_side=self.position_side,
            amount=self.amount,
            entry_price=self.entry_price,
            mark_price=mark_price,
            margin_type=self.margin_type,
            isolated_wallet=self.isolated_wallet,
            contract=self.contract,
            contract_size=self.contract_size,
            leverage=self.leverage,
            exchange_liquidation_price=self.exchange_liquidation_price,
            liquidation_price_at_snapshot=self.liquidation_price_at_snapshot,
            maint_at_entry=self.maint_at_entry,
            extra=self.extra,
            funding_rate=funding_rate,
            next_funding_ms=next_funding_ms,
            adl_quantile=adl_quantile,
        )

    @property
    def direction(self) -> Direction:
        if self.position_side is PositionSide.LONG:
            return Direction.LONG
        if self.position_side is PositionSide.SHORT:
            return Direction.SHORT
        return Direction.SHORT if self.amount < 0 else Direction.LONG

    @property
    def sign(self) -> Decimal:
        """+1 long, −1 short: `direction.sign` in one step (the risk maths asks on every refresh)."""
        side = self.position_side
        if side is PositionSide.BOTH:
            return -ONE if self.amount < 0 else ONE
        return ONE if side is PositionSide.LONG else -ONE

    @property
    def qty(self) -> Decimal:
        """Absolute size."""
        return abs(self.amount)

    @property
    def is_open(self) -> bool:
        return self.amount != 0

    @property
    def is_isolated(self) -> bool:
        return self.margin_type is MarginType.ISOLATED
