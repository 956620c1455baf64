"""The account as we currently believe it: REST snapshot merged with stream events.

Pure and synchronous. The merge rules come from Binance's docs (reference §3.2, §9.5):
ACCOUNT_UPDATE lists only the positions that changed, so a position missing from it is
untouched and only `pa == 0` closes one; a funding-fee update may carry balances only.
Mark prices live in their own dict so the hot path (hundreds of thousands of updates a
second in the benchmark) is a set lookup plus a compare; positions get their marks lazily.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

from marginwatch.core.account_risk import AccountRisk, UnavailableRisk, assess_account
from marginwatch.core.brackets import BracketTable
from marginwatch.core.events import AccountConfigUpdate, AccountUpdate, DroppedRow, MarkPriceUpdate, PositionUpdate
from marginwatch.core.position import ZERO, ContractKind, MarginType, Position, PositionSide

_NAN = Decimal("NaN")

__all__ = ["AccountState", "Collateral", "PositionKey", "SymbolFilters"]

PositionKey = tuple[str, PositionSide]


@dataclass(frozen=True, slots=True)
class SymbolFilters:
    """Price tick and quantity step of a symbol (exchangeInfo PRICE_FILTER / LOT_SIZE)."""

    tick_size: Decimal | None = None
    step_size: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Collateral:
    """One asset whose cross wallet counts toward the account's cross wallet.

    Single-asset mode: the margin asset (USDT, or BNFCR credits on EU accounts) at rate 1.
    Multi-assets mode: every asset with a balance at its USD value per unit after the haircut,
    as the last snapshot implied it; a balance change between snapshots moves the cross wallet
    by the change times that rate (prices drift until the next reseed).
    """

    asset: str
    cross_wallet: Decimal  # in units of the asset
    usd_rate: Decimal = Decimal(1)


class AccountState:
    """Positions keyed by (symbol, side), the cross wallet, brackets and the latest marks.

    `version` goes up on every change that can alter `positions()` or `risk()`.
    """

    def __init__(
        self,
        *,
        margin_asset: str = "USDT",
        fallback_brackets: Mapping[str, BracketTable] | None = None,
        default_leverage: int = 20,
        contract: ContractKind = ContractKind.LINEAR,
        contract_sizes: Mapping[str, Decimal] | None = None,
    ) -> None:
        """`contract`/`contract_sizes`: what a leg first seen in an ACCOUNT_UPDATE is (that event has
        neither); COIN-M states pass INVERSE and exchangeInfo's sizes (an unknown one is NaN, so the
        leg shows as risk unavailable rather than with a guessed size)."""
        self._margin_asset = margin_asset
        self._contract = contract
        self._contract_sizes: Mapping[str, Decimal] = contract_sizes or {}
        self._default_leverage = default_leverage
        self._legs: dict[PositionKey, Position] = {}
        self._marks: dict[str, Decimal] = {}  # exactly one entry per held symbol
        # Per held symbol, the stream's funding rate as sent and its next time; parsed when positions
        # are built, not per tick (most ticks change only the mark).
        self._funding_sent: dict[str, tuple[str, int | None]] = {}
        self._funding: dict[str, tuple[str, Decimal | None, int | None]] = {}
        self._adl: dict[PositionKey, int] = {}
        self._provisional: set[str] = set()  # held symbols whose "mark" is still the entry price
        self._held: frozenset[str] = frozenset()
        self._cross_wallet = ZERO
        self._collateral: dict[str, Collateral] = {}
        self._brackets: dict[str, BracketTable] = {}
        self._fallback: dict[str, BracketTable] = dict(fallback_brackets or {})
        self._filters: dict[str, SymbolFilters] = {}
        self._leverage: dict[str, int] = {}
        self._multi_assets: bool | None = None
        self._snapshot_time: int | None = None
        self._snapshot_legs: tuple[list[Position], Decimal] | None = None  # as the snapshot gave them
        self._version = 0
        self.bad_marks = 0  # mark prices that were not positive finite numbers
        # Positions a snapshot or stream row named but we could not read: shown as risk unavailable
        # until a readable row for the symbol (or a new snapshot) arrives.
        self._unreadable: dict[str, UnavailableRisk] = {}
        self._risk: AccountRisk | None = None
        self._risk_version = -1
        self._view: Mapping[PositionKey, Position] = MappingProxyType({})
        self._view_version = 0

    # ------------------------------------------------------------------ reading

    @property
    def version(self) -> int:
        return self._version

    @property
    def cross_wallet_balance(self) -> Decimal:
        return self._cross_wallet

    @property
    def collateral(self) -> Mapping[str, Collateral]:
        """The assets whose ACCOUNT_UPDATE balances move the cross wallet."""
        return MappingProxyType(self._collateral)

    @property
    def snapshot_time_ms(self) -> int | None:
        return self._snapshot_time

    @property
    def multi_assets_margin(self) -> bool | None:
        return self._multi_assets

    @property
    def brackets(self) -> Mapping[str, BracketTable]:
        return MappingProxyType(self._brackets)

    @property
    def fallback_brackets(self) -> Mapping[str, BracketTable]:
        """Bracket tables used for symbols missing from `brackets` (fixed at construction)."""
        return MappingProxyType(self._fallback)

    @property
    def unreadable(self) -> tuple[UnavailableRisk, ...]:
        return tuple(self._unreadable.values())

    def held_symbols(self) -> frozenset[str]:
        return self._held

    def mark_price(self, symbol: str) -> Decimal | None:
        return self._marks.get(symbol)

    def is_mark_provisional(self, symbol: str) -> bool:
        """True while a newly opened position has no mark yet and uses its entry price."""
        return symbol in self._provisional

    def symbol_filters(self, symbol: str) -> SymbolFilters | None:
        return self._filters.get(symbol)

    def positions(self) -> Mapping[PositionKey, Position]:
        """Open positions with their latest mark price (read-only view, rebuilt per version)."""
        if self._view_version != self._version:
            marks = self._marks
            legs = self._legs
            adl = self._adl
            for key, pos in legs.items():
                mark = marks[pos.symbol]
                rate, next_ms = self._funding_of(pos.symbol)
                quantile = adl.get(key)
                if (pos.mark_price != mark or pos.funding_rate != rate or pos.next_funding_ms != next_ms
                        or pos.adl_quantile != quantile):
                    legs[key] = pos.with_market(mark, rate, next_ms, quantile)
            self._view = MappingProxyType(dict(legs))
            self._view_version = self._version
        return self._view

    def _funding_of(self, symbol: str) -> tuple[Decimal | None, int | None]:
        sent = self._funding_sent.get(symbol)
        if sent is None:
            return None, None
        parsed = self._funding.get(symbol)
        if parsed is None or parsed[0] != sent[0]:
            try:
                rate: Decimal | None = Decimal(sent[0])
            except InvalidOperation:
                rate = None
            if rate is not None and not rate.is_finite():
                rate = None
            parsed = self._funding[symbol] = (sent[0], rate, sent[1])
        return parsed[1], sent[1]

    def adl_quantile(self, key: PositionKey) -> int | None:
        return self._adl.get(key)

    def set_adl_quantiles(self, quantiles: Mapping[PositionKey, int]) -> bool:
        """Take the exchange's ADL buckets (all positions at once, as polled); True when one changed."""
        new = {key: q for key, q in quantiles.items() if key in self._legs}
        if new == self._adl:
            return False
        self._adl = new
        self._bump()
        return True

    def risk(self) -> AccountRisk:
        """Whole-account figures, computed on demand and cached until the next change."""
        if self._risk is None or self._risk_version != self._version:
            self._risk = assess_account(
                self.positions().values(), self._cross_wallet, self._brackets, self._fallback,
                unreadable=self.unreadable, multi_assets=self._multi_assets,
            )
            self._risk_version = self._version
        return self._risk

    # ------------------------------------------------------------------ writing

    def _bump(self) -> None:
        self._version += 1

    def _refresh_held(self) -> None:
        held = frozenset(pos.symbol for pos in self._legs.values())
        if held != self._held:
            for gone in self._held - held:
                # A stale mark must not outlive the position: a later reopen starts provisional.
                self._marks.pop(gone, None)
                self._provisional.discard(gone)
                self._funding_sent.pop(gone, None)
                self._funding.pop(gone, None)
            self._held = held

    def reseed(
        self,
        positions: Iterable[Position],
        cross_wallet_balance: Decimal,
        brackets: Mapping[str, BracketTable] | None = None,
        snapshot_time_ms: int | None = None,
        *,
        dropped: Iterable[DroppedRow] = (),
        collateral: Iterable[Collateral] | None = None,
        multi_assets: bool | None = None,
    ) -> None:
        """Replace positions, marks, leverage and wallet with a REST snapshot.

        `brackets=None` keeps the current bracket tables (they are fetched less often).
        Events older than `snapshot_time_ms` are ignored afterwards. `dropped`: positionRisk rows
        the decoder left out; their symbols show as risk unavailable. `collateral` (default: the
        constructor's margin asset at rate 1) says which balances move the cross wallet later;
        `multi_assets` None keeps the mode last known.
        """
        legs: dict[PositionKey, Position] = {}
        for pos in positions:
            if pos.amount != 0:
                legs[pos.key] = pos
        self._legs = legs
        self._marks = {pos.symbol: pos.mark_price for pos in legs.values()}
        self._provisional = set()
        self._held = frozenset(self._marks)
        self._leverage = {pos.symbol: pos.leverage for pos in legs.values()}
        self._cross_wallet = cross_wallet_balance
        if collateral is None:
            collateral = [Collateral(self._margin_asset, cross_wallet_balance)]
        self._collateral = {c.asset: c for c in collateral}
        if multi_assets is not None:
            self._multi_assets = multi_assets
        if brackets is not None:
            self._brackets = dict(brackets)
        self._snapshot_time = snapshot_time_ms
        self._snapshot_legs = (list(legs.values()), cross_wallet_balance)
        self._unreadable = {}
        self._note_unreadable(dropped, "positionRisk row")
        self._check_against_snapshot()
        self._bump()

    def _note_unreadable(self, rows: Iterable[DroppedRow], what: str) -> bool:
        noted = False
        for row in rows:
            if row.where in ("P", "positionRisk"):
                self._unreadable[row.name] = UnavailableRisk(
                    row.name, None, f"{what} unreadable ({', '.join(row.keys)})")
                noted = True
        return noted

    def set_brackets(self, brackets: Mapping[str, BracketTable], *, merge: bool = True) -> None:
        """Install refreshed bracket tables (merged into the known ones unless merge=False)."""
        if merge:
            self._brackets.update(brackets)
        else:
            self._brackets = dict(brackets)
        self._check_against_snapshot()
        self._bump()

    def _check_against_snapshot(self) -> None:
        """Set each leg's `liquidation_price_at_snapshot`: ours at the last snapshot's own marks and
        wallet. Legs whose shape changed since have no exchange figure and are left alone."""
        if self._snapshot_legs is None:
            return
        legs, wallet = self._snapshot_legs
        try:
            assessed = assess_account(legs, wallet, self._brackets, self._fallback)
        except Exception:
            return
        then = {pr.position.key: pr.liquidation_price for pr in assessed.positions}
        for key, pos in self._legs.items():
            if pos.exchange_liquidation_price is not None and key in then:
                ours = then[key]
                if ours != pos.liquidation_price_at_snapshot:
                    self._legs[key] = replace(pos, liquidation_price_at_snapshot=ours)

    def set_symbol_filters(self, filters: Mapping[str, SymbolFilters]) -> None:
        self._filters.update(filters)

    def _is_stale(self, event_time: int) -> bool:
        return self._snapshot_time is not None and event_time < self._snapshot_time

    def apply_account_update(self, ev: AccountUpdate) -> set[PositionKey]:
        """Merge a (partial) ACCOUNT_UPDATE; returns the position keys that changed.

        A wallet-only change returns an empty set but still bumps `version`.
        """
        if self._is_stale(ev.event_time):
            return set()  # the snapshot already holds newer figures
        data = ev.data
        dirty = False
        for bal in data.balances or ():
            held = self._collateral.get(bal.asset)
            if held is None or bal.cross_wallet == held.cross_wallet:
                continue
            if len(self._collateral) == 1:
                self._cross_wallet = bal.cross_wallet * held.usd_rate  # exact in single-asset mode
            else:
                self._cross_wallet += (bal.cross_wallet - held.cross_wallet) * held.usd_rate
            self._collateral[bal.asset] = Collateral(bal.asset, bal.cross_wallet, held.usd_rate)
            dirty = True
        if data.dropped and self._note_unreadable(data.dropped, "ACCOUNT_UPDATE row"):
            dirty = True
        changed: set[PositionKey] = set()
        for upd in data.positions or ():
            if self._unreadable.pop(upd.symbol, None) is not None:
                dirty = True
            key = (upd.symbol, upd.position_side)
            old = self._legs.get(key)
            if upd.amount == 0:
                if old is not None:
                    del self._legs[key]
                    changed.add(key)
                continue
            new = self._merged(old, upd.symbol, upd.position_side, upd)
            if new != old:
                self._legs[key] = new
                changed.add(key)
        if changed:
            self._refresh_held()
        if changed or dirty:
            self._bump()
        return changed

    def _merged(self, old: Position | None, symbol: str, side: PositionSide, upd: PositionUpdate) -> Position:
        margin_type = upd.margin_type
        if margin_type is MarginType.ISOLATED:
            wallet = upd.isolated_wallet
            if wallet is None:
                wallet = old.isolated_wallet if old else ZERO
        else:
            wallet = ZERO
        mark = self._marks.get(symbol)
        if mark is None or symbol in self._provisional:
            # ACCOUNT_UPDATE has no mark: stand in with the entry price until a mark arrives.
            mark = upd.entry_price
            self._marks[symbol] = mark
            self._provisional.add(symbol)
        same_shape = (
            old is not None
            and old.amount == upd.amount
            and old.entry_price == upd.entry_price
            and old.isolated_wallet == wallet
            and old.margin_type is margin_type
        )
        return Position(
            symbol=symbol,
            position_side=side,
            amount=upd.amount,
            entry_price=upd.entry_price,
            mark_price=mark,
            margin_type=margin_type,
            isolated_wallet=wallet,
            contract=old.contract if old else self._contract,
            contract_size=old.contract_size if old else self._new_contract_size(symbol),
            leverage=old.leverage if old else self._leverage.get(symbol, self._default_leverage),
            # The exchange's figure is only valid for the position it was computed for.
            exchange_liquidation_price=old.exchange_liquidation_price if (old and same_shape) else None,
            liquidation_price_at_snapshot=old.liquidation_price_at_snapshot if (old and same_shape) else None,
            maint_at_entry=old.maint_at_entry if old else False,
            extra=dict(old.extra) if old else {},
        )

    def _new_contract_size(self, symbol: str) -> Decimal:
        size = self._contract_sizes.get(symbol)
        if size is not None:
            return size
        return Decimal(1) if self._contract is ContractKind.LINEAR else _NAN

    @property
    def margin_asset(self) -> str:
        return self._margin_asset

    def apply_mark_prices(self, updates: Iterable[MarkPriceUpdate]) -> set[str]:
        """Take the latest marks of held symbols; returns the symbols whose mark changed.

        O(1) per update; unheld symbols cost one set lookup. Marks that are not positive finite
        numbers are ignored and counted in `bad_marks`.
        """
        held = self._held
        marks = self._marks
        provisional = self._provisional
        changed: set[str] = set()
        for upd in updates:
            sym = upd.symbol
            if sym not in held:
                continue
            try:
                price = Decimal(upd.mark_price_text)
            except InvalidOperation:
                price = _NAN
            # is_finite() first: ordering a NaN raises. A malformed price must not become the mark.
            if not price.is_finite() or price <= ZERO:
                self.bad_marks += 1
                continue
            rate = upd.funding_rate_str
            if rate:  # delivery contracts send "": no funding
                self._funding_sent[sym] = (rate, upd.next_funding_time)
            if price == marks[sym] and not (provisional and sym in provisional):
                continue
            marks[sym] = price
            changed.add(sym)
        if not changed:
            return changed
        if provisional:
            provisional.difference_update(changed)
        self._version += 1
        return changed

    def apply_config_update(self, ev: AccountConfigUpdate) -> set[str]:
        """Leverage (`ac`) and multi-assets mode (`ai`); returns symbols whose leverage changed.

        A leverage change can move the bracket cap: callers should re-fetch leverageBracket.
        """
        if self._is_stale(ev.event_time):
            return set()
        changed: set[str] = set()
        dirty = False
        if ev.leverage is not None:
            sym, lev = ev.leverage.symbol, ev.leverage.leverage
            if self._leverage.get(sym) != lev:
                self._leverage[sym] = lev
                dirty = True
            for key, pos in list(self._legs.items()):
                if pos.symbol == sym and pos.leverage != lev:
                    self._legs[key] = replace(pos, leverage=lev)
                    changed.add(sym)
        if ev.asset_mode is not None and ev.asset_mode.multi_assets != self._multi_assets:
            self._multi_assets = ev.asset_mode.multi_assets
            dirty = True
        if changed or dirty:
            self._bump()
        return changed
