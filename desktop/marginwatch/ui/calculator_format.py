"""How the calculator's results read: prices at the tick size, sizes at the step size, money in its asset."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from marginwatch.core.position import ContractKind
from marginwatch.ui.formatting import DASH, format_decimal, format_price, format_quantity, places_for_step

LIMIT = Decimal("1e15")  # figures this large read better in scientific notation
_QUOTES = ("USDT", "USDC", "FDUSD", "BUSD")


@dataclass(frozen=True, slots=True)
class Formats:
    """How results read: prices at the tick size, sizes at the step size, money in its asset."""

    tick: Decimal | None
    step: Decimal | None
    asset: str
    contract: ContractKind
    ref_price: Decimal | None  # picks the decimals when the tick size is unknown

    def price(self, value: Decimal | None) -> str:
        if value is not None and value.is_finite() and value >= LIMIT:
            return f"{value:.6E}"
        if self.tick is not None:
            return format_price(value, self.tick)
        ref = self.ref_price if self.ref_price is not None else value
        places = 2 if ref is None or ref >= 1000 else 3 if ref >= 10 else 4 if ref >= 1 else 6
        return format_price(value, None, places)

    def qty(self, value: Decimal | None, *, floor: bool = False) -> str:
        if value is not None and value.is_finite() and abs(value) >= LIMIT:
            return f"{value:.6E}"
        step = self.step if self.step is not None else Decimal("0.001")
        if floor and value is not None and value.is_finite():
            # A maximum must not be rounded up past what can be opened.
            value = value.quantize(Decimal(1).scaleb(-places_for_step(step, 0)), rounding=ROUND_DOWN)
        return format_quantity(value, step)

    def money(self, value: Decimal | None, *, signed: bool = False) -> str:
        if value is None:
            return DASH
        if value.is_finite() and abs(value) >= LIMIT:
            text = f"{value:.6E}"
        else:
            text = format_decimal(value, 8 if self.contract is ContractKind.INVERSE else 2, signed=signed)
        return f"{text} {self.asset}".rstrip()

    def percent(self, value: Decimal | None, *, signed: bool = False) -> str:
        if value is None:
            return DASH
        if value.is_finite() and abs(value) >= LIMIT:
            return f"{value:.6E} %"
        return f"{format_decimal(value, 2, signed=signed)} %"


def margin_asset(symbol: str, contract: ContractKind) -> str:
    """USDT for BTCUSDT; the coin (BTC) for an inverse BTCUSD_PERP; empty when unclear."""
    base = symbol.split("_")[0]
    if contract is ContractKind.INVERSE:
        for quote in ("USDT", "USDC", "USD"):
            if base.endswith(quote) and len(base) > len(quote):
                return base[: -len(quote)]
        return ""
    return next((q for q in _QUOTES if base.endswith(q)), "")
