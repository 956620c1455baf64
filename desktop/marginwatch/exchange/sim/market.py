"""Static market data of the simulated exchange: symbols, tick/step sizes, leverage brackets."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

from marginwatch.core.brackets import Bracket, BracketTable, table_from_binance

_SNAPSHOT = Path(__file__).resolve().parents[2] / "data" / "brackets_snapshot.json"


@dataclass(frozen=True, slots=True)
class SymbolSpec:
    symbol: str
    base: str
    base_price: Decimal
    tick_size: Decimal
    step_size: Decimal
    min_notional: Decimal
    funding_rate: Decimal
    bracket_schedule: str = ""  # the built-in bracket table it uses; "" = its own


    @property
    def price_precision(self) -> int:
        return max(0, -self.tick_size.normalize().as_tuple().exponent)  # type: ignore[operator]

    @property
    def qty_precision(self) -> int:
        return max(0, -self.step_size.normalize().as_tuple().exponent)  # type: ignore[operator]


# The four listed symbols of the default market. Read-only: an exchange that lists more is given
# its own mapping (`with_extra_symbols`), so nothing process-wide changes under other exchanges.
SYMBOLS: Mapping[str, SymbolSpec] = MappingProxyType({
    s.symbol: s
    for s in (
        SymbolSpec("BTCUSDT", "BTC", Decimal("100000.00"), Decimal("0.10"), Decimal("0.001"),
                   Decimal(100), Decimal("0.00010000")),
        SymbolSpec("ETHUSDT", "ETH", Decimal("3500.00"), Decimal("0.01"), Decimal("0.001"),
                   Decimal(20), Decimal("0.00010000")),
        SymbolSpec("SOLUSDT", "SOL", Decimal("180.0000"), Decimal("0.0100"), Decimal("1"),
                   Decimal(5), Decimal("0.00005000")),
        SymbolSpec("BNBUSDT", "BNB", Decimal("650.000"), Decimal("0.010"), Decimal("0.01"),
                   Decimal(5), Decimal("0.00010000")),
    )
})


def extra_symbols(count: int) -> dict[str, SymbolSpec]:
    """`count` small symbols (SIM00USDT, SIM01USDT, ...; SOLUSDT's brackets) for a larger market."""
    if count < 0:
        raise ValueError("count must be >= 0")
    specs = (SymbolSpec(f"SIM{i:02d}USDT", f"SIM{i:02d}", Decimal(10 + i), Decimal("0.001"), Decimal("1"),
                        Decimal(5), Decimal("0.00010000"), bracket_schedule="SOLUSDT") for i in range(count))
    return {s.symbol: s for s in specs}


def with_extra_symbols(count: int) -> Mapping[str, SymbolSpec]:
    """The default market plus `count` extra symbols (benchmarks that need a larger market)."""
    return MappingProxyType({**SYMBOLS, **extra_symbols(count)})


# (notionalFloor, notionalCap, initialLeverage, maintMarginRatio); cum follows Binance's recursion
# cum_n = floor_n × (mmr_n − mmr_{n−1}) + cum_{n−1}. Plausible tables, not live ones.
_BUILTIN: dict[str, list[tuple[int, int, int, str]]] = {
    "BTCUSDT": [
        (0, 50_000, 125, "0.004"), (50_000, 600_000, 100, "0.005"), (600_000, 3_000_000, 75, "0.0065"),
        (3_000_000, 12_000_000, 50, "0.01"), (12_000_000, 70_000_000, 25, "0.02"),
        (70_000_000, 100_000_000, 20, "0.025"), (100_000_000, 230_000_000, 10, "0.05"),
        (230_000_000, 480_000_000, 5, "0.1"), (480_000_000, 600_000_000, 4, "0.125"),
        (600_000_000, 800_000_000, 3, "0.15"), (800_000_000, 1_200_000_000, 2, "0.25"),
        (1_200_000_000, 1_800_000_000, 1, "0.5"),
    ],
    "ETHUSDT": [
        (0, 50_000, 125, "0.004"), (50_000, 600_000, 100, "0.005"), (600_000, 3_000_000, 75, "0.0065"),
        (3_000_000, 12_000_000, 50, "0.01"), (12_000_000, 50_000_000, 25, "0.02"),
        (50_000_000, 65_000_000, 20, "0.025"), (65_000_000, 150_000_000, 10, "0.05"),
        (150_000_000, 320_000_000, 5, "0.1"), (320_000_000, 400_000_000, 4, "0.125"),
        (400_000_000, 530_000_000, 3, "0.15"), (530_000_000, 800_000_000, 2, "0.25"),
        (800_000_000, 1_200_000_000, 1, "0.5"),
    ],
    "SOLUSDT": [
        (0, 5_000, 75, "0.01"), (5_000, 50_000, 50, "0.015"), (50_000, 250_000, 25, "0.02"),
        (250_000, 1_000_000, 20, "0.025"), (1_000_000, 2_500_000, 10, "0.05"),
        (2_500_000, 5_000_000, 5, "0.1"), (5_000_000, 10_000_000, 4, "0.125"),
        (10_000_000, 20_000_000, 3, "0.15"), (20_000_000, 30_000_000, 2, "0.25"),
        (30_000_000, 50_000_000, 1, "0.5"),
    ],
    "BNBUSDT": [
        (0, 10_000, 75, "0.01"), (10_000, 50_000, 50, "0.015"), (50_000, 250_000, 25, "0.02"),
        (250_000, 1_000_000, 20, "0.025"), (1_000_000, 2_000_000, 10, "0.05"),
        (2_000_000, 5_000_000, 5, "0.1"), (5_000_000, 10_000_000, 4, "0.125"),
        (10_000_000, 20_000_000, 3, "0.15"), (20_000_000, 30_000_000, 2, "0.25"),
        (30_000_000, 50_000_000, 1, "0.5"),
    ],
}


def _number(d: Decimal) -> int | float:
    """Brackets are JSON numbers on Binance; keep integral values integral."""
    return int(d) if d == d.to_integral_value() else float(d)


def _builtin_entry(spec: SymbolSpec) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    cum = Decimal(0)
    prev_mmr = Decimal(0)
    for i, (floor, cap, lev, mmr_s) in enumerate(_BUILTIN[spec.bracket_schedule or spec.symbol], start=1):
        mmr = Decimal(mmr_s)
        cum = Decimal(floor) * (mmr - prev_mmr) + cum
        prev_mmr = mmr
        rows.append({"bracket": i, "initialLeverage": lev, "notionalCap": cap, "notionalFloor": floor,
                     "maintMarginRatio": float(mmr), "cum": float(cum)})
    return {"symbol": spec.symbol, "brackets": rows}


def _snapshot_entries(symbols: Mapping[str, SymbolSpec]) -> dict[str, dict[str, Any]]:
    """Entries of the bundled snapshot (a leverageBracket response) for our symbols, if it is there."""
    try:
        raw = json.loads(_SNAPSHOT.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if isinstance(raw, dict):  # tolerate {"brackets": [...]} or {"BTCUSDT": {...}} wrappers
        raw = raw.get("data", raw.get("brackets", list(raw.values())))
    out: dict[str, dict[str, Any]] = {}
    for entry in raw if isinstance(raw, list) else []:
        if isinstance(entry, dict) and entry.get("symbol") in symbols and entry.get("brackets"):
            try:
                table_from_binance(entry)
            except Exception:  # a broken snapshot entry falls back to the built-in table
                continue
            out[str(entry["symbol"])] = entry
    return out


def bracket_entries(symbols: Mapping[str, SymbolSpec] = SYMBOLS) -> dict[str, dict[str, Any]]:
    """Raw leverageBracket entries (what REST serves), snapshot first, built-in otherwise."""
    snap = _snapshot_entries(symbols)
    return {sym: snap.get(sym) or _builtin_entry(spec) for sym, spec in symbols.items()}


def bracket_tables(entries: dict[str, dict[str, Any]]) -> dict[str, BracketTable]:
    shared: dict[tuple[Bracket, ...], tuple[Bracket, ...]] = {}  # one copy per schedule, as the app keeps them
    return {
        sym: table_from_binance(json.loads(json.dumps(e), parse_float=Decimal), shared) for sym, e in entries.items()
    }


def exchange_info(server_time: int, listed: Mapping[str, SymbolSpec] = SYMBOLS) -> dict[str, Any]:
    symbols = []
    for s in listed.values():
        symbols.append({
            "symbol": s.symbol, "pair": s.symbol, "contractType": "PERPETUAL",
            "deliveryDate": 4133404800000, "onboardDate": 1569398400000, "status": "TRADING",
            "maintMarginPercent": "2.5000", "requiredMarginPercent": "5.0000",
            "baseAsset": s.base, "quoteAsset": "USDT", "marginAsset": "USDT",
            "pricePrecision": s.price_precision, "quantityPrecision": s.qty_precision,
            "baseAssetPrecision": 8, "quotePrecision": 8, "underlyingType": "COIN",
            "underlyingSubType": ["Layer-1"], "settlePlan": 0, "triggerProtect": "0.0500",
            "liquidationFee": "0.012500", "marketTakeBound": "0.05", "maxMoveOrderLimit": 10000,
            "filters": [
                {"filterType": "PRICE_FILTER", "minPrice": str(s.tick_size), "maxPrice": "4529764",
                 "tickSize": str(s.tick_size)},
                {"filterType": "LOT_SIZE", "minQty": str(s.step_size), "maxQty": "1000",
                 "stepSize": str(s.step_size)},
                {"filterType": "MARKET_LOT_SIZE", "minQty": str(s.step_size), "maxQty": "120",
                 "stepSize": str(s.step_size)},
                {"filterType": "MAX_NUM_ORDERS", "limit": 200},
                {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 10},
                {"filterType": "MIN_NOTIONAL", "notional": str(s.min_notional)},
                {"filterType": "PERCENT_PRICE", "multiplierUp": "1.0500", "multiplierDown": "0.9500",
                 "multiplierDecimal": "4"},
            ],
            "orderTypes": ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET",
                           "TRAILING_STOP_MARKET"],
            "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"],
        })
    return {
        "timezone": "UTC", "serverTime": server_time, "futuresType": "U_MARGINED",
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 2400},
            {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300},
        ],
        "exchangeFilters": [],
        "assets": [{"asset": a, "marginAvailable": True, "autoAssetExchange": "-10000"}
                   for a in ("USDT", "USDC", "BTC")],
        "symbols": symbols,
    }


def fmt(d: Decimal, places: int) -> str:
    """Fixed-point string like Binance's ("0.00000000"), never scientific notation."""
    q = d.quantize(Decimal(1).scaleb(-places)) if places > 0 else d.quantize(Decimal(1))
    if q == 0:
        q = abs(q)  # no "-0.00"
    return f"{q:f}"
