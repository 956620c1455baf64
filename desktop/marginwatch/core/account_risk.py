"""Whole-account risk: every position's figures plus the cross account's margin ratio.

The cross account is taken as single-asset (USDT): every cross position's MM and uPnL count
against `cross_wallet_balance`. A cross position's liquidation price uses the cross wallet as WB
and the MM and uPnL of all *other* cross symbols (at their marks) as TMM1/UPNL1; hedge-mode LONG
and SHORT legs of one cross symbol are solved together and share one price. An isolated position
uses only its own isolated wallet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from marginwatch.core import risk
from marginwatch.core.brackets import BracketTable
from marginwatch.core.position import ZERO, Position


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
    fallback = fallback or {}
    open_positions = [p for p in positions if p.amount != 0]
    tables: list[BracketTable | None] = []
    upnls: list[Decimal] = []
    notionals: list[Decimal] = []
    mms: list[Decimal | None] = []
    for p in open_positions:
        table = brackets.get(p.symbol) or fallback.get(p.symbol)
        n = risk.notional(p)
        tables.append(table)
        notionals.append(n)
        upnls.append(risk.unrealized_pnl(p))
        mms.append(None if table is None else risk.maintenance_margin(n, table))

    cross_mm = ZERO
    cross_upnl = ZERO
    isolated_wallet = ZERO
    total_upnl = ZERO
    total_mm = ZERO
    # Per cross symbol: (MM, uPnL, leg indexes) so each symbol can exclude itself.
    groups: dict[str, tuple[Decimal, Decimal, list[int]]] = {}
    for i, p in enumerate(open_positions):
        mm = mms[i]
        total_upnl += upnls[i]
        if mm is not None:
            total_mm += mm
        if p.is_isolated:
            isolated_wallet += p.isolated_wallet
            continue
        cross_upnl += upnls[i]
        if mm is not None:
            cross_mm += mm
        g_mm, g_upnl, idx = groups.get(p.symbol, (ZERO, ZERO, []))
        idx.append(i)
        groups[p.symbol] = (g_mm + (mm or ZERO), g_upnl + upnls[i], idx)

    cross_balance = cross_wallet_balance + cross_upnl
    cross_ratio = risk.margin_ratio(cross_mm, cross_balance)

    liqs: list[Decimal | None] = [None] * len(open_positions)
    for g_mm, g_upnl, idx in groups.values():
        table = tables[idx[0]]
        if table is None:
            continue
        legs = [open_positions[i] for i in idx]
        liq = risk.liquidation_price(legs, cross_wallet_balance, table, cross_mm - g_mm, cross_upnl - g_upnl)
        for i in idx:
            liqs[i] = liq

    out: list[PositionRisk] = []
    for i, p in enumerate(open_positions):
        mm = mms[i]
        table = tables[i]
        ratio: Decimal | None
        if p.is_isolated:
            liq = None
            ratio = None
            if table is not None and mm is not None:
                liq = risk.liquidation_price([p], p.isolated_wallet, table)
                ratio = risk.margin_ratio(mm, p.isolated_wallet + upnls[i])
        else:
            liq = liqs[i]
            ratio = cross_ratio if mm is not None else None
        out.append(
            PositionRisk(
                position=p,
                notional=notionals[i],
                unrealized_pnl=upnls[i],
                maint_margin=mm,
                margin_ratio=ratio,
                liquidation_price=liq,
                distance_pct=risk.distance_to_liquidation(p.mark_price, liq),
            )
        )

    wallet = cross_wallet_balance + isolated_wallet
    return AccountRisk(
        cross_wallet_balance=cross_wallet_balance,
        wallet_balance=wallet,
        cross_unrealized_pnl=cross_upnl,
        unrealized_pnl=total_upnl,
        cross_margin_balance=cross_balance,
        margin_balance=wallet + total_upnl,
        cross_maint_margin=cross_mm,
        maint_margin=total_mm,
        margin_ratio=cross_ratio,
        positions=tuple(out),
    )
