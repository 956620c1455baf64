"""Auto-add margin: each time the mark reaches the liquidation price, move a fixed amount from the
available balance into the isolated position's margin, then recompute the liquidation price;
stop when the available margin is spent (the last addition may be smaller).

Amount per trigger (MEXC's rule):
  linear:  entry × face × qty × MMR          (quote)
  inverse: face × qty × MMR / entry          (coin)

Two conventions for the liquidation price after each addition:
- `auto_add_margin_mexc`: MEXC's worked example. Maintenance margin is fixed at the *entry* price
  (MM = the amount above), isolated margin starts at entry × qty × face / leverage and
    long  LP = (MM − margin + entry·qty·face) / (qty·face)
    short LP = (margin − MM + entry·qty·face) / (qty·face)
  inverse (from margin + uPnL(LP) = MM):
    long  LP = qty·face / (qty·face/entry + margin − MM)
    short LP = qty·face / (qty·face/entry − margin + MM)
- `auto_add_margin_binance`: Binance's definition, margin balance = maintenance margin *at the
  liquidation price* with that price's bracket (risk.liquidation_price on an isolated position).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from marginwatch.core import risk
from marginwatch.core.brackets import BracketTable
from marginwatch.core.calculator import (
    Number,
    check_leverage,
    initial_margin,
    single_bracket_table,
    to_contract,
    to_decimal,
    to_direction,
    to_leverage,
)
from marginwatch.core.errors import InvalidInputError
from marginwatch.core.position import ZERO, ContractKind, Direction, MarginType, Position, PositionSide

MAX_STEPS = 10_000  # each step is a table row; past this the answer is "it never runs out"
_ROUNDING = Decimal("1e-24")  # relative size under which a sum of opposite terms is zero


class AutoAddConvention(StrEnum):
    MEXC = "mexc"
    BINANCE = "binance"


@dataclass(frozen=True, slots=True)
class AutoAddStep:
    trigger_price: Decimal  # the liquidation price that fired this addition
    added: Decimal
    margin_after: Decimal
    liquidation_price: Decimal | None  # after the addition; None: no longer liquidatable
    available_after: Decimal


@dataclass(frozen=True, slots=True)
class AutoAddResult:
    convention: AutoAddConvention
    add_per_trigger: Decimal
    initial_margin: Decimal
    initial_liquidation_price: Decimal | None
    steps: tuple[AutoAddStep, ...]
    truncated: bool  # max_steps reached before the available margin was spent


def add_per_trigger(entry: Decimal, size: Decimal, mmr: Decimal, contract: ContractKind) -> Decimal:
    """MEXC's amount per automatic addition; `size` = qty × face."""
    if contract is ContractKind.INVERSE:
        return size * mmr / entry
    return entry * size * mmr


def mexc_liquidation_price(
    side: Direction, entry: Decimal, size: Decimal, margin: Decimal, maint: Decimal, contract: ContractKind
) -> Decimal | None:
    """MEXC-style liquidation price with maintenance margin fixed at entry (see module doc)."""
    s = side.sign
    if contract is ContractKind.INVERSE:
        # Zero or negative: margin covers every move, no liquidation price.
        denominator = _zero_if_rounding(size / entry + s * (margin - maint), size / entry + abs(margin) + abs(maint))
        return size / denominator if denominator > 0 else None
    numerator = _zero_if_rounding(s * (maint - margin) + entry * size, entry * size + abs(margin) + abs(maint))
    return numerator / size if numerator > 0 else None


def _zero_if_rounding(value: Decimal, scale: Decimal) -> Decimal:
    # Margin built from divisions by the entry rounds in the 28th digit: a sum that is exactly zero
    # comes out as ±1E-28 and would read as a price of 1E+32 (or 1E-25) and another addition.
    return ZERO if abs(value) <= scale * _ROUNDING else value


def _run(
    convention: AutoAddConvention,
    per_step: Decimal,
    margin: Decimal,
    available: Decimal,
    liq_for: Callable[[Decimal], Decimal | None],
    max_steps: int,
) -> AutoAddResult:
    first = liq_for(margin)
    liq = first
    steps: list[AutoAddStep] = []
    # A position that cannot be liquidated never triggers; an amount of zero would never end.
    while liq is not None and available > 0 and per_step > 0 and len(steps) < max_steps:
        added = min(per_step, available)
        margin += added
        available -= added
        new_liq = liq_for(margin)
        steps.append(AutoAddStep(liq, added, margin, new_liq, available))
        liq = new_liq
    truncated = len(steps) >= max_steps and liq is not None and available > 0
    return AutoAddResult(convention, per_step, margin - sum((s.added for s in steps), ZERO), first,
                         tuple(steps), truncated)  # fmt: skip


def _common(
    side: Direction | str, entry: Number, qty: Number, face: Number, leverage: Number,
    available: Number, contract: ContractKind | str, margin: Number | None, max_steps: int,
) -> tuple[Direction, ContractKind, Decimal, Decimal, Decimal, int, Decimal, Decimal]:  # fmt: skip
    d = to_direction(side)
    kind = to_contract(contract)
    e = to_decimal("entry", entry, positive=True)
    q = to_decimal("qty", qty, positive=True)
    f = to_decimal("face", face, positive=True)
    lev = to_leverage(leverage)
    avail = to_decimal("available", available, non_negative=True)
    if not 1 <= max_steps <= MAX_STEPS:
        raise InvalidInputError("max_steps", f"must be between 1 and {MAX_STEPS}")
    m = initial_margin(e, q * f, lev, kind) if margin is None else to_decimal("margin", margin, positive=True)
    return d, kind, e, q, f, lev, avail, m


def auto_add_margin_mexc(
    side: Direction | str,
    entry: Number,
    qty: Number,
    face: Number,
    leverage: Number,
    mmr: Number,
    available: Number,
    contract: ContractKind | str = ContractKind.LINEAR,
    margin: Number | None = None,
    max_steps: int = 1000,
) -> AutoAddResult:
    """MEXC's convention (maintenance margin at the entry price); `qty` in contracts of `face`."""
    d, kind, e, q, f, _lev, avail, m = _common(side, entry, qty, face, leverage, available, contract, margin,
                                               max_steps)  # fmt: skip
    rate = to_decimal("mmr", mmr, non_negative=True)
    per_step = add_per_trigger(e, q * f, rate, kind)
    maint = per_step  # MM at entry equals the per-trigger amount by construction
    return _run(AutoAddConvention.MEXC, per_step, m, avail,
                lambda mg: mexc_liquidation_price(d, e, q * f, mg, maint, kind), max_steps)  # fmt: skip


def auto_add_margin_binance(
    side: Direction | str,
    entry: Number,
    qty: Number,
    face: Number,
    leverage: Number,
    available: Number,
    *,
    mmr: Number | None = None,
    cum: Number = 0,
    brackets: BracketTable | None = None,
    contract: ContractKind | str = ContractKind.LINEAR,
    margin: Number | None = None,
    max_steps: int = 1000,
) -> AutoAddResult:
    """Binance's convention: margin balance = maintenance margin at the liquidation price (bracket
    re-checked there). The amount per trigger uses the MMR of the bracket at the entry price."""
    d, kind, e, q, f, lev, avail, m = _common(side, entry, qty, face, leverage, available, contract, margin,
                                              max_steps)  # fmt: skip
    if brackets is not None and mmr is not None:
        raise InvalidInputError("brackets", "give either brackets or mmr/cum, not both")
    if brackets is None and mmr is None:
        raise InvalidInputError("brackets", "give a bracket table (or symbol) or a maintenance margin rate")
    table = brackets if brackets is not None else single_bracket_table(mmr if mmr is not None else 0, cum)
    entry_notional = q * f / e if kind is ContractKind.INVERSE else q * f * e
    bracket = check_leverage(table, entry_notional, lev) if brackets is not None else table.brackets[0]
    per_step = add_per_trigger(e, q * f, bracket.maint_margin_ratio, kind)

    def liq_for(mg: Decimal) -> Decimal | None:
        pos = Position(
            symbol=table.symbol,
            position_side=PositionSide.BOTH,
            amount=d.sign * q,
            entry_price=e,
            mark_price=e,
            margin_type=MarginType.ISOLATED,
            isolated_wallet=mg,
            contract=kind,
            contract_size=f,
            leverage=lev,
        )
        return risk.liquidation_price([pos], mg, table)

    return _run(AutoAddConvention.BINANCE, per_step, m, avail, liq_for, max_steps)
