"""The simulated MEXC account: contracts, positions, assets and risk limits, and their rows in
MEXC's documented shapes (numbers as JSON numbers, like MEXC sends them).

The account's truth follows MEXC's rules: isolated liquidation price by the seed article's
formula (maintenance margin at entry), marginRatio = (margin + uPnL) / position value at the fair
price (lower is worse), liquidation warning when it falls below twice the MMR.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from marginwatch.core.auto_add import mexc_liquidation_price
from marginwatch.core.position import ContractKind, Direction

D = Decimal
ZERO = D(0)


@dataclass(frozen=True, slots=True)
class SimContract:
    symbol: str
    contract_size: Decimal
    mmr: Decimal
    imr: Decimal
    price_unit: Decimal = Decimal("0.1")

    @property
    def display_name(self) -> str:
        return f"{self.symbol}永续"

    @property
    def display_name_en(self) -> str:
        return f"{self.symbol} PERPETUAL"


CONTRACTS = {
    c.symbol: c
    for c in (
        SimContract("BTC_USDT", D("0.0001"), D("0.004"), D("0.008")),
        SimContract("ETH_USDT", D("0.01"), D("0.005"), D("0.01"), D("0.01")),
        SimContract("SOL_USDT", D("1"), D("0.01"), D("0.02"), D("0.001")),
    )
}


@dataclass(slots=True)
class SimPosition:
    position_id: int
    symbol: str
    long: bool
    isolated: bool
    vol: Decimal  # contracts
    entry: Decimal
    leverage: int
    im: Decimal
    auto_add: bool = False
    hold_fee: Decimal = ZERO
    adl_level: int = 1
    version: int = 1
    state: int = 1


@dataclass(slots=True)
class MexcSimAccount:
    available: Decimal = Decimal(1000)
    frozen: Decimal = ZERO
    contracts: dict[str, SimContract] = field(default_factory=lambda: dict(CONTRACTS))
    fair: dict[str, Decimal] = field(default_factory=lambda: {"BTC_USDT": D(18000), "ETH_USDT": D(2500),
                                                              "SOL_USDT": D(150)})
    positions: dict[int, SimPosition] = field(default_factory=dict)
    _next_id: int = 1000

    def open(self, symbol: str, *, long: bool, vol: Decimal | int, entry: Decimal | int | str, leverage: int,
             isolated: bool = True, margin: Decimal | None = None, auto_add: bool = False) -> SimPosition:
        """A position as if filled at `entry`; its initial margin leaves the available balance."""
        c = self.contracts[symbol]
        e, v = D(entry), D(vol)
        im = margin if margin is not None else e * v * c.contract_size / leverage
        self._next_id += 1
        pos = SimPosition(self._next_id, symbol, long, isolated, v, e, leverage, im, auto_add)
        self.positions[pos.position_id] = pos
        self.available -= im
        return pos

    def close(self, position_id: int) -> SimPosition:
        pos = self.positions.pop(position_id)
        self.available += pos.im + self.pnl(pos)
        pos.state, pos.version = 3, pos.version + 1
        return pos

    def add_margin(self, position_id: int, amount: Decimal) -> SimPosition:
        pos = self.positions[position_id]
        pos.im += amount
        pos.version += 1
        self.available -= amount
        return pos

    # ---- MEXC's figures ---------------------------------------------------------------------

    def size(self, pos: SimPosition) -> Decimal:
        return pos.vol * self.contracts[pos.symbol].contract_size

    def pnl(self, pos: SimPosition) -> Decimal:
        mark = self.fair[pos.symbol]
        return (mark - pos.entry) * self.size(pos) * (1 if pos.long else -1)

    def maintenance(self, pos: SimPosition) -> Decimal:
        return pos.entry * self.size(pos) * self.contracts[pos.symbol].mmr

    def liquidate_price(self, pos: SimPosition) -> Decimal | None:
        if not pos.isolated:
            return None
        side = Direction.LONG if pos.long else Direction.SHORT
        return mexc_liquidation_price(side, pos.entry, self.size(pos), pos.im, self.maintenance(pos),
                                      ContractKind.LINEAR)

    def margin_ratio(self, pos: SimPosition) -> Decimal:
        value = self.fair[pos.symbol] * self.size(pos)
        return (pos.im + self.pnl(pos)) / value if value > 0 else D(0)

    def in_warning(self, pos: SimPosition) -> bool:
        return self.margin_ratio(pos) < 2 * self.contracts[pos.symbol].mmr

    # ---- rows -------------------------------------------------------------------------------

    def position_row(self, pos: SimPosition) -> dict[str, Any]:
        liq = self.liquidate_price(pos)
        return {
            "positionId": pos.position_id, "symbol": pos.symbol, "holdVol": pos.vol,
            "positionType": 1 if pos.long else 2, "openType": 1 if pos.isolated else 2, "state": pos.state,
            "frozenVol": 0, "closeVol": 0, "holdAvgPrice": pos.entry, "holdAvgPriceFullyScale": str(pos.entry),
            "openAvgPrice": pos.entry, "closeAvgPrice": 0, "liquidatePrice": liq if liq is not None else 0,
            "oim": pos.im, "im": pos.im, "adlLevel": pos.adl_level, "holdFee": pos.hold_fee, "realised": 0,
            "leverage": pos.leverage, "autoAddIm": pos.auto_add, "pnl": self.pnl(pos),
            "marginRatio": self.margin_ratio(pos), "createTime": 1760942212000, "updateTime": 1760942212000,
            "version": pos.version,
        }

    def asset_row(self) -> dict[str, Any]:
        margin = sum((p.im for p in self.positions.values()), D(0))
        unrealized = sum((self.pnl(p) for p in self.positions.values()), D(0))
        return {
            "currency": "USDT", "positionMargin": margin, "frozenBalance": self.frozen,
            "availableBalance": self.available, "cashBalance": self.available + margin,
            "equity": self.available + margin + unrealized, "unrealized": unrealized, "bonus": 0,
        }

    def risk_limit_rows(self) -> dict[str, list[dict[str, Any]]]:
        return {
            s: [{"symbol": s, "positionType": t, "riskSource": 0, "level": 1, "maxVol": 1000000, "maxLeverage": 125,
                 "mmr": c.mmr, "imr": c.imr} for t in (1, 2)]
            for s, c in self.contracts.items()
        }

    def contract_rows(self) -> list[dict[str, Any]]:
        return [
            {"symbol": c.symbol, "displayName": c.display_name, "displayNameEn": c.display_name_en,
             "positionOpenType": 3, "baseCoin": c.symbol.split("_")[0], "quoteCoin": "USDT", "settleCoin": "USDT",
             "contractSize": c.contract_size, "minLeverage": 1, "maxLeverage": 125, "priceUnit": c.price_unit,
             "volUnit": 1, "minVol": 1, "maxVol": 1000000, "maintenanceMarginRate": c.mmr,
             "initialMarginRate": c.imr, "state": 0}
            for c in self.contracts.values()
        ]

    def ticker_rows(self) -> list[dict[str, Any]]:
        return [{"symbol": s, "lastPrice": p, "fairPrice": p, "indexPrice": p} for s, p in self.fair.items()]

    def warning_param(self, pos: SimPosition) -> dict[str, Any]:
        c = self.contracts[pos.symbol]
        return {"notifyType": 2, "openType": 1 if pos.isolated else 2, "dn": c.display_name,
                "dne": c.display_name_en, "multiAssets": False, "marginRate": self.margin_ratio(pos)}
