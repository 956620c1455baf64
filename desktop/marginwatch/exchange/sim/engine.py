"""The simulated account: the truth behind every REST answer and user-data event.

Synchronous and I/O-free: the server calls `step()` on its tick and forwards whatever the engine
emits to its listeners (user-data events as Binance-shaped dicts). Margin maths come from
`marginwatch.core.account_risk.assess_account`.

The account is in hedge mode (`dualSidePosition: true`, Binance's position mode is per account):
every position is a LONG or SHORT leg; ETHUSDT holds both legs, the other symbols one leg each.
Its book says the margin asset (USDT, or BNFCR on EU accounts) and any multi-assets collateral
(USDC, BTC, ...): the cross wallet the maths see is then the USD value of all of them after haircuts.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from marginwatch.core.account_risk import AccountRisk, PositionRisk, assess_account
from marginwatch.core.position import ONE, ZERO, ContractKind, MarginType, Position, PositionSide
from marginwatch.exchange.sim import market
from marginwatch.exchange.sim.book import DEMO_BOOK, Book
from marginwatch.exchange.sim.market import SYMBOLS, SymbolSpec, fmt

if TYPE_CHECKING:
    from marginwatch.exchange.sim.scenarios import Scenario

PosKey = tuple[str, PositionSide]
CROSS_KEY = "CROSS"
HYSTERESIS = Decimal("0.05")
KEEP_LIQUIDATED = 100  # the crash scenario liquidates every cycle, forever: keep only the latest
EventListener = Callable[[dict[str, Any]], None]


@dataclass(slots=True)
class SimPosition:
    symbol: str
    side: PositionSide
    amount: Decimal  # signed like positionAmt: negative for a SHORT leg
    entry_price: Decimal
    margin_type: MarginType
    isolated_wallet: Decimal = ZERO
    realized: Decimal = ZERO  # "cr": accumulated realized (pre-fee)
    update_time: int = 0

    @property
    def key(self) -> PosKey:
        return (self.symbol, self.side)


@dataclass(slots=True)
class SimCollateral:
    """A multi-assets collateral asset: its balance, USD price and haircut (the margin it gives is
    amount * usd_price * (1 - haircut))."""

    asset: str
    amount: Decimal
    usd_price: Decimal
    haircut: Decimal

    @property
    def margin_value(self) -> Decimal:
        return self.amount * self.usd_price * (1 - self.haircut)


@dataclass(slots=True)
class _Arm:
    armed: bool = True


@dataclass(slots=True)
class EngineStats:
    margin_calls: int = 0
    liquidations: int = 0
    steps: int = 0
    liquidated: deque[PosKey] = field(default_factory=lambda: deque(maxlen=KEEP_LIQUIDATED))  # the latest


class AccountEngine:
    """One account on one market. `scenario` drives the marks (an instance of its own: scenarios
    keep state); `book` is the account it starts from and resets to; `symbols` what is listed."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        book: Book = DEMO_BOOK,
        symbols: Mapping[str, SymbolSpec] = SYMBOLS,
        margin_call_level: Decimal = Decimal("0.8"),
        tick_interval: float = 1.0,
        clock_ms: Callable[[], int] | None = None,
        contract_sizes: Mapping[str, Decimal] | None = None,
        margin_asset: str | None = None,
        account_alias: str | None = None,
        bracket_entries: Mapping[str, dict[str, Any]] | None = None,
    ) -> None:
        """`contract_sizes` makes every symbol inverse (COIN-M: USD per contract), margined in
        `margin_asset` (default: the book's), with `bracket_entries` (leverageBracket entries) in place of the built-in
        USDⓈ-M tables; `account_alias` is COIN-M's `i` on user events."""
        self.contract_sizes: Mapping[str, Decimal] = contract_sizes or {}
        self.account_alias = account_alias
        unlisted = sorted(book.symbols - set(symbols))
        if unlisted:
            raise ValueError(f"the book holds symbols the market does not list: {', '.join(unlisted)}")
        self.margin_call_level = margin_call_level
        self.tick_interval = tick_interval
        self.clock_ms: Callable[[], int] = clock_ms or (lambda: int(time.time() * 1000))
        self.symbols = symbols
        self.book = book
        self.bracket_entries = dict(bracket_entries) if bracket_entries is not None else market.bracket_entries(symbols)
        self.brackets = market.bracket_tables(self.bracket_entries)
        self.marks: dict[str, Decimal] = {s: spec.base_price for s, spec in symbols.items()}
        self.leverage: dict[str, int] = dict.fromkeys(symbols, 20)
        self.margin_type: dict[str, MarginType] = dict.fromkeys(symbols, MarginType.CROSS)
        self.cross_wallet = ZERO  # in the margin asset's units
        self.margin_asset = margin_asset if margin_asset is not None else book.margin_asset  # COIN-M: its coin
        self.collateral: dict[str, SimCollateral] = {}
        self.multi_assets_margin = bool(book.collateral)
        self.positions: dict[PosKey, SimPosition] = {}
        self.dual_side_position = True
        self.adl_override: dict[PosKey, int] = {}  # ADL buckets a test or scenario sets, over the computed
        self.paused = False
        self.scenario_time = 0.0
        self.stats = EngineStats()
        self._arms: dict[object, _Arm] = {}
        self._listeners: list[EventListener] = []
        self._reset_book(emit=False)
        self.scenario = scenario
        self.scenario.start(self)

    # ----- listeners -------------------------------------------------------------------------
    def add_listener(self, fn: EventListener) -> None:
        self._listeners.append(fn)

    def emit(self, payload: dict[str, Any]) -> None:
        for fn in list(self._listeners):
            fn(payload)

    # ----- state -----------------------------------------------------------------------------
    def now(self) -> int:
        return self.clock_ms()

    @property
    def wallet_balance(self) -> Decimal:
        """The margin asset's wallet: cross plus isolated, in its own units."""
        return self.cross_wallet + sum((p.isolated_wallet for p in self.positions.values()), ZERO)

    @property
    def cross_wallet_usd(self) -> Decimal:
        """The cross wallet the margin maths use: in multi-assets mode the margin asset plus every
        collateral asset's value after its haircut (the margin asset is USDT there, worth 1)."""
        if not self.multi_assets_margin:
            return self.cross_wallet
        return self.cross_wallet + sum((c.margin_value for c in self.collateral.values()), ZERO)

    def core_position(self, p: SimPosition, mark: Decimal | None = None) -> Position:
        return Position(
            symbol=p.symbol, position_side=p.side, amount=p.amount, entry_price=p.entry_price,
            mark_price=self.marks[p.symbol] if mark is None else mark, margin_type=p.margin_type,
            isolated_wallet=p.isolated_wallet, leverage=self.leverage[p.symbol],
            contract=ContractKind.INVERSE if self.contract_sizes else ContractKind.LINEAR,
            contract_size=self.contract_sizes.get(p.symbol, ONE),
        )

    def entry_margin(self, symbol: str, amount: Decimal, entry: Decimal, leverage: int) -> Decimal:
        """Entry notional / leverage, in the margin asset (coin for inverse contracts)."""
        size = self.contract_sizes.get(symbol)
        notional = abs(amount) * entry if size is None else abs(amount) * size / entry
        return notional / leverage

    def pnl(self, p: SimPosition, mark: Decimal) -> Decimal:
        """PnL at `mark`: quote units (linear) or coin (inverse, contracts of `contract_sizes` USD)."""
        size = self.contract_sizes.get(p.symbol)
        if size is None:
            return p.amount * (mark - p.entry_price)
        return p.amount * size * (ONE / p.entry_price - ONE / mark)

    def assess(self, marks: dict[str, Decimal] | None = None) -> AccountRisk:
        m = marks or self.marks
        positions = [self.core_position(p, m[p.symbol]) for p in self.positions.values() if p.amount != 0]
        return assess_account(positions, self.cross_wallet_usd, self.brackets)

    def position_risks(self, risk: AccountRisk | None = None) -> dict[PosKey, PositionRisk]:
        r = risk or self.assess()
        return {pr.position.key: pr for pr in r.positions}

    def ratio_at(self, key: PosKey | str, symbol: str, price: Decimal) -> Decimal | None:
        """The margin ratio of `key` (a position key, or CROSS_KEY) if `symbol` were marked at `price`."""
        marks = dict(self.marks)
        marks[symbol] = price
        risk = self.assess(marks)
        if key == CROSS_KEY:
            return risk.margin_ratio
        pr = self.position_risks(risk).get(key)  # type: ignore[arg-type]
        return None if pr is None else pr.margin_ratio

    # ----- driving ---------------------------------------------------------------------------
    def step(self, dt: float | None = None) -> None:
        """Advance the scenario by `dt` scenario-seconds (one tick by default), then settle risk."""
        d = self.tick_interval if dt is None else dt
        self.stats.steps += 1
        if not self.paused:
            self.scenario_time += d
            self.scenario.step(self, self.scenario_time, d)
        self.evaluate()

    def set_mark_price(self, symbol: str, price: Decimal | str | float, *, evaluate: bool = True) -> None:
        if symbol not in self.marks:
            raise KeyError(f"unknown symbol {symbol!r}")
        spec = self.symbols[symbol]
        p = Decimal(str(price)).quantize(spec.tick_size)
        self.marks[symbol] = max(p, spec.tick_size)
        if evaluate:
            self.evaluate()

    def index_price(self, symbol: str) -> Decimal:
        spec = self.symbols[symbol]
        return (self.marks[symbol] * Decimal("0.9998")).quantize(spec.tick_size.scaleb(-2))

    # ----- risk: margin calls and liquidations -----------------------------------------------
    def evaluate(self) -> AccountRisk:
        risk = self.assess()
        by_key = self.position_risks(risk)
        level = self.margin_call_level
        for key, pr in by_key.items():
            if pr.position.is_isolated and pr.margin_ratio is not None:
                if self._crossed(key, pr.margin_ratio, level):
                    self._emit_margin_call([pr], cross=False)
        cross_prs = [pr for pr in by_key.values() if not pr.position.is_isolated]
        if cross_prs and risk.margin_ratio is not None and self._crossed(CROSS_KEY, risk.margin_ratio, level):
            self._emit_margin_call(cross_prs, cross=True)
        liquidated = False
        for key, pr in by_key.items():
            if pr.position.is_isolated and pr.margin_ratio is not None and pr.margin_ratio >= 1:
                self._liquidate([self.positions[key]], pr_map=by_key)
                liquidated = True
        if cross_prs and risk.margin_ratio is not None and risk.margin_ratio >= 1:
            self._liquidate([self.positions[pr.position.key] for pr in cross_prs], pr_map=by_key)
            liquidated = True
        return self.assess() if liquidated else risk

    def _crossed(self, key: object, ratio: Decimal, level: Decimal) -> bool:
        arm = self._arms.setdefault(key, _Arm())
        if arm.armed and ratio >= level:
            arm.armed = False
            return True
        if not arm.armed and ratio < level - HYSTERESIS:
            arm.armed = True
        return False

    def _emit_margin_call(self, prs: list[PositionRisk], *, cross: bool) -> dict[str, Any]:
        payload: dict[str, Any] = {"e": "MARGIN_CALL", "E": self.now()}
        if self.account_alias is not None:
            payload["i"] = self.account_alias
        if cross:
            payload["cw"] = fmt(self.cross_wallet_usd, 8)
        payload["p"] = [self._margin_call_leg(pr) for pr in prs]
        self.stats.margin_calls += 1
        self.emit(payload)
        return payload

    def _margin_call_leg(self, pr: PositionRisk) -> dict[str, Any]:
        pos = pr.position
        spec = self.symbols[pos.symbol]
        return {
            "s": pos.symbol, "ps": pos.position_side.value, "pa": fmt(pos.amount, spec.qty_precision),
            "mt": "ISOLATED" if pos.is_isolated else "CROSSED",
            "iw": fmt(pos.isolated_wallet, 8), "mp": fmt(pos.mark_price, spec.price_precision + 2),
            "up": fmt(pr.unrealized_pnl, 8), "mm": fmt(pr.maint_margin or ZERO, 8),
        }

    def emit_margin_call(self, symbol: str | None = None) -> dict[str, Any]:
        """Send a MARGIN_CALL now for `symbol`'s isolated legs, or for the cross account."""
        by_key = self.position_risks()
        if symbol is not None:
            prs = [pr for k, pr in by_key.items() if k[0] == symbol]
            cross = not any(pr.position.is_isolated for pr in prs)
        else:
            prs = [pr for pr in by_key.values() if not pr.position.is_isolated]
            cross = True
        if not prs:
            raise ValueError("no open position to put in a MARGIN_CALL")
        return self._emit_margin_call(prs, cross=cross)

    def _liquidate(self, legs: list[SimPosition], *, pr_map: dict[PosKey, PositionRisk]) -> None:
        now = self.now()
        for p in legs:
            if p.amount == 0:
                continue
            spec = self.symbols[p.symbol]
            mark = self.marks[p.symbol]
            qty = abs(p.amount)
            side = "SELL" if p.amount > 0 else "BUY"
            pnl = self.pnl(p, mark)
            order_id = 8_000_000_000 + self.stats.liquidations
            base = {
                "s": p.symbol, "c": f"autoclose-{now}{self.stats.liquidations}", "S": side,
                "o": "LIQUIDATION", "f": "IOC", "q": fmt(qty, spec.qty_precision),
                "p": fmt(mark, spec.price_precision), "sp": "0", "i": order_id, "N": self.margin_asset,
                "T": now, "b": "0", "a": "0", "m": False, "R": True, "wt": "CONTRACT_PRICE",
                "ot": "LIQUIDATION", "ps": p.side.value, "cp": False, "pP": False, "si": 0, "ss": 0,
                "V": "NONE", "pm": "NONE", "gtd": 0, "er": "0",
            }
            new = {**base, "ap": "0", "x": "NEW", "X": "NEW", "l": "0", "z": "0", "L": "0", "n": "0",
                   "t": 0, "rp": "0"}
            filled = {**base, "ap": fmt(mark, spec.price_precision), "x": "CALCULATED", "X": "FILLED",
                      "l": fmt(qty, spec.qty_precision), "z": fmt(qty, spec.qty_precision),
                      "L": fmt(mark, spec.price_precision), "n": "0", "t": order_id, "rp": fmt(pnl, 8)}
            for o in (new, filled):
                self.emit({"e": "ORDER_TRADE_UPDATE", "E": self.now(), "T": now, "o": o})
            if p.margin_type is MarginType.ISOLATED:
                # The isolated margin is gone (what is left pays the liquidation fee / insurance fund).
                p.isolated_wallet = ZERO
            else:
                self.cross_wallet = max(ZERO, self.cross_wallet + pnl)
            p.realized += pnl
            p.amount = ZERO
            p.entry_price = ZERO
            p.update_time = now
            self.stats.liquidations += 1
            self.stats.liquidated.append(p.key)
            self._arms.pop(p.key, None)
        self.emit_account_update("ORDER", legs)

    # ----- account changes -------------------------------------------------------------------
    def emit_account_update(self, reason: str, legs: list[SimPosition] | None = None,
                            balance_change: Decimal = ZERO, symbol: str | None = None,
                            collateral: dict[str, Decimal] | None = None) -> dict[str, Any]:
        """`collateral`: the collateral assets to list (asset -> balance change); given alone, only
        they are in B, as Binance sends a deposit of one asset."""
        now = self.now()
        rows = [] if collateral and not legs and not balance_change else [
            {"a": self.margin_asset, "wb": fmt(self.wallet_balance, 8), "cw": fmt(self.cross_wallet, 8),
             "bc": fmt(balance_change, 8)}]
        for asset, change in (collateral or {}).items():
            amount = fmt(self.collateral[asset].amount, 8)
            rows.append({"a": asset, "wb": amount, "cw": amount, "bc": fmt(change, 8)})
        a: dict[str, Any] = {"m": reason, "B": rows, "P": [self._account_leg(p) for p in (legs or [])]}
        if symbol is not None:
            a["S"] = symbol
        payload: dict[str, Any] = {"e": "ACCOUNT_UPDATE", "E": now, "T": now - 1, "a": a}
        if self.account_alias is not None:
            payload["i"] = self.account_alias
        self.emit(payload)
        return payload

    def _account_leg(self, p: SimPosition) -> dict[str, Any]:
        spec = self.symbols[p.symbol]
        upnl = self.pnl(p, self.marks[p.symbol]) if p.amount else ZERO
        return {
            "s": p.symbol, "pa": fmt(p.amount, spec.qty_precision),
            "ep": fmt(p.entry_price, spec.price_precision + 5), "bep": fmt(p.entry_price, spec.price_precision + 5),
            "cr": fmt(p.realized, 8), "up": fmt(upnl, 8), "mt": p.margin_type.value,
            "iw": fmt(p.isolated_wallet, 8), "ps": p.side.value,
        }

    def transfer_margin(self, symbol: str, side: PositionSide | str, amount: Decimal | str) -> None:
        """Add (amount > 0) or remove isolated margin: ACCOUNT_UPDATE reason MARGIN_TRANSFER."""
        p = self.positions[(symbol, PositionSide(side))]
        amt = Decimal(str(amount))
        if p.margin_type is not MarginType.ISOLATED:
            raise ValueError(f"{symbol} {side} is not an isolated position")
        if amt > self.cross_wallet or -amt > p.isolated_wallet:
            raise ValueError("not enough margin to transfer")
        p.isolated_wallet += amt
        self.cross_wallet -= amt
        p.update_time = self.now()
        self.emit_account_update("MARGIN_TRANSFER", [p])
        self.evaluate()

    def set_collateral(self, asset: str, *, amount: Decimal | str | None = None,
                       usd_price: Decimal | str | None = None, haircut: Decimal | str | None = None) -> None:
        """Change a collateral asset (added if new: multi-assets mode); ValueError, nothing changed,
        for an impossible one. A new balance is sent as an ACCOUNT_UPDATE (reason DEPOSIT or WITHDRAW)
        with that asset's B row only; a new price or haircut is no event on Binance either."""
        if self.margin_asset != "USDT" or asset == self.margin_asset:
            raise ValueError(f"{asset} cannot be multi-assets collateral on a {self.margin_asset} account")
        held = self.collateral.get(asset)
        if held is None and usd_price is None:
            raise ValueError(f"a new collateral asset {asset} needs a USD price")
        price = Decimal(str(usd_price)) if usd_price is not None else held.usd_price  # type: ignore[union-attr]
        cut = Decimal(str(haircut)) if haircut is not None else (held.haircut if held else ZERO)
        new = Decimal(str(amount)) if amount is not None else (held.amount if held else ZERO)
        if not (price > 0 and 0 <= cut < 1 and new >= 0):
            raise ValueError("a collateral price must be positive, its haircut in [0, 1) and its balance >= 0")
        change = new - (held.amount if held else ZERO)
        self.collateral[asset] = SimCollateral(asset, new, price, cut)
        self.multi_assets_margin = True
        if change:
            self.emit_account_update("DEPOSIT" if change > 0 else "WITHDRAW", collateral={asset: change})
        self.evaluate()

    def apply_funding_fee(self, symbol: str, amount: Decimal | str) -> None:
        """Pay (amount < 0) or receive funding. Cross: only B; isolated: B plus that position."""
        amt = Decimal(str(amount))
        legs = [p for p in self.positions.values() if p.symbol == symbol and p.amount != 0]
        iso = [p for p in legs if p.margin_type is MarginType.ISOLATED]
        if iso:
            iso[0].isolated_wallet += amt
        else:
            self.cross_wallet += amt
        self.emit_account_update("FUNDING_FEE", iso[:1], balance_change=amt, symbol=symbol)
        self.evaluate()

    def open_position(self, symbol: str, side: PositionSide | str, amount: Decimal | str, *,
                      margin_type: MarginType | str | None = None, leverage: int | None = None,
                      entry_price: Decimal | str | None = None) -> SimPosition:
        """Open (or replace) a leg at the mark (or `entry_price`): ACCOUNT_UPDATE reason ORDER."""
        ps = PositionSide(side)
        amt = abs(Decimal(str(amount))) * (-1 if ps is PositionSide.SHORT else 1)
        if leverage is not None:
            self.leverage[symbol] = int(leverage)
        mt = MarginType.parse(margin_type) if isinstance(margin_type, str) else margin_type
        mt = mt or self.margin_type[symbol]
        self.margin_type[symbol] = mt
        entry = Decimal(str(entry_price)) if entry_price is not None else self.marks[symbol]
        old = self.positions.get((symbol, ps))
        if old is not None and old.isolated_wallet:
            self.cross_wallet += old.isolated_wallet
        iw = self.entry_margin(symbol, amt, entry, self.leverage[symbol]).quantize(Decimal("0.00000001")) \
            if mt is MarginType.ISOLATED else ZERO
        self.cross_wallet -= iw
        p = SimPosition(symbol, ps, amt, entry, mt, iw, old.realized if old else ZERO, self.now())
        self.positions[p.key] = p
        self._arms.pop(p.key, None)
        self.emit_account_update("ORDER", [p])
        self.evaluate()
        return p

    def close_position(self, symbol: str, side: PositionSide | str) -> None:
        """Close a leg at the mark, realizing its PnL: ACCOUNT_UPDATE reason ORDER."""
        p = self.positions[(symbol, PositionSide(side))]
        pnl = self.pnl(p, self.marks[symbol])
        self.cross_wallet += pnl + p.isolated_wallet
        p.realized += pnl
        p.isolated_wallet = ZERO
        p.amount = ZERO
        p.entry_price = ZERO
        p.update_time = self.now()
        self.emit_account_update("ORDER", [p])
        self.evaluate()

    def reset_book(self) -> None:
        """Back to the demo account at the current marks (scenarios use it to start a new cycle)."""
        self._reset_book(emit=True)

    def _reset_book(self, *, emit: bool) -> None:
        now = self.now()
        before = self.wallet_balance
        self.positions = {}
        self._arms.clear()
        isolated = ZERO
        for b in self.book.entries:
            self.leverage[b.symbol] = b.leverage
            self.margin_type[b.symbol] = b.margin_type
            amount, entry = Decimal(b.amount), Decimal(b.entry)
            iw = ZERO
            if b.margin_type is MarginType.ISOLATED:
                iw = self.entry_margin(b.symbol, amount, entry, b.leverage)
                isolated += iw
            p = SimPosition(b.symbol, b.side, amount, entry, b.margin_type, iw, ZERO, now)
            self.positions[p.key] = p
        self.cross_wallet = self.book.wallet - isolated
        changes: dict[str, Decimal] = {}
        for c in self.book.collateral:
            amount = Decimal(c.amount)
            old = self.collateral.get(c.asset)
            changes[c.asset] = amount - (old.amount if old else ZERO)
            self.collateral[c.asset] = SimCollateral(c.asset, amount, Decimal(c.usd_price), Decimal(c.haircut))
        if emit:
            self.emit_account_update("ORDER", list(self.positions.values()),
                                     balance_change=self.wallet_balance - before, collateral=changes)

    # ----- snapshots for REST ----------------------------------------------------------------
    def open_positions(self) -> list[SimPosition]:
        return [p for p in self.positions.values() if p.amount != 0]
