"""Number formatting for the main window: prices at tick size, sizes at step size, percentages, `--`.

Money arrives as Decimal and is formatted from Decimal, so what the user reads is never a float
rounding artefact; floats are only used by the views for sorting and drawing.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

DASH = "--"  # Binance's own spelling for "no figure" (liquidation price <= 0 or unknown)
INFINITY_TEXT = "∞"


def places_for_step(step: Decimal | None, default: int) -> int:
    """Decimal places implied by a tick/step size ("0.10" → 1, "1" → 0); `default` when unknown."""
    if step is None or not step.is_finite() or step <= 0:
        return default
    exponent = step.normalize().as_tuple().exponent
    return max(0, -int(exponent))


def format_decimal(value: Decimal | None, places: int, *, signed: bool = False) -> str:
    """`value` rounded half-up to `places` decimals, with thousands separators; `--` for None/NaN."""
    if value is None or value.is_nan():
        return DASH
    if value.is_infinite():
        return ("-" if value < 0 else "") + INFINITY_TEXT
    try:
        rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # too many digits for the context: show it unrounded rather than fail
        rounded = value
    if rounded == 0:
        rounded = abs(rounded)  # no "-0.00"
    text = format(rounded, ",f")
    if signed and rounded > 0:
        text = "+" + text
    return text


def format_price(value: Decimal | None, tick: Decimal | None = None, default_places: int = 2) -> str:
    """A price at the symbol's tick size; `--` when missing or <= 0 (as Binance shows it)."""
    if value is None or (value.is_finite() and value <= 0):
        return DASH
    return format_decimal(value, places_for_step(tick, default_places))


def format_quantity(value: Decimal | None, step: Decimal | None = None) -> str:
    """A size at the symbol's step size, or as reported (trailing zeros dropped) when unknown."""
    if value is None or value.is_nan():
        return DASH
    if step is None:
        normal = value.normalize()
        places = max(0, -int(normal.as_tuple().exponent)) if normal.is_finite() else 0
        return format_decimal(value, places)
    return format_decimal(value, places_for_step(step, 0))


def format_percent(pct: Decimal | None, places: int = 2) -> str:
    """A figure already in percent (12.5 → "12.50 %")."""
    text = format_decimal(pct, places)
    return text if text == DASH else f"{text} %"


def format_fraction_as_percent(fraction: Decimal | None, places: int = 2) -> str:
    """A fraction shown as percent (0.125 → "12.50 %"), e.g. Binance's margin ratio."""
    if fraction is None or fraction.is_nan():
        return DASH
    return format_percent(fraction * 100, places)


def to_float(value: Decimal | None, missing: float) -> float:
    """Float for sorting/drawing only; `missing` stands in for None/NaN."""
    if value is None or value.is_nan():
        return missing
    return float(value)
