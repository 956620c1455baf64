"""COIN-M (`/dapi`) REST bodies in Binance's shapes, from one engine per margin coin.

Figures are in each engine's coin; positionRisk carries leverage and margin type (dapi has no
symbolConfig) and lists every symbol of the coin, flat ones with zero amounts, as dapi does.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from marginwatch.core.position import ZERO, MarginType
from marginwatch.exchange.sim.engine import AccountEngine
from marginwatch.exchange.sim.market import fmt
from marginwatch.exchange.sim.rest_views import premium_index as usdm_premium_index

ALIAS = "SgsR"


def position_risk(engines: Mapping[str, AccountEngine], symbol: str | None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for engine in engines.values():
        prs = engine.position_risks()
        for p in engine.positions.values():
            if symbol is not None and p.symbol != symbol:
                continue
            spec = engine.symbols[p.symbol]
            pr = prs.get(p.key)
            iso = p.margin_type is MarginType.ISOLATED
            upnl = pr.unrealized_pnl if pr is not None else ZERO
            liq = pr.liquidation_price if pr is not None and pr.liquidation_price is not None else ZERO
            sign = 1 if p.amount > 0 else -1
            out.append({
                "symbol": p.symbol, "positionAmt": fmt(p.amount, spec.qty_precision),
                "entryPrice": fmt(p.entry_price, spec.price_precision + 7),
                "breakEvenPrice": fmt(p.entry_price, spec.price_precision + 7),
                "markPrice": fmt(engine.marks[p.symbol], 8),
                "unRealizedProfit": fmt(upnl, 8),
                "liquidationPrice": fmt(max(liq, ZERO), 8),
                "leverage": str(engine.leverage[p.symbol]), "maxQty": "1000",
                "marginType": p.margin_type.value,
                "isolatedMargin": fmt(p.isolated_wallet + upnl if iso else ZERO, 8),
                "isAutoAddMargin": "false", "positionSide": p.side.value,
                "notionalValue": fmt(pr.notional * sign if pr is not None else ZERO, 8),
                "isolatedWallet": fmt(p.isolated_wallet, 8),
                "updateTime": p.update_time,
            })
    return out


def _asset_row(coin: str, engine: AccountEngine, now: int) -> dict[str, Any]:
    risk = engine.assess()
    prs = engine.position_risks(risk)
    im = sum((pr.notional / engine.leverage[k[0]] for k, pr in prs.items()), ZERO)
    cross_im = sum((pr.notional / engine.leverage[k[0]] for k, pr in prs.items() if not pr.position.is_isolated),
                   ZERO)
    available = max(ZERO, risk.cross_margin_balance - cross_im)
    return {
        "asset": coin, "walletBalance": fmt(risk.wallet_balance, 8),
        "unrealizedProfit": fmt(risk.unrealized_pnl, 8), "marginBalance": fmt(risk.margin_balance, 8),
        "maintMargin": fmt(risk.maint_margin, 8), "initialMargin": fmt(im, 8),
        "positionInitialMargin": fmt(im, 8), "openOrderInitialMargin": "0.00000000",
        "maxWithdrawAmount": fmt(min(available, risk.cross_wallet_balance), 8),
        "crossWalletBalance": fmt(risk.cross_wallet_balance, 8),
        "crossUnPnl": fmt(risk.cross_unrealized_pnl, 8), "availableBalance": fmt(available, 8),
        "updateTime": now,
    }


def account(engines: Mapping[str, AccountEngine], now: int) -> dict[str, Any]:
    positions = []
    for engine in engines.values():
        prs = engine.position_risks()
        for p in engine.positions.values():
            spec = engine.symbols[p.symbol]
            pr = prs.get(p.key)
            notional = pr.notional if pr is not None else ZERO
            im = notional / engine.leverage[p.symbol]
            positions.append({
                "symbol": p.symbol, "positionAmt": fmt(p.amount, spec.qty_precision),
                "initialMargin": fmt(im, 8), "maintMargin": fmt(pr.maint_margin or ZERO if pr else ZERO, 8),
                "unrealizedProfit": fmt(pr.unrealized_pnl if pr else ZERO, 8),
                "positionInitialMargin": fmt(im, 8), "openOrderInitialMargin": "0",
                "leverage": str(engine.leverage[p.symbol]), "isolated": p.margin_type is MarginType.ISOLATED,
                "positionSide": p.side.value, "entryPrice": fmt(p.entry_price, spec.price_precision + 7),
                "breakEvenPrice": fmt(p.entry_price, spec.price_precision + 7), "maxQty": "1000",
                "updateTime": p.update_time,
                "notionalValue": fmt(notional * (1 if p.amount > 0 else -1), 8),
            })
    return {
        "assets": [_asset_row(coin, e, now) for coin, e in engines.items()],
        "positions": positions,
        "canDeposit": True, "canTrade": True, "canWithdraw": True, "feeTier": 0, "updateTime": 0,
    }


def balance(engines: Mapping[str, AccountEngine], now: int) -> list[dict[str, Any]]:
    rows = []
    for coin, engine in engines.items():
        row = _asset_row(coin, engine, now)
        rows.append({"accountAlias": ALIAS, "asset": coin, "balance": row["walletBalance"],
                     "withdrawAvailable": row["maxWithdrawAmount"], "crossWalletBalance": row["crossWalletBalance"],
                     "crossUnPnl": row["crossUnPnl"], "availableBalance": row["availableBalance"],
                     "updateTime": now})
    return rows


def premium_index(engine: AccountEngine, symbol: str, now: int) -> dict[str, Any]:
    body = usdm_premium_index(engine, symbol, now)
    return {"symbol": symbol, "pair": symbol.split("_", 1)[0], **{k: v for k, v in body.items() if k != "symbol"}}


def leverage_brackets(engines: Mapping[str, AccountEngine], symbol: str | None) -> Any:
    entries = {s: e for engine in engines.values() for s, e in engine.bracket_entries.items()}
    return [entries[symbol]] if symbol is not None else list(entries.values())


def cross_wallet_total(engines: Mapping[str, AccountEngine]) -> dict[str, Decimal]:
    return {coin: e.cross_wallet for coin, e in engines.items()}
