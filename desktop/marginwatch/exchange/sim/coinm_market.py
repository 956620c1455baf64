"""Static COIN-M market data of the simulated exchange: inverse perpetuals, their contract sizes and
coin-denominated leverage brackets, the demo books (one per margin coin) and dapi's exchangeInfo."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from marginwatch.core.position import MarginType, PositionSide
from marginwatch.exchange.sim.book import Book, BookEntry
from marginwatch.exchange.sim.market import SymbolSpec

# (qtyFloor, qtyCap, initialLeverage, maintMarginRatio), caps in the margin coin. Plausible tables
# in Binance's COIN-M shape, not live ones; cum follows the same recursion as USDⓈ-M's.
_BRACKETS: dict[str, list[tuple[int, int, int, str]]] = {
    "BTCUSD_PERP": [(0, 5, 125, "0.004"), (5, 10, 100, "0.005"), (10, 20, 50, "0.01"), (20, 50, 20, "0.025"),
                    (50, 100, 10, "0.05"), (100, 200, 5, "0.1"), (200, 400, 4, "0.125"),
                    (400, 1000, 3, "0.15"), (1000, 1500, 2, "0.25"), (1500, 3000, 1, "0.5")],
    "ETHUSD_PERP": [(0, 150, 75, "0.005"), (150, 300, 50, "0.01"), (300, 1500, 25, "0.02"),
                    (1500, 3000, 10, "0.05"), (3000, 6000, 5, "0.1"), (6000, 12000, 4, "0.125"),
                    (12000, 30000, 3, "0.15"), (30000, 60000, 2, "0.25"), (60000, 150000, 1, "0.5")],
}

COINM_SYMBOLS: Mapping[str, SymbolSpec] = MappingProxyType({
    s.symbol: s
    for s in (
        SymbolSpec("BTCUSD_PERP", "BTC", Decimal("100000.0"), Decimal("0.1"), Decimal("1"), Decimal(0),
                   Decimal("0.00010000")),
        SymbolSpec("ETHUSD_PERP", "ETH", Decimal("3500.00"), Decimal("0.01"), Decimal("1"), Decimal(0),
                   Decimal("0.00010000")),
    )
})
CONTRACT_SIZES: Mapping[str, Decimal] = MappingProxyType({"BTCUSD_PERP": Decimal(100), "ETHUSD_PERP": Decimal(10)})

# One book per margin coin (COIN-M pools cross margin per coin). BTC: a 20x cross long that the crash
# scenario drives to a margin call, next to a small hedged short; ETH: an isolated long.
COINM_BOOKS: Mapping[str, Book] = MappingProxyType({
    "BTC": Book((
        BookEntry("BTCUSD_PERP", PositionSide.LONG, "200", "99800.0", MarginType.CROSS, 20),
        BookEntry("BTCUSD_PERP", PositionSide.SHORT, "-20", "100200.0", MarginType.CROSS, 20),
    ), wallet=Decimal("0.035")),
    "ETH": Book((
        BookEntry("ETHUSD_PERP", PositionSide.LONG, "300", "3480.00", MarginType.ISOLATED, 10),
    ), wallet=Decimal("2")),
})


def symbols_of(coin: str) -> dict[str, SymbolSpec]:
    return {s: spec for s, spec in COINM_SYMBOLS.items() if spec.base == coin}


def _cum_rows(symbol: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cum = Decimal(0)
    prev = Decimal(0)
    for i, (floor, cap, lev, mmr_s) in enumerate(_BRACKETS[symbol], start=1):
        mmr = Decimal(mmr_s)
        cum = Decimal(floor) * (mmr - prev) + cum
        prev = mmr
        rows.append({"bracket": i, "initialLeverage": lev, "qtyCap": cap, "qtyFloor": floor,
                     "maintMarginRatio": float(mmr), "cum": float(cum)})
    return rows


def bracket_entries(symbols: Mapping[str, SymbolSpec]) -> dict[str, dict[str, Any]]:
    """`GET /dapi/v2/leverageBracket` entries: per symbol, caps as `qtyCap` in coin."""
    return {s: {"symbol": s, "brackets": _cum_rows(s)} for s in symbols}


def exchange_info(server_time: int, listed: Mapping[str, SymbolSpec] = COINM_SYMBOLS) -> dict[str, Any]:
    """`GET /dapi/v1/exchangeInfo`: `contractStatus` instead of `status`, and `contractSize`."""
    symbols = []
    for s in listed.values():
        symbols.append({
            "symbol": s.symbol, "pair": f"{s.base}USD", "contractType": "PERPETUAL",
            "deliveryDate": 4133404800000, "onboardDate": 1597042800000, "contractStatus": "TRADING",
            "contractSize": int(CONTRACT_SIZES[s.symbol]), "marginAsset": s.base,
            "maintMarginPercent": "2.5000", "requiredMarginPercent": "5.0000", "baseAsset": s.base,
            "quoteAsset": "USD", "pricePrecision": s.price_precision, "quantityPrecision": s.qty_precision,
            "baseAssetPrecision": 8, "quotePrecision": 8, "equalQtyPrecision": 4, "triggerProtect": "0.0500",
            "underlyingType": "COIN", "underlyingSubType": [], "liquidationFee": "0.015000",
            "marketTakeBound": "0.05",
            "filters": [
                {"filterType": "PRICE_FILTER", "minPrice": str(s.tick_size), "maxPrice": "4520958",
                 "tickSize": str(s.tick_size)},
                {"filterType": "LOT_SIZE", "stepSize": str(s.step_size), "maxQty": "1000000",
                 "minQty": str(s.step_size)},
                {"filterType": "MARKET_LOT_SIZE", "stepSize": str(s.step_size), "maxQty": "60000",
                 "minQty": str(s.step_size)},
                {"filterType": "MAX_NUM_ORDERS", "limit": 200},
                {"filterType": "PERCENT_PRICE", "multiplierUp": "1.0500", "multiplierDown": "0.9500",
                 "multiplierDecimal": "4"},
            ],
            "orderTypes": ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET",
                           "TRAILING_STOP_MARKET"],
            "timeInForce": ["GTC", "IOC", "FOK", "GTX"],
        })
    return {
        "timezone": "UTC", "serverTime": server_time,
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 2400},
            {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
        ],
        "exchangeFilters": [],
        "symbols": symbols,
    }
