"""Whole-account risk: every position's figures plus the cross account's margin ratio.

The cross account is taken as single-asset (USDT): every cross position's MM and uPnL count
against `cross_wallet_balance`. A cross position's liquidation price uses the cross wallet as WB
and the MM and uPnL of all *other* cross symbols (at their marks) as TMM1/UPNL1; hedge-mode LONG
and SHORT legs of one cross symbol are solved together and share their prices: a pair can have one
below the mark and one above, and `liquidation_price` is the nearer. An isolated position uses
only its own isolated wallet.

A position whose figures cannot be computed (an impossible number, a bracket table that does not
cover it) never stops the others: it carries `risk_unavailable`, and when its own numbers are
unusable it is left out of the totals (a failed liquidation solve keeps its margin in them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from marginwatch.core import risk
from marginwatch.core.brackets import BracketTable
from marginwatch.core.errors import CoreError
from marginwatch.core.funding import FundingEstimate, estimate_funding
from marginwatch.core.position import ZERO, MarginType, Position, PositionSide

# What the maths can raise on a position it cannot use (InvalidOperation is an ArithmeticError).
_RISK_ERRORS = (CoreError, ArithmeticError)


@dataclass(frozen=True, slots=True)
class PositionRisk:
    position: Position
    notional: Decimal
    unrealized_pnl: Decimal
    maint_margin: Decimal | None  # None when no bracket table is known for the symbol
    # Isolated: the position's own ratio; cross: the cross account's ratio.
    margin_ratio: Decimal | None
    liquidation_price: Decimal | None  # the nearest to the mark of `liquidation_prices`
    distance_pct: Decimal | None
    # Every liquidation price, ascending: at most one below the mark and one above (a cross
    # hedge pair can have both).
    liquidation_prices: tuple[Decimal, ...] = ()
    # "risk unavailable: <reason>" when this position's figures could not be computed (then every
    # figure above is None or zero).
    risk_unavailable: str | None = None
    # The next funding payment at the current mark and rate (None until the stream sent a rate).
    funding: FundingEstimate | None = None


@dataclass(frozen=True, slots=True)
class UnavailableRisk:
    """A position the account's figures leave out, and why (shown next to it)."""

    symbol: str
    position_side: PositionSide | None  # None when the row naming it gave no readable side
    reason: str

    @property
    def text(self) -> str:
        return f"risk unavailable: {self.reason}"


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
    # Positions left out of the figures above (also those whose snapshot row could not be read).
    unavailable: tuple[UnavailableRisk, ...] = ()
    multi_assets: bool | None = None  # the cross wallet is the USD value of several assets


def _unusable(p: Position) -> str | None:
    """Why the maths cannot take this position, or None (checked before any arithmetic: a NaN
    raises on the first comparison, a negative entry price only deep in the solver)."""
    e, m, c, w = p.entry_price, p.mark_price, p.contract_size, p.isolated_wallet
    # Every position passes this on every recompute: no tuples, no loop, on the common path.
    if e.is_finite() and m.is_finite() and c.is_finite() and w.is_finite() and e > 0 and m > 0 and c > 0:
        if w >= 0 or not p.is_isolated:
            return None
    for name, value in (("amount", p.amount), ("entry price", p.entry_price), ("mark price", p.mark_price),
                        ("isolated wallet", p.isolated_wallet), ("contract size", p.contract_size)):
        if not value.is_finite():
            return f"{name} is not a number ({value})"
    if p.entry_price <= 0:
        return f"entry price {p.entry_price} is not positive"
    if p.mark_price <= 0:
        return f"mark price {p.mark_price} is not positive"
    if p.contract_size <= 0:
        return f"contract size {p.contract_size} is not positive"
    if p.is_isolated and p.isolated_wallet < 0:
        return f"isolated wallet {p.isolated_wallet} is negative"
    return None


def _unavailable(p: Position, reason: str) -> PositionRisk:
    return PositionRisk(position=p, notional=ZERO, unrealized_pnl=ZERO, maint_margin=None, margin_ratio=None,
                        liquidation_price=None, distance_pct=None, risk_unavailable=f"risk unavailable: {reason}")


def assess_account(
    positions: Iterable[Position],
    cross_wallet_balance: Decimal,
    brackets: Mapping[str, BracketTable],
    fallback: Mapping[str, BracketTable] | None = None,
    *,
    unreadable: tuple[UnavailableRisk, ...] = (),
    multi_assets: bool | None = None,
) -> AccountRisk:
    """Figures for every open position and the cross account, at each position's mark price.

    Brackets come from `brackets`, else `fallback`; a symbol in neither gets None for its
    maintenance margin, ratio and liquidation price and is left out of the account totals' MM.
    A position the maths cannot take gets `risk_unavailable` and is listed in `unavailable`, after
    `unreadable` (rows the snapshot or stream could not give us); it never raises.
    """
    fallback = fallback or {}
    open_positions: list[Position] = []
    order: list[Position | PositionRisk] = []
    for p in positions:
        if not p.amount.is_finite() or p.amount == 0:
            if not p.amount.is_finite():
                order.append(_unavailable(p, f"amount is not a number ({p.amount})"))
            continue
        reason = _unusable(p)
        order.append(_unavailable(p, reason) if reason else p)
        if reason is None:
            open_positions.append(p)
    tables: list[BracketTable | None] = []
    upnls: list[Decimal] = []
    notionals: list[Decimal] = []
    mms: list[Decimal | None] = []
    failed: dict[int, str] = {}
    for i, p in enumerate(open_positions):
        table = brackets.get(p.symbol) or fallback.get(p.symbol)
        tables.append(table)
        try:
            n = risk.notional(p)
            upnl = risk.unrealized_pnl(p)
            at = risk.notional(p, p.entry_price) if p.maint_at_entry else n
            mm = None if table is None else risk.maintenance_margin(at, table)
        except _RISK_ERRORS as exc:
            failed[i] = str(exc) or type(exc).__name__
            n, upnl, mm = ZERO, ZERO, None
        notionals.append(n)
        upnls.append(upnl)
        mms.append(mm)

    cross_mm = ZERO
    cross_upnl = ZERO
    isolated_wallet = ZERO
    total_upnl = ZERO
    total_mm = ZERO
    # Per cross symbol: (MM, uPnL, leg indexes) so each symbol can exclude itself.
    groups: dict[str, tuple[Decimal, Decimal, list[int]]] = {}
    for i, p in enumerate(open_positions):
        if i in failed:
            continue
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

    liqs: list[tuple[Decimal, ...]] = [()] * len(open_positions)
    for g_mm, g_upnl, idx in groups.values():
        table = tables[idx[0]]
        if table is None:
            continue
        legs = [open_positions[i] for i in idx]
        try:
            shared = risk.liquidation_prices(legs, cross_wallet_balance, table, cross_mm - g_mm, cross_upnl - g_upnl)
        except _RISK_ERRORS as exc:
            for i in idx:
                failed[i] = str(exc) or type(exc).__name__
            continue
        for i in idx:
            liqs[i] = shared

    computed: list[PositionRisk] = []
    for i, p in enumerate(open_positions):
        mm = mms[i]
        table = tables[i]
        ratio: Decimal | None
        if i in failed:
            computed.append(_unavailable(p, failed[i]))
            continue
        prices: tuple[Decimal, ...] = ()
        if p.is_isolated:
            ratio = None
            if table is not None and mm is not None:
                try:
                    if p.maint_at_entry:
                        fixed = risk.liquidation_price_maint_at_entry(p, p.isolated_wallet, mm)
                        prices = () if fixed is None else (fixed,)
                    else:
                        prices = risk.liquidation_prices([p], p.isolated_wallet, table)
                except _RISK_ERRORS as exc:
                    computed.append(_unavailable(p, str(exc) or type(exc).__name__))
                    continue
                ratio = risk.margin_ratio(mm, p.isolated_wallet + upnls[i])
        else:
            prices = liqs[i]
            ratio = cross_ratio if mm is not None else None
        liq = risk.nearest_to(prices, risk.reference_price(p))
        computed.append(
            PositionRisk(
                position=p,
                notional=notionals[i],
                unrealized_pnl=upnls[i],
                maint_margin=mm,
                margin_ratio=ratio,
                liquidation_price=liq,
                distance_pct=risk.distance_to_liquidation(p.mark_price, liq),
                liquidation_prices=prices,
                funding=None if p.funding_rate is None else estimate_funding(
                    p, table, notional=notionals[i], liquidation_price=liq if p.is_isolated else None),
            )
        )

    fresh = iter(computed)
    out = [next(fresh) if isinstance(item, Position) else item for item in order]
    missing = [*unreadable, *(UnavailableRisk(r.position.symbol, r.position.position_side,
                                              (r.risk_unavailable or "").removeprefix("risk unavailable: "))
                              for r in out if r.risk_unavailable is not None)]
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
        unavailable=tuple(missing),
        multi_assets=multi_assets,
    )


class OtherCross(NamedTuple):
    """TMM1 and UPNL1 of Binance's cross formula for one symbol: the account's *other* cross positions."""

    maint_margin: Decimal
    unrealized_pnl: Decimal


def other_cross_totals(account: AccountRisk, position: Position) -> OtherCross:
    """Maintenance margin and uPnL of every cross position in `account` on another symbol than `position`.

    Both hedge legs of the position's own symbol are left out (they are solved together); a
    position without a bracket table adds no maintenance margin. Zeros for an isolated position,
    whose liquidation depends on its own wallet only.
    """
    maint = upnl = ZERO
    if position.margin_type is not MarginType.CROSS:
        return OtherCross(maint, upnl)
    for p in account.positions:
        if p.position.symbol != position.symbol and p.position.margin_type is MarginType.CROSS:
            maint += p.maint_margin or ZERO
            upnl += p.unrealized_pnl
    return OtherCross(maint, upnl)
