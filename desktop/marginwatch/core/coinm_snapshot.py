"""COIN-M (`/dapi`) REST snapshots mapped into core positions and per-coin wallets.

COIN-M contracts are inverse: `positionAmt` counts contracts of `contractSize` USD, PnL and margin
are in the margin coin (BTC for BTCUSD_PERP), and cross margin is pooled per margin coin, not per
account. positionRisk carries leverage and margin type itself (there is no symbolConfig).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from marginwatch.core.brackets import BracketTable
from marginwatch.core.position import ContractKind, MarginType, Position
from marginwatch.core.rest_models import AccountInfo, BalanceRow, ExchangeSymbol, PositionRiskRow

__all__ = [
    "brackets_for_symbols",
    "coinm_positions",
    "contract_sizes",
    "cross_wallets",
    "margin_asset_of",
]

_NAN = Decimal("NaN")
_DEFAULT_LEVERAGE = 20


def margin_asset_of(symbol: str, info: ExchangeSymbol | None = None) -> str:
    """exchangeInfo's `marginAsset`; without it the coin the pair is quoted against USD in
    (BTCUSD_PERP → BTC), which is how Binance names every COIN-M contract."""
    if info is not None and info.marginAsset:
        return info.marginAsset
    pair = info.pair if info is not None and info.pair else symbol.split("_", 1)[0]
    return pair[:-3] if pair.endswith("USD") and len(pair) > 3 else pair


def contract_sizes(symbols: Mapping[str, ExchangeSymbol]) -> dict[str, Decimal]:
    return {name: s.contractSize for name, s in symbols.items() if s.contractSize is not None}


def _isolated_wallet(row: PositionRiskRow) -> Decimal:
    if row.isolatedWallet is not None:
        return row.isolatedWallet
    # Older dapi rows give only isolatedMargin, which is the wallet plus the unrealized PnL.
    if row.isolatedMargin is not None:
        return row.isolatedMargin - (row.unRealizedProfit or Decimal(0))
    return Decimal(0)


def coinm_positions(rows: Iterable[PositionRiskRow], symbols: Mapping[str, ExchangeSymbol]) -> list[Position]:
    """Inverse positions from `GET /dapi/v1/positionRisk`; zero-amount rows are skipped.

    A symbol exchangeInfo does not size gets a NaN contract size: its risk shows as unavailable
    instead of being computed with a guessed size. `extra["margin_asset"]` names its coin.
    """
    out: list[Position] = []
    for row in rows:
        if row.positionAmt == 0:
            continue
        info = symbols.get(row.symbol)
        if row.marginType is not None:
            margin_type = MarginType.parse(row.marginType)
        else:
            margin_type = MarginType.ISOLATED if (row.isolatedWallet or 0) != 0 else MarginType.CROSS
        size = info.contractSize if info is not None and info.contractSize is not None else _NAN
        extra = {"margin_asset": row.marginAsset or margin_asset_of(row.symbol, info)}
        if info is not None and info.contractType:
            extra["contract_type"] = info.contractType
        liq = row.liquidationPrice
        out.append(
            Position(
                symbol=row.symbol,
                position_side=row.positionSide,
                amount=row.positionAmt,
                entry_price=row.entryPrice,
                mark_price=row.markPrice,
                margin_type=margin_type,
                isolated_wallet=_isolated_wallet(row) if margin_type is MarginType.ISOLATED else Decimal(0),
                contract=ContractKind.INVERSE,
                contract_size=size,
                leverage=row.leverage or _DEFAULT_LEVERAGE,
                exchange_liquidation_price=liq if liq else None,
                extra=extra,
            )
        )
    return out


def cross_wallets(account: AccountInfo | Iterable[BalanceRow]) -> dict[str, Decimal]:
    """Each coin's cross wallet (`crossWalletBalance`) from `/dapi/v1/account` or `/dapi/v1/balance`."""
    if isinstance(account, AccountInfo):
        return {a.asset: a.crossWalletBalance for a in account.assets}
    return {b.asset: b.crossWalletBalance for b in account}


def brackets_for_symbols(
    tables: Mapping[str, BracketTable], symbols: Mapping[str, ExchangeSymbol]
) -> dict[str, BracketTable]:
    """Tables keyed by symbol. `/dapi/v2/leverageBracket` is per symbol already; `/dapi/v1` answers
    per pair (BTCUSD), whose table then serves every contract of the pair that has none of its own."""
    out = dict(tables)
    for name, info in symbols.items():
        if name not in out and info.pair and info.pair in tables:
            out[name] = tables[info.pair]
    return out
