"""Typed REST snapshot responses (USDⓈ-M and COIN-M futures plus the spot apiRestrictions check).

COIN-M (`/dapi`) bodies share the USDⓈ-M structs: their extra fields (leverage and margin type in
positionRisk, `contractStatus`/`contractSize` in exchangeInfo) are optional here.

Attribute names are Binance's own camelCase so that `encode_rest()` reproduces the exact
response shape for the simulator. Money is Decimal (sent as strings); ids and times are ints.
Fields Binance sends as possibly-empty strings (funding rates of delivery contracts) stay str.
A positionRisk row holding a number that is not finite (NaN, sNaN, ±inf) or not plausibly sized is
left out and named in the answer's `dropped`; the other rows are kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import msgspec
from msgspec import Struct

from marginwatch.core.account_state import Collateral, SymbolFilters
from marginwatch.core.brackets import BracketTable, table_from_binance
from marginwatch.core.events import DroppedRow, FrameError, encode_wire, implausible_numbers
from marginwatch.core.position import ContractKind, MarginType, Position, PositionSide

__all__ = [
    "AccountAsset",
    "AccountConfig",
    "AccountInfo",
    "AccountPosition",
    "ApiRestrictions",
    "BalanceRow",
    "BinanceError",
    "BracketTables",
    "ExchangeFilter",
    "ExchangeInfo",
    "ExchangeSymbol",
    "ListenKeyResponse",
    "MalformedResponseError",
    "PositionRiskRow",
    "PositionRiskRows",
    "PremiumIndex",
    "ServerTime",
    "SymbolConfig",
    "collateral_from_account",
    "decode_account",
    "decode_account_config",
    "decode_api_restrictions",
    "decode_balances",
    "decode_error",
    "decode_exchange_info",
    "decode_leverage_brackets",
    "decode_listen_key",
    "decode_position_risk",
    "decode_premium_index",
    "decode_server_time",
    "decode_symbol_configs",
    "encode_leverage_brackets",
    "encode_rest",
    "positions_from_snapshot",
]


class MalformedResponseError(FrameError):
    """A REST body that is not the documented shape (message says where, never the body)."""


class _Rest(Struct, frozen=True, kw_only=True, omit_defaults=True):
    pass


class ServerTime(_Rest, frozen=True, kw_only=True):
    serverTime: int


class PositionRiskRow(_Rest, frozen=True, kw_only=True):
    """One row of `GET /fapi/v3/positionRisk` (no leverage/marginType in v3) or of COIN-M's
    `GET /dapi/v1/positionRisk` (which has them, and `notionalValue` in coin)."""

    symbol: str
    positionSide: PositionSide
    positionAmt: Decimal
    entryPrice: Decimal
    breakEvenPrice: Decimal | None = None
    markPrice: Decimal
    unRealizedProfit: Decimal | None = None
    liquidationPrice: Decimal | None = None
    isolatedMargin: Decimal | None = None
    notional: Decimal | None = None
    marginAsset: str | None = None
    isolatedWallet: Decimal | None = None
    initialMargin: Decimal | None = None
    maintMargin: Decimal | None = None
    positionInitialMargin: Decimal | None = None
    openOrderInitialMargin: Decimal | None = None
    adl: int | None = None
    bidNotional: Decimal | None = None
    askNotional: Decimal | None = None
    updateTime: int | None = None
    # COIN-M only
    leverage: int | None = None
    marginType: str | None = None  # "cross" / "isolated"
    isAutoAddMargin: bool | None = None  # sent as the string "false"
    notionalValue: Decimal | None = None
    maxQty: Decimal | None = None


class PositionRiskRows(list[PositionRiskRow]):
    """The rows of a positionRisk answer, and those left out for an implausible number."""

    def __init__(self, rows: Iterable[PositionRiskRow] = (), dropped: tuple[DroppedRow, ...] = ()) -> None:
        super().__init__(rows)
        self.dropped = dropped


class AccountAsset(_Rest, frozen=True, kw_only=True):
    asset: str
    walletBalance: Decimal
    unrealizedProfit: Decimal | None = None
    marginBalance: Decimal | None = None
    maintMargin: Decimal | None = None
    initialMargin: Decimal | None = None
    positionInitialMargin: Decimal | None = None
    openOrderInitialMargin: Decimal | None = None
    crossWalletBalance: Decimal
    crossUnPnl: Decimal | None = None
    availableBalance: Decimal | None = None
    maxWithdrawAmount: Decimal | None = None
    updateTime: int | None = None


class AccountPosition(_Rest, frozen=True, kw_only=True):
    symbol: str
    positionSide: PositionSide
    positionAmt: Decimal
    unrealizedProfit: Decimal | None = None
    isolatedMargin: Decimal | None = None
    notional: Decimal | None = None
    isolatedWallet: Decimal | None = None
    initialMargin: Decimal | None = None
    maintMargin: Decimal | None = None
    updateTime: int | None = None
    # COIN-M only
    leverage: int | None = None
    isolated: bool | None = None
    entryPrice: Decimal | None = None
    breakEvenPrice: Decimal | None = None
    maxQty: Decimal | None = None
    notionalValue: Decimal | None = None
    positionInitialMargin: Decimal | None = None
    openOrderInitialMargin: Decimal | None = None


class AccountInfo(_Rest, frozen=True, kw_only=True):
    """`GET /fapi/v3/account`. In single-asset mode the totals cover USDT only; in multi-assets
    mode they are USD values. Only the asset rows and `totalCrossWalletBalance` are read."""

    totalInitialMargin: Decimal | None = None
    totalMaintMargin: Decimal | None = None
    totalWalletBalance: Decimal | None = None
    totalUnrealizedProfit: Decimal | None = None
    totalMarginBalance: Decimal | None = None
    totalPositionInitialMargin: Decimal | None = None
    totalOpenOrderInitialMargin: Decimal | None = None
    totalCrossWalletBalance: Decimal | None = None
    totalCrossUnPnl: Decimal | None = None
    availableBalance: Decimal | None = None
    maxWithdrawAmount: Decimal | None = None
    assets: tuple[AccountAsset, ...]
    positions: tuple[AccountPosition, ...] = ()

    def asset(self, name: str) -> AccountAsset | None:
        return next((a for a in self.assets if a.asset == name), None)


class BalanceRow(_Rest, frozen=True, kw_only=True):
    """One row of `GET /fapi/v3/balance`; `balance` is the wallet balance."""

    accountAlias: str | None = None
    asset: str
    balance: Decimal
    crossWalletBalance: Decimal
    crossUnPnl: Decimal | None = None
    availableBalance: Decimal | None = None
    maxWithdrawAmount: Decimal | None = None
    marginAvailable: bool | None = None
    withdrawAvailable: Decimal | None = None  # COIN-M's name for maxWithdrawAmount
    updateTime: int | None = None


class SymbolConfig(_Rest, frozen=True, kw_only=True):
    symbol: str
    marginType: str  # "CROSSED" / "ISOLATED"
    isAutoAddMargin: bool | None = None
    leverage: int
    maxNotionalValue: Decimal | None = None

    def __post_init__(self) -> None:
        MarginType.parse(self.marginType)

    @property
    def margin_type(self) -> MarginType:
        return MarginType.parse(self.marginType)


class AccountConfig(_Rest, frozen=True, kw_only=True):
    feeTier: int | None = None
    canTrade: bool | None = None
    canDeposit: bool | None = None
    canWithdraw: bool | None = None
    dualSidePosition: bool
    updateTime: int | None = None
    multiAssetsMargin: bool
    tradeGroupId: int | None = None


class ExchangeFilter(_Rest, frozen=True, kw_only=True):
    """One entry of `filters`; only the fields of the filter types we know are kept."""

    filterType: str
    maxPrice: Decimal | None = None
    minPrice: Decimal | None = None
    tickSize: Decimal | None = None
    maxQty: Decimal | None = None
    minQty: Decimal | None = None
    stepSize: Decimal | None = None
    limit: int | None = None
    notional: Decimal | None = None
    multiplierUp: Decimal | None = None
    multiplierDown: Decimal | None = None
    multiplierDecimal: str | int | None = None  # a string on the wire, a number in Binance's docs example


class ExchangeSymbol(_Rest, frozen=True, kw_only=True):
    symbol: str
    pair: str | None = None
    contractType: str | None = None  # PERPETUAL, CURRENT_QUARTER, ... ("" for some)
    deliveryDate: int | None = None
    onboardDate: int | None = None
    status: str | None = None  # USDⓈ-M
    contractStatus: str | None = None  # COIN-M's name for it
    contractSize: Decimal | None = None  # COIN-M: USD per contract
    baseAsset: str | None = None
    quoteAsset: str | None = None
    marginAsset: str | None = None
    pricePrecision: int | None = None
    quantityPrecision: int | None = None
    filters: tuple[ExchangeFilter, ...] = ()
    liquidationFee: Decimal | None = None
    marketTakeBound: Decimal | None = None

    @property
    def trading_status(self) -> str:
        return self.status or self.contractStatus or ""

    def _filter(self, kind: str) -> ExchangeFilter | None:
        return next((f for f in self.filters if f.filterType == kind), None)

    @property
    def tick_size(self) -> Decimal | None:
        f = self._filter("PRICE_FILTER")
        return f.tickSize if f else None

    @property
    def step_size(self) -> Decimal | None:
        f = self._filter("LOT_SIZE")
        return f.stepSize if f else None


class ExchangeInfo(_Rest, frozen=True, kw_only=True):
    timezone: str | None = None
    serverTime: int | None = None
    symbols: tuple[ExchangeSymbol, ...] = ()
    dropped: tuple[DroppedRow, ...] = ()  # symbols left out for an odd field; never on the wire

    def by_symbol(self) -> dict[str, ExchangeSymbol]:
        return {s.symbol: s for s in self.symbols}

    def symbol_filters(self) -> dict[str, SymbolFilters]:
        return {s.symbol: SymbolFilters(tick_size=s.tick_size, step_size=s.step_size) for s in self.symbols}


def _opt_decimal(text: str | None) -> Decimal | None:
    try:
        return Decimal(text) if text else None
    except ArithmeticError:
        return None


class PremiumIndex(_Rest, frozen=True, kw_only=True):
    """`GET /fapi/v1/premiumIndex`: the REST mark-price snapshot."""

    symbol: str
    pair: str | None = None  # COIN-M
    markPrice: Decimal
    indexPrice: str | None = None
    estimatedSettlePrice: str | None = None
    lastFundingRate: str | None = None  # "" for delivery contracts
    interestRate: str | None = None
    nextFundingTime: int | None = None
    time: int | None = None

    @property
    def funding_rate(self) -> Decimal | None:
        return _opt_decimal(self.lastFundingRate)

    @property
    def index_price(self) -> Decimal | None:
        return _opt_decimal(self.indexPrice)


class ListenKeyResponse(_Rest, frozen=True, kw_only=True):
    listenKey: str

    def __repr__(self) -> str:  # a bearer credential for the user-data stream
        return "ListenKeyResponse(listenKey=<redacted>)"


class BinanceError(_Rest, frozen=True, kw_only=True):
    code: int
    msg: str = ""


class ApiRestrictions(_Rest, frozen=True, kw_only=True):
    """Spot `GET /sapi/v1/account/apiRestrictions`: what the API key may do."""

    ipRestrict: bool | None = None
    createTime: int | None = None
    enableReading: bool | None = None
    enableFutures: bool | None = None
    enableWithdrawals: bool | None = None
    enableInternalTransfer: bool | None = None
    permitsUniversalTransfer: bool | None = None
    enableMargin: bool | None = None
    enableSpotAndMarginTrading: bool | None = None
    enableVanillaOptions: bool | None = None
    enablePortfolioMarginTrading: bool | None = None
    enableFixApiTrade: bool | None = None
    enableFixReadOnly: bool | None = None
    tradingAuthorityExpirationTime: int | None = None


# --------------------------------------------------------------------------- decoding

_DECODERS: dict[Any, msgspec.json.Decoder[Any]] = {}


def _decode(raw: bytes | str, kind: Any, what: str) -> Any:
    dec = _DECODERS.get(kind)
    if dec is None:
        dec = _DECODERS[kind] = msgspec.json.Decoder(kind, strict=False)
    if not raw.strip():
        raise MalformedResponseError(f"empty {what} response")
    try:
        return dec.decode(raw)
    except msgspec.ValidationError as exc:
        raise MalformedResponseError(f"unexpected {what} response: {str(exc)[:200]}") from None
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise MalformedResponseError(f"malformed JSON in {what} response: {str(exc)[:200]}") from None


def decode_server_time(raw: bytes | str) -> int:
    st: ServerTime = _decode(raw, ServerTime, "server time")
    return st.serverTime


def decode_position_risk(raw: bytes | str) -> PositionRiskRows:
    rows: list[PositionRiskRow] = _decode(raw, list[PositionRiskRow], "positionRisk")
    kept: list[PositionRiskRow] = []
    dropped: list[DroppedRow] = []
    for row in rows:
        keys = implausible_numbers(row)
        if keys:
            dropped.append(DroppedRow(where="positionRisk", name=row.symbol, keys=keys))
        else:
            kept.append(row)
    return PositionRiskRows(kept, tuple(dropped))


def decode_account(raw: bytes | str) -> AccountInfo:
    info: AccountInfo = _decode(raw, AccountInfo, "account")
    return info


def decode_balances(raw: bytes | str) -> list[BalanceRow]:
    rows: list[BalanceRow] = _decode(raw, list[BalanceRow], "balance")
    return rows


def decode_symbol_configs(raw: bytes | str) -> list[SymbolConfig]:
    """The endpoint answers with a list (also when `symbol=` was sent); accept one object too."""
    out: SymbolConfig | list[SymbolConfig] = _decode(raw, SymbolConfig | list[SymbolConfig], "symbolConfig")
    return out if isinstance(out, list) else [out]


def decode_account_config(raw: bytes | str) -> AccountConfig:
    cfg: AccountConfig = _decode(raw, AccountConfig, "accountConfig")
    return cfg


class _ExchangeInfoWire(_Rest, frozen=True, kw_only=True):
    timezone: str | None = None
    serverTime: int | None = None
    symbols: tuple[msgspec.Raw, ...] = ()


class _Named(msgspec.Struct):
    symbol: str = ""


_SYMBOL_DEC = msgspec.json.Decoder(ExchangeSymbol, strict=False)
_NAMED_DEC = msgspec.json.Decoder(_Named)


def _row_name(raw: msgspec.Raw) -> str:
    try:
        return _NAMED_DEC.decode(raw).symbol
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return ""


def _error_path(exc: Exception) -> str:
    """`$.filters[6].multiplierDecimal` from msgspec's message: where, never the value."""
    text = str(exc)
    return text.rsplit(" - at `", 1)[-1].rstrip("`") if " - at `" in text else type(exc).__name__


def decode_exchange_info(raw: bytes | str) -> ExchangeInfo:
    """One symbol with a field we cannot read loses that symbol (in `dropped`), never the body."""
    wire: _ExchangeInfoWire = _decode(raw, _ExchangeInfoWire, "exchangeInfo")
    kept: list[ExchangeSymbol] = []
    dropped: list[DroppedRow] = []
    for item in wire.symbols:
        try:
            kept.append(_SYMBOL_DEC.decode(item))
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError, ValueError) as exc:
            dropped.append(DroppedRow(where="exchangeInfo", name=_row_name(item), keys=(_error_path(exc),)))
    return ExchangeInfo(timezone=wire.timezone, serverTime=wire.serverTime, symbols=tuple(kept),
                        dropped=tuple(dropped))


def decode_premium_index(raw: bytes | str) -> list[PremiumIndex]:
    """One object (with `symbol=`) or a list (without)."""
    out: PremiumIndex | list[PremiumIndex] = _decode(raw, PremiumIndex | list[PremiumIndex], "premiumIndex")
    return out if isinstance(out, list) else [out]


def decode_listen_key(raw: bytes | str) -> str:
    resp: ListenKeyResponse = _decode(raw, ListenKeyResponse, "listenKey")
    return resp.listenKey


def decode_error(raw: bytes | str) -> BinanceError | None:
    """The `{"code": ..., "msg": ...}` error body, or None when the body is not one."""
    try:
        err: BinanceError = _decode(raw, BinanceError, "error")
    except MalformedResponseError:
        return None
    return err


def decode_api_restrictions(raw: bytes | str) -> ApiRestrictions:
    r: ApiRestrictions = _decode(raw, ApiRestrictions, "apiRestrictions")
    return r


class BracketTables(dict[str, BracketTable]):
    """The tables of a leverageBracket answer, and the symbols left out (no or unreadable brackets)."""

    def __init__(self, tables: Mapping[str, BracketTable] | None = None,
                 dropped: tuple[DroppedRow, ...] = ()) -> None:
        super().__init__(tables or {})
        self.dropped = dropped


_BRACKET_JSON = msgspec.json.Decoder(float_hook=Decimal)
_BRACKET_ERRORS = (KeyError, TypeError, ValueError, ArithmeticError, AttributeError)


def decode_leverage_brackets(raw: bytes | str) -> BracketTables:
    """`GET /fapi/v1/leverageBracket` (list, or one object with `symbol=`) via core.brackets.

    A symbol whose table cannot be read (`"brackets": []` is in Binance's own SDK example) is left
    out and named in `dropped`; the other symbols' tables are kept, and an answer whose every symbol
    was unreadable is an empty set of tables (its positions show no maintenance margin), not an
    error that would fail every snapshot. Only a body with no symbol's entry at all is malformed.
    """
    try:
        data = _BRACKET_JSON.decode(raw)
    except (msgspec.DecodeError, RecursionError, UnicodeDecodeError) as exc:
        raise MalformedResponseError(f"malformed JSON in leverageBracket response: {str(exc)[:200]}") from None
    entries = [data] if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise MalformedResponseError("unexpected leverageBracket response: not a list or object")
    tables: dict[str, BracketTable] = {}
    dropped: list[DroppedRow] = []
    shared: dict[Any, Any] = {}
    for entry in entries:
        name = str(entry.get("symbol", entry.get("pair", ""))) if isinstance(entry, dict) else ""
        try:
            if not isinstance(entry, dict):
                raise TypeError("entry")
            table = table_from_binance(entry, shared)
        except _BRACKET_ERRORS as exc:
            # ValueError covers NoBracketsError (an empty table) and bad numbers.
            dropped.append(DroppedRow(where="leverageBracket", name=name, keys=(type(exc).__name__,)))
            continue
        tables[table.symbol] = table
    if entries and not any(d.name for d in dropped) and not tables:  # not one symbol's entry: not the shape
        raise MalformedResponseError(f"unexpected leverageBracket response: {dropped[0].keys[0]}")
    return BracketTables(tables, tuple(dropped))


# --------------------------------------------------------------------------- encoding


def encode_rest(obj: Any) -> bytes:
    """The exact response body for a struct (or a list of them): Binance's keys, money as strings."""
    return encode_wire(obj)


_NUM_ENC = msgspec.json.Encoder(decimal_format="number")


def encode_leverage_brackets(tables: Iterable[BracketTable], single: bool = False) -> bytes:
    """leverageBracket body. Brackets are JSON numbers on the wire, unlike everything else."""
    entries = [
        {
            "symbol": t.symbol,
            **({"notionalCoef": t.notional_coef} if t.notional_coef != 1 else {}),
            "brackets": [
                {
                    "bracket": b.bracket,
                    "initialLeverage": b.initial_leverage,
                    "notionalCap": b.cap,
                    "notionalFloor": b.floor,
                    "maintMarginRatio": b.maint_margin_ratio,
                    "cum": b.cum,
                }
                for b in t.brackets
            ],
        }
        for t in tables
    ]
    if single:
        if len(entries) != 1:
            raise ValueError("single=True needs exactly one bracket table")
        return _NUM_ENC.encode(entries[0])
    return _NUM_ENC.encode(entries)


# --------------------------------------------------------------------------- mapping to core


def _leverage_guess(row: PositionRiskRow) -> int:
    """Without symbolConfig: notional / positionInitialMargin, which is how Binance derives it."""
    if row.notional and row.positionInitialMargin:
        lev = int((abs(row.notional) / row.positionInitialMargin).to_integral_value())
        if lev >= 1:
            return lev
    return 20


def positions_from_snapshot(
    rows: Iterable[PositionRiskRow],
    symbol_configs: Mapping[str, SymbolConfig] | Iterable[SymbolConfig],
    exchange_info: ExchangeInfo | Mapping[str, ExchangeSymbol] | None = None,
) -> list[Position]:
    """Core positions from positionRisk v3 plus symbolConfig (margin type, leverage).

    Zero-amount rows (open orders only) are skipped. Binance's liquidationPrice "0" means
    none and becomes None. Without a symbolConfig the margin type is inferred from the
    isolated wallet and the leverage from notional / initial margin.
    """
    configs = (
        symbol_configs
        if isinstance(symbol_configs, Mapping)
        else {c.symbol: c for c in symbol_configs}
    )
    symbols: Mapping[str, ExchangeSymbol] = {}
    if isinstance(exchange_info, ExchangeInfo):
        symbols = exchange_info.by_symbol()
    elif exchange_info is not None:
        symbols = exchange_info
    out: list[Position] = []
    for row in rows:
        if row.positionAmt == 0:
            continue
        cfg = configs.get(row.symbol)
        wallet = row.isolatedWallet or Decimal(0)
        if cfg is not None:
            margin_type, leverage = cfg.margin_type, cfg.leverage
        else:
            margin_type = MarginType.ISOLATED if wallet != 0 else MarginType.CROSS
            leverage = _leverage_guess(row)
        liq = row.liquidationPrice
        extra: dict[str, str] = {}
        if row.marginAsset:
            extra["margin_asset"] = row.marginAsset
        info = symbols.get(row.symbol)
        if info is not None and info.contractType:
            extra["contract_type"] = info.contractType
        out.append(
            Position(
                symbol=row.symbol,
                position_side=row.positionSide,
                amount=row.positionAmt,
                entry_price=row.entryPrice,
                mark_price=row.markPrice,
                margin_type=margin_type,
                isolated_wallet=wallet if margin_type is MarginType.ISOLATED else Decimal(0),
                contract=ContractKind.LINEAR,
                leverage=leverage,
                exchange_liquidation_price=liq if liq else None,
                extra=extra,
            )
        )
    return out


def _margin_asset(account: AccountInfo, rows: Iterable[PositionRiskRow]) -> str:
    """The open positions' margin asset; without positions the asset holding the wallet (USDT
    first, then e.g. BNFCR credits on EU accounts)."""
    counts: dict[str, int] = {}
    for row in rows:
        if row.positionAmt != 0 and row.marginAsset:
            counts[row.marginAsset] = counts.get(row.marginAsset, 0) + 1
    if counts:
        return max(counts, key=lambda a: counts[a])
    usdt = account.asset("USDT")
    if usdt is not None and usdt.walletBalance != 0:
        return "USDT"
    return next((a.asset for a in account.assets if a.walletBalance != 0), "USDT")


def collateral_from_account(
    account: AccountInfo, rows: Iterable[PositionRiskRow], multi_assets: bool | None = None
) -> tuple[Decimal, list[Collateral], bool]:
    """(cross wallet, collateral, multi-assets mode) from `GET /fapi/v3/account` and positionRisk.

    Single-asset mode: the margin asset's own row. Multi-assets mode (`multi_assets`, or inferred:
    the USD total differs from the margin asset's row while other assets hold balances): the
    account's USD `totalCrossWalletBalance`, with per-asset rates for later balance changes.
    USDT counts at 1; the others' prices are estimated from their `availableBalance` (the
    account's available USD in that asset's units) and scaled so they add up to the total,
    which puts the haircuts in the rates.
    """
    margin = _margin_asset(account, rows)
    own = account.asset(margin)
    total = account.totalCrossWalletBalance
    held = [a for a in account.assets if a.crossWalletBalance != 0]
    if multi_assets is None:
        own_cw = own.crossWalletBalance if own is not None else Decimal(0)
        multi_assets = total is not None and total != own_cw and any(a.asset != margin for a in held)
    if not multi_assets:
        cw = own.crossWalletBalance if own is not None else (total or Decimal(0))
        return cw, [Collateral(margin, cw)], False
    if total is None:
        total = sum((a.crossWalletBalance for a in held), Decimal(0))
    usdt = account.asset("USDT")
    base = usdt.crossWalletBalance if usdt is not None else Decimal(0)
    avail = account.availableBalance
    estimates: dict[str, Decimal] = {}
    for a in held:
        if a.asset == "USDT":
            continue
        ok = avail is not None and avail > 0 and a.availableBalance is not None and a.availableBalance > 0
        estimates[a.asset] = avail / a.availableBalance if ok else Decimal(1)  # type: ignore[operator]
    weight = sum((a.crossWalletBalance * estimates[a.asset] for a in held if a.asset in estimates), Decimal(0))
    scale = (total - base) / weight if weight else Decimal(1)
    out = [Collateral("USDT", base)] if usdt is not None else []
    out += [Collateral(a.asset, a.crossWalletBalance, estimates[a.asset] * scale) for a in held if a.asset in estimates]
    return total, out, True
