"""MEXC positions at the edge of core: converted to exchange-neutral `Position`s, with MEXC's own
liquidation-price rule and its margin ratio turned the way the rest of the app reads it.

Liquidation price: MEXC's article fixes the maintenance margin at the *entry* price
(MM = entry × face × vol × MMR) and liquidates an isolated long when
margin + uPnL = MM, i.e. LP = (MM − margin + entry·size) / size (`auto_add.mexc_liquidation_price`).

Margin ratio: MEXC's `marginRatio` runs the other way from the app's (margin over position value,
lower is worse, liquidation when it falls to the MMR). The user is shown one meaning everywhere:
maintenance margin ÷ margin balance, higher is worse, 100 % is liquidation. MEXC's figure becomes
MMR ÷ marginRatio (MARGIN_RATIO_MEANING is the tooltip's wording).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from marginwatch.core.auto_add import AutoAddResult, auto_add_margin_mexc, mexc_liquidation_price
from marginwatch.core.brackets import BracketTable
from marginwatch.core.calculator import single_bracket_table
from marginwatch.core.mexc_models import MexcContract, MexcPosition, MexcRiskLimit
from marginwatch.core.position import ZERO, ContractKind, Direction, MarginType, Position, PositionSide

MAX_AUTO_ADDS = 100  # MEXC stops adding margin automatically after 100 additions
MARGIN_RATIO_MEANING = (
    "Margin ratio: maintenance margin ÷ margin balance; higher is worse, liquidation at 100 %. "
    "MEXC's own margin ratio runs the other way (lower is worse); it is shown converted."
)

# Position.extra keys the adapter fills (text, like Binance's extras)
EXTRA_MEXC_MARGIN_RATIO = "mexc_margin_ratio"
EXTRA_AUTO_ADD = "auto_add_margin"
EXTRA_HOLD_FEE = "funding_paid"
EXTRA_ADL = "adl_level"
EXTRA_MMR = "mmr"
EXTRA_OWN_LIQUIDATION = "liquidation_price_mexc_rule"


def app_margin_ratio(mexc_margin_ratio: Decimal | None, mmr: Decimal | None) -> Decimal | None:
    """MEXC's marginRatio in the app's meaning (MM ÷ margin balance, 1 = liquidation); None when unknown."""
    if mexc_margin_ratio is None or mmr is None or mexc_margin_ratio <= 0:
        return None
    return mmr / mexc_margin_ratio


def size_of(pos: MexcPosition, contract: MexcContract) -> Decimal:
    """Base-coin quantity: contracts × contract size."""
    return pos.vol * contract.contract_size


def maintenance_at_entry(pos: MexcPosition, contract: MexcContract, mmr: Decimal) -> Decimal:
    return pos.hold_avg_price * size_of(pos, contract) * mmr


def liquidation_price_mexc(pos: MexcPosition, contract: MexcContract, mmr: Decimal) -> Decimal | None:
    """Our figure by MEXC's rule, for an isolated position (cross depends on the whole account: None)."""
    if not pos.isolated or pos.vol <= 0 or pos.hold_avg_price <= 0:
        return None
    side = Direction.LONG if pos.long else Direction.SHORT
    return mexc_liquidation_price(side, pos.hold_avg_price, size_of(pos, contract), pos.im,
                                  maintenance_at_entry(pos, contract, mmr), ContractKind.LINEAR)


def auto_add_preview(pos: MexcPosition, contract: MexcContract, mmr: Decimal, available: Decimal) -> AutoAddResult:
    """How much of `available` auto-add would burn, down to which prices, from the live margin."""
    return auto_add_margin_mexc("long" if pos.long else "short", pos.hold_avg_price, pos.vol,
                                contract.contract_size, max(pos.leverage, 1), mmr, available,
                                margin=pos.im if pos.im > 0 else None, max_steps=MAX_AUTO_ADDS)


def mmr_for(pos: MexcPosition, limits: Mapping[tuple[str, bool], MexcRiskLimit],
            contract: MexcContract | None) -> Decimal | None:
    """The position's MMR: its risk limit's, else the contract's base rate."""
    limit = limits.get((pos.symbol, pos.long))
    if limit is not None:
        return limit.mmr
    return contract.maintenance_margin_rate if contract is not None else None


def to_position(pos: MexcPosition, contract: MexcContract, mmr: Decimal | None, mark: Decimal | None) -> Position:
    """The exchange-neutral position; `mark` None stands in with the entry price until one arrives."""
    sign = Decimal(1) if pos.long else Decimal(-1)
    own = liquidation_price_mexc(pos, contract, mmr) if mmr is not None else None
    extra = {
        EXTRA_AUTO_ADD: "on" if pos.auto_add_im else "off",
        EXTRA_HOLD_FEE: str(pos.hold_fee),
    }
    if pos.margin_ratio is not None:
        extra[EXTRA_MEXC_MARGIN_RATIO] = str(pos.margin_ratio)
    if pos.adl_level is not None:
        extra[EXTRA_ADL] = str(pos.adl_level)
    if mmr is not None:
        extra[EXTRA_MMR] = str(mmr)
    if own is not None:
        extra[EXTRA_OWN_LIQUIDATION] = str(own)
    return Position(
        symbol=pos.symbol,
        position_side=PositionSide.LONG if pos.long else PositionSide.SHORT,
        amount=sign * pos.vol,
        entry_price=pos.hold_avg_price,
        mark_price=mark if mark is not None else pos.hold_avg_price,
        margin_type=MarginType.ISOLATED if pos.isolated else MarginType.CROSS,
        isolated_wallet=pos.im if pos.isolated else ZERO,
        contract=ContractKind.LINEAR,
        contract_size=contract.contract_size,
        leverage=max(pos.leverage, 1),
        exchange_liquidation_price=pos.liquidate_price,
        maint_at_entry=True,
        extra=extra,
    )


def bracket_tables(limits: Mapping[tuple[str, bool], MexcRiskLimit],
                   contracts: Mapping[str, MexcContract]) -> dict[str, BracketTable]:
    """One-bracket tables from each symbol's current risk-limit MMR (the larger side's when both
    sides differ: core keys tables by symbol), else the contract's base rate."""
    rates: dict[str, Decimal] = {}
    for (symbol, _long), limit in limits.items():
        rates[symbol] = max(rates.get(symbol, limit.mmr), limit.mmr)
    for symbol, c in contracts.items():
        if symbol not in rates and c.maintenance_margin_rate is not None and 0 <= c.maintenance_margin_rate < 1:
            rates[symbol] = c.maintenance_margin_rate
    return {s: single_bracket_table(r, symbol=s) for s, r in rates.items()}
