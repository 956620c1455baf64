"""The account the simulated exchange starts from (and scenarios reset to): positions and wallet."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from marginwatch.core.position import MarginType, PositionSide
from marginwatch.exchange.sim.market import SymbolSpec


@dataclass(frozen=True, slots=True)
class BookEntry:
    symbol: str
    side: PositionSide
    amount: str  # signed like positionAmt: negative for a SHORT leg
    entry: str
    margin_type: MarginType
    leverage: int


@dataclass(frozen=True, slots=True)
class CollateralEntry:
    """A non-USDT asset that counts toward a multi-assets account's cross wallet: `amount` units
    worth `usd_price` each, of which (1 - `haircut`) counts as margin."""

    asset: str
    amount: str
    usd_price: str
    haircut: str = "0"


@dataclass(frozen=True, slots=True)
class Book:
    """`margin_asset` holds the wallet (USDT, or BNFCR credits on EU accounts); any `collateral`
    puts the account in multi-assets mode, its cross wallet then the USD value of all of them."""

    entries: tuple[BookEntry, ...]
    wallet: Decimal = Decimal("10000")  # total wallet balance in the margin asset, isolated margin included
    margin_asset: str = "USDT"
    collateral: tuple[CollateralEntry, ...] = ()

    def __post_init__(self) -> None:
        if self.collateral and self.margin_asset != "USDT":
            raise ValueError("multi-assets collateral goes with a USDT margin asset")

    @property
    def symbols(self) -> frozenset[str]:
        return frozenset(b.symbol for b in self.entries)

    def with_calm_legs(self, specs: Iterable[SymbolSpec]) -> Book:
        """This book plus one small cross leg of 10 contracts at the base price on each of `specs`,
        alternately long and short, far from any margin call (benchmarks that need more positions)."""
        extra = tuple(
            BookEntry(s.symbol, PositionSide.LONG if i % 2 == 0 else PositionSide.SHORT,
                      "10" if i % 2 == 0 else "-10", str(s.base_price), MarginType.CROSS, 10)
            for i, s in enumerate(specs)
        )
        return replace(self, entries=(*self.entries, *extra))


# The demo book: ~10,000 USDT, both margin types, ETHUSDT hedged with both legs (the account is in
# hedge mode: Binance's position mode is per account).
DEMO_BOOK = Book((
    BookEntry("BTCUSDT", PositionSide.LONG, "0.5", "99500.0", MarginType.CROSS, 10),
    BookEntry("ETHUSDT", PositionSide.LONG, "4", "3480.00", MarginType.CROSS, 20),
    BookEntry("ETHUSDT", PositionSide.SHORT, "-2", "3520.00", MarginType.CROSS, 20),
    BookEntry("SOLUSDT", PositionSide.LONG, "50", "180.0000", MarginType.ISOLATED, 20),
    BookEntry("BNBUSDT", PositionSide.SHORT, "-10", "650.000", MarginType.ISOLATED, 10),
))


# The demo positions on a multi-assets account: the same ~10,000 USD, part of it USDC and BTC.
MULTI_ASSETS_BOOK = replace(DEMO_BOOK, wallet=Decimal("4000"), collateral=(
    CollateralEntry("USDC", "3500", "0.9998", "0"),
    CollateralEntry("BTC", "0.026", "100000", "0.05"),
))

# An EU account: the demo positions margined in BNFCR credits.
BNFCR_BOOK = replace(DEMO_BOOK, margin_asset="BNFCR")
