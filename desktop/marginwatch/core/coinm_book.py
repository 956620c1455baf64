"""A COIN-M account: one `AccountState` per margin coin.

COIN-M cross margin is pooled per coin (BTC positions against the BTC wallet, ETH against ETH),
so each coin is an account of its own for the risk maths; stream events are routed to the coin
they concern. The book answers what a session asks of a state (held symbols, the three kinds of
event) so the session logic stays one code path for both venues.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from types import MappingProxyType

import msgspec

from marginwatch.core.account_risk import AccountRisk
from marginwatch.core.account_state import AccountState, Collateral, PositionKey, SymbolFilters
from marginwatch.core.brackets import BracketTable
from marginwatch.core.coinm_snapshot import margin_asset_of
from marginwatch.core.events import AccountConfigUpdate, AccountUpdate, DroppedRow, MarkPriceUpdate
from marginwatch.core.position import ContractKind, Position
from marginwatch.core.rest_models import ExchangeSymbol

__all__ = ["CoinMBook"]


class CoinMBook:
    def __init__(self, symbols: Mapping[str, ExchangeSymbol] | None = None) -> None:
        self._symbols: dict[str, ExchangeSymbol] = dict(symbols or {})
        self._pools: dict[str, AccountState] = {}
        self._brackets: dict[str, BracketTable] = {}
        self._filters: dict[str, SymbolFilters] = {}
        self._snapshot_time: int | None = None
        self._version = 0

    # ------------------------------------------------------------------ reading

    @property
    def version(self) -> int:
        return self._version + sum(p.version for p in self._pools.values())

    @property
    def pools(self) -> Mapping[str, AccountState]:
        """Margin coin → its state (cross wallet in that coin)."""
        return MappingProxyType(self._pools)

    @property
    def multi_assets_margin(self) -> bool | None:
        return False  # COIN-M has no multi-assets mode

    def margin_asset(self, symbol: str) -> str:
        return margin_asset_of(symbol, self._symbols.get(symbol))

    def symbol_filters(self, symbol: str) -> SymbolFilters | None:
        return self._filters.get(symbol)

    def held_symbols(self) -> frozenset[str]:
        return frozenset().union(*(p.held_symbols() for p in self._pools.values()))

    def positions(self) -> dict[PositionKey, Position]:
        out: dict[PositionKey, Position] = {}
        for pool in self._pools.values():
            out.update(pool.positions())
        return out

    def risk_by_asset(self) -> dict[str, AccountRisk]:
        """Each coin's figures: its margin ratio is that coin's cross pool, in that coin."""
        return {asset: pool.risk() for asset, pool in self._pools.items()}

    # ------------------------------------------------------------------ writing

    def set_symbols(self, symbols: Mapping[str, ExchangeSymbol]) -> None:
        self._symbols.update(symbols)

    def set_symbol_filters(self, filters: Mapping[str, SymbolFilters]) -> None:
        self._filters.update(filters)
        for pool in self._pools.values():
            pool.set_symbol_filters(filters)

    def _pool(self, asset: str) -> AccountState:
        pool = self._pools.get(asset)
        if pool is None:
            sizes = {n: s.contractSize for n, s in self._symbols.items() if s.contractSize is not None}
            pool = AccountState(margin_asset=asset, contract=ContractKind.INVERSE, contract_sizes=sizes)
            pool.set_symbol_filters(self._filters)
            pool.reseed([], Decimal(0), self._brackets, self._snapshot_time)
            self._pools[asset] = pool
        return pool

    def reseed(
        self,
        positions: Iterable[Position],
        cross_wallets: Mapping[str, Decimal],
        brackets: Mapping[str, BracketTable] | None = None,
        snapshot_time_ms: int | None = None,
        *,
        dropped: Iterable[DroppedRow] = (),
    ) -> None:
        """Replace every coin's positions and cross wallet with a REST snapshot. A coin with no
        wallet and no position has no pool; one that had a pool keeps it, emptied."""
        if brackets is not None:
            self._brackets = dict(brackets)
        self._snapshot_time = snapshot_time_ms
        by_asset: dict[str, list[Position]] = {}
        for pos in positions:
            asset = pos.extra.get("margin_asset") or self.margin_asset(pos.symbol)
            by_asset.setdefault(asset, []).append(pos)
        lost = list(dropped)
        assets = set(self._pools) | set(by_asset) | {a for a, w in cross_wallets.items() if w != 0}
        for asset in sorted(assets):
            wallet = cross_wallets.get(asset, Decimal(0))
            rows = [d for d in lost if self.margin_asset(d.name) == asset]
            self._pool(asset).reseed(by_asset.get(asset, []), wallet, self._brackets, snapshot_time_ms,
                                     dropped=rows, collateral=[Collateral(asset, wallet)], multi_assets=False)
        self._version += 1

    def set_brackets(self, brackets: Mapping[str, BracketTable]) -> None:
        self._brackets.update(brackets)
        for pool in self._pools.values():
            pool.set_brackets(brackets)

    def apply_account_update(self, ev: AccountUpdate) -> set[PositionKey]:
        """Each coin's pool gets its own balance row and its own symbols' positions (COIN-M pushes
        every symbol, so a pool's update is complete for it)."""
        data = ev.data
        parts: dict[str, tuple[list[object], list[object]]] = {}
        for bal in data.balances or ():
            parts.setdefault(bal.asset, ([], []))[0].append(bal)
        for pos in data.positions or ():
            parts.setdefault(self.margin_asset(pos.symbol), ([], []))[1].append(pos)
        changed: set[PositionKey] = set()
        for asset, (balances, legs) in parts.items():
            part = msgspec.structs.replace(
                data,
                balances=tuple(balances) if data.balances is not None else None,
                positions=tuple(legs) if data.positions is not None else None,
                dropped=tuple(d for d in data.dropped if self.margin_asset(d.name) == asset),
            )
            changed |= self._pool(asset).apply_account_update(msgspec.structs.replace(ev, data=part))
        return changed

    def apply_mark_prices(self, updates: Iterable[MarkPriceUpdate]) -> set[str]:
        batch = list(updates)
        changed: set[str] = set()
        for pool in self._pools.values():
            changed |= pool.apply_mark_prices(batch)
        return changed

    def apply_config_update(self, ev: AccountConfigUpdate) -> set[str]:
        changed: set[str] = set()
        for pool in self._pools.values():
            changed |= pool.apply_config_update(ev)
        return changed
