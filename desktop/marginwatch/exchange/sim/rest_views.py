"""REST response bodies in Binance's exact shapes, built from the engine's state."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marginwatch.core.position import ZERO, MarginType, PositionSide
from marginwatch.exchange.sim.engine import AccountEngine
from marginwatch.exchange.sim.market import fmt

EIGHT_HOURS_MS = 8 * 3600 * 1000


def premium_index(engine: AccountEngine, symbol: str, now: int) -> dict[str, Any]:
    spec = engine.symbols[symbol]
    places = 8
    return {
        "symbol": symbol,
        "markPrice": fmt(engine.marks[symbol], places),
        "indexPrice": fmt(engine.index_price(symbol), places),
        "estimatedSettlePrice": fmt(engine.index_price(symbol), places),
        "lastFundingRate": fmt(spec.funding_rate, 8),
        "interestRate": "0.00010000",
        "nextFundingTime": (now // EIGHT_HOURS_MS + 1) * EIGHT_HOURS_MS,
        "time": now,
    }


def mark_price_update(engine: AccountEngine, symbol: str, now: int) -> dict[str, Any]:
    spec = engine.symbols[symbol]
    places = 8
    mark = fmt(engine.marks[symbol], places)
    index = fmt(engine.index_price(symbol), places)
    return {"e": "markPriceUpdate", "E": now, "s": symbol, "p": mark, "ap": mark, "i": index, "P": index,
            "r": fmt(spec.funding_rate, 8), "T": (now // EIGHT_HOURS_MS + 1) * EIGHT_HOURS_MS}


def position_risk(engine: AccountEngine, symbol: str | None) -> list[dict[str, Any]]:
    prs = engine.position_risks()
    out: list[dict[str, Any]] = []
    for p in engine.open_positions():
        if symbol is not None and p.symbol != symbol:
            continue
        spec = engine.symbols[p.symbol]
        pr = prs[p.key]
        sign = 1 if p.amount > 0 else -1
        im = pr.notional / engine.leverage[p.symbol]
        iso = p.margin_type is MarginType.ISOLATED
        liq = pr.liquidation_price if pr.liquidation_price is not None else ZERO
        out.append({
            "symbol": p.symbol, "positionSide": p.side.value, "positionAmt": fmt(p.amount, spec.qty_precision),
            "entryPrice": fmt(p.entry_price, spec.price_precision + 1),
            "breakEvenPrice": fmt(p.entry_price, spec.price_precision + 1),
            "markPrice": fmt(engine.marks[p.symbol], spec.price_precision + 6),
            "unRealizedProfit": fmt(pr.unrealized_pnl, 8),
            "liquidationPrice": fmt(max(liq, ZERO), spec.price_precision + 6),
            "isolatedMargin": fmt(p.isolated_wallet + pr.unrealized_pnl if iso else ZERO, 8),
            "notional": fmt(pr.notional * sign, 8), "marginAsset": engine.margin_asset,
            "isolatedWallet": fmt(p.isolated_wallet, 8), "initialMargin": fmt(im, 8),
            "maintMargin": fmt(pr.maint_margin or ZERO, 8), "positionInitialMargin": fmt(im, 8),
            "openOrderInitialMargin": "0", "adl": 2, "bidNotional": "0", "askNotional": "0",
            "updateTime": p.update_time,
        })
    return out


def _totals(engine: AccountEngine) -> dict[str, Decimal]:
    risk = engine.assess()
    prs = engine.position_risks(risk)
    cross_im = sum((pr.notional / engine.leverage[k[0]] for k, pr in prs.items()
                    if not pr.position.is_isolated), ZERO)
    all_im = sum((pr.notional / engine.leverage[k[0]] for k, pr in prs.items()), ZERO)
    available = max(ZERO, risk.cross_margin_balance - cross_im)
    return {
        "im": all_im, "mm": risk.maint_margin, "wb": risk.wallet_balance, "up": risk.unrealized_pnl,
        "mb": risk.margin_balance, "cw": risk.cross_wallet_balance, "cup": risk.cross_unrealized_pnl,
        "avail": available, "maxw": min(available, risk.cross_wallet_balance),
    }


# Asset rows every account lists, held or not (Binance lists USDT, USDC and BTC even when empty).
LISTED_ASSETS = ("USDT", "USDC", "BTC")


def _asset(asset: str, now: int, *, wallet: Decimal = ZERO, cross: Decimal = ZERO, upnl: Decimal = ZERO,
           mm: Decimal = ZERO, im: Decimal = ZERO, cross_upnl: Decimal = ZERO, available: Decimal = ZERO,
           max_withdraw: Decimal = ZERO) -> dict[str, Any]:
    return {"asset": asset, "walletBalance": fmt(wallet, 8), "unrealizedProfit": fmt(upnl, 8),
            "marginBalance": fmt(wallet + upnl, 8), "maintMargin": fmt(mm, 8), "initialMargin": fmt(im, 8),
            "positionInitialMargin": fmt(im, 8), "openOrderInitialMargin": "0.00000000",
            "crossWalletBalance": fmt(cross, 8), "crossUnPnl": fmt(cross_upnl, 8),
            "availableBalance": fmt(available, 8), "maxWithdrawAmount": fmt(max_withdraw, 8), "updateTime": now}


def _asset_rows(engine: AccountEngine, now: int) -> list[dict[str, Any]]:
    """The margin asset's row (the positions' figures, its own balances) and each collateral asset's.
    `availableBalance` is the account's available USD in each asset's units, as Binance gives it in
    multi-assets mode; balances are each asset's own units."""
    t = _totals(engine)
    own = engine.cross_wallet
    rows = [_asset(engine.margin_asset, now, wallet=engine.wallet_balance, cross=own, upnl=t["up"], mm=t["mm"],
                   im=t["im"], cross_upnl=t["cup"], available=t["avail"], max_withdraw=min(t["avail"], own))]
    for c in engine.collateral.values():
        available = t["avail"] / c.usd_price
        rows.append(_asset(c.asset, now, wallet=c.amount, cross=c.amount, available=available,
                           max_withdraw=min(available, c.amount)))
    listed = {r["asset"] for r in rows}
    return rows + [_asset(a, now) for a in LISTED_ASSETS if a not in listed]


def account_v3(engine: AccountEngine, now: int) -> dict[str, Any]:
    t = _totals(engine)
    prs = engine.position_risks()
    s = {k: fmt(v, 8) for k, v in t.items()}
    positions = []
    for p in engine.open_positions():
        spec = engine.symbols[p.symbol]
        pr = prs[p.key]
        sign = 1 if p.amount > 0 else -1
        iso = p.margin_type is MarginType.ISOLATED
        im = pr.notional / engine.leverage[p.symbol]
        positions.append({
            "symbol": p.symbol, "positionSide": p.side.value, "positionAmt": fmt(p.amount, spec.qty_precision),
            "unrealizedProfit": fmt(pr.unrealized_pnl, 8),
            "isolatedMargin": fmt(p.isolated_wallet + pr.unrealized_pnl if iso else ZERO, 8),
            "notional": fmt(pr.notional * sign, 8), "isolatedWallet": fmt(p.isolated_wallet, 8),
            "initialMargin": fmt(im, 8), "maintMargin": fmt(pr.maint_margin or ZERO, 8),
            "updateTime": p.update_time,
        })
    return {
        "totalInitialMargin": s["im"], "totalMaintMargin": s["mm"], "totalWalletBalance": s["wb"],
        "totalUnrealizedProfit": s["up"], "totalMarginBalance": s["mb"], "totalPositionInitialMargin": s["im"],
        "totalOpenOrderInitialMargin": "0.00000000", "totalCrossWalletBalance": s["cw"],
        "totalCrossUnPnl": s["cup"], "availableBalance": s["avail"], "maxWithdrawAmount": s["maxw"],
        "assets": _asset_rows(engine, now),
        "positions": positions,
    }


def balance_v3(engine: AccountEngine, now: int) -> list[dict[str, Any]]:
    return [{"accountAlias": "SgsR", "asset": a["asset"], "balance": a["walletBalance"],
             "crossWalletBalance": a["crossWalletBalance"], "crossUnPnl": a["crossUnPnl"],
             "availableBalance": a["availableBalance"], "maxWithdrawAmount": a["maxWithdrawAmount"],
             "marginAvailable": True, "updateTime": now} for a in _asset_rows(engine, now)]


def symbol_config(engine: AccountEngine, symbol: str | None) -> list[dict[str, Any]]:
    out = []
    for sym in engine.symbols:
        if symbol is not None and sym != symbol:
            continue
        out.append({"symbol": sym,
                    "marginType": "ISOLATED" if engine.margin_type[sym] is MarginType.ISOLATED else "CROSSED",
                    "isAutoAddMargin": False, "leverage": engine.leverage[sym],
                    "maxNotionalValue": fmt(_max_notional(engine, sym), 0)})
    return out


def account_config(engine: AccountEngine) -> dict[str, Any]:
    return {"feeTier": 0, "canTrade": True, "canDeposit": True, "canWithdraw": True,
            "dualSidePosition": engine.dual_side_position, "updateTime": 0,
            "multiAssetsMargin": engine.multi_assets_margin,
            "tradeGroupId": -1}


def api_restrictions(now: int) -> dict[str, Any]:
    """The demo key is read-only: reading enabled, no trading, no withdrawals."""
    return {"ipRestrict": False, "createTime": now - 86_400_000, "enableReading": True,
            "enableWithdrawals": False, "enableInternalTransfer": False, "enableMargin": False,
            "enableFutures": False, "permitsUniversalTransfer": False, "enableVanillaOptions": False,
            "enableFixApiTrade": False, "enableFixReadOnly": True, "enableSpotAndMarginTrading": False,
            "enablePortfolioMarginTrading": False}


# ----- v2 and other bodies that third-party clients ask for ---------------------------------------

def _max_notional(engine: AccountEngine, symbol: str) -> Decimal:
    """The largest notional the symbol's leverage allows: the cap of its last bracket still open to it."""
    lev = engine.leverage[symbol]
    return max((b.cap for b in engine.brackets[symbol].brackets if b.initial_leverage >= lev), default=ZERO)


def _legs(engine: AccountEngine) -> list[tuple[str, PositionSide]]:
    """Every (symbol, side) v2 reports, open or not: LONG and SHORT in hedge mode, BOTH in one-way."""
    sides = (PositionSide.LONG, PositionSide.SHORT) if engine.dual_side_position else (PositionSide.BOTH,)
    return [(sym, side) for sym in engine.symbols for side in sides]


def position_risk_v2(engine: AccountEngine, symbol: str | None) -> list[dict[str, Any]]:
    """v2 lists every symbol (flat legs as zeros) and carries leverage and margin type, unlike v3."""
    prs = engine.position_risks()
    out: list[dict[str, Any]] = []
    for sym, side in _legs(engine):
        if symbol is not None and sym != symbol:
            continue
        spec = engine.symbols[sym]
        p = engine.positions.get((sym, side))
        pr = prs.get((sym, side)) if p is not None and p.amount != 0 else None
        iso = engine.margin_type[sym] is MarginType.ISOLATED
        base = {"symbol": sym, "positionSide": side.value, "marginType": "isolated" if iso else "cross",
                "isAutoAddMargin": "false", "leverage": str(engine.leverage[sym]),
                "maxNotionalValue": fmt(_max_notional(engine, sym), 0),
                "markPrice": fmt(engine.marks[sym], spec.price_precision + 6)}
        if p is None or pr is None:
            out.append({**base, "positionAmt": fmt(ZERO, spec.qty_precision), "entryPrice": "0.0",
                        "breakEvenPrice": "0.0", "unRealizedProfit": "0.00000000", "liquidationPrice": "0",
                        "isolatedMargin": "0.00000000", "notional": "0", "isolatedWallet": "0", "updateTime": 0})
            continue
        sign = 1 if p.amount > 0 else -1
        liq = pr.liquidation_price if pr.liquidation_price is not None else ZERO
        out.append({
            **base, "positionAmt": fmt(p.amount, spec.qty_precision),
            "entryPrice": fmt(p.entry_price, spec.price_precision + 1),
            "breakEvenPrice": fmt(p.entry_price, spec.price_precision + 1),
            "unRealizedProfit": fmt(pr.unrealized_pnl, 8),
            "liquidationPrice": fmt(max(liq, ZERO), spec.price_precision + 6),
            "isolatedMargin": fmt(p.isolated_wallet + pr.unrealized_pnl if iso else ZERO, 8),
            "notional": fmt(pr.notional * sign, 8), "isolatedWallet": fmt(p.isolated_wallet, 8),
            "updateTime": p.update_time,
        })
    return out


def account_v2(engine: AccountEngine, now: int) -> dict[str, Any]:
    """v2: v3's totals and assets plus the account flags, and a position row for every symbol."""
    v3 = account_v3(engine, now)
    prs = engine.position_risks()
    positions = []
    for sym, side in _legs(engine):
        spec = engine.symbols[sym]
        p = engine.positions.get((sym, side))
        pr = prs.get((sym, side)) if p is not None and p.amount != 0 else None
        row: dict[str, Any] = {
            "symbol": sym, "initialMargin": "0", "maintMargin": "0", "unrealizedProfit": "0.00000000",
            "positionInitialMargin": "0", "openOrderInitialMargin": "0", "leverage": str(engine.leverage[sym]),
            "isolated": engine.margin_type[sym] is MarginType.ISOLATED, "entryPrice": "0.0",
            "breakEvenPrice": "0.0", "maxNotional": fmt(_max_notional(engine, sym), 0), "bidNotional": "0",
            "askNotional": "0", "positionSide": side.value, "positionAmt": fmt(ZERO, spec.qty_precision),
            "updateTime": 0,
        }
        if p is not None and pr is not None:
            im = fmt(pr.notional / engine.leverage[sym], 8)
            row.update({"initialMargin": im, "maintMargin": fmt(pr.maint_margin or ZERO, 8),
                        "unrealizedProfit": fmt(pr.unrealized_pnl, 8), "positionInitialMargin": im,
                        "entryPrice": fmt(p.entry_price, spec.price_precision + 1),
                        "breakEvenPrice": fmt(p.entry_price, spec.price_precision + 1),
                        "positionAmt": fmt(p.amount, spec.qty_precision), "updateTime": p.update_time})
        positions.append(row)
    flags = {"feeTier": 0, "feeBurn": False, "canTrade": True, "canDeposit": True, "canWithdraw": True,
             "updateTime": 0, "multiAssetsMargin": engine.multi_assets_margin, "tradeGroupId": -1}
    assets = [{**a, "marginAvailable": True} for a in v3["assets"]]
    totals = {k: v for k, v in v3.items() if k not in ("assets", "positions")}
    return {**flags, **totals, "assets": assets, "positions": positions}


def position_mode(engine: AccountEngine) -> dict[str, Any]:
    return {"dualSidePosition": engine.dual_side_position}


FUNDING_LIMIT_DEFAULT = 100
FUNDING_LIMIT_MAX = 1000
# The simulated market opened at exchangeInfo's onboardDate; there is no funding before it.
FUNDING_EPOCH_MS = 1569398400000


def funding_rate_history(engine: AccountEngine, symbol: str | None, start: int | None, end: int | None,
                         limit: int, now: int) -> list[dict[str, Any]]:
    """Settlements every 8 h at each symbol's funding rate, ascending. From `start` when given (the first
    `limit` from there), else the latest `limit` up to `end` (or now): Binance's paging rule."""
    hi = min(end if end is not None else now, now)
    lo = max(start if start is not None else FUNDING_EPOCH_MS, FUNDING_EPOCH_MS)
    if hi < lo:
        return []
    first = -(-lo // EIGHT_HOURS_MS)  # the first settlement at or after lo
    last = hi // EIGHT_HOURS_MS
    symbols = [symbol] if symbol is not None else list(engine.symbols)
    # Only the slots that can make the page: at most `limit` from the chosen end.
    slots = range(first, min(last, first + limit - 1) + 1) if start is not None \
        else range(max(first, last - limit + 1), last + 1)
    rows = [(slot * EIGHT_HOURS_MS, sym) for slot in slots for sym in symbols]
    rows = rows[:limit] if start is not None else rows[-limit:]
    return [{"symbol": sym, "fundingRate": fmt(engine.symbols[sym].funding_rate, 8), "fundingTime": t,
             "markPrice": fmt(engine.symbols[sym].base_price, 8)} for t, sym in rows]


def adl_bucket(upnl: Decimal, margin: Decimal, notional: Decimal) -> int:
    """A stand-in for Binance's ADL ranking: losing positions are last in line (0); a winner's rank
    is its profit on margin times its effective leverage, in buckets of 5 up to 4 (at 20x, a 3.75 %
    move in its favour puts a position first in line)."""
    if upnl <= 0 or margin <= 0:
        return 0
    score = upnl / margin * (notional / margin)
    return min(4, 1 + int(score / 5))


def adl_quantile(engine: AccountEngine, symbol: str | None) -> list[dict[str, Any]]:
    """`GET /fapi/v1/adlQuantile`: per symbol, LONG, SHORT and BOTH (HEDGE, only a sign, for a cross
    symbol held both ways in hedge mode, which then shows one value for both sides)."""
    prs = engine.position_risks()
    by_symbol: dict[str, dict[str, int]] = {}
    for p in engine.open_positions():
        if symbol is not None and p.symbol != symbol:
            continue
        pr = prs[p.key]
        margin = p.isolated_wallet if p.margin_type is MarginType.ISOLATED else pr.notional / engine.leverage[p.symbol]
        bucket = engine.adl_override.get(p.key, adl_bucket(pr.unrealized_pnl, margin, pr.notional))
        sides = by_symbol.setdefault(p.symbol, {"LONG": 0, "SHORT": 0, "BOTH": 0})
        sides[p.side.value] = bucket
    for sym, sides in by_symbol.items():
        held = [p for p in engine.open_positions() if p.symbol == sym]
        if len(held) == 2 and all(p.margin_type is MarginType.CROSS for p in held):
            shared = max(sides["LONG"], sides["SHORT"])
            by_symbol[sym] = {"LONG": shared, "SHORT": shared, "HEDGE": 0}
    return [{"symbol": sym, "adlQuantile": sides} for sym, sides in by_symbol.items()]
