"""Binance's futures calculator tabs as pure functions: PnL, target price, liquidation price,
max open quantity and average open price. Linear (USDⓈ-M) and inverse (COIN-M).

Inputs are plain numbers (Decimal, int or numeric str; floats go through str()); results are
small frozen dataclasses of Decimals. `qty` counts contracts of `face` (contract size): for
linear contracts that is base quantity × face (face 1 on Binance USDⓈ-M), for inverse ones face
is the USD value of one contract. Bad input raises the typed errors in core.errors; fees and
funding are ignored, as on Binance's calculator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from marginwatch.core import risk
from marginwatch.core.brackets import Bracket, BracketTable
from marginwatch.core.errors import InvalidInputError, LeverageTooHighError, NoBracketsError
from marginwatch.core.position import ONE, ZERO, ContractKind, Direction, MarginType, Position, PositionSide

Number = Decimal | int | float | str
HUNDRED = Decimal(100)
# Inputs past these are typos, and results from them would be huge to compute and to print.
MAX_INPUT = Decimal("1e15")
MIN_INPUT = Decimal("1e-18")
MAX_INPUT_DIGITS = 60  # room for a computed 28-digit figure fed back in


def input_problem(d: Decimal) -> str | None:
    """Why `d` cannot be a calculator input (non-finite, too large, too small, too long), or None."""
    if not d.is_finite():
        return "must be finite"
    if d == 0:
        return None
    # adjusted() is exact; abs() or a comparison would round, and overflow on 1e999999999.
    if d.adjusted() >= MAX_INPUT.adjusted():
        return "too large (must be below 1E+15 in magnitude)"
    if d.adjusted() < MIN_INPUT.adjusted():
        return "too small (must be 0 or at least 1E-18 in magnitude)"
    if len(d.as_tuple().digits) > MAX_INPUT_DIGITS:
        return f"too long (at most {MAX_INPUT_DIGITS} digits)"
    return None


def to_decimal(name: str, value: Number, *, positive: bool = False, non_negative: bool = False) -> Decimal:
    """`value` as a finite Decimal, or InvalidInputError naming `name`."""
    if isinstance(value, bool):
        raise InvalidInputError(name, "must be a number")
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInputError(name, f"not a number: {value!r}") from None
    problem = input_problem(d)
    if problem:
        raise InvalidInputError(name, problem)
    if positive and not d > 0:
        raise InvalidInputError(name, f"must be > 0, got {d}")
    if non_negative and d < 0:
        raise InvalidInputError(name, f"must be >= 0, got {d}")
    return d


def to_leverage(value: Number) -> int:
    """A whole leverage >= 1 (Binance allows only integers)."""
    d = to_decimal("leverage", value, positive=True)
    if d != d.to_integral_value() or d < 1:
        raise InvalidInputError("leverage", f"must be a whole number >= 1, got {d}")
    return int(d)


def to_direction(value: Direction | str) -> Direction:
    try:
        return value if isinstance(value, Direction) else Direction(str(value).strip().lower())
    except ValueError:
        raise InvalidInputError("side", f"must be long or short, got {value!r}") from None


def to_contract(value: ContractKind | str) -> ContractKind:
    try:
        return value if isinstance(value, ContractKind) else ContractKind(str(value).strip().lower())
    except ValueError:
        raise InvalidInputError("contract", f"must be linear or inverse, got {value!r}") from None


def initial_margin(entry: Decimal, size: Decimal, leverage: int, contract: ContractKind) -> Decimal:
    """Entry notional / leverage; `size` = qty × face. Quote units (linear) or coin (inverse)."""
    value = size / entry if contract is ContractKind.INVERSE else size * entry
    return value / leverage


# --- PnL ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PnlResult:
    initial_margin: Decimal
    pnl: Decimal
    roe_pct: Decimal


def pnl(
    side: Direction | str,
    entry: Number,
    exit_price: Number,
    qty: Number,
    leverage: Number,
    contract: ContractKind | str = ContractKind.LINEAR,
    face: Number = 1,
) -> PnlResult:
    """PnL, ROE % (PnL / initial margin) and initial margin of a round trip."""
    d = to_direction(side)
    kind = to_contract(contract)
    e = to_decimal("entry", entry, positive=True)
    x = to_decimal("exit", exit_price, positive=True)
    size = to_decimal("qty", qty, positive=True) * to_decimal("face", face, positive=True)
    lev = to_leverage(leverage)
    im = initial_margin(e, size, lev, kind)
    if kind is ContractKind.INVERSE:
        profit = d.sign * size * (ONE / e - ONE / x)
    else:
        profit = d.sign * size * (x - e)
    return PnlResult(initial_margin=im, pnl=profit, roe_pct=profit / im * HUNDRED)


# --- Target price ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TargetResult:
    target_price: Decimal


def target_price(
    side: Direction | str,
    entry: Number,
    roe_pct: Number,
    leverage: Number,
    contract: ContractKind | str = ContractKind.LINEAR,
) -> TargetResult:
    """The exit price that yields `roe_pct` (may be negative: a loss) at this leverage."""
    d = to_direction(side)
    kind = to_contract(contract)
    e = to_decimal("entry", entry, positive=True)
    r = to_decimal("roe", roe_pct) / HUNDRED / to_leverage(leverage)  # price move as a fraction
    if kind is ContractKind.INVERSE:
        # sign·(1/e − 1/x) = r/e  →  x = e / (1 − sign·r)
        denominator = ONE - d.sign * r
        target = e / denominator if denominator > 0 else None
    else:
        target = e * (ONE + d.sign * r)
    if target is None or target <= 0:
        raise InvalidInputError("roe", f"{roe_pct}% cannot be reached at this leverage (price would be <= 0)")
    return TargetResult(target_price=target)


# --- Liquidation price ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LiquidationResult:
    liquidation_price: Decimal | None  # None: no liquidation (Binance shows "--")
    wallet_balance: Decimal
    initial_margin: Decimal
    maint_margin_ratio: Decimal  # of the bracket at the liquidation price (at entry when None)
    maint_amount: Decimal
    distance_pct: Decimal | None  # from the entry price


def single_bracket_table(mmr: Number, cum: Number = 0, symbol: str = "CUSTOM") -> BracketTable:
    """A one-bracket table for a fixed maintenance margin rate and amount."""
    rate = to_decimal("mmr", mmr, non_negative=True)
    if rate >= 1:
        raise InvalidInputError("mmr", f"must be below 1 (a fraction, 0.004 = 0.4 %), got {rate}")
    amount = to_decimal("cum", cum, non_negative=True)
    return BracketTable(symbol, (Bracket(1, 1_000_000, ZERO, Decimal("Infinity"), rate, amount),))


def check_leverage(table: BracketTable, notional_value: Decimal, leverage: int) -> Bracket:
    """The bracket at this notional; LeverageTooHighError when it allows less than `leverage`."""
    bracket = table.for_notional(notional_value)
    if leverage > bracket.initial_leverage:
        raise LeverageTooHighError(leverage, bracket.initial_leverage)
    return bracket


def liquidation(
    side: Direction | str,
    entry: Number,
    qty: Number,
    leverage: Number,
    *,
    margin_type: MarginType | str = MarginType.ISOLATED,
    wallet: Number | None = None,
    brackets: BracketTable | None = None,
    mmr: Number | None = None,
    cum: Number = 0,
    other_maint: Number = 0,
    other_upnl: Number = 0,
    hedge: bool = False,
    contract: ContractKind | str = ContractKind.LINEAR,
    face: Number = 1,
) -> LiquidationResult:
    """Liquidation price of one position opened at `entry`, via risk.liquidation_price.

    Isolated: `wallet` is the isolated margin, by default the initial margin. Cross: `wallet` is
    the cross wallet balance (required) and other_* the MM and uPnL of the other cross positions.
    `brackets` (checked against the leverage) or a fixed `mmr` + `cum`.
    """
    d = to_direction(side)
    kind = to_contract(contract)
    try:
        mtype = margin_type if isinstance(margin_type, MarginType) else MarginType.parse(margin_type)
    except ValueError:
        raise InvalidInputError("mode", f"must be isolated or cross, got {margin_type!r}") from None
    e = to_decimal("entry", entry, positive=True)
    q = to_decimal("qty", qty, positive=True)
    f = to_decimal("face", face, positive=True)
    lev = to_leverage(leverage)
    om = to_decimal("other_maint", other_maint, non_negative=True)
    ou = to_decimal("other_upnl", other_upnl)
    im = initial_margin(e, q * f, lev, kind)
    if brackets is not None and mmr is not None:
        raise InvalidInputError("brackets", "give either brackets or mmr/cum, not both")
    if brackets is not None:
        if not brackets.brackets:
            raise NoBracketsError(brackets.symbol)
        table = brackets
        entry_notional = q * f / e if kind is ContractKind.INVERSE else q * f * e
        check_leverage(table, entry_notional, lev)
    elif mmr is not None:
        table = single_bracket_table(mmr, cum)
    else:
        raise InvalidInputError("brackets", "give a bracket table (or symbol) or a maintenance margin rate")
    if mtype is MarginType.ISOLATED:
        if om or ou:
            raise InvalidInputError("other_maint", "other positions do not count in isolated mode")
        wb = im if wallet is None else to_decimal("wallet", wallet, non_negative=True)
    else:
        if wallet is None:
            raise InvalidInputError("wallet", "cross mode needs the cross wallet balance")
        wb = to_decimal("wallet", wallet, non_negative=True)
    if hedge:
        pside = PositionSide.LONG if d is Direction.LONG else PositionSide.SHORT
    else:
        pside = PositionSide.BOTH
    pos = Position(
        symbol=table.symbol,
        position_side=pside,
        amount=d.sign * q,
        entry_price=e,
        mark_price=e,
        margin_type=mtype,
        isolated_wallet=wb if mtype is MarginType.ISOLATED else ZERO,
        contract=kind,
        contract_size=f,
        leverage=lev,
    )
    liq = risk.liquidation_price([pos], wb, table, om, ou)
    bracket = table.for_notional(risk.notional(pos, liq))
    return LiquidationResult(
        liquidation_price=liq,
        wallet_balance=wb,
        initial_margin=im,
        maint_margin_ratio=bracket.maint_margin_ratio,
        maint_amount=bracket.cum,
        distance_pct=risk.distance_to_liquidation(e, liq),
    )


# --- Max open -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MaxOpenResult:
    max_qty: Decimal  # contracts of `face` (base quantity for linear with face 1)
    max_notional: Decimal  # quote (linear) or coin (inverse)
    bracket_cap: Decimal  # the largest notional this leverage allows


def max_open(
    balance: Number,
    leverage: Number,
    price: Number,
    brackets: BracketTable,
    contract: ContractKind | str = ContractKind.LINEAR,
    face: Number = 1,
) -> MaxOpenResult:
    """Largest position `balance` can open at `leverage` and `price`, bounded by the brackets:
    notional ≤ min(balance × leverage, cap of the highest bracket still allowing that leverage).
    Fees and open orders are ignored."""
    kind = to_contract(contract)
    b = to_decimal("balance", balance, non_negative=True)
    lev = to_leverage(leverage)
    p = to_decimal("price", price, positive=True)
    f = to_decimal("face", face, positive=True)
    if not brackets.brackets:
        raise NoBracketsError(brackets.symbol)
    allowed = [br for br in brackets.brackets if br.initial_leverage >= lev]
    if not allowed:
        raise LeverageTooHighError(lev, max(br.initial_leverage for br in brackets.brackets))
    cap = max(br.cap for br in allowed)
    value = min(b * lev, cap)
    qty = value * p / f if kind is ContractKind.INVERSE else value / (p * f)
    return MaxOpenResult(max_qty=qty, max_notional=value, bracket_cap=cap)


# --- Average open price ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenPriceResult:
    average_price: Decimal
    total_qty: Decimal


def average_open_price(
    fills: Sequence[tuple[Number, Number]], contract: ContractKind | str = ContractKind.LINEAR
) -> OpenPriceResult:
    """Average entry of several fills (price, qty): quantity-weighted mean for linear contracts,
    harmonic mean for inverse ones (each contract is worth a fixed USD amount)."""
    kind = to_contract(contract)
    if not fills:
        raise InvalidInputError("fills", "need at least one (price, qty) fill")
    total = ZERO
    acc = ZERO
    for i, (price, qty) in enumerate(fills, start=1):
        p = to_decimal(f"fill {i} price", price, positive=True)
        q = to_decimal(f"fill {i} qty", qty, positive=True)
        total += q
        acc += q / p if kind is ContractKind.INVERSE else q * p
    avg = total / acc if kind is ContractKind.INVERSE else acc / total
    return OpenPriceResult(average_price=avg, total_qty=total)
